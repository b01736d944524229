package slackbot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/commands"
)

// TestRenderStatusAccounts: /cis status over 50 accounts of fifteen controls holds a line per
// account within Slack's limits, each with its ratio and failing controls; far more accounts
// say how many were left out and how to see them.
func TestRenderStatusAccounts(t *testing.T) {
	for _, tc := range []struct {
		n, shown int
	}{{50, 50}, {400, 0}} {
		st := commands.Status{}
		for i := range tc.n {
			e := statusEntry(fmt.Sprintf("account-%03d", i), fmt.Sprintf("%012d", i), []string{"4.3", "4.10", "4.15"}, []string{"4.7"})
			st.Entries = append(st.Entries, e)
			st.Actions = append(st.Actions, commands.Action{ID: commands.ActionFix, Label: "Fix: " + e.Account, Value: e.Account})
		}
		r := renderAccountStatus(st)
		if err := validate(r.Blocks); err != nil {
			t.Fatalf("%d accounts: %v", tc.n, err)
		}
		checkLimits(t, r.Blocks)
		text := strings.Join(mrkdwnTexts(r.Blocks), "\n")
		listed := strings.Count(text, " 11/15 · failing 4.3, 4.10, 4.15 since <!date^")
		if tc.shown > 0 && listed != tc.shown {
			t.Errorf("%d accounts: %d listed, want %d", tc.n, listed, tc.shown)
		}
		if rest := tc.n - listed; rest > 0 && !strings.Contains(text, fmt.Sprintf("…and %d more accounts not shown: name them (/cis status ACCOUNT…)", rest)) {
			t.Errorf("%d accounts: the %d left out are not counted:\n%s", tc.n, rest, text)
		}
		if tc.n == 50 {
			golden(t, "status-50x15.json", encode(t, newMessage(st)))
		}
	}
}
