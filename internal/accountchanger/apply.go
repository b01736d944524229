// Package accountchanger applies a remediation plan to one AWS account: step by step, each
// step checking what exists before creating, so that running the same plan twice changes
// nothing and nothing that exists is overwritten. It is the only code that changes an account;
// its write interfaces are separate from internal/accountreader's, which the audit gets.
package accountchanger

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/cis"
)

// The AWS calls remediation makes, declared here where they are made, with the SDK's own
// signatures; each writer also holds the one read it makes to check before it creates.
type (
	// LogsWriter creates metric filters.
	LogsWriter interface {
		DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
		PutMetricFilter(context.Context, *cloudwatchlogs.PutMetricFilterInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutMetricFilterOutput, error)
	}
	// AlarmsWriter creates metric alarms (tagged at creation, so no TagResource).
	AlarmsWriter interface {
		DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
		PutMetricAlarm(context.Context, *cloudwatch.PutMetricAlarmInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	}
	// TopicsWriter creates topics and subscriptions and merges topic policies.
	TopicsWriter interface {
		GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
		SetTopicAttributes(context.Context, *sns.SetTopicAttributesInput, ...func(*sns.Options)) (*sns.SetTopicAttributesOutput, error)
		CreateTopic(context.Context, *sns.CreateTopicInput, ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
		ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
		Subscribe(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	}
	// QueuesWriter merges the policy of a queue subscribed to the alarms' topic.
	QueuesWriter interface {
		GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
		SetQueueAttributes(context.Context, *sqs.SetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
	}
	// TrailWriter starts trails.
	TrailWriter interface {
		GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
		StartLogging(context.Context, *cloudtrail.StartLoggingInput, ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
	}
)

var (
	_ LogsWriter   = (*cloudwatchlogs.Client)(nil)
	_ AlarmsWriter = (*cloudwatch.Client)(nil)
	_ TopicsWriter = (*sns.Client)(nil)
	_ TrailWriter  = (*cloudtrail.Client)(nil)
	_ QueuesWriter = (*sqs.Client)(nil)
)

// Writers reach one account's services in any region, to change them.
type Writers struct {
	Logs       func(region string) LogsWriter
	CloudWatch func(region string) AlarmsWriter
	SNS        func(region string) TopicsWriter
	CloudTrail func(region string) TrailWriter
	SQS        func(region string) QueuesWriter
}

// Apply executes the plan's steps in order. Each step checks what exists first: what is already
// in place is left as it is (so a second run of the same plan changes nothing), and something
// that exists but differs from the plan is never overwritten: the step fails instead. The first
// failure stops the run; record, if set, is called for every step in order, those not run
// included, as soon as its outcome is known.
//
// Checking and creating are two calls, so a change made by someone else in between can still
// race with a step; the approval flow makes sure the bot itself applies a request only once.
func Apply(ctx context.Context, w Writers, p cis.Plan, record func(step cis.PlanStep, outcome cis.StepOutcome)) cis.ApplyResult {
	res := cis.ApplyResult{Account: p.Account, AccountID: p.AccountID, PlanHash: p.Hash, Steps: make([]cis.StepResult, 0, len(p.Steps))}
	stop := ""
	if h := cis.PlanHash(p.Steps); h != p.Hash {
		res.Error = fmt.Sprintf("the plan's steps do not match its hash (%s, expected %s): plan again", h, p.Hash)
		stop = "not run: " + res.Error
	}
	for _, st := range p.Steps {
		var out cis.StepOutcome
		if stop != "" {
			out = cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: stop}
		} else {
			out = runStep(ctx, w, st)
			if out.Outcome == cis.OutcomeFailed {
				stop = fmt.Sprintf("not run: the %s step on %s failed", st.Kind(), st.Info().Resource)
			}
		}
		res.Steps = append(res.Steps, cis.StepResult{Step: st, Outcome: out})
		if record != nil {
			record(st, out)
		}
	}
	res.OK = stop == ""
	return res
}

// runStep runs one step; a panic becomes that step's failure.
func runStep(ctx context.Context, w Writers, st cis.PlanStep) (out cis.StepOutcome) {
	defer func() {
		if p := recover(); p != nil {
			out = refused(fmt.Sprintf("internal error: %v (please report it)", p))
		}
	}()
	if err := ctx.Err(); err != nil {
		return failed("cisbot", st.Info().Resource, err)
	}
	switch s := st.(type) {
	case cis.StartLogging:
		if w.CloudTrail == nil {
			return refused("no CloudTrail writer is configured")
		}
		return startLogging(ctx, w.CloudTrail(s.Region), s)
	case cis.PutMetricFilter:
		if w.Logs == nil {
			return refused("no CloudWatch Logs writer is configured")
		}
		return putFilter(ctx, w.Logs(s.Region), s)
	case cis.CreateTopic:
		if w.SNS == nil {
			return refused("no SNS writer is configured")
		}
		return createTopic(ctx, w.SNS(s.Region), s)
	case cis.MergeTopicPolicy:
		if w.SNS == nil {
			return refused("no SNS writer is configured")
		}
		return mergePolicy(ctx, w.SNS(s.Region), s)
	case cis.MergeQueuePolicy:
		if w.SQS == nil {
			return refused("no SQS writer is configured")
		}
		return mergeQueuePolicy(ctx, w.SQS(s.Region), s)
	case cis.Subscribe:
		if w.SNS == nil {
			return refused("no SNS writer is configured")
		}
		return subscribe(ctx, w.SNS(s.Region), s)
	case cis.PutMetricAlarm:
		if w.CloudWatch == nil {
			return refused("no CloudWatch writer is configured")
		}
		return putAlarm(ctx, w.CloudWatch(s.Region), s)
	case cis.RawStep:
		return refused(s.Problem)
	}
	return refused(fmt.Sprintf("unknown step type %T: please report it", st))
}

func succeeded(changed bool, detail string) cis.StepOutcome {
	return cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: changed, Detail: detail}
}

// refused is a failure decided by the applier, not by AWS.
func refused(detail string) cis.StepOutcome {
	return cis.StepOutcome{Outcome: cis.OutcomeFailed, Detail: detail, Message: detail}
}

// failed records a failed AWS call with its error code and message, and what to do about it.
func failed(api, resource string, err error) cis.StepOutcome {
	out := cis.StepOutcome{Outcome: cis.OutcomeFailed, Message: err.Error()}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		out.Code, out.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		out.Message = "the run was cancelled or timed out"
	}
	msg := out.Message
	if out.Code != "" {
		msg = out.Code + ": " + msg
	}
	out.Detail = fmt.Sprintf("%s on %s failed: %s", api, resource, msg)
	switch out.Code {
	case "AccessDenied", "AccessDeniedException", "AuthorizationError", "UnauthorizedOperation":
		out.Detail += fmt.Sprintf(". Allow %s to the role the bot uses in this account, then approve the fix again: the steps already done are kept and not repeated.", api)
	}
	return out
}

func startLogging(ctx context.Context, ct TrailWriter, s cis.StartLogging) cis.StepOutcome {
	st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: &s.TrailARN})
	if err != nil {
		return failed("cloudtrail:GetTrailStatus", s.TrailARN, err)
	}
	if deref(st.IsLogging) {
		return succeeded(false, "trail "+s.TrailName+" is logging already")
	}
	// The client is in the trail's home region, where its name identifies it. (AWS takes the
	// ARN as well; moto 5.2.1 looks StartLogging up by name only.)
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: &s.TrailName}); err != nil {
		return failed("cloudtrail:StartLogging", s.TrailARN, err)
	}
	return succeeded(true, "trail "+s.TrailName+" started logging")
}

func putFilter(ctx context.Context, logs LogsWriter, s cis.PutMetricFilter) cis.StepOutcome {
	where := s.FilterName + " on log group " + s.LogGroupName
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(logs, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: &s.LogGroupName, FilterNamePrefix: &s.FilterName})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failed("logs:DescribeMetricFilters", s.LogGroupName, err)
		}
		for _, f := range out.MetricFilters {
			if deref(f.FilterName) != s.FilterName {
				continue
			}
			if !sameFilter(f, s) {
				return refused(fmt.Sprintf("metric filter %s exists and differs from the plan (it was created or changed after the audit); cisbot does not overwrite it: audit and plan again", where))
			}
			return succeeded(false, "metric filter "+where+" is in place already")
		}
	}
	_, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: &s.LogGroupName, FilterName: &s.FilterName, FilterPattern: &s.Pattern,
		MetricTransformations: []cwltypes.MetricTransformation{{MetricName: &s.MetricName, MetricNamespace: &s.Namespace, MetricValue: &s.MetricValue, DefaultValue: &s.DefaultValue}},
	})
	if err != nil {
		return failed("logs:PutMetricFilter", s.LogGroupName, err)
	}
	return succeeded(true, fmt.Sprintf("metric filter %s created, publishing %s/%s", where, s.Namespace, s.MetricName))
}

// sameFilter reports whether an existing filter is the one the step creates.
func sameFilter(f cwltypes.MetricFilter, s cis.PutMetricFilter) bool {
	if deref(f.FilterPattern) != s.Pattern || len(f.MetricTransformations) != 1 {
		return false
	}
	t := f.MetricTransformations[0]
	return deref(t.MetricName) == s.MetricName && deref(t.MetricNamespace) == s.Namespace && deref(t.MetricValue) == s.MetricValue &&
		t.DefaultValue != nil && *t.DefaultValue == s.DefaultValue && len(t.Dimensions) == 0
}

// createTopic creates the topic unless it exists. A topic that exists already was either
// created by an earlier run of this plan or by someone else, unseen by the audit (no alarm of
// the control named it): it is used as it is, except that the statement letting CloudWatch
// alarms publish is merged into its policy if nothing there allows it.
func createTopic(ctx context.Context, c TopicsWriter, s cis.CreateTopic) cis.StepOutcome {
	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &s.TopicARN})
	var ae smithy.APIError
	switch {
	case err == nil:
		out := ensurePublish(ctx, c, s.TopicARN, s.Publish, attrs.Attributes["Policy"])
		if out.Outcome == cis.OutcomeOK {
			out.Detail = "topic " + s.TopicName + " exists already and is used as it is; " + out.Detail
		}
		return out
	case errors.As(err, &ae) && ae.ErrorCode() == "NotFound":
	default:
		return failed("sns:GetTopicAttributes", s.TopicARN, err)
	}
	in := &sns.CreateTopicInput{Name: &s.TopicName}
	for _, kv := range s.Tags.Sorted() {
		in.Tags = append(in.Tags, snstypes.Tag{Key: &kv[0], Value: &kv[1]})
	}
	out, err := c.CreateTopic(ctx, in)
	if err != nil {
		return failed("sns:CreateTopic", s.TopicARN, err)
	}
	if got := deref(out.TopicArn); got != s.TopicARN {
		return refused(fmt.Sprintf("sns:CreateTopic returned %s, but the plan expected %s (the next steps use that ARN): plan again", got, s.TopicARN))
	}
	return succeeded(true, "topic "+s.TopicName+" created (tagged "+s.Tags.String()+")")
}

func mergePolicy(ctx context.Context, c TopicsWriter, s cis.MergeTopicPolicy) cis.StepOutcome {
	policy, err := readPolicy(ctx, c, s.TopicARN)
	if err != nil {
		return failed("sns:GetTopicAttributes", s.TopicARN, err)
	}
	return ensurePublish(ctx, c, s.TopicARN, s.Publish, policy)
}

// policyTries bounds the merges of a topic policy that someone else keeps changing meanwhile.
const policyTries = 4

// ensurePublish merges the statement that lets the account's CloudWatch alarms publish into the
// topic policy read as policy, unless a statement allows that already. The rest of the policy
// is kept, including what others change while it merges: SNS has no conditional write, so the
// policy is read again just before the write (a change since the first read restarts the
// merge from it), and read back after it (the statement must be there and nothing of the
// policy merged into may be gone, else someone wrote over it and the merge starts again from
// what is there), a bounded number of times.
func ensurePublish(ctx context.Context, c TopicsWriter, arn string, g cis.AlarmPublish, policy string) cis.StepOutcome {
	wrote := false
	for try := 1; ; try++ {
		merged, changed, err := g.Grant(policy, arn)
		switch {
		case err != nil:
			return refused(fmt.Sprintf("the policy of %s cannot be merged (%v); cisbot does not replace it: add statement %s by hand", arn, err, g.Sid))
		case !changed && wrote:
			return succeeded(true, "statement "+g.Sid+" merged into its policy, so CloudWatch alarms of account "+g.SourceAccount+" may publish (the policy was changed by someone else meanwhile, and that change is kept)")
		case !changed:
			return succeeded(false, "its policy lets CloudWatch alarms of account "+g.SourceAccount+" publish already")
		}
		current, err := readPolicy(ctx, c, arn)
		if err != nil {
			return failed("sns:GetTopicAttributes", arn, err)
		}
		if current != policy { // changed since it was read: merge into what is there now
			if try == policyTries {
				return changing(arn, g)
			}
			policy = current
			continue
		}
		if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: ptr("Policy"), AttributeValue: &merged}); err != nil {
			return failed("sns:SetTopicAttributes", arn, err)
		}
		wrote = true
		back, err := readPolicy(ctx, c, arn)
		if err != nil {
			return failed("sns:GetTopicAttributes", arn, err)
		}
		if _, missing, err := g.Grant(back, arn); err == nil && !missing && keeps(back, policy) {
			return succeeded(true, "statement "+g.Sid+" merged into its policy, so CloudWatch alarms of account "+g.SourceAccount+" may publish")
		}
		if try == policyTries {
			return changing(arn, g)
		}
		policy = back
	}
}

// changing is the outcome of a merge that someone else's changes kept undoing.
func changing(arn string, g cis.AlarmPublish) cis.StepOutcome {
	return refused(fmt.Sprintf("the policy of %s kept changing while cisbot merged statement %s into it (%d tries); it was not overwritten: approve the fix again once nobody else is changing it, or add the statement by hand", arn, g.Sid, policyTries))
}

// readPolicy is the topic's policy as it is now.
func readPolicy(ctx context.Context, c TopicsWriter, arn string) (string, error) {
	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		return "", err
	}
	return attrs.Attributes["Policy"], nil
}

// keeps reports whether every statement of before is in after (compared as JSON values).
func keeps(after, before string) bool {
	have := map[string]bool{}
	for _, s := range statements(after) {
		have[s] = true
	}
	for _, s := range statements(before) {
		if !have[s] {
			return false
		}
	}
	return true
}

// statements are a policy's statements, each in one canonical JSON form; none for a policy
// that does not parse.
func statements(policy string) []string {
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(policy), &doc) != nil || len(doc.Statement) == 0 {
		return nil
	}
	var list []any
	if json.Unmarshal(doc.Statement, &list) != nil {
		var one any
		if json.Unmarshal(doc.Statement, &one) != nil {
			return nil
		}
		list = []any{one}
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		b, _ := json.Marshal(s) // sorted keys: one form per value
		out = append(out, string(b))
	}
	return out
}

func subscribe(ctx context.Context, c TopicsWriter, s cis.Subscribe) cis.StepOutcome {
	shown := s.Shown()
	p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: &s.TopicARN})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failed("sns:ListSubscriptionsByTopic", s.TopicARN, err)
		}
		for _, sub := range out.Subscriptions {
			if s.Matches(deref(sub.Protocol), deref(sub.Endpoint)) {
				state := "confirmed"
				if !strings.HasPrefix(deref(sub.SubscriptionArn), "arn:") {
					state = "pending confirmation"
				}
				return succeeded(false, fmt.Sprintf("%s is subscribed already (%s)", shown, state))
			}
		}
	}
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &s.TopicARN, Protocol: &s.Protocol, Endpoint: &s.Endpoint, ReturnSubscriptionArn: true})
	if err != nil {
		return failed("sns:Subscribe", s.TopicARN, err)
	}
	return succeeded(true, fmt.Sprintf("%s subscribed (%s); it receives alarms once it confirms the subscription", shown, deref(out.SubscriptionArn)))
}

func putAlarm(ctx context.Context, cw AlarmsWriter, s cis.PutMetricAlarm) cis.StepOutcome {
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{s.AlarmName},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}})
	if err != nil {
		return failed("cloudwatch:DescribeAlarms", s.AlarmName, err)
	}
	for _, c := range out.CompositeAlarms {
		if deref(c.AlarmName) == s.AlarmName {
			return refused("a composite alarm named " + s.AlarmName + " exists (created after the audit); cisbot does not overwrite it: audit and plan again")
		}
	}
	for _, x := range out.MetricAlarms {
		if deref(x.AlarmName) != s.AlarmName {
			continue
		}
		if diffs := alarmDiffs(x, s); len(diffs) > 0 {
			return refused(fmt.Sprintf("alarm %s exists and differs from the plan (%s): it was created or changed after the audit, and cisbot does not overwrite it: audit and plan again", s.AlarmName, strings.Join(diffs, "; ")))
		}
		return succeeded(false, "alarm "+s.AlarmName+" is in place already")
	}
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: &s.AlarmName, Namespace: &s.Namespace, MetricName: &s.MetricName, Statistic: cwtypes.Statistic(s.Statistic), Period: &s.Period,
		EvaluationPeriods: &s.EvaluationPeriods, DatapointsToAlarm: &s.DatapointsToAlarm, Threshold: &s.Threshold,
		ComparisonOperator: cwtypes.ComparisonOperator(s.ComparisonOperator), TreatMissingData: &s.TreatMissingData,
		ActionsEnabled: ptr(true), AlarmActions: []string{s.TopicARN}, OKActions: []string{s.TopicARN},
	}
	for _, kv := range s.Tags.Sorted() {
		in.Tags = append(in.Tags, cwtypes.Tag{Key: &kv[0], Value: &kv[1]})
	}
	if _, err := cw.PutMetricAlarm(ctx, in); err != nil {
		return failed("cloudwatch:PutMetricAlarm", s.AlarmName, err)
	}
	return succeeded(true, fmt.Sprintf("alarm %s created on %s/%s, notifying %s (tagged %s)", s.AlarmName, s.Namespace, s.MetricName, s.TopicARN, s.Tags))
}

// alarmDiffs lists how an existing alarm of the planned name differs from the plan.
func alarmDiffs(x cwtypes.MetricAlarm, s cis.PutMetricAlarm) []string {
	var diffs []string
	diff := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			diffs = append(diffs, fmt.Sprintf("%s %v, planned %v", what, got, want))
		}
	}
	diff("metric", deref(x.Namespace)+"/"+deref(x.MetricName), s.Namespace+"/"+s.MetricName)
	diff("statistic", x.Statistic, s.Statistic)
	diff("period", deref(x.Period), s.Period)
	diff("evaluation periods", deref(x.EvaluationPeriods), s.EvaluationPeriods)
	diff("datapoints to alarm", cmp.Or(deref(x.DatapointsToAlarm), deref(x.EvaluationPeriods)), s.DatapointsToAlarm)
	diff("threshold", deref(x.Threshold), s.Threshold)
	diff("comparison", x.ComparisonOperator, s.ComparisonOperator)
	diff("missing data", deref(x.TreatMissingData), s.TreatMissingData)
	diff("actions enabled", deref(x.ActionsEnabled), true)
	diff("alarm actions", x.AlarmActions, []string{s.TopicARN})
	diff("OK actions", x.OKActions, []string{s.TopicARN})
	return diffs
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
