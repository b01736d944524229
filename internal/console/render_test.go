package console

import (
	"slices"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/testutil/goldenfile"
)

func golden(t *testing.T, name, got string) { t.Helper(); goldenfile.Check(t, name, []byte(got)) }

var (
	started = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	step    = cis.StepMetricFilter
)

// results are an audit of three accounts: one passes, one fails with a warning, one errors.
var results = []cis.Result{
	{Account: "prod", AccountID: "111111111111", Status: cis.StatusPass, Warnings: []string{},
		Reason: "every step of the CIS chain passes: topic has a confirmed email subscription (s…@example.com)",
		Checks: []cis.Check{
			{Step: cis.StepTrail, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:111111111111:trail/main", Detail: "multi-region trail main (home region us-east-1) delivers to log group arn:aws:logs:us-east-1:111111111111:log-group:cloudtrail-logs:*"},
		}},
	{Account: "dev", AccountID: "222222222222", Status: cis.StatusFail, FailedStep: &step,
		Reason: `metric_filter: no metric filter on cloudtrail-logs satisfies control 4.1: unauthorized_api_calls_metric: the pattern misses an unauthorized API call: an event with errorCode="AccessDeniedException"`,
		Fix:    `Create the metric filter: aws logs put-metric-filter --region us-east-1 --log-group-name cloudtrail-logs --filter-pattern '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'`,
		Checks: []cis.Check{
			{Step: cis.StepTrail, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main", Detail: "multi-region trail main (home region us-east-1) delivers to log group arn:aws:logs:us-east-1:222222222222:log-group:cloudtrail-logs:*"},
			{Step: cis.StepLogging, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main", Detail: "the trail is logging"},
			{Step: cis.StepManagementEvents, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main", Detail: "basic event selectors include read and write management events"},
			{Step: cis.StepMetricFilter, Status: cis.StatusFail, Resource: "arn:aws:logs:us-east-1:222222222222:log-group:cloudtrail-logs:*", Detail: `no metric filter on cloudtrail-logs satisfies control 4.1: unauthorized_api_calls_metric: the pattern misses an unauthorized API call: an event with errorCode="AccessDeniedException"`},
		},
		Warnings: []string{"the latest delivery to CloudWatch Logs is 3 days old"}},
	{Account: "staging", Status: cis.StatusError, Reason: "trail: assume role arn:aws:iam::333333333333:role/cisbot: AccessDenied\n(request id 1234)",
		Fix: "Let the bot assume the role: add its principal to the role's trust policy."},
}

// oneControl is a report of one control as a report of several.
func oneControl(control string, rs []cis.Result) cis.ControlsReport {
	rows := make([][]cis.Result, len(rs))
	for i, r := range rs {
		rows[i] = []cis.Result{r}
	}
	return cis.NewControlsReport([]string{control}, rows)
}

// allControls is an audit of every control of the accounts of results: prod passes them all,
// dev fails 4.1, 4.3 and 4.10 (with its failing result above), staging cannot be read.
func allControls() cis.ControlsReport {
	ids := make([]string, len(cis.Controls))
	rows := make([][]cis.Result, len(results))
	for j, ctl := range cis.Controls {
		ids[j] = ctl.ID
		for i, r := range results {
			if r.Account == "dev" && ctl.ID != "4.1" && ctl.ID != "4.3" && ctl.ID != "4.10" {
				r = results[0]
				r.Account, r.AccountID = "dev", "222222222222"
			}
			rows[i] = append(rows[i], r)
		}
	}
	return cis.NewControlsReport(ids, rows)
}

// withPassingWarning gives the first passing control a warning of the kind text checks cause.
func withPassingWarning(rs []cis.ControlResult) []cis.ControlResult {
	rs = slices.Clone(rs)
	for i := range rs {
		if rs[i].Status == cis.StatusPass {
			rs[i].Warnings = []string{"metric filter root_usage_metric satisfies control " + rs[i].Control + ", but Security Hub compares the text and will still report it as failed"}
			break
		}
	}
	return rs
}

func TestRender(t *testing.T) {
	matrix := commands.Report{ID: "m", Report: allControls(), Started: started, Finished: started.Add(2 * time.Second),
		Actions: []commands.Action{
			{ID: commands.ActionEvidence, Label: "Evidence: dev", Value: "m/dev"},
			{ID: commands.ActionEvidence, Label: "Evidence: staging", Value: "m/staging"},
			{ID: commands.ActionFix, Label: "Fix: dev", Value: "dev"},
		}}
	report := commands.Report{ID: "abc", Report: oneControl("4.1", results), Started: started, Finished: started.Add(1234 * time.Millisecond),
		Actions: []commands.Action{
			{ID: commands.ActionEvidence, Label: "Evidence: dev", Value: "abc/dev"},
			{ID: commands.ActionEvidence, Label: "Evidence: staging", Value: "abc/staging"},
		}}
	tests := []struct {
		golden string
		reply  commands.Reply
	}{
		{"text.txt", commands.Text{Text: "Hello."}},
		{"problem.txt", commands.Problem{Text: `Unknown account "prdo": did you mean prod?`, Suggestion: "/cis audit prod", Usage: "/cis audit ACCOUNT… | all"}},
		{"problem-plain.txt", commands.Problem{Text: "You are not allowed to run audits."}},
		{"help.txt", commands.Help{Command: "/cis", Commands: commands.Table()}},
		{"accounts.txt", commands.Accounts{Accounts: []commands.AccountInfo{
			{Name: "prod", RoleARN: "arn:aws:iam::111111111111:role/cisbot", Channel: "C0123"},
			{Name: "default"},
		}}},
		{"accounts-organization.txt", commands.Accounts{Accounts: []commands.AccountInfo{{Name: "mgmt"}}, Organization: "cisbot-audit"}},
		{"accounts-none.txt", commands.Accounts{}},
		{"progress.txt", commands.Progress{Accounts: []string{"prod", "dev"}, Done: 1, Total: 2, Started: started}},
		{"progress-all.txt", commands.Progress{Accounts: []string{"all"}, Started: started}},
		{"report.txt", report},
		{"report-pass.txt", commands.Report{ID: "def", Report: oneControl("4.1", results[:1]), Started: started, Finished: started.Add(300 * time.Millisecond)}},
		{"report-matrix.txt", matrix},
		{"evidence.txt", commands.Evidence{Private: true, Results: oneControl("4.1", results[1:2]).Results}},
		{"evidence-pass.txt", commands.Evidence{Results: oneControl("4.1", results[:1]).Results}},
		{"evidence-three-failing.txt", commands.Evidence{Private: true, Results: allControls().Rows()[1].Results}},
		{"evidence-passing-warning.txt", commands.Evidence{Private: true, Results: withPassingWarning(allControls().Rows()[1].Results)}},
		{"evidence-none.txt", commands.Evidence{}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			golden(t, tc.golden, render(tc.reply))
		})
	}
}

// otherReply is a reply type this console does not know (one added later, say).
type otherReply struct{ commands.Reply }

func TestRenderUnknownReply(t *testing.T) {
	if got := render(otherReply{}); got != "(this console cannot show a console.otherReply reply)\n" {
		t.Errorf("got %q", got)
	}
}
