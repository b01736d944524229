package doctor

import (
	"bytes"
	"testing"

	"github.com/cisbot/cisbot/internal/testutil/goldenfile"
)

func sample() Report {
	return Report{Checks: []Check{
		pass("config", "cisbot.yml"),
		pass("store", "cisbot.db opens, writable; schema at version 9, this cisbot's"),
		skip("slack", "SLACK_BOT_TOKEN is not set; the Slack checks did not run"),
		pass("account prod: role", "assumes arn:aws:iam::111111111111:role/cisbot"),
		fail("account prod: audit reads", "denied: cloudtrail:DescribeTrails", "grant the member role the audit policy"),
		warn("account prod: remediation", "could not tell", "deploy the member role with EnableRemediation=true"),
	}}
}

func TestReportGolden(t *testing.T) {
	var text, js bytes.Buffer
	if err := sample().WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := sample().WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, "report.txt", text.Bytes())
	goldenfile.Check(t, "report.json", js.Bytes())
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name   string
		checks []Check
		want   int
	}{
		{"empty", nil, ExitOK},
		{"pass, warn and skip", []Check{pass("a", ""), warn("b", "", ""), skip("c", "")}, ExitOK},
		{"one fail", []Check{pass("a", ""), fail("b", "", "")}, ExitFail},
	}
	for _, tt := range tests {
		if got := (Report{Checks: tt.checks}).ExitCode(); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

// statuses maps each check's name to its status, for tests that look at a few.
func statuses(cs []Check) map[string]Status {
	m := map[string]Status{}
	for _, c := range cs {
		m[c.Name] = c.Status
	}
	return m
}

func assertStatuses(t *testing.T, got []Check, want map[string]Status) {
	t.Helper()
	m := statuses(got)
	for name, st := range want {
		if m[name] != st {
			t.Errorf("%s: %s, want %s (checks: %+v)", name, m[name], st, got)
		}
	}
}
