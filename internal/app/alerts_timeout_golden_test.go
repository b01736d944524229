package app

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
)

// TestTimedOutAlertGolden is the alert as a channel receives it when its CloudTrail lookup
// passed alerts.enrich_timeout: the alarm, the note that its events were not read and why, and
// the filter with its console link, so that a reader can look; none of the events read before
// the deadline. The posted blocks are the golden file.
func TestTimedOutAlertGolden(t *testing.T) {
	al := &alarm.Alarm{
		AlarmName:        "cis-4.1-unauthorized-api-calls",
		AlarmDescription: "CIS 4.1: unauthorized API calls",
		AWSAccountID:     goldenAccount,
		Region:           "US East (N. Virginia)",
		RegionCode:       "us-east-1",
		RegionSource:     alarm.RegionFromARN,
		AlarmArn:         "arn:aws:cloudwatch:us-east-1:" + goldenAccount + ":alarm:cis-4.1-unauthorized-api-calls",
		NewState:         alarm.StateAlarm,
		OldState:         alarm.StateOK,
		NewStateReason:   "Threshold Crossed: 1 out of the last 1 datapoints [4.0 (02/03/26 10:20:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
		StateChangeTime:  time.Date(2026, 3, 2, 10, 25, 30, 0, time.UTC),
		Trigger: alarm.Trigger{
			Namespace: "CISBenchmark", MetricName: "UnauthorizedAPICalls", Statistic: "SUM",
			Period: 300, EvaluationPeriods: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: aws.Float64(1),
		},
	}
	start, end := al.EvaluationWindow()
	group := "aws-cloudtrail-logs-" + goldenAccount
	link := enrich.ConsoleURL("us-east-1", group, cis.PatternSecurityHub, start, end)
	// What a lookup had read when the deadline came: part of the events.
	c := enrich.Findings{
		Filters:    []enrich.FilterRef{{LogGroup: group, Name: "cis-4.1-unauthorized-api-calls", Pattern: cis.PatternSecurityHub, ConsoleURL: link}},
		Window:     [2]time.Time{start, end},
		ConsoleURL: link,
		Total:      2,
		Groups:     []enrich.PrincipalGroup{{Principal: "arn:aws:iam::" + goldenAccount + ":user/mallory", Count: 2, Actions: []string{"s3:ListBuckets"}}},
		Missing:    "logs:FilterLogEvents: context deadline exceeded (log group " + group + ")",
	}
	c.TimedOut(20 * time.Second)

	checkPostedAlert(t, relay.Post{
		Channel: "C0PRODALERT", Kind: relay.PostAlarm,
		TopicARN: "arn:aws:sns:us-east-1:" + goldenAccount + ":cis-alarms", MessageID: "0e4f1a2b-3c4d-5e6f-8a9b-0c1d2e3f4a5b",
		Received: al.StateChangeTime.Add(2 * time.Second), Alarm: al, Findings: &c,
	}, "timed-out-alert.json")
}
