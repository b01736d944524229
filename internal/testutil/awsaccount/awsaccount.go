// Package awsaccount builds AWS accounts in an emulator for tests, through the real SDK
// clients: a CloudTrail trail, its log group, a metric filter, an alarm and an SNS topic, each
// part breakable so a test can show the audit catching it.
package awsaccount

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
)

// Scenario says what to break; the zero value builds an account that passes control 4.1.
type Scenario struct {
	SingleRegion    bool
	NotLogging      bool
	WriteOnly       bool
	Advanced        bool   // advanced event selectors instead of basic ones
	Pattern         string // the metric filter's pattern; empty: the Security Hub pattern
	AlarmNamespace  string // empty: the filter's namespace
	Datapoints      int32  // M of 3 datapoints to alarm, when set
	NoActions       bool
	NoSubscription  bool
	LogGroupAccount string // the trail delivers to a log group in this other account
	// PendingOnly shows the only subscription as pending through Rewrite, since emulators
	// confirm subscriptions at once.
	PendingOnly bool
}

// Rewriter replaces text in the emulator's responses (see testutil/awsproxy).
type Rewriter interface{ Rewrite(old, new string) }

var seq atomic.Int64

// NewID returns a fresh 12-digit account id, so tests share one emulator without resets.
func NewID() string { return fmt.Sprintf("3000%08d", seq.Add(1)) }

// RoleARN is the role the tests assume in account id.
func RoleARN(id string) string { return "arn:aws:iam::" + id + ":role/cisbot" }

// Build creates the scenario in account id (assuming RoleARN(id) through f).
func Build(t testing.TB, f *awsenv.Factory, id string, sc Scenario, rw Rewriter) {
	t.Helper()
	ctx := context.Background()
	s := f.Session(awsenv.Target{Name: "builder-" + id, RoleARN: RoleARN(id)})
	region := "us-east-1"
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("account %s: %s: %v", id, what, err)
		}
	}
	s3c := s3.NewFromConfig(s.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "trail-" + id
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	must("create bucket", err)

	lgAccount := id
	if sc.LogGroupAccount != "" {
		lgAccount = sc.LogGroupAccount
	}
	lgName := "cloudtrail-logs"
	lgARN := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, lgAccount, lgName)
	_, err = s.Logs(region).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &lgName})
	must("create log group", err)

	ct := s.CloudTrail(region)
	trail, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String("main"), S3BucketName: &bucket, IsMultiRegionTrail: aws.Bool(!sc.SingleRegion),
		CloudWatchLogsLogGroupArn: &lgARN, CloudWatchLogsRoleArn: aws.String("arn:aws:iam::" + id + ":role/cloudtrail-logs"),
	})
	must("create trail", err)
	if !sc.NotLogging {
		_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: trail.Name})
		must("start logging", err)
	}
	if sc.Advanced {
		_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: trail.TrailARN,
			AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{Name: aws.String("management"),
				FieldSelectors: []cttypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}}})
	} else {
		rw := cttypes.ReadWriteTypeAll
		if sc.WriteOnly {
			rw = cttypes.ReadWriteTypeWriteOnly
		}
		_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: trail.TrailARN,
			EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: rw}}})
	}
	must("put event selectors", err)

	pattern := cis.PatternSecurityHub
	if sc.Pattern != "" {
		pattern = sc.Pattern
	}
	_, err = s.Logs(region).PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: &lgName, FilterName: aws.String("unauthorized_api_calls_metric"), FilterPattern: &pattern,
		MetricTransformations: []cwltypes.MetricTransformation{{MetricName: aws.String("unauthorized_api_calls_metric"),
			MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1"), DefaultValue: aws.Float64(0)}},
	})
	must("put metric filter", err)

	topic, err := s.SNS(region).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("cis-alarms")})
	must("create topic", err)
	if !sc.NoSubscription {
		sub, err := s.SNS(region).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"),
			Endpoint: aws.String("secops@example.com"), ReturnSubscriptionArn: true})
		must("subscribe", err)
		if sc.PendingOnly {
			if rw == nil {
				t.Fatal("PendingOnly needs a Rewriter")
			}
			rw.Rewrite("<SubscriptionArn>"+*sub.SubscriptionArn+"</SubscriptionArn>", "<SubscriptionArn>PendingConfirmation</SubscriptionArn>")
		}
	}

	ns := "CISBenchmark"
	if sc.AlarmNamespace != "" {
		ns = sc.AlarmNamespace
	}
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("unauthorized_api_calls_alarm"), Namespace: &ns, MetricName: aws.String("unauthorized_api_calls_metric"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true),
		TreatMissingData: aws.String("notBreaching"),
	}
	if sc.Datapoints > 0 {
		in.EvaluationPeriods, in.DatapointsToAlarm = aws.Int32(3), aws.Int32(sc.Datapoints)
	}
	if !sc.NoActions {
		in.AlarmActions = []string{*topic.TopicArn}
	}
	_, err = s.CloudWatch(region).PutMetricAlarm(ctx, in)
	must("put metric alarm", err)
}
