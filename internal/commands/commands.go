// Package commands is the /cis command set: a declarative table of commands, a pure parser,
// who may run what, and the handlers. It knows no transport: the Slack adapter and the terminal
// console both turn their input into a Request and render the Replies.
package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// Request is one invocation, whatever the transport.
type Request struct {
	Command   string // the slash command as typed ("/cis")
	Text      string // what follows it
	UserID    string
	ChannelID string
}

// ActionRequest is a pressed button.
type ActionRequest struct {
	ActionID  string
	Value     string
	UserID    string
	ChannelID string
	// MessageRef names the message holding the button, for the transport to update it later
	// without this request (Slack: the message's ts); empty when unknown.
	MessageRef string
}

// Def is one command of the table; /cis help and the Slack manifest test are generated from it.
type Def struct {
	Name        string
	Aliases     []string
	Args        string // usage after the name: "ACCOUNT… | all"
	Description string
	Examples    []string
	// Auditor marks commands only slack.auditors may run.
	Auditor bool
	run     func(ctx context.Context, b *Dispatcher, req Request, call Call, rep Replier) error
}

// Usage is the command's usage line.
func (d Def) Usage(command string) string {
	u := command + " " + d.Name
	if d.Args != "" {
		u += " " + d.Args
	}
	return u
}

// Auditor runs audits for the bot.
type Auditor interface {
	// Audit audits the named accounts ("all" for every one) against controls (none: every
	// control of cis.Controls) and reports progress per account.
	Audit(ctx context.Context, names []string, controls []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error)
}

// Directory knows the accounts.
type Directory interface {
	// Accounts are the configured accounts.
	Accounts() []AccountInfo
	// OrganizationRole is the role assumed in organization accounts, "" without an organization.
	OrganizationRole() string
	// Resolve returns the name audits give the account that name names: a configured account
	// (by name, or by the id of its role), or, with an organization, a member account by its
	// name or 12-digit id. A name no account has is an *UnknownAccountError.
	Resolve(ctx context.Context, name string) (string, error)
}

// UnknownAccountError is a name no account has, with the nearest known one.
type UnknownAccountError struct {
	Name    string
	Closest string
	Known   []string // the configured accounts' names
	// Organization: the organization's accounts were searched too.
	Organization bool
}

func (e *UnknownAccountError) Error() string {
	msg := fmt.Sprintf("unknown account %q", e.Name)
	if e.Closest != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Closest)
	}
	if e.Organization {
		msg += ": it is neither a configured account"
		if len(e.Known) > 0 {
			msg += " (" + strings.Join(e.Known, ", ") + ")"
		}
		return msg + " nor an ACTIVE account of the organization, by name or 12-digit id"
	}
	if len(e.Known) == 0 {
		return msg + ": no accounts are configured; add them under accounts: in the config file"
	}
	return msg + "; configured accounts: " + strings.Join(e.Known, ", ")
}

// Options configure a Dispatcher.
type Options struct {
	Command   string // "/cis"
	Auditor   Auditor
	Directory Directory
	Policy    *Policy
	Logger    *slog.Logger
	Now       func() time.Time
	// ProgressEvery is the least time between two progress updates of one message: Slack
	// allows five uses of a response_url, so updates are spaced and capped.
	ProgressEvery time.Duration
	// MaxProgressUpdates caps the updates before the final report (Slack allows five uses of a
	// response_url: the first reply, these updates, the report, and marking progress finished).
	MaxProgressUpdates int
	// Remediator and Requests enable /cis fix and /cis history; without either the commands
	// say remediation is not configured.
	Remediator Remediator
	Requests   Requests
	// RequestTTL is how long a fix request waits for a decision (remediation.request_ttl,
	// default 1h).
	RequestTTL time.Duration
	// History enables /cis status: the latest stored result per account.
	History AuditHistory
	// ApplyTimeout bounds an approved fix once its account's lock is taken: the re-audit, the
	// apply and the audit after it (default 5 minutes). It runs to its end even when the
	// command's context is cancelled (the bot is stopping); see WaitFixes.
	ApplyTimeout time.Duration
	// Owner names this process in the account locks it takes (default "cisbot"); processes
	// sharing a store need distinct names.
	Owner string
	// LockPoll is how often an approval waiting for its account's lock tries again (default 1s).
	LockPoll time.Duration
	// Reports keeps each report's evidence for its buttons where every replica sharing the
	// store finds it; without it only this process's recent reports answer.
	Reports ReportStore
	// ReportTTL is how long a report's Evidence buttons answer (default 24h).
	ReportTTL time.Duration
}

// ReportStore keeps reports by id until they expire (store.Reports).
type ReportStore interface {
	PutReport(ctx context.Context, id string, body []byte, expires time.Time) error
	// GetReport fails for a report missing or expired at now.
	GetReport(ctx context.Context, id string, now time.Time) ([]byte, error)
}

// Dispatcher runs the /cis commands: it parses a request, checks who may run it, and runs its
// handler, whatever transport (Slack, the terminal) the request came by.
type Dispatcher struct {
	opts Options
	defs []Def

	// reports caches recent reports by id, for the evidence buttons, in front of opts.Reports.
	reports *lru.Cache[string, cis.ControlsReport]

	// Approved fixes under way, for WaitFixes; once stopping is set no fix starts, so the
	// WaitGroup is never added to while WaitFixes waits on it.
	fixesMu  sync.Mutex
	stopping bool
	fixes    sync.WaitGroup
}

// maxReports is how many recent reports the cache holds.
const maxReports = 100

// defaultReportTTL is how long a report's evidence is kept in the store.
const defaultReportTTL = 24 * time.Hour

// New builds a dispatcher with the command table.
func New(opts Options) *Dispatcher {
	if opts.Command == "" {
		opts.Command = "/cis"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Policy == nil {
		opts.Policy = &Policy{}
	}
	if opts.ProgressEvery == 0 {
		opts.ProgressEvery = 2 * time.Second
	}
	if opts.MaxProgressUpdates == 0 {
		opts.MaxProgressUpdates = 2
	}
	if opts.RequestTTL == 0 {
		opts.RequestTTL = defaultRequestTTL
	}
	if opts.ApplyTimeout == 0 {
		opts.ApplyTimeout = defaultApplyTimeout
	}
	if opts.Owner == "" {
		opts.Owner = "cisbot"
	}
	if opts.LockPoll == 0 {
		opts.LockPoll = time.Second
	}
	if opts.ReportTTL == 0 {
		opts.ReportTTL = defaultReportTTL
	}
	reports, _ := lru.New[string, cis.ControlsReport](maxReports) // fails only for a size below 1
	return &Dispatcher{opts: opts, defs: Table(), reports: reports}
}

// Table is the command set.
func Table() []Def {
	return []Def{
		{Name: "help", Description: "Show these commands.", run: runHelp},
		{Name: "audit", Args: "ACCOUNT… | all [CONTROL…]", Auditor: true,
			Description: "Audit accounts against the CIS monitoring controls 4.1–4.15 (each: trail, metric filter, alarm, subscriber), every control unless some are named (4.3, or their number in another benchmark: 3.1, CloudWatch.2).",
			Examples:    []string{"audit prod", "audit prod staging", "audit all", "audit all 4.1 4.3"}, run: runAudit},
		{Name: "accounts", Description: "List the accounts the bot can audit.", run: runAccounts},
		{Name: "fix", Args: "ACCOUNT [CONTROL…]", Auditor: true,
			Description: "Plan what would make an account pass every failing control (or those named) as one request, and post it for an approver to Approve or Reject.",
			Examples:    []string{"fix prod", "fix prod 4.3 4.10"}, run: runFix},
		{Name: "status", Args: "[ACCOUNT…]",
			Description: "Show each account's latest result from the scheduled summaries, without auditing again.",
			Examples:    []string{"status", "status prod"}, run: runStatus},
		{Name: "history", Args: "ACCOUNT",
			Description: "Show an account's recent fix requests and their outcomes.",
			Examples:    []string{"history prod"}, run: runHistory},
	}
}

// Commands is the bot's table.
func (b *Dispatcher) Commands() []Def { return b.defs }

// Handle runs one request to the end, sending its replies through rep. Transports call it after
// acknowledging the request, in a goroutine of its own.
func (b *Dispatcher) Handle(ctx context.Context, req Request, rep Replier) {
	log := b.opts.Logger.With("user", req.UserID, "channel", req.ChannelID)
	call, err := Parse(b.defs, req.Text)
	if err != nil {
		pe := err.(*ParseError)
		p := Problem{Text: pe.Error() + ". Try " + b.opts.Command + " help."}
		if pe.Suggestion != "" {
			p.Suggestion = strings.TrimSpace(b.opts.Command + " " + pe.Suggestion + " " + strings.Join(strings.Fields(req.Text)[1:], " "))
		}
		b.post(ctx, log, rep, p)
		return
	}
	def := b.def(call.Name)
	if ok, why := b.opts.Policy.Allow(ctx, req.UserID, req.ChannelID, def.Auditor); !ok {
		log.Info("request refused", "command", call.Name, "why", why)
		b.post(ctx, log, rep, Problem{Text: why})
		return
	}
	log.Info("command", "command", call.Name, "args", len(call.Args))
	if err := def.run(ctx, b, req, call, rep); err != nil {
		log.Error("command failed", "command", call.Name, "err", err)
	}
}

func (b *Dispatcher) def(name string) Def {
	for _, d := range b.defs {
		if d.Name == name {
			return d
		}
	}
	panic("commands: no definition for " + name) // Parse only returns defined names
}

func (b *Dispatcher) post(ctx context.Context, log *slog.Logger, rep Replier, r Reply) Handle {
	h, err := rep.Post(ctx, r)
	if err != nil {
		log.Error("reply failed", "err", err)
	}
	return h
}

func runHelp(ctx context.Context, b *Dispatcher, _ Request, _ Call, rep Replier) error {
	_, err := rep.Post(ctx, Help{Command: b.opts.Command, Commands: b.defs})
	return err
}

func runAccounts(ctx context.Context, b *Dispatcher, _ Request, _ Call, rep Replier) error {
	_, err := rep.Post(ctx, Accounts{Accounts: b.opts.Directory.Accounts(), Organization: b.opts.Directory.OrganizationRole()})
	return err
}

func runAudit(ctx context.Context, b *Dispatcher, req Request, call Call, rep Replier) error {
	def := b.def("audit")
	known := b.opts.Directory.Accounts()
	names := make([]string, 0, len(known))
	for _, a := range known {
		names = append(names, a.Name)
	}
	accounts, controls := splitControls(call.Args, names)
	if len(accounts) == 0 {
		_, err := rep.Post(ctx, Problem{Text: "Name the accounts to audit, or all.", Usage: def.Usage(b.opts.Command), Suggestion: b.opts.Command + " audit all"})
		return err
	}
	for i, a := range accounts {
		if strings.EqualFold(a, "all") {
			continue
		}
		name, p, ok := b.account(ctx, "audit", a)
		if !ok {
			_, err := rep.Post(ctx, p)
			return err
		}
		accounts[i] = name
	}
	started := b.opts.Now()
	progress := Progress{Accounts: accounts, Total: len(accounts), Started: started}
	if contains(accounts, "all") {
		progress.Total = 0 // known once the organization is listed
	}
	h, err := rep.Post(ctx, progress)
	if err != nil {
		return fmt.Errorf("post progress: %w", err)
	}
	u := &updater{b: b, rep: rep, h: h, progress: progress, last: started}
	report, err := b.opts.Auditor.Audit(ctx, accounts, controls, u.update)
	if err != nil {
		return rep.Update(ctx, h, Problem{Text: "The audit could not start: " + err.Error()})
	}
	final := b.newReport(ctx, report, started)
	u.mu.Lock()
	u.done = true
	done := u.progress
	u.mu.Unlock()
	// The report is a message of its own: replacing a slash command's first reply through its
	// response_url is not reliable in Slack, and the report must never be lost. The progress
	// message is then marked finished, best effort.
	if _, err := rep.Post(ctx, final); err != nil {
		return fmt.Errorf("post report: %w", err)
	}
	n := len(report.Rows())
	done.Done, done.Total, done.Finished = n, n, true
	if err := rep.Update(ctx, h, done); err != nil {
		b.opts.Logger.Warn("could not mark the progress message finished", "err", err)
	}
	return nil
}

// splitControls separates an audit's arguments: those cis.Lookup knows and that name no
// configured account are controls (once each, in the table's order), the rest accounts. A
// word that looks like a control but is none stays an account, refused as unknown.
func splitControls(args, accountNames []string) (accounts []string, controls []*cis.Control) {
	picked := map[*cis.Control]bool{}
	for _, a := range args {
		if ctl, err := cis.Lookup(a); err == nil && !contains(accountNames, a) {
			picked[ctl] = true
			continue
		}
		accounts = append(accounts, a)
	}
	for i := range cis.Controls {
		if picked[&cis.Controls[i]] {
			controls = append(controls, &cis.Controls[i])
		}
	}
	return accounts, controls
}

// newReport is a finished audit as a reply, with its evidence and fix buttons; its evidence is
// remembered for them. An account gets an Evidence button unless it passes every control, and a
// Fix button if a control fails.
func (b *Dispatcher) newReport(ctx context.Context, report cis.ControlsReport, started time.Time) Report {
	final := Report{ID: newID(), Report: report, Started: started, Finished: b.opts.Now()}
	rows := report.Rows()
	for _, r := range rows {
		if r.Status != cis.StatusPass {
			final.Actions = append(final.Actions, Action{ID: ActionEvidence, Label: "Evidence: " + r.Account, Value: final.ID + "/" + r.Account})
		}
	}
	if b.opts.Remediator != nil {
		for _, r := range rows {
			if len(r.Fail) > 0 {
				final.Actions = append(final.Actions, FixAction(r.Account, report.Controls))
			}
		}
	}
	b.remember(ctx, final.ID, report)
	return final
}

// FixAction is the Fix button of an account on a report or summary of controls (nil: all): its
// value names the controls when they are not all of them, so that the fix plans what the
// report was about ("prod 4.3,4.10"). An account name with spaces (an organization account's)
// goes in a JSON object, so that the value reads back unambiguously (parseFixValue).
func FixAction(account string, controls []string) Action {
	if len(controls) == len(cis.Controls) {
		controls = nil
	}
	value := account
	switch {
	case strings.ContainsAny(account, " {"):
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(fixValue{Account: account, Controls: controls}); err != nil {
			panic(err) // strings only
		}
		value = strings.TrimSuffix(b.String(), "\n")
	case len(controls) > 0:
		value += " " + strings.Join(controls, ",")
	}
	return Action{ID: ActionFix, Label: "Fix: " + account, Value: value}
}

// fixValue is a Fix button's value for an account name with spaces.
type fixValue struct {
	Account  string   `json:"account"`
	Controls []string `json:"controls,omitempty"`
}

// updater turns per-account progress into a few message updates.
type updater struct {
	b        *Dispatcher
	rep      Replier
	h        Handle
	mu       sync.Mutex
	progress Progress
	last     time.Time
	sent     int
	done     bool
}

func (u *updater) update(done, total int) {
	u.mu.Lock()
	u.progress.Done, u.progress.Total = done, total
	now := u.b.opts.Now()
	due := !u.done && done < total && u.sent < u.b.opts.MaxProgressUpdates && now.Sub(u.last) >= u.b.opts.ProgressEvery
	if due {
		u.sent++
		u.last = now
	}
	p := u.progress
	u.mu.Unlock()
	if due {
		if err := u.rep.Update(context.Background(), u.h, p); err != nil {
			u.b.opts.Logger.Warn("progress update failed", "err", err)
		}
	}
}

// remember keeps a report for its buttons: in the cache, and in the store for the clicks that
// reach another replica or come after a restart. A report the store could not keep still
// answers here.
func (b *Dispatcher) remember(ctx context.Context, id string, r cis.ControlsReport) {
	b.reports.Add(id, r)
	if b.opts.Reports == nil {
		return
	}
	body, err := json.Marshal(r)
	if err == nil {
		err = b.opts.Reports.PutReport(ctx, id, body, b.opts.Now().Add(b.opts.ReportTTL))
	}
	if err != nil {
		b.opts.Logger.Warn("could not store a report for its evidence buttons; other replicas will not find it", "report", id, "err", err)
	}
}

// recall finds a remembered report, in the cache or else in the store.
func (b *Dispatcher) recall(ctx context.Context, log *slog.Logger, id string) (cis.ControlsReport, bool) {
	if r, ok := b.reports.Get(id); ok {
		return r, true
	}
	if b.opts.Reports == nil {
		return cis.ControlsReport{}, false
	}
	body, err := b.opts.Reports.GetReport(ctx, id, b.opts.Now())
	if errors.Is(err, store.ErrNotFound) {
		return cis.ControlsReport{}, false
	}
	var r cis.ControlsReport
	if err == nil {
		err = json.Unmarshal(body, &r)
	}
	if err != nil {
		log.Warn("could not read a stored report", "report", id, "err", err)
		return cis.ControlsReport{}, false
	}
	b.reports.Add(id, r)
	return r, true
}

// HandleAction answers a pressed button.
func (b *Dispatcher) HandleAction(ctx context.Context, req ActionRequest, rep Replier) {
	log := b.opts.Logger.With("user", req.UserID, "channel", req.ChannelID, "action", req.ActionID)
	switch req.ActionID {
	case ActionEvidence:
		if ok, why := b.opts.Policy.Allow(ctx, req.UserID, req.ChannelID, true); !ok {
			b.post(ctx, log, rep, Problem{Text: why})
			return
		}
		id, account, _ := strings.Cut(req.Value, "/")
		report, ok := b.recall(ctx, log, id)
		if ok {
			for _, r := range report.Rows() {
				if r.Account == account {
					b.post(ctx, log, rep, Evidence{Private: true, Results: r.Results})
					return
				}
			}
		}
		b.post(ctx, log, rep, Problem{Text: "That report is no longer held by the bot; run the audit again.", Suggestion: b.opts.Command + " audit " + account})
	case ActionApprove, ActionReject, ActionFix:
		b.handleFixAction(ctx, log, req, rep)
	default:
		log.Warn("unknown action")
		b.post(ctx, log, rep, Problem{Text: "This button is not supported by this version of the bot."})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
