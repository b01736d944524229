package store

import (
	"context"
	"time"
)

// The statuses of an AuditRecord (the audit's own: cis.StatusPass and so on).
const (
	AuditPass  = "PASS"
	AuditFail  = "FAIL"
	AuditError = "ERROR"
)

// DefaultControl is the control of an AuditRecord that names none.
const DefaultControl = "4.1"

// AuditRecord is one account's result for one control in one audit run, as the audit history
// keeps it.
type AuditRecord struct {
	Account string
	// Control is the control's id ("4.3"); empty is read as 4.1, the only control audited
	// before the others were.
	Control    string
	AccountID  string
	At         time.Time
	Status     string // AuditPass, AuditFail or AuditError
	FailedStep string // the step where the chain broke ("" when it passes)
	Reason     string // one sentence
	// Verdict is the last decided status of the (account, control) as of this audit: Status
	// when it is PASS or FAIL, and for an ERROR the verdict of the record before it ("" when
	// there is none). An audit that could not run says nothing about compliance, so it neither
	// ends nor starts a failure.
	Verdict string
	// Since is when Verdict began: the first audit of an unbroken run of that verdict (zero
	// without a verdict).
	Since  time.Time
	Source string // what ran the audit: a schedule id, or "cli"
}

// AuditHistory keeps every account's audit results over time.
type AuditHistory interface {
	// RecordAudits stores records in one transaction. Account, At and a valid Status are
	// required.
	RecordAudits(ctx context.Context, recs []AuditRecord) error
	// LatestAudits returns the latest record of each (account, control) (by At, ties in the
	// order recorded), ordered by account name and then control id as text; accounts limits it
	// to those names (none: every account ever recorded). Accounts without a record are left
	// out.
	LatestAudits(ctx context.Context, accounts []string) ([]AuditRecord, error)
	// AccountAudits returns an account's records of every control, newest first, at most
	// limit (positive).
	AccountAudits(ctx context.Context, account string, limit int) ([]AuditRecord, error)
}

// Tick is one scheduled summary's claim of a tick, and its outcome.
type Tick struct {
	Schedule  string
	Tick      time.Time // the scheduled time
	Owner     string    // who claimed it
	ClaimedAt time.Time
	PostedAt  time.Time // zero until posted
	Pass      int
	Total     int
	Error     string // why it was not posted
}

// SummaryTicks makes a scheduled summary run once per tick across replicas sharing the store.
type SummaryTicks interface {
	// ClaimTick claims (schedule, tick) for owner at at with a conditional INSERT: ok is true
	// for exactly one caller per key, false (no error) for every other. With a positive lease,
	// a claim made before at-lease and never finished (its claimer died) is taken over: ok is
	// then true for exactly one of the callers taking it over.
	ClaimTick(ctx context.Context, schedule string, tick time.Time, owner string, at time.Time, lease time.Duration) (ok bool, err error)
	// FinishTick records the outcome of a claimed tick: posted (with the pass count and total)
	// when errMsg is "", else the error. Only owner can finish it; a tick that is not owner's
	// claim is an error wrapping ErrNotFound.
	FinishTick(ctx context.Context, schedule string, tick time.Time, owner string, pass, total int, errMsg string, at time.Time) error
	// LastPosted returns the latest posted tick of schedule before tick; found is false when
	// there is none.
	LastPosted(ctx context.Context, schedule string, tick time.Time) (t Tick, found bool, err error)
}
