package commands

import (
	"context"
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

// Status is the latest stored audit result of each account (/cis status): what the last
// summary found, without auditing again.
type Status struct {
	Entries []StatusEntry
	// Actions are the Fix buttons of the failing accounts.
	Actions []Action
}

// StatusEntry is one account's latest stored result; At is zero when it was never audited
// by a summary.
type StatusEntry struct {
	Account    string
	AccountID  string
	Status     string // PASS, FAIL or ERROR
	FailedStep string
	Reason     string
	At         time.Time
	// Since is when a failing account started failing.
	Since time.Time
}

func (Status) isReply()     {}
func (FixPlan) isReply()    {}
func (FixDecided) isReply() {}
func (History) isReply()    {}
