package summary

import (
	"fmt"
	"testing"
	"time"
)

func TestHeadline(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	thu := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC) // Thursday 09:00 in Berlin
	all := []string{"4.1", "4.2", "4.3"}
	for _, tc := range []struct {
		name string
		s    Digest
		want string
	}{
		{"first", Digest{Pass: 55, Total: 60, At: thu, Controls: all, Accounts: accounts(17, 20)}, "17 of 20 accounts pass all 3 controls; 55 of 60 checks pass (the first summary of this schedule)"},
		{"one account", Digest{Pass: 1, Total: 1, At: thu, Controls: all[:1], Accounts: accounts(1, 1)}, "1 of 1 account passes 4.1; 1 of 1 check passes (the first summary of this schedule)"},
		{"two controls", Digest{Pass: 3, Total: 4, At: thu, Controls: all[:2], Accounts: accounts(1, 2)}, "1 of 2 accounts pass 4.1 and 4.2; 3 of 4 checks pass (the first summary of this schedule)"},
		{"fewer than Monday", Digest{Pass: 57, Total: 60, At: thu, Location: berlin, Controls: all, Accounts: accounts(17, 20), Previous: &Previous{At: thu.AddDate(0, 0, -3), Pass: 58, Total: 60}}, "17 of 20 accounts pass all 3 controls; 57 of 60 checks pass, 1 fewer than Monday"},
		{"more, same day", Digest{Pass: 59, Total: 60, At: thu, Location: berlin, Controls: all, Accounts: accounts(19, 20), Previous: &Previous{At: thu.Add(-6 * time.Hour), Pass: 57, Total: 60}}, "19 of 20 accounts pass all 3 controls; 59 of 60 checks pass, 2 more than at 03:00"},
		// A tick recorded when only 4.1 was audited counted one check per account.
		{"as many, a week ago, of 4.1 only", Digest{Pass: 3, Total: 12, At: thu, Controls: all, Accounts: accounts(0, 4), Previous: &Previous{At: thu.AddDate(0, 0, -7), Pass: 3, Total: 4}}, "0 of 4 accounts pass all 3 controls; 3 of 12 checks pass, as many as 26 Feb (of 4 then)"},
		{"six days ago is a weekday", Digest{Pass: 9, Total: 9, At: thu, Controls: all, Accounts: accounts(3, 3), Previous: &Previous{At: thu.AddDate(0, 0, -6), Pass: 9, Total: 9}}, "3 of 3 accounts pass all 3 controls; 9 of 9 checks pass, as many as Friday"},
		{"last year", Digest{Pass: 0, Total: 6, At: thu, Controls: all, Accounts: accounts(0, 2), Previous: &Previous{At: thu.AddDate(-1, 0, 0), Pass: 2, Total: 6}}, "0 of 2 accounts pass all 3 controls; 0 of 6 checks pass, 2 fewer than 5 Mar 2025"},
		// The day is the schedule's: 23:30 UTC on Wednesday is Thursday in Berlin.
		{"zone decides the day", Digest{Pass: 1, Total: 1, At: thu, Location: berlin, Controls: all[:1], Accounts: accounts(1, 1), Previous: &Previous{At: time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC), Pass: 1, Total: 1}}, "1 of 1 account passes 4.1; 1 of 1 check passes, as many as at 00:30"},
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

// accounts are n accounts of 3 controls, the first pass of them passing all three.
func accounts(pass, n int) []Account {
	out := make([]Account, n)
	for i := range out {
		out[i] = Account{Account: fmt.Sprintf("a%02d", i), Total: 3, Pass: 2}
		if i < pass {
			out[i].Pass = 3
		}
	}
	return out
}
