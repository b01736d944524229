package summary

import (
	"testing"
	"time"
)

func TestHeadline(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	thu := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC) // Thursday 09:00 in Berlin
	for _, tc := range []struct {
		name string
		s    Digest
		want string
	}{
		{"first", Digest{Pass: 17, Total: 20, At: thu}, "17 of 20 accounts pass (the first summary of this schedule)"},
		{"one account", Digest{Pass: 1, Total: 1, At: thu}, "1 of 1 account passes (the first summary of this schedule)"},
		{"fewer than Monday", Digest{Pass: 17, Total: 20, At: thu, Location: berlin, Previous: &Previous{At: thu.AddDate(0, 0, -3), Pass: 18, Total: 20}}, "17 of 20 accounts pass, 1 fewer than Monday"},
		{"more, same day", Digest{Pass: 19, Total: 20, At: thu, Location: berlin, Previous: &Previous{At: thu.Add(-6 * time.Hour), Pass: 17, Total: 20}}, "19 of 20 accounts pass, 2 more than at 03:00"},
		{"as many, a week ago", Digest{Pass: 3, Total: 4, At: thu, Previous: &Previous{At: thu.AddDate(0, 0, -7), Pass: 3, Total: 3}}, "3 of 4 accounts pass, as many as 26 Feb (of 3 then)"},
		{"six days ago is a weekday", Digest{Pass: 3, Total: 3, At: thu, Previous: &Previous{At: thu.AddDate(0, 0, -6), Pass: 3, Total: 3}}, "3 of 3 accounts pass, as many as Friday"},
		{"last year", Digest{Pass: 0, Total: 2, At: thu, Previous: &Previous{At: thu.AddDate(-1, 0, 0), Pass: 2, Total: 2}}, "0 of 2 accounts pass, 2 fewer than 5 Mar 2025"},
		// The day is the schedule's: 23:30 UTC on Wednesday is Thursday in Berlin.
		{"zone decides the day", Digest{Pass: 1, Total: 1, At: thu, Location: berlin, Previous: &Previous{At: time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC), Pass: 1, Total: 1}}, "1 of 1 account passes, as many as at 00:30"},
	} {
		if got := tc.s.Headline(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFor(t *testing.T) {
	s := Digest{At: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)}
	for d, want := range map[time.Duration]string{
		0:                    "less than an hour",
		59 * time.Minute:     "less than an hour",
		time.Hour:            "1 hour",
		47 * time.Hour:       "47 hours",
		48 * time.Hour:       "2 days",
		400 * 24 * time.Hour: "400 days",
	} {
		if got := s.For(s.At.Add(-d)); got != want {
			t.Errorf("For(%v ago) = %q, want %q", d, got, want)
		}
	}
	if got := s.For(time.Time{}); got != "" {
		t.Errorf("For(zero) = %q", got)
	}
}
