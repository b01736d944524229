// Package summary builds and posts the scheduled compliance summaries: at each tick of a
// schedule it audits the accounts for every control with the same engine as /cis audit, keeps
// every (account, control) result in the audit history, compares each with that pair's previous
// result (newly failing, newly passing, still failing since when, errors, unchanged) and posts
// the summary once per tick, however many replicas share the store. It knows nothing of Slack:
// a Poster lays the summary out and delivers it.
package summary

import (
	"time"

	"github.com/cisbot/cisbot/internal/cis"
)

// Digest is one compliance summary, as meaning rather than layout.
type Digest struct {
	Schedule string   // the schedule's id
	Channel  string   // where it is posted
	Controls []string // the controls audited, in table order
	// At is when the audit finished; Location is the schedule's time zone (UTC by default), in
	// which renderers show times.
	At       time.Time
	Location *time.Location
	// Pass and Total count the (account, control) pairs: what the summary ticks record.
	Pass  int
	Total int
	// Accounts is every account audited, in the audit's order, with its pairs by what changed.
	Accounts []Account
	// Previous is the last summary posted by the same schedule; nil for the first.
	Previous *Previous
	// The (account, control) pairs by what changed, each in the audit's order (account, then
	// control).
	NewlyFailing []Line
	NewlyPassing []Line
	StillFailing []Line
	Errors       []Line
	// Unchanged counts the pairs that pass as they did (or pass in their first audit).
	Unchanged int
}

// Account is one account of a summary: how many of its controls pass, and its pairs by what
// changed (the same Lines as the Digest's sections).
type Account struct {
	Account   string
	AccountID string
	Pass      int
	Total     int
	// The account's pairs by what changed, in control order.
	NewlyFailing []Line
	NewlyPassing []Line
	StillFailing []Line
	Errors       []Line
}

// Quiet is an account that passes every control as it did: summaries count it rather than
// list it.
func (a Account) Quiet() bool {
	return a.Pass == a.Total && len(a.NewlyPassing) == 0
}

// Failing says whether the account fails any control (a Fix is offered for it).
func (a Account) Failing() bool { return len(a.NewlyFailing)+len(a.StillFailing) > 0 }

// Previous is what the last summary of the schedule said. Pass and Total are the (account,
// control) pairs passing and audited; a tick recorded before every control was audited counted
// the accounts passing 4.1, one pair per account.
type Previous struct {
	At    time.Time
	Pass  int
	Total int
}

// Line is one (account, control) pair in a section of a summary.
type Line struct {
	Account    string
	AccountID  string
	Control    string
	Status     cis.Status
	FailedStep string
	Reason     string
	// Since is when the pair's current verdict began: for a failing pair, the first audit of
	// its unbroken run of failures (the audit time when it is newly failing); for an error,
	// when its last verdict began (zero without one).
	Since time.Time
	// Verdict is the pair's last decided verdict before this audit (PASS, FAIL or "").
	Verdict string
}

// Failing is every failing pair: newly failing first, then still failing.
func (s Digest) Failing() []Line {
	return append(append([]Line(nil), s.NewlyFailing...), s.StillFailing...)
}

// FailingAccounts are the accounts that fail a control, in the audit's order: those a Fix is
// offered for.
func (s Digest) FailingAccounts() []Account {
	var out []Account
	for _, a := range s.Accounts {
		if a.Failing() {
			out = append(out, a)
		}
	}
	return out
}

// AccountsPassing counts the accounts that pass every control audited.
func (s Digest) AccountsPassing() int {
	n := 0
	for _, a := range s.Accounts {
		if a.Total > 0 && a.Pass == a.Total {
			n++
		}
	}
	return n
}

// Loc is the summary's time zone, UTC when unset.
func (s Digest) Loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}
