package summary

import (
	"fmt"
	"strings"
	"time"
)

// Headline is the summary's first line: "47 of 50 accounts pass all 15 controls; 742 of 750
// checks pass, 3 fewer than Monday". The comparison is of checks, the (account, control) pairs
// the ticks record.
func (s Digest) Headline() string {
	n := len(s.Accounts)
	h := fmt.Sprintf("%d of %d %s pass %s", s.AccountsPassing(), n, plural(n, "account", "accounts"), s.ControlsName())
	if n == 1 {
		h = fmt.Sprintf("%d of 1 account passes %s", s.AccountsPassing(), s.ControlsName())
	}
	h += fmt.Sprintf("; %d of %d %s", s.Pass, s.Total, plural(s.Total, "check passes", "checks pass"))
	if s.Previous == nil {
		return h + " (the first summary of this schedule)"
	}
	when := s.When(s.Previous.At)
	switch d := s.Pass - s.Previous.Pass; {
	case d > 0:
		h += fmt.Sprintf(", %d more than %s", d, when)
	case d < 0:
		h += fmt.Sprintf(", %d fewer than %s", -d, when)
	default:
		h += ", as many as " + when
	}
	if s.Previous.Total != s.Total {
		h += fmt.Sprintf(" (of %d then)", s.Previous.Total)
	}
	return h
}

// ControlsName names the controls audited: "all 15 controls", "4.1 and 4.3", "4.1".
func (s Digest) ControlsName() string {
	switch n := len(s.Controls); {
	case n == 0:
		return "every control"
	case n == 1:
		return s.Controls[0]
	case n == 2:
		return s.Controls[0] + " and " + s.Controls[1]
	default:
		return fmt.Sprintf("all %d controls", n)
	}
}

// Ratio is an account's controls passing of those audited: "13/15".
func (a Account) Ratio() string { return fmt.Sprintf("%d/%d", a.Pass, a.Total) }

// IDs are the lines' control ids: "4.3, 4.10".
func IDs(lines []Line) string {
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i] = l.Control
	}
	return strings.Join(ids, ", ")
}

// ErrorGroup is the errors of one account that share a reason, such as every control of an
// account that could not be read.
type ErrorGroup struct {
	Lines  []Line
	Reason string
}

// ErrorGroups groups an account's errors by reason, in the order each reason first appears.
func (a Account) ErrorGroups() []ErrorGroup {
	var out []ErrorGroup
	at := map[string]int{}
	for _, l := range a.Errors {
		i, ok := at[l.Reason]
		if !ok {
			i = len(out)
			at[l.Reason] = i
			out = append(out, ErrorGroup{Reason: l.Reason})
		}
		out[i].Lines = append(out[i].Lines, l)
	}
	return out
}

// OldestSince is the earliest Since of the lines (zero when none has one): when the oldest of
// the account's current failures began.
func OldestSince(lines []Line) time.Time {
	var t time.Time
	for _, l := range lines {
		if !l.Since.IsZero() && (t.IsZero() || l.Since.Before(t)) {
			t = l.Since
		}
	}
	return t
}

// When names an earlier time relative to the summary's: "at 09:00" the same day, the weekday
// within the last six days ("Monday"), else the date ("2 Mar", with the year when it differs).
func (s Digest) When(t time.Time) string {
	loc := s.Loc()
	t, at := t.In(loc), s.At.In(loc)
	y1, m1, d1 := t.Date()
	y2, m2, d2 := at.Date()
	sameDay := y1 == y2 && m1 == m2 && d1 == d2
	day0 := time.Date(y2, m2, d2, 0, 0, 0, 0, loc)
	switch {
	case sameDay:
		return "at " + t.Format("15:04")
	case !t.Before(day0.AddDate(0, 0, -6)):
		return t.Weekday().String()
	case y1 == y2:
		return t.Format("2 Jan")
	default:
		return t.Format("2 Jan 2006")
	}
}

// For says how long an account has been failing, from since to the summary's time: "3 days",
// "5 hours", "less than an hour"; "" when since is unknown.
func (s Digest) For(since time.Time) string {
	if since.IsZero() {
		return ""
	}
	d := s.At.Sub(since)
	switch {
	case d < time.Hour:
		return "less than an hour"
	case d < 48*time.Hour:
		h := int(d / time.Hour)
		return fmt.Sprintf("%d %s", h, plural(h, "hour", "hours"))
	default:
		days := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d days", days)
	}
}

// Time is t in the summary's time zone, as renderers print it: "Mon 2 Mar 2026 09:00 CET".
func (s Digest) Time(t time.Time) string {
	return t.In(s.Loc()).Format("Mon 2 Jan 2006 15:04 MST")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
