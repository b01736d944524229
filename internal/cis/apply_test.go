package cis

// The applier against moto is tested in internal/app (remediate_test.go). These tests cover what
// needs no AWS: the topic policy merge, and the applier's refusals, with fakes of its own write
// interfaces.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

const (
	sourceARN = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"
	// defaultPolicy is the policy SNS gives a new topic (as moto 5.2.1 and AWS write it).
	defaultPolicy = `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Effect":"Allow","Sid":"__default_statement_ID","Principal":{"AWS":"*"},` +
		`"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + topicARN + `","Condition":{"StringEquals":{"AWS:SourceOwner":"111111111111"}}}]}`
)

func TestAllowsAlarms(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	tests := []struct {
		name   string
		policy string
		want   bool
	}{
		{"the default policy of a new topic", defaultPolicy, true},
		{"cisbot's statement, whatever it says", stmt(`{"Sid":"` + PolicySid + `","Effect":"Allow"}`), true},
		{"CloudWatch by service principal, conditions on this account's alarms",
			stmt(`{"Effect":"Allow","Principal":{"Service":["cloudwatch.amazonaws.com"]},"Action":"sns:Publish","Resource":"` + topicARN + `",` +
				`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"},"StringEquals":{"aws:SourceAccount":"111111111111"}}}`), true},
		{"everyone, unconditionally, on any resource", stmt(`{"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"}`), true},
		{"a statement object instead of a list",
			`{"Statement":{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"SNS:Publish","Resource":"` + topicARN + `"}}`, true},
		{"one alarm only", stmt(`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicARN + `",` +
			`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing"}}}`), false},
		{"another account's owner", strings.ReplaceAll(defaultPolicy, `"AWS:SourceOwner":"111111111111"`, `"AWS:SourceOwner":"222222222222"`), false},
		{"a role only", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/publisher"},"Action":"sns:Publish","Resource":"` + topicARN + `"}`), false},
		{"another topic", stmt(`{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111111111111:other"}`), false},
		{"publish not among the actions", stmt(`{"Effect":"Allow","Principal":"*","Action":["sns:Subscribe"],"Resource":"*"}`), false},
		{"a condition it cannot judge", stmt(`{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), false},
		{"NotAction", stmt(`{"Effect":"Allow","Principal":"*","NotAction":"sns:DeleteTopic","Resource":"*"}`), false},
		{"a Deny", stmt(`{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*"}`), false},
		{"empty", "", false},
		{"not JSON", "{", false},
	}
	for _, tc := range tests {
		if got := allowsAlarms(tc.policy, topicARN, "111111111111", sourceARN, PolicySid); got != tc.want {
			t.Errorf("%s: allowsAlarms = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMergeStatement(t *testing.T) {
	custom := `{"Version":"2012-10-17","Id":"custom","Statement":{"Sid":"ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/ops"},"Action":"sns:Publish","Resource":"` + topicARN + `","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}}`
	stmt := map[string]any{"Sid": PolicySid, "Effect": "Allow", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": topicARN}
	merged, err := mergeStatement(custom, stmt)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version, Id string
		Statement   []map[string]any
	}
	if err := json.Unmarshal([]byte(merged), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" || doc.Id != "custom" || len(doc.Statement) != 2 || doc.Statement[0]["Sid"] != "ops" || doc.Statement[1]["Sid"] != PolicySid {
		t.Errorf("merged policy lost something: %s", merged)
	}
	if !strings.Contains(merged, `"aws:MultiFactorAuthAge":3600`) {
		t.Errorf("a number in the policy changed: %s", merged)
	}
	if !allowsAlarms(merged, topicARN, "111111111111", sourceARN, PolicySid) {
		t.Error("the merged policy is not recognised, so a second run would merge again")
	}
	for _, bad := range []string{"[]", `{"Statement":"x"}`, "{"} {
		if _, err := mergeStatement(bad, stmt); err == nil {
			t.Errorf("mergeStatement(%s) did not fail", bad)
		}
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"arn:aws:cloudwatch:*:111111111111:alarm:*", sourceARN, true},
		{"arn:aws:cloudwatch:us-east-1:111111111111:alarm:b?lling", "arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing", true},
		{"arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing", sourceARN, false},
		{"sns:*", "sns:publish", true},
		{"sns:p*h", "sns:publish", true},
		{"sns:p*x", "sns:publish", false},
	}
	for _, tc := range tests {
		if got := wildcard(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcard(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

// Fakes of the applier's own write interfaces.
type fakeLogs struct {
	filters []cwltypes.MetricFilter
	puts    int
}

func (f *fakeLogs) DescribeMetricFilters(_ context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
	return &cloudwatchlogs.DescribeMetricFiltersOutput{MetricFilters: f.filters}, nil
}

func (f *fakeLogs) PutMetricFilter(_ context.Context, in *cloudwatchlogs.PutMetricFilterInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutMetricFilterOutput, error) {
	f.puts++
	f.filters = append(f.filters, cwltypes.MetricFilter{FilterName: in.FilterName, FilterPattern: in.FilterPattern, LogGroupName: in.LogGroupName, MetricTransformations: in.MetricTransformations})
	return &cloudwatchlogs.PutMetricFilterOutput{}, nil
}

type fakeAlarms struct {
	alarms []cwtypes.MetricAlarm
	puts   int
}

func (f *fakeAlarms) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: f.alarms}, nil
}

func (f *fakeAlarms) PutMetricAlarm(_ context.Context, in *cloudwatch.PutMetricAlarmInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
	f.puts++
	f.alarms = append(f.alarms, cwtypes.MetricAlarm{AlarmName: in.AlarmName, Namespace: in.Namespace, MetricName: in.MetricName, Statistic: in.Statistic,
		Period: in.Period, EvaluationPeriods: in.EvaluationPeriods, DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold,
		ComparisonOperator: in.ComparisonOperator, TreatMissingData: in.TreatMissingData, ActionsEnabled: in.ActionsEnabled,
		AlarmActions: in.AlarmActions, OKActions: in.OKActions})
	return &cloudwatch.PutMetricAlarmOutput{}, nil
}

type fakeTrail struct {
	logging bool
	err     error
}

func (f *fakeTrail) GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	return &cloudtrail.GetTrailStatusOutput{IsLogging: &f.logging}, nil
}

func (f *fakeTrail) StartLogging(context.Context, *cloudtrail.StartLoggingInput, ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.logging = true
	return &cloudtrail.StartLoggingOutput{}, nil
}

// filterAlarmPlan needs a filter and an alarm (the topic exists), and the trail started.
func filterAlarmPlan(t *testing.T) Plan {
	t.Helper()
	ctl, _ := Lookup("4.1")
	s := passing()
	s.Trails[0].Status.IsLogging = false
	s.LogGroups[lgARN].Filters = nil
	alarm(s).Name = "someone-elses"
	alarm(s).MetricName = "other"
	p := NewPlan(ctl, s, Evaluate(ctl, s, now), planOpts)
	var kinds []string
	for _, st := range p.Steps {
		kinds = append(kinds, st.Kind)
	}
	if strings.Join(kinds, ",") != "start_logging,put_metric_filter,merge_topic_policy,put_metric_alarm" {
		t.Fatalf("plan %v", kinds)
	}
	// The topic policy step is not under test here: drop it (and re-seal the plan).
	p.Steps = append(p.Steps[:2], p.Steps[3])
	return seal(p)
}

func fakeWriters(logs *fakeLogs, alarms *fakeAlarms, trail *fakeTrail) Writers {
	return Writers{
		Logs:       func(string) LogsWriter { return logs },
		CloudWatch: func(string) AlarmsWriter { return alarms },
		CloudTrail: func(string) TrailWriter { return trail },
	}
}

func TestApplyTwiceChangesNothing(t *testing.T) {
	p := filterAlarmPlan(t)
	logs, alarms, trail := &fakeLogs{}, &fakeAlarms{}, &fakeTrail{}
	var recorded []Outcome
	first := Apply(context.Background(), fakeWriters(logs, alarms, trail), p, func(_ PlanStep, o StepOutcome) { recorded = append(recorded, o.Outcome) })
	if !first.OK || first.Changed() != 3 || len(recorded) != 3 || !trail.logging {
		t.Fatalf("first run: %s %+v", first.Summary(), first)
	}
	second := Apply(context.Background(), fakeWriters(logs, alarms, trail), p, nil)
	if !second.OK || second.Changed() != 0 || logs.puts != 1 || alarms.puts != 1 {
		t.Fatalf("second run: %s (filter puts %d, alarm puts %d)", second.Summary(), logs.puts, alarms.puts)
	}
	if got := second.Summary(); got != "3 of 3 steps done (0 changed something)" {
		t.Errorf("summary %q", got)
	}
}

// Something created after the audit under a planned name is never overwritten.
func TestApplyRefusesToOverwrite(t *testing.T) {
	p := filterAlarmPlan(t)
	theirs := "{ $.errorCode = * }"
	logs := &fakeLogs{filters: []cwltypes.MetricFilter{{FilterName: ptr("unauthorized_api_calls_metric"), FilterPattern: &theirs}}}
	alarms := &fakeAlarms{}
	var calls []string
	res := Apply(context.Background(), fakeWriters(logs, alarms, &fakeTrail{}), p, func(st PlanStep, o StepOutcome) {
		calls = append(calls, st.Kind+"="+string(o.Outcome))
	})
	if res.OK || logs.puts != 0 || alarms.puts != 0 {
		t.Fatalf("overwrote: %+v", res)
	}
	if got := strings.Join(calls, " "); got != "start_logging=ok put_metric_filter=failed put_metric_alarm=not_run" {
		t.Errorf("recorded %s", got)
	}
	f := res.Failed()
	if f == nil || f.Step.Kind != KindPutMetricFilter || !strings.Contains(f.Outcome.Detail, "does not overwrite it") || f.Outcome.Code != "" {
		t.Errorf("failed step %+v", f)
	}
	if len(res.Done()) != 1 || len(res.NotDone()) != 2 {
		t.Errorf("done %d, not done %d", len(res.Done()), len(res.NotDone()))
	}
	if s := res.Summary(); !strings.Contains(s, "1 of 3 steps done") || !strings.Contains(s, "step 2 (put_metric_filter") || !strings.Contains(s, "1 not run") {
		t.Errorf("summary %q", s)
	}

	// An alarm of the planned name that differs.
	logs = &fakeLogs{}
	alarms = &fakeAlarms{alarms: []cwtypes.MetricAlarm{{AlarmName: ptr("unauthorized_api_calls_alarm"), Namespace: ptr("CISBenchmark"),
		MetricName: ptr("unauthorized_api_calls_metric"), Statistic: cwtypes.StatisticSum, Threshold: ptr(5.0)}}}
	res = Apply(context.Background(), fakeWriters(logs, alarms, &fakeTrail{}), p, nil)
	if f := res.Failed(); f == nil || f.Step.Kind != KindPutMetricAlarm || !strings.Contains(f.Outcome.Detail, "threshold 5, planned 1") || alarms.puts != 0 {
		t.Errorf("alarm: %+v", res)
	}
}

func TestApplyReportsAWSErrors(t *testing.T) {
	p := filterAlarmPlan(t)
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User is not authorized to perform: cloudtrail:StartLogging"}
	res := Apply(context.Background(), fakeWriters(&fakeLogs{}, &fakeAlarms{}, &fakeTrail{err: denied}), p, nil)
	f := res.Failed()
	if res.OK || f == nil || f.Outcome.Code != "AccessDeniedException" || f.Outcome.Message != denied.Message ||
		!strings.Contains(f.Outcome.Detail, "Allow cloudtrail:StartLogging to the role") || len(res.Done()) != 0 {
		t.Errorf("%+v", res)
	}
}

func TestApplyRefusesAChangedPlan(t *testing.T) {
	p := filterAlarmPlan(t)
	p.Steps[1].Params[ParamPattern] = "{ $.errorCode = * }" // changed after approval
	logs := &fakeLogs{}
	n := 0
	res := Apply(context.Background(), fakeWriters(logs, &fakeAlarms{}, &fakeTrail{}), p, func(PlanStep, StepOutcome) { n++ })
	if res.OK || res.Error == "" || logs.puts != 0 || n != 3 || len(res.Done()) != 0 {
		t.Errorf("%+v", res)
	}
	if !strings.HasPrefix(res.Summary(), "nothing was done: the plan's steps do not match its hash") {
		t.Errorf("summary %q", res.Summary())
	}
}

func TestApplyMalformedSteps(t *testing.T) {
	tests := []struct {
		step PlanStep
		want string
	}{
		{PlanStep{Kind: "delete_everything"}, `unknown step kind "delete_everything"`},
		{PlanStep{Kind: KindStartLogging, Params: map[string]string{ParamTrailARN: trailARN}}, "lacks parameter TrailName"},
		{PlanStep{Kind: KindSubscribe, Params: map[string]string{}}, "no SNS writer is configured"},
	}
	w := fakeWriters(&fakeLogs{}, &fakeAlarms{}, &fakeTrail{})
	for _, tc := range tests {
		res := Apply(context.Background(), w, seal(Plan{Steps: []PlanStep{tc.step}}), nil)
		if f := res.Failed(); f == nil || !strings.Contains(f.Outcome.Detail, tc.want) {
			t.Errorf("%s: %+v", tc.step.Kind, res)
		}
	}
	panicky := Writers{Logs: func(string) LogsWriter { panic("boom") }}
	res := Apply(context.Background(), panicky, seal(Plan{Steps: []PlanStep{{Kind: KindPutMetricFilter, Params: map[string]string{}}}}), nil)
	if f := res.Failed(); f == nil || !strings.Contains(f.Outcome.Detail, "internal error: boom") {
		t.Errorf("panic: %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = Apply(ctx, w, filterAlarmPlan(t), nil)
	if f := res.Failed(); f == nil || f.Step.Kind != KindStartLogging || !strings.Contains(f.Outcome.Detail, "cancelled") {
		t.Errorf("cancelled: %+v", res)
	}
}
