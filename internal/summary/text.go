package summary

import (
	"fmt"
	"time"
)

// Headline is the summary's first line: "17 of 20 accounts pass, 1 fewer than Monday".
func (s Digest) Headline() string {
	h := fmt.Sprintf("%d of %d %s pass", s.Pass, s.Total, plural(s.Total, "account", "accounts"))
	if s.Total == 1 {
		h = fmt.Sprintf("%d of 1 account passes", s.Pass)
	}
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
