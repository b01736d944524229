package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/emulator/fixture"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/awsproxy"
)

// addControls gives an account built by awsaccount (which has control 4.1) the metric filter and
// alarm of every other control, on the log group and topic the fixture made; patterns replaces
// a control's default pattern by the named one of its published patterns, or leaves the control
// out when the name is "-".
func addControls(t *testing.T, f *awsenv.Factory, id string, patterns map[string]string) {
	t.Helper()
	ctx := context.Background()
	s := f.Session(awsenv.Target{Name: "controls-" + id, RoleARN: awsaccount.RoleARN(id)})
	topic := fmt.Sprintf("arn:aws:sns:%s:%s:cis-alarms", fixture.Region, id)
	for i := range cis.Controls {
		ctl := &cis.Controls[i]
		if ctl.ID == "4.1" {
			continue
		}
		pattern := ctl.Patterns[ctl.DefaultPattern]
		if name, ok := patterns[ctl.ID]; ok {
			if name == "-" {
				continue
			}
			pattern = ctl.Patterns[name]
		}
		d := ctl.Defaults
		if _, err := s.Logs(fixture.Region).PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
			LogGroupName: aws.String("cloudtrail-logs"), FilterName: &d.FilterName, FilterPattern: &pattern,
			MetricTransformations: []cwltypes.MetricTransformation{{MetricName: &d.MetricName, MetricNamespace: &d.MetricNamespace,
				MetricValue: aws.String("1"), DefaultValue: aws.Float64(0)}},
		}); err != nil {
			t.Fatalf("control %s: put metric filter: %v", ctl.ID, err)
		}
		if _, err := s.CloudWatch(fixture.Region).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: &d.AlarmName, Namespace: &d.MetricNamespace, MetricName: &d.MetricName,
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true),
			AlarmActions: []string{topic},
		}); err != nil {
			t.Fatalf("control %s: put metric alarm: %v", ctl.ID, err)
		}
	}
}

// anonymize replaces the accounts' ids, which depend on the order tests run in, by fixed ones.
func anonymize(s string, ids ...string) string {
	for i, id := range ids {
		s = strings.ReplaceAll(s, id, strings.Repeat(fmt.Sprint(i+1), 12))
	}
	return s
}

// Accounts with every control, with 4.1 only, with an outdated pattern, with one control missing
// and with a trail that does not log, audited against every control, a few and one.
func TestAuditControls(t *testing.T) {
	f, err := awsenv.New(context.Background(), awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	every, only41, outdated, quiet, missing := awsaccount.NewID(), awsaccount.NewID(), awsaccount.NewID(), awsaccount.NewID(), awsaccount.NewID()
	for _, id := range []string{every, only41, outdated, missing} {
		awsaccount.Build(t, f, id, awsaccount.Scenario{}, nil)
	}
	awsaccount.Build(t, f, quiet, awsaccount.Scenario{NotLogging: true}, nil)
	addControls(t, f, every, nil)
	// 4.10's Security Hub pattern lacks ModifySecurityGroupRules, which CIS v5 requires.
	addControls(t, f, outdated, map[string]string{"4.10": "securityhub"})
	addControls(t, f, quiet, nil)
	addControls(t, f, missing, map[string]string{"4.7": "-"})
	ids := []string{every, only41, outdated, quiet, missing}
	var yaml strings.Builder
	yaml.WriteString("accounts:\n")
	for i, name := range []string{"every", "only-4.1", "outdated", "quiet", "missing-4.7"} {
		fmt.Fprintf(&yaml, "  - name: %s\n    role_arn: %s\n", name, awsaccount.RoleARN(ids[i]))
	}
	cfg := writeConfig(t, yaml.String())

	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
		want   []string // in stdout (stderr when golden is empty)
	}{
		{"every control passes", []string{"every"}, ExitOK, "", []string{"PASS  every", "15/15 pass", "controls 4.1–4.15: 1 account(s) × 15 control(s): 15 pass, 0 fail, 0 error"}},
		{"4.1 only", []string{"only-4.1"}, ExitFail, "", []string{"1/15 pass  fail 4.2–4.15", "only-4.1 fail, 4.3 (Ensure usage of the"}},
		{"outdated pattern", []string{"outdated"}, ExitFail, "", []string{"14/15 pass  fail 4.10", "misses ModifySecurityGroupRules"}},
		{"one control missing", []string{"missing-4.7"}, ExitFail, "", []string{"14/15 pass  fail 4.7\n", "its 14 filter(s) serve other controls"}},
		{"all text", []string{"--all"}, ExitFail, "audit-controls-all.txt", nil},
		{"all json", []string{"--all", "--format", "json"}, ExitFail, "audit-controls-all.json", nil},
		{"two controls text", []string{"--all", "--control", "4.10,CloudWatch.2"}, ExitFail, "audit-controls-two.txt", nil},
		{"two controls json", []string{"--all", "--control", "4.1, 4.10", "--format", "json"}, ExitFail, "audit-controls-two.json", nil},
		{"one control keeps its report", []string{"every", "outdated", "--control", "4.10"}, ExitFail, "", []string{"PASS  every", "FAIL  outdated", "control 4.10: 2 account(s): 1 pass, 1 fail, 0 error"}},
		{"one control json keeps its shape", []string{"only-4.1", "--control", "4.1", "--format", "json"}, ExitOK, "", []string{"{\n  \"control\": \"4.1\",\n  \"results\": [\n    {\n      \"account\": \"only-4.1\","}},
		{"all and an id", []string{"every", "--control", "4.1,all"}, ExitOK, "", []string{"15/15 pass"}},
		{"unknown control", []string{"every", "--control", "4.1,4.99"}, ExitError, "", []string{`--control: unknown control "4.99": known controls are 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, 4.10, 4.11, 4.12, 4.13, 4.14, 4.15`}},
		{"empty control", []string{"every", "--control", "4.1,"}, ExitError, "", []string{`unknown control ""`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"audit", "--config", cfg}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out, errOut)
			}
			if tc.golden != "" {
				golden(t, tc.golden, anonymize(out, ids...))
			}
			got := out
			if code == ExitError {
				got = errOut
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// Auditing every control costs the AWS calls of auditing one: each account is read once.
func TestAuditControlsCallCount(t *testing.T) {
	proxy, err := awsproxy.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	f, err := awsenv.New(context.Background(), awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, a, awsaccount.Scenario{}, nil)
	awsaccount.Build(t, f, b, awsaccount.Scenario{}, nil)
	addControls(t, f, b, nil)
	cfg := writeConfig(t, fmt.Sprintf("accounts:\n  - name: a\n    role_arn: %s\n  - name: b\n    role_arn: %s\n", awsaccount.RoleARN(a), awsaccount.RoleARN(b)))
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)

	calls := func(args ...string) int64 {
		t.Helper()
		before := proxy.Calls()
		if code, _, errOut := run(t, "", append([]string{"audit", "--config", cfg}, args...)...); code == ExitError {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return proxy.Calls() - before
	}
	tests := []struct {
		name    string
		account string
	}{
		{"only 4.1 in place", "a"},
		{"every control in place", "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			one, two, all := calls(tc.account, "--control", "4.1"), calls(tc.account, "--control", "4.1,4.3"), calls(tc.account, "--control", "all")
			t.Logf("AWS calls for account %s: %d auditing 4.1, %d auditing 4.1 and 4.3, %d auditing all 15 controls", tc.account, one, two, all)
			if one == 0 || two != one || all != one {
				t.Errorf("AWS calls: %d for one control, %d for two, %d for all: want the same", one, two, all)
			}
		})
	}
	t.Run("per account", func(t *testing.T) {
		one, all := calls("a", "b", "--control", "4.1"), calls("a", "b")
		if all != one {
			t.Errorf("two accounts: %d AWS calls for one control, %d for all", one, all)
		}
	})
}

// The text of several controls is for people; its layout, with an account that could not be
// audited and the verbose evidence, is pinned by golden files.
func TestWriteControlsReport(t *testing.T) {
	logging, metricFilter := cis.StepLogging, cis.StepMetricFilter
	var controls []*cis.Control
	for _, id := range []string{"4.1", "4.3", "4.4", "4.5"} {
		ctl, err := cis.Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		controls = append(controls, ctl)
	}
	trail := cis.Check{Step: cis.StepTrail, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:111111111111:trail/main", Detail: "multi-region trail main"}
	pass := cis.Result{Account: "prod", AccountID: "111111111111", Status: cis.StatusPass, Reason: "every step of the CIS chain passes", Checks: []cis.Check{trail}, Warnings: []string{}}
	root := cis.Result{Account: "prod", AccountID: "111111111111", Status: cis.StatusFail, FailedStep: &metricFilter,
		Reason: "metric_filter: no metric filter on cloudtrail-logs satisfies control 4.3: its 1 filter(s) serve other controls (4.1)",
		Fix:    "Create the metric filter: aws logs put-metric-filter --filter-name root_usage_metric …",
		Checks: []cis.Check{trail, {Step: cis.StepMetricFilter, Status: cis.StatusFail, Resource: "arn:aws:logs:us-east-1:111111111111:log-group:cloudtrail-logs:*", Detail: "no metric filter …"}}, Warnings: []string{}}
	quiet := cis.Result{Account: "dev", AccountID: "222222222222", Status: cis.StatusFail, FailedStep: &logging, Reason: "logging: the trail is not logging",
		Fix:    "Start logging: aws cloudtrail start-logging --name arn:aws:cloudtrail:us-east-1:222222222222:trail/main",
		Checks: []cis.Check{trail, {Step: cis.StepLogging, Status: cis.StatusFail, Resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main", Detail: "the trail is not logging"}}, Warnings: []string{}}
	denied := cis.ErrorResult("stage", cis.StepTrail, &cis.CallError{API: "sts:AssumeRole", Code: "AccessDenied", Message: "AccessDenied: not authorized"})
	results := [][]cis.Result{
		{pass, root, pass, pass},
		{quiet, quiet, quiet, quiet},
		{denied, denied, denied, denied},
	}
	for _, verbose := range []bool{false, true} {
		var b strings.Builder
		writeControlsReport(&b, controls, results, verbose)
		golden(t, fmt.Sprintf("audit-controls-verbose-%v.txt", verbose), b.String())
	}
	if got := controlIDs(controls); got != "4.1, 4.3–4.5" {
		t.Errorf("controlIDs %q", got)
	}
}
