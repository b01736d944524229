package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/store"
)

// devID is the account the demo's alarms go off in.
const devID = "222222222222"

// demoAlarm is one alarm of the tour: a CloudTrail event in dev's log group and the
// notification of the alarm on the metric of the control's filter.
type demoAlarm struct {
	control string
	// about narrates the event, shown is its one-line form.
	about, shown string
	event        map[string]any
}

// demoAlarms are an unauthorized call (4.1) and the root user at work (4.3): the relay titles
// each by the control its filter's pattern satisfies and shows that control's fields.
func demoAlarms() []demoAlarm {
	mallory := "arn:aws:iam::" + devID + ":user/mallory"
	return []demoAlarm{{
		control: "4.1",
		about:   "Now alarms. Someone without the permission lists dev's S3 buckets: CloudTrail delivers the AccessDenied event",
		shown:   mallory + "  s3:ListBuckets  AccessDenied  from 203.0.113.7",
		event: map[string]any{
			"eventVersion": "1.09",
			"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDADEMOMALLORY", "arn": mallory,
				"accountId": devID, "userName": "mallory"},
			"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
			"awsRegion": Region, "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15.0",
			"errorCode": "AccessDenied", "errorMessage": "Access Denied",
			"eventID": "6b3c1f6e-demo-4c1a-9f3e-000000000001", "eventType": "AwsApiCall",
			"recipientAccountId": devID,
		},
	}, {
		control: "4.3",
		about:   "Then someone signs in with dev's root user and creates an access key: CloudTrail delivers the event",
		shown:   "arn:aws:iam::" + devID + ":root  iam:CreateAccessKey  from 198.51.100.20",
		event: map[string]any{
			"eventVersion": "1.10",
			"userIdentity": map[string]any{"type": "Root", "principalId": devID, "arn": "arn:aws:iam::" + devID + ":root",
				"accountId": devID, "accessKeyId": "ASIADEMOROOT0000001"},
			"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
			"awsRegion": Region, "sourceIPAddress": "198.51.100.20", "userAgent": "console.amazonaws.com",
			"eventID": "6b3c1f6e-demo-4c1a-9f3e-000000000002", "eventType": "AwsApiCall", "readOnly": false,
			"managementEvent": true, "recipientAccountId": devID,
		},
	}}
}

// alarmTour shows an alarm's path: the event reaches dev's CloudTrail log group, the alarm's
// notification reaches the relay, and the relay posts it with the CloudTrail events behind it,
// read from the log group in the alarm's window.
func alarmTour(ctx context.Context, w io.Writer, c *console.Console, accounts *app.Accounts, st store.Store, a demoAlarm) error {
	s, ok := accounts.SessionFor(ctx, devID)
	if !ok {
		return fmt.Errorf("demo: no session for dev (%s)", devID)
	}
	ctl, err := cis.Lookup(a.control)
	if err != nil {
		return err
	}
	logs := s.Logs(Region)
	metric, err := metricOf(ctx, logs, ctl)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	say(w, "%s", a.about)
	say(w, "to dev's log group %s (written here with logs:PutLogEvents):", logGroup)
	if err := writeEvent(ctx, logs, a, now); err != nil {
		return err
	}
	say(w, "  %s", a.shown)
	changed := now.Add(time.Second)
	item, err := alarmNotification(ctl, metric, changed)
	if err != nil {
		return err
	}
	say(w, "dev's alarm on CISBenchmark/%s goes to ALARM and SNS notifies the bot. The notification is", metric)
	say(w, "delivered to the relay as SNS would, without a signature: the demo has no AWS-signed message, so")
	say(w, "this one is not signature-checked (the webhook checks every real one). The relay judges the alarm's")
	say(w, "filter pattern to name the control, reads the CloudTrail events behind the alarm from dev's log")
	say(w, "group, in the alarm's window, and posts the alert, here in place of Slack:")
	if _, err := st.Enqueue(ctx, item); err != nil {
		return fmt.Errorf("demo: store the notification: %w", err)
	}
	poster := &countingPoster{Poster: c.Alerts()}
	worker := &relay.Relay{Outbox: st, Poster: poster, Enricher: accounts.Enricher(),
		Channel: func(context.Context, string, *alarm.Alarm) (string, error) { return "demo", nil }, Owner: "demo", PerChannel: time.Millisecond,
		Now: func() time.Time { return changed }}
	n, err := worker.RunOnce(ctx)
	if err != nil {
		return fmt.Errorf("demo: relay the alarm: %w", err)
	}
	if n != 1 || poster.n != 1 {
		return fmt.Errorf("demo: the relay settled %d notification(s) and posted %d, want 1", n, poster.n)
	}
	return ctx.Err()
}

// demoLogs is what the alarm tour does in dev's CloudWatch Logs.
type demoLogs interface {
	DescribeMetricFilters(ctx context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
}

// metricOf is the metric of dev's filter that satisfies the control, which the fix created and
// the alarm is on.
func metricOf(ctx context.Context, logs demoLogs, ctl *cis.Control) (string, error) {
	out, err := logs.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(logGroup)})
	if err != nil {
		return "", fmt.Errorf("demo: read dev's metric filters: %w", err)
	}
	for _, f := range out.MetricFilters {
		v, err := cis.CheckPattern(ctl, aws.ToString(f.FilterPattern))
		if err == nil && v.Satisfies && len(f.MetricTransformations) > 0 {
			return aws.ToString(f.MetricTransformations[0].MetricName), nil
		}
	}
	return "", fmt.Errorf("demo: the fix of dev created no metric filter for control %s on %s", ctl.ID, logGroup)
}

// writeEvent writes the alarm's CloudTrail record to dev's log group.
func writeEvent(ctx context.Context, logs demoLogs, a demoAlarm, now time.Time) error {
	ev := make(map[string]any, len(a.event)+1)
	for k, v := range a.event {
		ev[k] = v
	}
	ev["eventTime"] = now.Format(time.RFC3339)
	record, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	stream := devID + "_CloudTrail_" + Region + "_" + a.control
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String(stream)}); err != nil {
		return fmt.Errorf("demo: create a log stream in dev's %s: %w", logGroup, err)
	}
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String(stream),
		LogEvents: []cwltypes.InputLogEvent{{Message: aws.String(string(record)), Timestamp: aws.Int64(now.UnixMilli())}}}); err != nil {
		return fmt.Errorf("demo: write the event to dev's %s: %w", logGroup, err)
	}
	return nil
}

// alarmNotification is the outbox item of the SNS notification dev's alarm of the control sends
// when it goes to ALARM at changed.
func alarmNotification(ctl *cis.Control, metric string, changed time.Time) (store.OutboxItem, error) {
	topic := "arn:aws:sns:" + Region + ":" + devID + ":cis-alarms"
	alarmName := ctl.Defaults.AlarmName
	message, err := json.Marshal(map[string]any{
		"AlarmName": alarmName, "AlarmDescription": "CIS " + ctl.ID + " - " + ctl.AlertTitle, "AWSAccountId": devID,
		"NewStateValue": "ALARM", "OldStateValue": "OK",
		"NewStateReason":  "Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the threshold (1.0).",
		"StateChangeTime": changed.Format("2006-01-02T15:04:05.000-0700"),
		"Region":          "US East (N. Virginia)",
		"AlarmArn":        "arn:aws:cloudwatch:" + Region + ":" + devID + ":alarm:" + alarmName,
		"OKActions":       []string{}, "AlarmActions": []string{topic}, "InsufficientDataActions": []string{},
		"Trigger": map[string]any{"MetricName": metric, "Namespace": "CISBenchmark", "StatisticType": "Statistic",
			"Statistic": "SUM", "Unit": nil, "Dimensions": []any{}, "Period": 300, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1.0, "TreatMissingData": "notBreaching"},
	})
	if err != nil {
		return store.OutboxItem{}, err
	}
	id := "demo-" + ctl.ID + "-" + strconv.FormatInt(changed.UnixNano(), 16)
	envelope, err := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": topic,
		"Subject": "ALARM: \"" + alarmName + "\" in US East (N. Virginia)", "Message": string(message),
		"Timestamp": changed.Format("2006-01-02T15:04:05.000Z"), "SignatureVersion": "1",
		// Present as SNS sends them, but nothing here signed it.
		"Signature":      "DEMO-NOT-SIGNED",
		"SigningCertURL": "https://sns." + Region + ".amazonaws.com/SimpleNotificationService-00000000000000000000000000000000.pem",
		"UnsubscribeURL": "https://sns." + Region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic + ":00000000-0000-0000-0000-000000000000",
	})
	if err != nil {
		return store.OutboxItem{}, err
	}
	return store.OutboxItem{ID: id, TopicARN: topic, Kind: store.OutboxNotification, Body: envelope, CreatedAt: changed}, nil
}
