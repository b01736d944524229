package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/remediate"
	"github.com/cisbot/cisbot/internal/store"
)

// Channels reach a channel outside any request, as the bot itself: what is posted at start.
type Channels interface {
	// Channel is a Replier posting to the channel; its Update takes the message ref an
	// ActionRequest carried (ActionRequest.MessageRef).
	Channel(id string) Replier
}

// NotRecorded is the Detail of a step of an interrupted fix whose outcome was never recorded:
// it may or may not have run.
const NotRecorded = "not recorded: cisbot stopped before this step's outcome was recorded"

// RecoverInterrupted ends the fixes a previous run of the bot left applying (it was killed
// while applying them): each becomes interrupted, its plan message shows the steps that were
// recorded, an audit of its account is posted to the plan's channel, and the account can be
// fixed again. A fix that another process (another Owner) holds the account's lock for, within
// its lease, is under way there and left alone. It returns how many it ended; call it at start.
func (b *Dispatcher) RecoverInterrupted(ctx context.Context, out Channels) (int, error) {
	return b.recoverApplying(ctx, out, b.appliedElsewhere)
}

// RecoverAbandoned ends, like RecoverInterrupted, the fixes left applying whose account lock has
// lapsed or is gone, whoever held it: their process died and did not come back under the same
// owner name (a rescheduled pod gets a new host name), so no start will recover them. A fix
// under way holds its lock for its whole apply, so a live one is never taken. Call it
// periodically.
func (b *Dispatcher) RecoverAbandoned(ctx context.Context, out Channels) (int, error) {
	return b.recoverApplying(ctx, out, b.lockLive)
}

// recoverApplying interrupts the requests left applying but those skip says are under way.
func (b *Dispatcher) recoverApplying(ctx context.Context, out Channels, skip func(context.Context, store.Request) bool) (int, error) {
	if !b.remediation() {
		return 0, nil
	}
	rs, err := b.opts.Requests.InState(ctx, store.StateApplying)
	if err != nil {
		return 0, fmt.Errorf("recover interrupted fixes: %w", err)
	}
	n := 0
	var errs []error
	for _, r := range rs {
		log := b.opts.Logger.With("request", r.ID, "account", r.Account)
		if skip(ctx, r) {
			log.Debug("fix under way; left to it")
			continue
		}
		ok, err := b.interrupt(ctx, log, r, out)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// appliedElsewhere reports whether another live process holds the lock of r's account for r.
func (b *Dispatcher) appliedElsewhere(ctx context.Context, r store.Request) bool {
	l, err := b.opts.Requests.GetAccountLock(ctx, r.Account)
	return err == nil && l.RequestID == r.ID && l.Owner != b.opts.Owner && l.Until.After(b.opts.Now())
}

// lockLive reports whether any process holds the lock of r's account for r within its lease;
// a lookup that fails counts as live, so a store outage never interrupts a fix under way.
func (b *Dispatcher) lockLive(ctx context.Context, r store.Request) bool {
	l, err := b.opts.Requests.GetAccountLock(ctx, r.Account)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	return err != nil || l.RequestID == r.ID && l.Until.After(b.opts.Now())
}

// interrupt ends one request left applying and tells its channel.
func (b *Dispatcher) interrupt(ctx context.Context, log *slog.Logger, r store.Request, out Channels) (bool, error) {
	evs, err := b.opts.Requests.Events(ctx, r.ID)
	if err != nil {
		return false, fmt.Errorf("events of %s: %w", r.ID, err)
	}
	plan := decodePlan(r.Plan)
	applied := recordedSteps(r, plan, evs)
	detail := fmt.Sprintf("cisbot stopped while applying: %d of %d steps recorded", recorded(applied), len(plan.Steps))
	ok, err := b.opts.Requests.Transition(ctx, r.ID, store.StateApplying, store.StateInterrupted, store.ActorSystem, store.EventInterrupted, detail, b.opts.Now())
	if err != nil || !ok {
		return false, err
	}
	log.Warn("fix interrupted by a stop of the bot", "recorded", recorded(applied), "steps", len(plan.Steps))
	b.unlock(ctx, log, r)

	d := FixDecided{RequestID: r.ID, Account: r.Account, State: string(store.StateInterrupted), DecidedBy: r.DecidedBy, Plan: plan, Applied: &applied}
	// One audit gives both the results after the fix and the report posted with them; without
	// an auditor, or when it could not audit, the account is audited by planning again.
	var report *Report
	if b.opts.Auditor != nil {
		started := b.opts.Now()
		ctls, cerr := plan.PlannedControls() // on an error, reaudit below logs it; nil audits every control
		rep, err := b.opts.Auditor.Audit(ctx, []string{r.Account}, ctls, func(int, int) {})
		if err != nil {
			log.Warn("could not audit the account after an interrupted fix", "err", err)
		} else {
			final := b.newReport(ctx, rep, started)
			report = &final
			if cerr == nil && len(rep.Results) > 0 { // the one account's
				d.After = rep.Results
				b.addEvent(ctx, log, store.Event{RequestID: r.ID, At: b.opts.Now(), Actor: store.ActorSystem, Kind: store.EventReaudit, Detail: string(remediate.Overall(d.After))})
			}
		}
	}
	if d.After == nil {
		d.After = b.reaudit(ctx, log, r, plan)
	}
	if out == nil || r.Channel == "" {
		return true, nil
	}
	ch := out.Channel(r.Channel)
	var errs []error
	if r.MessageRef == "" || ch.Update(ctx, Handle(r.MessageRef), d) != nil {
		if _, err := ch.Post(ctx, d); err != nil {
			errs = append(errs, fmt.Errorf("post the end of %s: %w", r.ID, err))
		}
	}
	if report != nil {
		if _, err := ch.Post(ctx, *report); err != nil {
			errs = append(errs, fmt.Errorf("post the audit of %s: %w", r.Account, err))
		}
	}
	return true, errors.Join(errs...)
}

// reaudit audits the account of an interrupted request again for the controls its plan was
// for, by planning them again; nil when it cannot.
func (b *Dispatcher) reaudit(ctx context.Context, log *slog.Logger, r store.Request, plan cis.Plan) []cis.ControlResult {
	controls, err := plan.PlannedControls()
	if err != nil {
		log.Warn("could not audit the account after an interrupted fix", "err", err)
		return nil
	}
	_, after, err := b.opts.Remediator.Plan(ctx, r.Account, controls, r.ID)
	if err != nil {
		log.Warn("could not audit the account after an interrupted fix", "err", err)
		return nil
	}
	b.addEvent(ctx, log, store.Event{RequestID: r.ID, At: b.opts.Now(), Actor: store.ActorSystem, Kind: store.EventReaudit, Detail: string(remediate.Overall(after))})
	return after
}

// recordedSteps rebuilds what the step events of an interrupted request say: the applier
// records every step in plan order as it ends, so the n-th step event is the n-th step. The
// steps after the last recorded one are not run, with Detail NotRecorded.
func recordedSteps(r store.Request, plan cis.Plan, evs []store.Event) cis.ApplyResult {
	res := cis.ApplyResult{Account: r.Account, AccountID: plan.AccountID, PlanHash: plan.Hash}
	var steps []store.Event
	for _, e := range evs {
		if e.Kind == store.EventStep {
			steps = append(steps, e)
		}
	}
	for i, s := range plan.Steps {
		o := cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: NotRecorded}
		if i < len(steps) {
			o = parseStepDetail(s, steps[i].Detail)
		}
		res.Steps = append(res.Steps, cis.StepResult{Step: s, Outcome: o})
	}
	return res
}

// parseStepDetail reads a step event written by stepDetail. What was done is known from the
// sentence, not whether it changed anything; a recorded success counts as a change.
func parseStepDetail(s cis.PlanStep, detail string) cis.StepOutcome {
	rest, ok := strings.CutPrefix(detail, s.Kind()+" ")
	if !ok {
		return cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: NotRecorded}
	}
	outcome, sentence, _ := strings.Cut(rest, " ")
	o := cis.StepOutcome{Outcome: cis.Outcome(outcome), Detail: sentence}
	switch o.Outcome {
	case cis.OutcomeOK:
		o.Changed = true
	case cis.OutcomeFailed:
		o.Message = sentence
	}
	return o
}

// recorded counts the steps whose outcome was recorded.
func recorded(res cis.ApplyResult) int {
	n := 0
	for _, s := range res.Steps {
		if s.Outcome.Detail != NotRecorded {
			n++
		}
	}
	return n
}
