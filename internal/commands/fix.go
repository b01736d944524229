package commands

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/remediate"
	"github.com/cisbot/cisbot/internal/store"
)

// Remediator plans and applies the fix of one account (app.Remediator in the program).
type Remediator = remediate.Remediator

// Requests is the part of store.Store the approval workflow uses.
type Requests interface {
	CreateRequest(ctx context.Context, r store.Request) error
	GetRequest(ctx context.Context, id string) (store.Request, error)
	Transition(ctx context.Context, id string, from, to store.State, actor, eventKind, detail string, at time.Time) (bool, error)
	AddEvent(ctx context.Context, e store.Event) error
	History(ctx context.Context, account string, limit int) ([]store.Request, error)
	SetMessageRef(ctx context.Context, id, ref string) error
	InState(ctx context.Context, state store.State) ([]store.Request, error)
	Events(ctx context.Context, requestID string) ([]store.Event, error)
	store.AccountLocks
}

// historyLimit is how many requests /cis history shows.
const historyLimit = 10

// defaultRequestTTL is how long a fix request waits for a decision when Options.RequestTTL is 0.
const defaultRequestTTL = time.Hour

// defaultApplyTimeout bounds an approved fix when Options.ApplyTimeout is 0.
const defaultApplyTimeout = 5 * time.Minute

// recordTimeout bounds each write to the store that records a fix: it is made even after the
// fix's own time is up, so that what was done is never left unrecorded.
const recordTimeout = 30 * time.Second

// leaseMargin is how long an account lock outlives its fix's ApplyTimeout, for the records made
// after it. A holder that died loses the lock then at the latest.
const leaseMargin = time.Minute

var errNotConfigured = Problem{Text: "Remediation is not configured in this bot: set store.path (the store keeps fix requests) and the remediation settings in the config, then restart it."}

func (b *Dispatcher) remediation() bool {
	return b.opts.Remediator != nil && b.opts.Requests != nil
}

// account resolves an account a command names into the name audits give it; ok is false, with
// the Problem to post, when no account has that name (or the bot has no directory, false never).
func (b *Dispatcher) account(ctx context.Context, command, name string, rest ...string) (string, Problem, bool) {
	if b.opts.Directory == nil {
		return name, Problem{}, true
	}
	resolved, err := b.opts.Directory.Resolve(ctx, name)
	if err == nil {
		return resolved, Problem{}, true
	}
	p := Problem{Usage: b.def(command).Usage(b.opts.Command)}
	var unknown *UnknownAccountError
	switch {
	case !errors.As(err, &unknown):
		p.Text = fmt.Sprintf("cisbot could not look account %q up: %v.", name, err)
	case unknown.Closest != "":
		p.Text = fmt.Sprintf("Unknown account %q: did you mean %s?", name, unknown.Closest)
		p.Suggestion = strings.Join(append([]string{b.opts.Command, command, quoteArg(unknown.Closest)}, rest...), " ")
	case unknown.Organization:
		p.Text = "U" + unknown.Error()[1:] + "."
	default:
		p.Text = fmt.Sprintf("Unknown account %q. Configured accounts: %s.", name, strings.Join(unknown.Known, ", "))
	}
	return "", p, false
}

// quoteArg quotes an argument that would not read back as one (a name with spaces or commas).
func quoteArg(a string) string {
	if strings.ContainsAny(a, " \t,") {
		return `"` + a + `"`
	}
	return a
}

func runFix(ctx context.Context, b *Dispatcher, req Request, call Call, rep Replier) error {
	if !b.remediation() {
		_, err := rep.Post(ctx, errNotConfigured)
		return err
	}
	def := b.def("fix")
	if len(call.Args) < 1 {
		_, err := rep.Post(ctx, Problem{Text: "Name one account to fix, then the controls to fix in it if not all of them.", Usage: def.Usage(b.opts.Command) + " [CONTROL…]"})
		return err
	}
	account, p, ok := b.account(ctx, "fix", call.Args[0], call.Args[1:]...)
	if !ok {
		_, err := rep.Post(ctx, p)
		return err
	}
	controls, err := parseControls(call.Args[1:])
	if err != nil {
		_, err := rep.Post(ctx, Problem{Text: "Nothing was planned: " + err.Error() + ".", Usage: def.Usage(b.opts.Command) + " [CONTROL…]"})
		return err
	}
	return b.startFix(ctx, account, controls, req.UserID, req.ChannelID, rep)
}

// parseControls reads control ids (cisbot's, or a control's number in another benchmark), each
// once in the order given; none means every control.
func parseControls(args []string) ([]*cis.Control, error) {
	var ctls []*cis.Control
	for _, a := range args {
		c, err := cis.Lookup(a)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ctls, c) {
			ctls = append(ctls, c)
		}
	}
	return ctls, nil
}

// startFix plans the fix of the account's controls (every control when none) and, when there is
// something to apply, posts it for approval.
func (b *Dispatcher) startFix(ctx context.Context, account string, controls []*cis.Control, user, channel string, rep Replier) error {
	id := newID()
	plan, before, err := b.opts.Remediator.Plan(ctx, account, controls, id)
	if err != nil {
		_, perr := rep.Post(ctx, Problem{Text: fmt.Sprintf("cisbot could not plan the fix of %s: %v", account, err)})
		return errors.Join(fmt.Errorf("plan %s: %w", account, err), perr)
	}
	// The plan names the account as audits do (an organization account typed by its id gets
	// its name): the request, and the lock its approval takes, are the account's whichever
	// name was typed.
	account = cmp.Or(plan.Account, account)
	return b.offerPlan(ctx, id, account, user, channel, "", plan, before, rep)
}

// planFor names what a plan is for in a sentence: "control 4.1", "controls 4.1, 4.3".
func planFor(p cis.Plan) string {
	switch len(p.Controls) {
	case 0:
		return "control 4.1"
	case 1:
		return "control " + p.Controls[0]
	case len(cis.Controls):
		return fmt.Sprintf("all %d controls", len(p.Controls))
	}
	return "controls " + strings.Join(p.Controls, ", ")
}

// offerPlan posts a plan for approval as a new request, or says why there is nothing to approve.
func (b *Dispatcher) offerPlan(ctx context.Context, id, account, user, channel, superseded string, plan cis.Plan, before []cis.ControlResult, rep Replier) error {
	if plan.Passes {
		_, err := rep.Post(ctx, Text{Text: account + " already passes " + planFor(plan) + ": nothing to fix."})
		return err
	}
	if len(plan.Steps) == 0 {
		text := account + " does not pass " + planFor(plan) + ", and nothing in it is for cisbot to create. These steps are for a person:"
		for _, m := range plan.Manual {
			text += "\n• " + m
		}
		_, err := rep.Post(ctx, Text{Text: text})
		return err
	}
	data, err := json.Marshal(plan)
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	now := b.opts.Now()
	r := store.Request{
		ID: id, Account: account, Channel: channel, RequestedBy: user,
		Plan: data, PlanHash: plan.Hash, State: store.StatePending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(b.opts.RequestTTL),
	}
	if err := b.opts.Requests.CreateRequest(ctx, r); err != nil {
		_, perr := rep.Post(ctx, Problem{Text: "cisbot could not record the fix request: " + err.Error()})
		return errors.Join(fmt.Errorf("create request: %w", err), perr)
	}
	detail := "plan " + plan.Hash
	if superseded != "" {
		detail += ", superseding " + superseded
	}
	if err := b.opts.Requests.AddEvent(ctx, store.Event{RequestID: r.ID, At: now, Actor: user, Kind: store.EventRequested, Detail: detail}); err != nil {
		b.opts.Logger.Warn("could not record the request event", "request", r.ID, "err", err)
	}
	h, err := rep.Post(ctx, FixPlan{
		RequestID: r.ID, Plan: plan, Before: before, RequestedBy: user, Expires: r.ExpiresAt, Superseded: superseded,
		Actions: []Action{
			{ID: ActionApprove, Label: "Approve", Value: r.ID, Style: "primary"},
			{ID: ActionReject, Label: "Reject", Value: r.ID, Style: "danger"},
		},
	})
	if err != nil {
		return fmt.Errorf("post plan: %w", err)
	}
	if h != "" {
		if err := b.opts.Requests.SetMessageRef(ctx, r.ID, string(h)); err != nil {
			b.opts.Logger.Warn("could not record the plan message", "request", r.ID, "err", err)
		}
	}
	return nil
}

func runHistory(ctx context.Context, b *Dispatcher, _ Request, call Call, rep Replier) error {
	if !b.remediation() {
		_, err := rep.Post(ctx, errNotConfigured)
		return err
	}
	def := b.def("history")
	if len(call.Args) != 1 {
		_, err := rep.Post(ctx, Problem{Text: "Name one account.", Usage: def.Usage(b.opts.Command)})
		return err
	}
	account, p, ok := b.account(ctx, "history", call.Args[0])
	if !ok {
		_, err := rep.Post(ctx, p)
		return err
	}
	rs, err := b.opts.Requests.History(ctx, account, historyLimit)
	if err != nil {
		_, perr := rep.Post(ctx, Problem{Text: "cisbot could not read the history: " + err.Error()})
		return errors.Join(err, perr)
	}
	h := History{Account: account}
	for _, r := range rs {
		h.Entries = append(h.Entries, HistoryEntry{
			RequestID: r.ID, State: string(r.State), RequestedBy: r.RequestedBy, DecidedBy: r.DecidedBy,
			Created: r.CreatedAt, Steps: len(decodePlan(r.Plan).Steps),
		})
	}
	_, err = rep.Post(ctx, h)
	return err
}

// decodePlan reads a stored plan; a plan that does not decode is empty.
func decodePlan(data []byte) cis.Plan {
	var p cis.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return cis.Plan{}
	}
	return p
}

// handleFixAction answers the Approve, Reject and Fix buttons.
func (b *Dispatcher) handleFixAction(ctx context.Context, log *slog.Logger, req ActionRequest, rep Replier) {
	if !b.remediation() {
		b.post(ctx, log, rep, errNotConfigured)
		return
	}
	var err error
	switch req.ActionID {
	case ActionFix:
		if ok, why := b.opts.Policy.Allow(ctx, req.UserID, req.ChannelID, true); !ok {
			b.post(ctx, log, rep, Problem{Text: why})
			return
		}
		// A report's Fix button plans the controls the report audited, every control without any:
		// the plan has steps for the failing ones.
		account, controls, bad := parseFixValue(req.Value)
		if bad != nil {
			b.post(ctx, log, rep, Problem{Text: "This button names " + bad.Error() + "; run the audit again."})
			return
		}
		var ids []string
		for _, c := range controls {
			ids = append(ids, c.ID)
		}
		account, p, ok := b.account(ctx, "fix", account, ids...)
		if !ok {
			b.post(ctx, log, rep, p)
			return
		}
		err = b.startFix(ctx, account, controls, req.UserID, req.ChannelID, rep)
	case ActionApprove:
		err = b.approve(ctx, log, req, rep)
	case ActionReject:
		err = b.reject(ctx, log, req, rep)
	}
	if err != nil {
		log.Error("fix action failed", "err", err)
	}
}

// decider checks that the user may decide, and loads the request; ok is false when a reply
// has been posted already.
func (b *Dispatcher) decider(ctx context.Context, log *slog.Logger, req ActionRequest, rep Replier) (store.Request, bool) {
	if ok, why := b.opts.Policy.AllowApprove(ctx, req.UserID); !ok {
		log.Info("decision refused", "request", req.Value, "why", why)
		b.refused(ctx, log, req, why)
		b.post(ctx, log, rep, Problem{Text: why})
		return store.Request{}, false
	}
	r, err := b.opts.Requests.GetRequest(ctx, req.Value)
	if errors.Is(err, store.ErrNotFound) {
		b.post(ctx, log, rep, Problem{Text: "That is an unknown or expired request; start again with " + b.opts.Command + " fix ACCOUNT."})
		return store.Request{}, false
	}
	if err != nil {
		b.post(ctx, log, rep, Problem{Text: "cisbot could not read the request: " + err.Error()})
		return store.Request{}, false
	}
	if why := b.wrongChannel(r, req.ChannelID); why != "" {
		log.Info("decision refused", "request", r.ID, "why", why)
		b.refused(ctx, log, req, why)
		b.post(ctx, log, rep, Problem{Text: why})
		return store.Request{}, false
	}
	return r, true
}

// wrongChannel says why a decision clicked in channel is refused, "" when it is not: a request
// is decided only where its plan was posted, and only while the bot may work in that channel.
func (b *Dispatcher) wrongChannel(r store.Request, channel string) string {
	if channel != r.Channel {
		return fmt.Sprintf("Request %s was posted in %s: approve or reject it there, where everybody sees the decision. Nothing was changed by this click.", r.ID, channelName(r.Channel))
	}
	if ok, _ := b.opts.Policy.AllowChannel(channel); !ok {
		return fmt.Sprintf("cisbot no longer works in this channel (it is not in slack.allowed_channels), so request %s cannot be decided here. Nothing was changed by this click; start a new fix in an allowed channel.", r.ID)
	}
	return ""
}

// channelName mentions a channel id, or says there is none.
func channelName(id string) string {
	if id == "" {
		return "no channel"
	}
	return "<#" + id + ">"
}

// refused records a click that was not allowed; the request does not change.
func (b *Dispatcher) refused(ctx context.Context, log *slog.Logger, req ActionRequest, why string) {
	err := b.opts.Requests.AddEvent(ctx, store.Event{RequestID: req.Value, At: b.opts.Now(), Actor: req.UserID, Kind: store.EventRefused, Detail: req.ActionID + ": " + why})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Warn("could not record the refusal", "err", err)
	}
}

// alreadyDecided tells the clicker that someone else decided first.
func (b *Dispatcher) alreadyDecided(ctx context.Context, log *slog.Logger, id string, rep Replier) {
	state := "decided"
	if r, err := b.opts.Requests.GetRequest(ctx, id); err == nil {
		state = string(r.State)
	}
	b.post(ctx, log, rep, Problem{Text: fmt.Sprintf("Request %s was already decided: it is %s. Nothing was changed by this click.", id, state)})
}

func (b *Dispatcher) approve(ctx context.Context, log *slog.Logger, req ActionRequest, rep Replier) error {
	r, ok := b.decider(ctx, log, req, rep)
	if !ok {
		return nil
	}
	if b.opts.Policy.RequireSecondPerson && req.UserID == r.RequestedBy {
		why := "You requested this fix: a second person must approve it (remediation.require_second_person)."
		b.refused(ctx, log, req, why)
		b.post(ctx, log, rep, Problem{Text: why})
		return nil
	}
	now := b.opts.Now()
	if r.State == store.StatePending && now.After(r.ExpiresAt) {
		ok, err := b.opts.Requests.Transition(ctx, r.ID, store.StatePending, store.StateExpired, store.ActorSystem, store.EventExpired, "approval by "+req.UserID+" after expiry", now)
		if err != nil {
			return fmt.Errorf("expire %s: %w", r.ID, err)
		}
		if !ok {
			b.alreadyDecided(ctx, log, r.ID, rep)
			return nil
		}
		err = decide(ctx, rep, FixDecided{RequestID: r.ID, Account: r.Account, State: string(store.StateExpired), Plan: decodePlan(r.Plan)})
		return err
	}
	if r.State != store.StatePending {
		b.alreadyDecided(ctx, log, r.ID, rep)
		return nil
	}
	// From here the fix runs to its end even if ctx is cancelled (the bot is stopping): it is
	// either not approved yet, or approved, applied and recorded. WaitFixes waits for it.
	if !b.beginFix() {
		_, err := rep.Post(ctx, Text{Private: true, Text: "cisbot is stopping, so this approval was not recorded: click again in a minute."})
		return err
	}
	defer b.fixes.Done()
	// The lock is the request's: clicks on one request share it, and only the click whose
	// approval counts releases it, once the fix has ended.
	locked, waited, err := b.lockAccount(ctx, log, r, req.UserID, rep)
	if err != nil || !locked {
		return err
	}
	if waited && !b.stillApprovable(ctx, log, r, req, rep) {
		b.unlock(ctx, log, r)
		return nil
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.opts.ApplyTimeout)
	defer cancel()
	// The one atomic step that makes an approval count at most once, across goroutines and
	// processes sharing the store.
	ok, err = b.opts.Requests.Transition(fctx, r.ID, store.StatePending, store.StateApplying, req.UserID, store.EventApproved, "plan "+r.PlanHash, b.opts.Now())
	if err != nil {
		b.unlock(ctx, log, r)
		b.post(fctx, log, rep, Problem{Text: "cisbot could not record the approval: " + err.Error()})
		return fmt.Errorf("approve %s: %w", r.ID, err)
	}
	if !ok {
		b.alreadyDecided(fctx, log, r.ID, rep)
		return nil
	}
	defer b.unlock(ctx, log, r)
	if req.MessageRef != "" {
		if err := b.opts.Requests.SetMessageRef(fctx, r.ID, req.MessageRef); err != nil {
			log.Warn("could not record the plan message", "request", r.ID, "err", err)
		}
	}
	log.Info("fix approved", "request", r.ID, "account", r.Account)
	return b.applyApproved(fctx, log, r, req.UserID, rep)
}

// lockAccount takes the lock of the request's account, so that one fix of an account runs at a
// time, waiting while another fix of it is under way (the clicker is told). It gives up, with a
// reply, when ctx is done (the approval is then not recorded) or after the longest another fix
// can hold the lock.
func (b *Dispatcher) lockAccount(ctx context.Context, log *slog.Logger, r store.Request, user string, rep Replier) (locked, waited bool, err error) {
	hold := b.opts.ApplyTimeout + leaseMargin
	giveUp := time.Now().Add(hold + b.opts.LockPoll)
	waiting := false
	for {
		rctx, cancel := b.recordContext(ctx)
		now := b.opts.Now()
		ok, err := b.opts.Requests.LockAccount(rctx, r.Account, r.ID, b.opts.Owner, now, now.Add(hold))
		cancel()
		switch {
		case err != nil:
			b.post(ctx, log, rep, Problem{Text: "cisbot could not record the approval: " + err.Error()})
			return false, waiting, fmt.Errorf("lock %s for %s: %w", r.Account, r.ID, err)
		case ok:
			return true, waiting, nil
		case !waiting:
			waiting = true
			other := "another request"
			if l, err := b.opts.Requests.GetAccountLock(ctx, r.Account); err == nil {
				other = "request " + l.RequestID
			}
			log.Info("approval waits for another fix of the account", "request", r.ID, "account", r.Account, "holder", other)
			b.addEvent(ctx, log, store.Event{RequestID: r.ID, At: now, Actor: user, Kind: store.EventWaiting, Detail: "after " + other})
			b.post(ctx, log, rep, Text{Private: true, Text: fmt.Sprintf("Another fix of %s is being applied (%s); request %s is applied after it.", r.Account, other, r.ID)})
		}
		if time.Now().After(giveUp) {
			b.post(ctx, log, rep, Problem{Text: fmt.Sprintf("Another fix of %s is still being applied, so request %s was not approved: approve it again later.", r.Account, r.ID)})
			return false, waiting, nil
		}
		select {
		case <-ctx.Done():
			b.post(context.WithoutCancel(ctx), log, rep, Problem{Text: fmt.Sprintf("cisbot is stopping before another fix of %s ended, so request %s was not approved: approve it again once cisbot is back.", r.Account, r.ID)})
			return false, waiting, nil
		case <-time.After(b.opts.LockPoll):
		}
	}
}

// stillApprovable decides again, after an approval waited for its account's lock (up to the
// longest apply), what the click was decided on: the approver is still one, asked afresh, and
// the request has not expired meanwhile.
func (b *Dispatcher) stillApprovable(ctx context.Context, log *slog.Logger, r store.Request, req ActionRequest, rep Replier) bool {
	if ok, why := b.opts.Policy.AllowApprove(ctx, req.UserID); !ok {
		b.refused(ctx, log, req, why)
		b.post(ctx, log, rep, Problem{Text: why + " (checked again after waiting for the other fix). Nothing was changed by this click."})
		return false
	}
	if b.opts.Now().After(r.ExpiresAt) {
		b.post(ctx, log, rep, Problem{Text: fmt.Sprintf("Request %s expired while it waited for the other fix of %s: run the fix again. Nothing was changed by this click.", r.ID, r.Account)})
		return false
	}
	return true
}

// unlock releases the lock of the request's account.
func (b *Dispatcher) unlock(ctx context.Context, log *slog.Logger, r store.Request) {
	rctx, cancel := b.recordContext(ctx)
	defer cancel()
	if err := b.opts.Requests.UnlockAccount(rctx, r.Account, r.ID); err != nil {
		log.Warn("could not release the account's lock; it lapses by itself", "request", r.ID, "err", err)
	}
}

// recordContext is the context of one write that records a fix: it outlives ctx's
// cancellation, bounded by its own timeout.
func (b *Dispatcher) recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// addEvent records an event, logging a failure.
func (b *Dispatcher) addEvent(ctx context.Context, log *slog.Logger, e store.Event) {
	rctx, cancel := b.recordContext(ctx)
	defer cancel()
	if err := b.opts.Requests.AddEvent(rctx, e); err != nil {
		log.Warn("could not record an event", "request", e.RequestID, "kind", e.Kind, "err", err)
	}
}

// beginFix counts a fix as under way, unless the bot is stopping (WaitFixes was called).
func (b *Dispatcher) beginFix() bool {
	b.fixesMu.Lock()
	defer b.fixesMu.Unlock()
	if b.stopping {
		return false
	}
	b.fixes.Add(1)
	return true
}

// WaitFixes waits until the approved fixes under way have ended and been recorded, or ctx is
// done; no fix starts after it is called. A transport stopping the bot calls it after it stops
// taking requests.
func (b *Dispatcher) WaitFixes(ctx context.Context) error {
	b.fixesMu.Lock()
	b.stopping = true
	b.fixesMu.Unlock()
	done := make(chan struct{})
	go func() {
		b.fixes.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("fixes still under way: %w", ctx.Err())
	}
}

// applyApproved runs an approved request's fix. The account may have changed since the plan was
// made, so it is audited and planned again first: the plan is applied only if it is the one
// approved, else the request is superseded by a new one for the new plan.
func (b *Dispatcher) applyApproved(ctx context.Context, log *slog.Logger, r store.Request, user string, rep Replier) error {
	controls, err := decodePlan(r.Plan).PlannedControls()
	if err != nil {
		b.finish(ctx, log, r.ID, store.StateFailed, store.EventFailed, err.Error())
		_, perr := rep.Post(ctx, Problem{Text: fmt.Sprintf("cisbot cannot apply request %s, so nothing was changed: %v; start again with %s fix %s.", r.ID, err, b.opts.Command, r.Account)})
		return errors.Join(err, perr)
	}
	fix, err := remediate.Run(ctx, b.opts.Remediator, r.Account, controls, r.ID, remediate.Hooks{
		Approve: func(_ context.Context, plan cis.Plan, _ []cis.ControlResult) (bool, error) {
			return plan.Hash == r.PlanHash, nil
		},
		Step: func(s cis.PlanStep, o cis.StepOutcome) {
			b.addEvent(ctx, log, store.Event{RequestID: r.ID, At: b.opts.Now(), Actor: user, Kind: store.EventStep, Detail: stepDetail(s, o)})
		},
		Applied: func(res cis.ApplyResult, err error) {
			state, kind, detail := appliedState(res, err)
			b.finish(ctx, log, r.ID, state, kind, detail)
		},
	})
	if err != nil {
		b.finish(ctx, log, r.ID, store.StateFailed, store.EventFailed, "re-audit before applying: "+err.Error())
		_, perr := rep.Post(ctx, Problem{Text: fmt.Sprintf("cisbot could not audit %s again before applying, so nothing was changed: %v", r.Account, err)})
		return errors.Join(err, perr)
	}
	if fix.Applied == nil {
		b.finish(ctx, log, r.ID, store.StateSuperseded, store.EventSuperseded, "the account changed: new plan "+fix.Plan.Hash)
		// The new request tags what it creates with its own id, so it plans under that id.
		id := newID()
		plan, before, err := b.opts.Remediator.Plan(ctx, r.Account, controls, id)
		if err != nil {
			_, perr := rep.Post(ctx, Problem{Text: fmt.Sprintf("cisbot could not plan the fix of %s again: %v", r.Account, err)})
			return errors.Join(err, perr)
		}
		return b.offerPlan(ctx, id, r.Account, r.RequestedBy, r.Channel, r.ID, plan, before, rep)
	}

	result := *fix.Applied
	if fix.ApplyErr != nil && result.Error == "" {
		result.Error = fix.ApplyErr.Error()
	}
	state, _, _ := appliedState(result, fix.ApplyErr)
	decided := FixDecided{RequestID: r.ID, Account: r.Account, State: string(state), DecidedBy: user, Plan: fix.Plan, Applied: &result}
	switch {
	case fix.AfterErr != nil:
		log.Warn("re-audit after applying failed", "request", r.ID, "err", fix.AfterErr)
	case fix.After != nil:
		decided.After = fix.After
		b.addEvent(ctx, log, store.Event{RequestID: r.ID, At: b.opts.Now(), Actor: store.ActorSystem, Kind: store.EventReaudit, Detail: string(remediate.Overall(fix.After))})
	}
	return decide(ctx, rep, decided)
}

// appliedState is how an applied request ends: applied, or failed with why.
func appliedState(res cis.ApplyResult, err error) (store.State, string, string) {
	switch {
	case err != nil:
		return store.StateFailed, store.EventFailed, err.Error()
	case res.Error != "":
		return store.StateFailed, store.EventFailed, res.Error
	case !res.OK:
		return store.StateFailed, store.EventFailed, fmt.Sprintf("%d steps done, %d not done", len(res.Done()), len(res.NotDone()))
	}
	return store.StateApplied, store.EventApplied, fmt.Sprintf("%d steps done", len(res.Done()))
}

// stepDetail is how a step's outcome is recorded: its kind, outcome and sentence.
func stepDetail(s cis.PlanStep, o cis.StepOutcome) string {
	return fmt.Sprintf("%s %s %s", s.Kind(), o.Outcome, o.Detail)
}

// finish ends an applying request, even once ctx is cancelled or its time is up; it was ours,
// so a lost transition is only logged.
func (b *Dispatcher) finish(ctx context.Context, log *slog.Logger, id string, to store.State, kind, detail string) {
	ctx, cancel := b.recordContext(ctx)
	defer cancel()
	ok, err := b.opts.Requests.Transition(ctx, id, store.StateApplying, to, store.ActorSystem, kind, detail, b.opts.Now())
	if err != nil || !ok {
		log.Error("could not record the end of a fix", "request", id, "state", to, "ok", ok, "err", err)
	}
}

func (b *Dispatcher) reject(ctx context.Context, log *slog.Logger, req ActionRequest, rep Replier) error {
	r, ok := b.decider(ctx, log, req, rep)
	if !ok {
		return nil
	}
	ok, err := b.opts.Requests.Transition(ctx, r.ID, store.StatePending, store.StateRejected, req.UserID, store.EventRejected, "", b.opts.Now())
	if err != nil {
		b.post(ctx, log, rep, Problem{Text: "cisbot could not record the rejection: " + err.Error()})
		return fmt.Errorf("reject %s: %w", r.ID, err)
	}
	if !ok {
		b.alreadyDecided(ctx, log, r.ID, rep)
		return nil
	}
	err = decide(ctx, rep, FixDecided{RequestID: r.ID, Account: r.Account, State: string(store.StateRejected), DecidedBy: req.UserID, Plan: decodePlan(r.Plan)})
	return err
}

// decide shows a decision in place of the plan message whose button was pressed, so the channel
// keeps one message per request; where that cannot be done, it is posted as a new message.
func decide(ctx context.Context, rep Replier, d FixDecided) error {
	if err := rep.Update(ctx, Origin, d); err == nil {
		return nil
	}
	_, err := rep.Post(ctx, d)
	return err
}

// parseFixValue reads a Fix button's value (FixAction): the account, and the controls when the
// report was of some of them. A JSON object carries an account name with spaces (an
// organization account's); otherwise the controls follow the first space ("prod 4.3,4.10"). A
// word there that is no control is part of the account's name when it does not look like a
// control's number (a button of an earlier version naming "Log Archive"), and an error when it
// does (a button of a newer version naming a control this one lacks).
func parseFixValue(v string) (account string, controls []*cis.Control, err error) {
	var fv fixValue
	if strings.HasPrefix(v, "{") && json.Unmarshal([]byte(v), &fv) == nil && fv.Account != "" {
		account = fv.Account
	} else {
		var ids string
		account, ids, _ = strings.Cut(v, " ")
		fv.Controls = strings.FieldsFunc(ids, func(r rune) bool { return r == ',' })
	}
	for _, id := range fv.Controls {
		c, err := cis.Lookup(id)
		if err != nil {
			if !controlLike.MatchString(id) {
				return v, nil, nil
			}
			return "", nil, err
		}
		controls = append(controls, c)
	}
	return account, controls, nil
}

// controlLike is what a control's number looks like in any benchmark: 4.3, CloudWatch.1, CWL-002.
var controlLike = regexp.MustCompile(`^[A-Za-z]*[.-]?[0-9]+([.-][0-9]+)*$`)
