package commands

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// TestFixControls: /cis fix names the controls to plan (none: all of them), an unknown one is
// refused with the known ids, and an approval plans again for the controls its plan was for
// (a stored plan without them was for 4.1).
func TestFixControls(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		stored  []string // the plan's controls, as the remediator returns them
		asked   string   // the controls the first plan is asked for
		problem string   // fragment of a refusal; "" when a plan is posted
		again   string   // the controls the approval plans again for
	}{
		{name: "two controls", text: "fix prod 4.3 4.10", stored: []string{"4.3", "4.10"}, asked: "4.3 4.10", again: "4.3 4.10"},
		{name: "ids of other benchmarks, each once", text: "fix prod CloudWatch.2 3.1 4.3", stored: []string{"4.1", "4.3"}, asked: "4.1 4.3", again: "4.1 4.3"},
		{name: "every control", text: "fix prod", stored: []string{"4.1", "4.2"}, asked: "", again: "4.1 4.2"},
		{name: "a plan without controls is 4.1", text: "fix prod", asked: "", again: "4.1"},
		{name: "an unknown control", text: "fix prod 4.3 4.99", problem: `unknown control "4.99": known controls are 4.1, 4.2,`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newFixEnv(t, nil)
			p := failingPlan("h1")
			p.Controls = tc.stored
			e.rem.setPlan(p)
			rec := &recorder{}
			e.bot.Handle(context.Background(), Request{Command: "/cis", Text: tc.text, UserID: "U1", ChannelID: "C0CHAN"}, rec)
			if tc.problem != "" {
				if pr, ok := rec.last["1"].(Problem); !ok || !strings.Contains(pr.Text, tc.problem) || !strings.Contains(pr.Usage, "[CONTROL…]") {
					t.Fatalf("%+v", rec.last["1"])
				}
				if len(e.rem.asked) != 0 {
					t.Errorf("planned for %q", e.rem.asked)
				}
				return
			}
			fp, ok := rec.last["1"].(FixPlan)
			if !ok || len(e.rem.asked) != 1 || e.rem.asked[0] != tc.asked {
				t.Fatalf("plan %+v, asked %q, want %q", rec.last["1"], e.rem.asked, tc.asked)
			}
			if want := max(len(strings.Fields(tc.asked)), 1); len(fp.Before) != want {
				t.Errorf("%d results before, want %d", len(fp.Before), want)
			}
			e.click(ActionApprove, fp.RequestID, "U0BOSS")
			if s := e.state(fp.RequestID); s != store.StateApplied {
				t.Fatalf("state %s", s)
			}
			// The approval plans again before applying, and the audit after is of the same controls.
			if got := e.rem.asked[1:]; len(got) != 2 || got[0] != tc.again || got[1] != tc.again {
				t.Errorf("planned again for %q, want %q twice", got, tc.again)
			}
		})
	}
}

// The Fix button of a report plans the controls the report audited, every control when it
// names none; a control this version does not know is refused.
func TestFixButtonPlansTheReportsControls(t *testing.T) {
	for _, tc := range []struct {
		value, asked string
		refused      bool
	}{
		{"prod", "", false},
		{"prod 4.3,4.10", "4.3 4.10", false},
		{"prod 4.99", "", true},
	} {
		t.Run(tc.value, func(t *testing.T) {
			e := newFixEnv(t, nil)
			rec := e.click(ActionFix, tc.value, "U1")
			if tc.refused {
				if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, `unknown control "4.99"`) || len(e.rem.asked) != 0 {
					t.Fatalf("%+v, asked %q", rec.last["1"], e.rem.asked)
				}
				return
			}
			if _, ok := rec.last["1"].(FixPlan); !ok || len(e.rem.asked) != 1 || e.rem.asked[0] != tc.asked {
				t.Fatalf("%+v, asked %q", rec.last["1"], e.rem.asked)
			}
		})
	}
}

// A report of some controls offers Fix buttons for those controls; a report of all, for all.
func TestFixValue(t *testing.T) {
	if got := FixAction("prod", []string{"4.3", "4.10"}).Value; got != "prod 4.3,4.10" {
		t.Errorf("FixAction of two controls = %q", got)
	}
	if got := FixAction("prod", allIDs()).Value; got != "prod" {
		t.Errorf("FixAction of every control = %q", got)
	}
}

func TestFixPassesControls(t *testing.T) {
	tests := []struct {
		controls []string
		want     string
	}{
		{nil, "prod already passes control 4.1: nothing to fix."},
		{[]string{"4.3", "4.10"}, "prod already passes controls 4.3, 4.10: nothing to fix."},
		{allIDs(), "prod already passes all 15 controls: nothing to fix."},
	}
	for _, tc := range tests {
		e := newFixEnv(t, nil)
		e.rem.setPlan(cis.Plan{Passes: true, Controls: tc.controls})
		rec := &recorder{}
		e.bot.Handle(context.Background(), Request{Text: "fix prod", UserID: "U1"}, rec)
		if tx, ok := rec.last["1"].(Text); !ok || tx.Text != tc.want {
			t.Errorf("%v: %+v", tc.controls, rec.last["1"])
		}
	}
}

func allIDs() []string {
	var ids []string
	for _, c := range cis.Controls {
		ids = append(ids, c.ID)
	}
	return ids
}

// A Fix button's value reads back as the account and controls it was made of, an account name
// with spaces (an organization account's) or ending in a control's number included; values
// of buttons posted before, "prod 4.3,4.10", still read.
func TestFixValueRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		account  string
		controls []string
		value    string // "" when it is not the point
	}{
		{"prod", nil, "prod"},
		{"prod", []string{"4.3", "4.10"}, "prod 4.3,4.10"},
		{"Log Archive", nil, `{"account":"Log Archive"}`},
		{"Log Archive", []string{"4.3"}, ""},
		{"Logging 4.1", nil, ""},
		{"dev sandbox", []string{"4.1", "4.15"}, ""},
		{`{"account":"x"}`, nil, ""},
	} {
		a := FixAction(tc.account, tc.controls)
		if tc.value != "" && a.Value != tc.value {
			t.Errorf("FixAction(%q, %q).Value = %q, want %q", tc.account, tc.controls, a.Value, tc.value)
		}
		account, controls, err := parseFixValue(a.Value)
		var ids []string
		for _, c := range controls {
			ids = append(ids, c.ID)
		}
		if err != nil || account != tc.account || strings.Join(ids, ",") != strings.Join(tc.controls, ",") {
			t.Errorf("parseFixValue(%q) = %q, %q, %v; want %q, %q", a.Value, account, ids, err, tc.account, tc.controls)
		}
	}
	// A button of an earlier version: a name with spaces, the words after its first not controls.
	for _, v := range []string{"Log Archive", "Log Archive 4.3"} {
		if account, controls, err := parseFixValue(v); err != nil || account != v || controls != nil {
			t.Errorf("parseFixValue(%q) = %q, %v, %v; want the whole value as the account", v, account, controls, err)
		}
	}
	// A button of a newer version naming a control this one lacks is refused, not misread.
	for _, v := range []string{"prod 4.99", `{"account":"Log Archive","controls":["4.99"]}`} {
		if _, _, err := parseFixValue(v); err == nil || !strings.Contains(err.Error(), `unknown control "4.99"`) {
			t.Errorf("parseFixValue(%q) = %v, want unknown control", v, err)
		}
	}
}

// resolvingDirectory answers Resolve with err, or name as the account's.
type resolvingDirectory struct {
	directoryOf
	name string
	err  error
}

func (d resolvingDirectory) Resolve(context.Context, string) (string, error) { return d.name, d.err }

// An account a command names is resolved by the directory (an organization account by its
// id gets its name), and each way it cannot be is answered with what to do.
func TestCommandAccount(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dir        resolvingDirectory
		want, text string
		suggestion string
	}{
		{"an id resolved to a member's name", resolvingDirectory{name: "staging"}, "staging", "", ""},
		{"a typo", resolvingDirectory{err: &UnknownAccountError{Name: "stagng", Closest: "staging", Organization: true}}, "",
			`Unknown account "x": did you mean staging?`, "/cis fix staging 4.3"},
		{"a typo of a name with spaces", resolvingDirectory{err: &UnknownAccountError{Name: "x", Closest: "Log Archive", Organization: true}}, "",
			`Unknown account "x": did you mean Log Archive?`, `/cis fix "Log Archive" 4.3`},
		{"not in the organization", resolvingDirectory{err: &UnknownAccountError{Name: "x", Known: []string{"prod"}, Organization: true}}, "",
			`Unknown account "x": it is neither a configured account (prod) nor an ACTIVE account of the organization, by name or 12-digit id.`, ""},
		{"the organization unreachable", resolvingDirectory{err: errors.New("list the organization's accounts: AccessDenied")}, "",
			`cisbot could not look account "x" up: list the organization's accounts: AccessDenied.`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Options{Command: "/cis", Directory: tc.dir})
			got, p, ok := b.account(context.Background(), "fix", "x", "4.3")
			if got != tc.want || ok != (tc.text == "") || p.Text != tc.text || p.Suggestion != tc.suggestion {
				t.Errorf("account = %q, %+v, %v; want %q, text %q, suggestion %q", got, p, ok, tc.want, tc.text, tc.suggestion)
			}
		})
	}
}
