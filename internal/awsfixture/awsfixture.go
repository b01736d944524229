// Package awsfixture builds CIS 4.1 accounts in an AWS emulator through the real SDK clients: a
// CloudTrail trail, its log group, a metric filter, an alarm and an SNS topic, each part
// breakable so an audit can be shown catching it. The tests build their accounts with it
// (through testutil/awsaccount) and so does the demo.
//
// It writes to whatever the factory reaches: point it only at an emulator.
package awsfixture

import (
	"context"
	"errors"
	"fmt"

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

// Region is where the accounts' resources are built.
const Region = "us-east-1"

// RoleARN is the role assumed in account id, to build it and to audit it.
func RoleARN(id string) string { return "arn:aws:iam::" + id + ":role/cisbot" }

// ErrNoRewriter is returned for a PendingOnly scenario built without a Rewriter.
var ErrNoRewriter = errors.New("a pending-only subscription needs a Rewriter (an emulator confirms subscriptions at once)")

// Build creates the scenario in account id, assuming RoleARN(id) through f.
func Build(ctx context.Context, f *awsenv.Factory, id string, sc Scenario, rw Rewriter) error {
	if sc.PendingOnly && rw == nil {
		return fmt.Errorf("account %s: %w", id, ErrNoRewriter)
	}
	b := builder{s: f.Session(awsenv.Target{Name: "builder-" + id, RoleARN: RoleARN(id)}), id: id, sc: sc, rw: rw}
	if err := b.build(ctx); err != nil {
		return fmt.Errorf("account %s: %w", id, err)
	}
	return nil
}

type builder struct {
	s  *awsenv.Session
	id string
	sc Scenario
	rw Rewriter
}

func (b *builder) build(ctx context.Context) error {
	lgName, err := b.trail(ctx)
	if err != nil {
		return err
	}
	pattern := cis.PatternSecurityHub
	if b.sc.Pattern != "" {
		pattern = b.sc.Pattern
	}
	_, err = b.s.Logs(Region).PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: &lgName, FilterName: aws.String("unauthorized_api_calls_metric"), FilterPattern: &pattern,
		MetricTransformations: []cwltypes.MetricTransformation{{MetricName: aws.String("unauthorized_api_calls_metric"),
			MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1"), DefaultValue: aws.Float64(0)}},
	})
	if err != nil {
		return fmt.Errorf("put metric filter: %w", err)
	}
	topicARN, err := b.topic(ctx)
	if err != nil {
		return err
	}
	return b.alarm(ctx, topicARN)
}

// trail creates the bucket, the log group and the trail delivering to it; it returns the log
// group's name.
func (b *builder) trail(ctx context.Context) (string, error) {
	s3c := s3.NewFromConfig(b.s.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "trail-" + b.id
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		return "", fmt.Errorf("create bucket: %w", err)
	}
	lgAccount := b.id
	if b.sc.LogGroupAccount != "" {
		lgAccount = b.sc.LogGroupAccount
	}
	lgName := "cloudtrail-logs"
	lgARN := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", Region, lgAccount, lgName)
	if _, err := b.s.Logs(Region).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &lgName}); err != nil {
		return "", fmt.Errorf("create log group: %w", err)
	}

	ct := b.s.CloudTrail(Region)
	trail, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String("main"), S3BucketName: &bucket, IsMultiRegionTrail: aws.Bool(!b.sc.SingleRegion),
		CloudWatchLogsLogGroupArn: &lgARN, CloudWatchLogsRoleArn: aws.String("arn:aws:iam::" + b.id + ":role/cloudtrail-logs"),
	})
	if err != nil {
		return "", fmt.Errorf("create trail: %w", err)
	}
	if !b.sc.NotLogging {
		if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: trail.Name}); err != nil {
			return "", fmt.Errorf("start logging: %w", err)
		}
	}
	if b.sc.Advanced {
		_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: trail.TrailARN,
			AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{Name: aws.String("management"),
				FieldSelectors: []cttypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}}})
	} else {
		rw := cttypes.ReadWriteTypeAll
		if b.sc.WriteOnly {
			rw = cttypes.ReadWriteTypeWriteOnly
		}
		_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: trail.TrailARN,
			EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: rw}}})
	}
	if err != nil {
		return "", fmt.Errorf("put event selectors: %w", err)
	}
	return lgName, nil
}

// topic creates the alarm topic and its subscriber; it returns the topic's ARN.
func (b *builder) topic(ctx context.Context) (string, error) {
	topic, err := b.s.SNS(Region).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("cis-alarms")})
	if err != nil {
		return "", fmt.Errorf("create topic: %w", err)
	}
	if b.sc.NoSubscription {
		return *topic.TopicArn, nil
	}
	sub, err := b.s.SNS(Region).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"),
		Endpoint: aws.String("secops@example.com"), ReturnSubscriptionArn: true})
	if err != nil {
		return "", fmt.Errorf("subscribe: %w", err)
	}
	if b.sc.PendingOnly {
		b.rw.Rewrite("<SubscriptionArn>"+*sub.SubscriptionArn+"</SubscriptionArn>", "<SubscriptionArn>PendingConfirmation</SubscriptionArn>")
	}
	return *topic.TopicArn, nil
}

func (b *builder) alarm(ctx context.Context, topicARN string) error {
	ns := "CISBenchmark"
	if b.sc.AlarmNamespace != "" {
		ns = b.sc.AlarmNamespace
	}
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("unauthorized_api_calls_alarm"), Namespace: &ns, MetricName: aws.String("unauthorized_api_calls_metric"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true),
		TreatMissingData: aws.String("notBreaching"),
	}
	if b.sc.Datapoints > 0 {
		in.EvaluationPeriods, in.DatapointsToAlarm = aws.Int32(3), aws.Int32(b.sc.Datapoints)
	}
	if !b.sc.NoActions {
		in.AlarmActions = []string{topicARN}
	}
	if _, err := b.s.CloudWatch(Region).PutMetricAlarm(ctx, in); err != nil {
		return fmt.Errorf("put metric alarm: %w", err)
	}
	return nil
}
