package commands

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
)

// Reply is what a command answers, as meaning rather than layout: each transport renders it (the
// Slack adapter as Block Kit, the console as text).
type Reply interface{ isReply() }

// Text is a plain answer.
type Text struct {
	Private bool // only the requester sees it
	Text    string
}

// Problem is a request that cannot be carried out as asked: an unknown command or account, a
// refusal, bad arguments. It is always private and says what to do instead.
type Problem struct {
	Text string
	// Suggestion is the closest valid input, when there is one ("/cis audit prod").
	Suggestion string
	// Usage is the command's usage line.
	Usage string
}

// Help lists the commands, generated from the table.
type Help struct {
	Command  string // "/cis"
	Commands []Def
}

// Accounts lists the configured accounts.
type Accounts struct {
	Accounts []AccountInfo
	// Organization is the role assumed in organization accounts, when configured.
	Organization string
}

// Progress is an audit under way.
type Progress struct {
	Accounts []string // the names asked for ("all" expanded when known)
	Done     int
	Total    int
	Started  time.Time
	// Finished marks the progress message once the report has been posted after it.
	Finished bool
}

// Report is a finished audit of one or more controls. ID names it for the evidence buttons.
type Report struct {
	ID       string
	Report   cis.ControlsReport
	Started  time.Time
	Finished time.Time
	// Actions are the buttons offered with it: evidence per account that did not pass every
	// control, fix per account with a failing control.
	Actions []Action
}

// Evidence is one account's checks in full, asked for with a button: its result for each
// control audited, in the report's order.
type Evidence struct {
	Private bool
	Results []cis.ControlResult
}

// Action is a button. Transports return ID and Value in an ActionRequest when it is pressed.
type Action struct {
	ID    string // ActionEvidence, …
	Label string
	Value string
	Style string // "", "primary" or "danger"
}

// ActionEvidence is the button that shows one account's evidence.
const ActionEvidence = "cis_evidence"

func (Text) isReply()     {}
func (Problem) isReply()  {}
func (Help) isReply()     {}
func (Accounts) isReply() {}
func (Progress) isReply() {}
func (Report) isReply()   {}
func (Evidence) isReply() {}

// Handle names a posted reply so that it can be updated.
type Handle string

// Origin is the handle of the message holding the button an ActionRequest came from: a
// decision replaces the plan it decides.
const Origin Handle = "origin"

// Replier delivers one request's replies. Slack implements it with the command's response_url,
// which reaches the user in channels the bot has not joined and in DMs; the console prints.
type Replier interface {
	// Post sends a reply and returns a handle to update it (private replies may return "").
	Post(ctx context.Context, r Reply) (Handle, error)
	// Update replaces a reply posted before.
	Update(ctx context.Context, h Handle, r Reply) error
}

// AccountInfo is one configured account as users see it.
type AccountInfo struct {
	Name    string
	RoleARN string // empty: the bot's own credentials
	Channel string
}

// FixPlan is a remediation request waiting for a decision: what would be created, and the
// Approve and Reject buttons.
type FixPlan struct {
	RequestID string
	Plan      cis.Plan
	// Before is each control's audit the plan was made from, in the plan's order.
	Before      []cis.ControlResult
	RequestedBy string // user id
	Expires     time.Time
	// Superseded is the request this one replaces because the account changed before approval.
	Superseded string
	Actions    []Action
}

// FixDecided is a request after its decision: rejected, expired, or applied with each step's
// outcome, who approved, and the audit that followed. An interrupted request (the bot stopped
// while applying it) shows the steps recorded; the others are not run with Detail NotRecorded.
type FixDecided struct {
	RequestID string
	Account   string
	State     string // "rejected", "expired", "applied", "failed", "interrupted"
	DecidedBy string
	Plan      cis.Plan
	Applied   *cis.ApplyResult
	// After is each control's audit once the fix ended; nil when there was none.
	After []cis.ControlResult
}

// History is the recent remediation requests of an account.
type History struct {
	Account string
	Entries []HistoryEntry
}

// HistoryEntry is one request in History.
type HistoryEntry struct {
	RequestID   string
	State       string
	RequestedBy string
	DecidedBy   string
	Created     time.Time
	Steps       int
}

// The buttons of a fix request.
const (
	ActionApprove = "cis_fix_approve"
	ActionReject  = "cis_fix_reject"
	ActionFix     = "cis_fix_start" // on a report: start /cis fix for the account
)

// Status is the latest stored audit results of each account (/cis status), one per control:
// what the last summary found, without auditing again.
type Status struct {
	Entries []StatusEntry
	// Actions are the Fix buttons of the accounts failing a control.
	Actions []Action
}

// StatusEntry is one account's latest stored result of each control; Controls is empty when a
// summary never audited it.
type StatusEntry struct {
	Account   string
	AccountID string
	// Controls are the account's latest results, in the order of cis.Controls.
	Controls []ControlStatus
	// At is when the latest of them was audited.
	At time.Time
	// Since is when the oldest of its current failures began.
	Since time.Time
}

// ControlStatus is one control's latest stored result for an account.
type ControlStatus struct {
	Control    string
	Status     string // PASS, FAIL or ERROR
	FailedStep string
	Reason     string
	At         time.Time
	// Since is when a failing control started failing.
	Since time.Time
}

// Pass counts the controls that passed.
func (e StatusEntry) Pass() int { return len(e.with(cis.StatusPass)) }

// Failing are the ids of the controls that failed.
func (e StatusEntry) Failing() []string { return e.with(cis.StatusFail) }

// Erroring are the ids of the controls that could not be audited.
func (e StatusEntry) Erroring() []string { return e.with(cis.StatusError) }

// Unaudited are the ids of the controls of cis.Controls with no stored result, such as those
// added since the account's last summary.
func (e StatusEntry) Unaudited() []string {
	var out []string
	for _, c := range cis.Controls {
		if !slices.ContainsFunc(e.Controls, func(cs ControlStatus) bool { return cs.Control == c.ID }) {
			out = append(out, c.ID)
		}
	}
	return out
}

// Ratio is the controls passing of every control: "13/15".
func (e StatusEntry) Ratio() string { return fmt.Sprintf("%d/%d", e.Pass(), len(cis.Controls)) }

func (e StatusEntry) with(st cis.Status) []string {
	var out []string
	for _, c := range e.Controls {
		if c.Status == string(st) || st == cis.StatusError && c.Status != string(cis.StatusPass) && c.Status != string(cis.StatusFail) {
			out = append(out, c.Control)
		}
	}
	return out
}

func (Status) isReply()     {}
func (FixPlan) isReply()    {}
func (FixDecided) isReply() {}
func (History) isReply()    {}
