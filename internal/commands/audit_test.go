package commands

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/suggest"
)

// directoryOf is a Directory of the accounts named.
type directoryOf []string

func (d directoryOf) Accounts() []AccountInfo {
	out := make([]AccountInfo, len(d))
	for i, n := range d {
		out[i] = AccountInfo{Name: n}
	}
	return out
}
func (directoryOf) OrganizationRole() string { return "" }
func (d directoryOf) Resolve(_ context.Context, name string) (string, error) {
	return resolveIn(d.Accounts(), name)
}

// resolveIn is Directory.Resolve over configured accounts alone, for the fakes.
func resolveIn(accounts []AccountInfo, name string) (string, error) {
	var names []string
	for _, a := range accounts {
		if a.Name == name {
			return name, nil
		}
		names = append(names, a.Name)
	}
	return "", &UnknownAccountError{Name: name, Closest: suggest.Closest(name, names), Known: names}
}

// TestAuditControlArgs: the words cis.Lookup knows are controls unless an account has that name;
// the rest are accounts, an unknown one refused before anything is audited.
func TestAuditControlArgs(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		accounts []string
		names    []string // what the auditor is asked for; nil: no audit
		controls []string
		problem  string
	}{
		{"account and control", "audit prod 4.3", nil, []string{"prod"}, []string{"4.3"}, ""},
		{"no control is every control", "audit prod dev", nil, []string{"prod", "dev"}, nil, ""},
		{"benchmark number", "audit all CloudWatch.2", nil, []string{"all"}, []string{"4.1"}, ""},
		{"control first", "audit 4.1 prod", nil, []string{"prod"}, []string{"4.1"}, ""},
		{"table order, once each", "audit prod 4.10 4.3 4.10", nil, []string{"prod"}, []string{"4.3", "4.10"}, ""},
		{"unknown control-like word is an unknown account", "audit prod 4.99", nil, nil, nil, `Unknown account "4.99"`},
		{"controls without accounts", "audit 4.3 4.4", nil, nil, nil, "Name the accounts"},
		{"an account named like a control is the account", "audit 4.3 4.4", []string{"prod", "4.3"}, []string{"4.3"}, []string{"4.4"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := Directory(fakeDirectory{})
			if tc.accounts != nil {
				dir = directoryOf(tc.accounts)
			}
			aud := &fakeAuditor{report: report(cis.StatusPass)}
			b := New(Options{Auditor: aud, Directory: dir})
			rec := &recorder{}
			b.Handle(context.Background(), Request{Command: "/cis", Text: tc.text}, rec)
			if tc.problem != "" {
				p, ok := rec.last["1"].(Problem)
				if !ok || !strings.Contains(p.Text, tc.problem) || aud.names != nil {
					t.Fatalf("reply %+v (audited %v), want a problem %q and no audit", rec.last["1"], aud.names, tc.problem)
				}
				return
			}
			if !slices.Equal(aud.names, tc.names) {
				t.Errorf("accounts %v, want %v", aud.names, tc.names)
			}
			var ids []string
			for _, c := range aud.controls {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tc.controls) {
				t.Errorf("controls %v, want %v", ids, tc.controls)
			}
		})
	}
}

// TestReportButtons: Evidence for each account that does not pass every control, Fix for each
// with a failing control (an account with only ERRORs has nothing a fix could do).
func TestReportButtons(t *testing.T) {
	ctls := []string{"4.1", "4.3"}
	row := func(name string, a, b cis.Status) []cis.Result {
		return []cis.Result{{Account: name, Status: a}, {Account: name, Status: b}}
	}
	cr := cis.NewControlsReport(ctls, [][]cis.Result{
		row("prod", cis.StatusPass, cis.StatusPass),
		row("dev", cis.StatusPass, cis.StatusFail),
		row("stage", cis.StatusError, cis.StatusPass),
		row("qa", cis.StatusFail, cis.StatusError),
	})
	for _, tc := range []struct {
		name string
		rem  Remediator
		want []string
	}{
		{"with remediation", &fakeRemediator{}, []string{
			"cis_evidence ID/dev", "cis_evidence ID/stage", "cis_evidence ID/qa", "cis_fix_start dev 4.1,4.3", "cis_fix_start qa 4.1,4.3"}},
		{"without remediation", nil, []string{"cis_evidence ID/dev", "cis_evidence ID/stage", "cis_evidence ID/qa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Options{Auditor: &fakeAuditor{report: cr}, Directory: directoryOf{"prod", "dev", "stage", "qa"}, Remediator: tc.rem})
			rec := &recorder{}
			b.Handle(context.Background(), Request{Text: "audit all"}, rec)
			rep, ok := rec.last["2"].(Report)
			if !ok {
				t.Fatalf("no report: %+v", rec.last)
			}
			var got []string
			for _, a := range rep.Actions {
				got = append(got, a.ID+" "+strings.Replace(a.Value, rep.ID, "ID", 1))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("buttons %v, want %v", got, tc.want)
			}
			ev := &recorder{}
			b.HandleAction(context.Background(), ActionRequest{ActionID: ActionEvidence, Value: rep.ID + "/qa"}, ev)
			e, ok := ev.last["1"].(Evidence)
			if !ok || len(e.Results) != 2 || e.Results[0].Control != "4.1" || e.Results[1].Control != "4.3" || e.Results[1].Account != "qa" {
				t.Errorf("evidence of qa: %+v", ev.last["1"])
			}
		})
	}
}
