package accountchanger

// The applier against moto is tested in internal/app (remediate_test.go). These tests cover what
// needs no AWS: the applier's refusals, with fakes of its own write interfaces.

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/cis"
)

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

const (
	trailARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
	topicARN = "arn:aws:sns:us-east-1:111111111111:cis-alarms"
)

// filterAlarmPlan starts the trail and creates a filter and an alarm (the topic exists), as the
// planner does for such an account.
func filterAlarmPlan(t *testing.T) cis.Plan {
	t.Helper()
	tags := cis.Tags{cis.TagManagedBy: cis.ManagedBy, cis.TagRequest: "req-42"}
	p := cis.Plan{Account: "prod", AccountID: "111111111111", Steps: cis.PlanSteps{
		cis.StartLogging{StepInfo: cis.StepInfo{Region: "us-east-1", Resource: trailARN}, TrailARN: trailARN, TrailName: "main"},
		cis.PutMetricFilter{StepInfo: cis.StepInfo{Region: "us-east-1", Resource: "unauthorized_api_calls_metric"},
			LogGroupName: "cloudtrail-logs", FilterName: "unauthorized_api_calls_metric", Pattern: cis.PatternSecurityHub,
			MetricName: "unauthorized_api_calls_metric", Namespace: "CISBenchmark", MetricValue: "1"},
		cis.PutMetricAlarm{StepInfo: cis.StepInfo{Region: "us-east-1", Resource: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:unauthorized_api_calls_alarm"},
			AlarmName: "unauthorized_api_calls_alarm", Namespace: "CISBenchmark", MetricName: "unauthorized_api_calls_metric",
			Statistic: "Sum", Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
			ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching", TopicARN: topicARN, Tags: tags},
	}}
	return seal(p)
}

func seal(p cis.Plan) cis.Plan {
	p.Hash = cis.PlanHash(p.Steps)
	return p
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
	var recorded []cis.Outcome
	first := Apply(context.Background(), fakeWriters(logs, alarms, trail), p, func(_ cis.PlanStep, o cis.StepOutcome) { recorded = append(recorded, o.Outcome) })
	if !first.OK || first.Changed() != 3 || len(recorded) != 3 || !trail.logging {
		t.Fatalf("first run: %s %+v", first.Sentence(), first)
	}
	second := Apply(context.Background(), fakeWriters(logs, alarms, trail), p, nil)
	if !second.OK || second.Changed() != 0 || logs.puts != 1 || alarms.puts != 1 {
		t.Fatalf("second run: %s (filter puts %d, alarm puts %d)", second.Sentence(), logs.puts, alarms.puts)
	}
	if got := second.Sentence(); got != "3 of 3 steps done (0 changed something)" {
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
	res := Apply(context.Background(), fakeWriters(logs, alarms, &fakeTrail{}), p, func(st cis.PlanStep, o cis.StepOutcome) {
		calls = append(calls, st.Kind()+"="+string(o.Outcome))
	})
	if res.OK || logs.puts != 0 || alarms.puts != 0 {
		t.Fatalf("overwrote: %+v", res)
	}
	if got := strings.Join(calls, " "); got != "start_logging=ok put_metric_filter=failed put_metric_alarm=not_run" {
		t.Errorf("recorded %s", got)
	}
	f := res.Failed()
	if f == nil || f.Step.Kind() != cis.KindPutMetricFilter || !strings.Contains(f.Outcome.Detail, "does not overwrite it") || f.Outcome.Code != "" {
		t.Errorf("failed step %+v", f)
	}
	if len(res.Done()) != 1 || len(res.NotDone()) != 2 {
		t.Errorf("done %d, not done %d", len(res.Done()), len(res.NotDone()))
	}
	if s := res.Sentence(); !strings.Contains(s, "1 of 3 steps done") || !strings.Contains(s, "step 2 (put_metric_filter") || !strings.Contains(s, "1 not run") {
		t.Errorf("summary %q", s)
	}

	// An alarm of the planned name that differs.
	logs = &fakeLogs{}
	alarms = &fakeAlarms{alarms: []cwtypes.MetricAlarm{{AlarmName: ptr("unauthorized_api_calls_alarm"), Namespace: ptr("CISBenchmark"),
		MetricName: ptr("unauthorized_api_calls_metric"), Statistic: cwtypes.StatisticSum, Threshold: ptr(5.0)}}}
	res = Apply(context.Background(), fakeWriters(logs, alarms, &fakeTrail{}), p, nil)
	if f := res.Failed(); f == nil || f.Step.Kind() != cis.KindPutMetricAlarm || !strings.Contains(f.Outcome.Detail, "threshold 5, planned 1") || alarms.puts != 0 {
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
	f := p.Steps[1].(cis.PutMetricFilter)
	f.Pattern = "{ $.errorCode = * }" // changed after approval
	p.Steps[1] = f
	logs := &fakeLogs{}
	n := 0
	res := Apply(context.Background(), fakeWriters(logs, &fakeAlarms{}, &fakeTrail{}), p, func(cis.PlanStep, cis.StepOutcome) { n++ })
	if res.OK || res.Error == "" || logs.puts != 0 || n != 3 || len(res.Done()) != 0 {
		t.Errorf("%+v", res)
	}
	if !strings.HasPrefix(res.Sentence(), "nothing was done: the plan's steps do not match its hash") {
		t.Errorf("summary %q", res.Sentence())
	}
}

// decode reads a stored step.
func decode(t *testing.T, js string) cis.PlanStep {
	t.Helper()
	s, err := cis.UnmarshalStep([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestApplyMalformedSteps(t *testing.T) {
	tests := []struct {
		step cis.PlanStep
		want string
	}{
		{decode(t, `{"kind":"delete_everything","params":{}}`), `unknown step kind "delete_everything"`},
		{decode(t, `{"kind":"start_logging","params":{"TrailARN":"`+trailARN+`"}}`), "lacks parameter TrailName"},
		{cis.Subscribe{}, "no SNS writer is configured"},
	}
	w := fakeWriters(&fakeLogs{}, &fakeAlarms{}, &fakeTrail{})
	for _, tc := range tests {
		res := Apply(context.Background(), w, seal(cis.Plan{Steps: cis.PlanSteps{tc.step}}), nil)
		if f := res.Failed(); f == nil || !strings.Contains(f.Outcome.Detail, tc.want) {
			t.Errorf("%s: %+v", tc.step.Kind(), res)
		}
	}
	panicky := Writers{Logs: func(string) LogsWriter { panic("boom") }}
	res := Apply(context.Background(), panicky, seal(cis.Plan{Steps: cis.PlanSteps{cis.PutMetricFilter{}}}), nil)
	if f := res.Failed(); f == nil || !strings.Contains(f.Outcome.Detail, "internal error: boom") {
		t.Errorf("panic: %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = Apply(ctx, w, filterAlarmPlan(t), nil)
	if f := res.Failed(); f == nil || f.Step.Kind() != cis.KindStartLogging || !strings.Contains(f.Outcome.Detail, "cancelled") {
		t.Errorf("cancelled: %+v", res)
	}
}
