// Package summary builds and posts the scheduled compliance summaries: at each tick of a
// schedule it audits the accounts with the same engine as /cis audit, keeps every account's
// result in the audit history, compares each with the account's previous result (newly failing,
// newly passing, still failing since when, errors, unchanged) and posts the summary once per
// tick, however many replicas share the store. It knows nothing of Slack: a Poster lays the
// summary out and delivers it.
package summary

import (
	"time"

	"github.com/cisbot/cisbot/internal/cis"
)

// Digest is one compliance summary, as meaning rather than layout.
type Digest struct {
	Schedule string // the schedule's id
	Channel  string // where it is posted
	Control  string // "4.1"
	// At is when the audit finished; Location is the schedule's time zone (UTC by default), in
	// which renderers show times.
	At       time.Time
	Location *time.Location
	Pass     int
	Total    int
	// Previous is the last summary posted by the same schedule; nil for the first.
	Previous *Previous
	// The accounts by what changed, each in the audit's order.
	NewlyFailing []Line
	NewlyPassing []Line
	StillFailing []Line
	Errors       []Line
	// Unchanged counts the accounts that pass as they did (or pass in their first audit).
	Unchanged int
}

// Previous is what the last summary of the schedule said.
type Previous struct {
	At    time.Time
	Pass  int
	Total int
}

// Line is one account in a section of a summary.
type Line struct {
	Account    string
	AccountID  string
	Status     cis.Status
	FailedStep string
	Reason     string
	// Since is when the account's current verdict began: for a failing account, the first
	// audit of its unbroken run of failures (the audit time when it is newly failing); for an
	// error, when its last verdict began (zero without one).
	Since time.Time
	// Verdict is the account's last decided verdict before this audit (PASS, FAIL or "").
	Verdict string
}

// Failing is every failing account: newly failing first, then still failing.
func (s Digest) Failing() []Line {
	return append(append([]Line(nil), s.NewlyFailing...), s.StillFailing...)
}

// Loc is the summary's time zone, UTC when unset.
func (s Digest) Loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}
