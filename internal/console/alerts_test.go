package console

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/alerts"
)

func TestPostAlert(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 20, 41, 0, time.UTC)
	alarm := &alerts.Alarm{AlarmName: "unauthorized_api_calls_alarm", AWSAccountID: "222222222222", RegionCode: "us-east-1",
		NewState: alerts.StateAlarm, OldState: alerts.StateOK, StateChangeTime: at}
	enriched := &alerts.Context{
		Window: [2]time.Time{at.Add(-5*time.Minute - 41*time.Second), at}, Total: 4, More: 1,
		ConsoleURL: "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups",
		Filters:    []alerts.FilterRef{{LogGroup: "cloudtrail-logs", Name: "unauthorized_api_calls_metric"}},
		Groups: []alerts.PrincipalGroup{
			{Principal: "arn:aws:iam::222222222222:user/mallory", Count: 2, Actions: []string{"s3:ListBuckets", "ec2:RunInstances"},
				ErrorCodes: []string{"AccessDenied", "Client.UnauthorizedOperation"}, SourceIPs: []string{"203.0.113.7"}},
			{Principal: "ci/build-42", Count: 1, Actions: []string{"iam:ListUsers"}, ErrorCodes: []string{"AccessDenied"}},
		},
	}
	missing := &alerts.Context{Missing: "no access to account 222222222222: AccessDenied"}
	ok := *alarm
	ok.NewState, ok.OldState = alerts.StateOK, alerts.StateAlarm
	posts := []alerts.Post{
		{Kind: alerts.PostAlarm, Alarm: alarm, Context: enriched},
		{Kind: alerts.PostAlarm, Alarm: alarm, Context: missing},
		{Kind: alerts.PostAlarm, Alarm: &ok, ThreadTS: "1"},
		{Kind: alerts.PostMessage, TopicARN: "arn:aws:sns:us-east-1:222222222222:cis-alarms", Subject: "Hello", Text: "plain\ntext"},
		{Kind: alerts.PostSubscribed, TopicARN: "arn:aws:sns:us-east-1:222222222222:cis-alarms"},
		{Kind: alerts.PostUnsubscribed, TopicARN: "arn:aws:sns:us-east-1:222222222222:cis-alarms"},
	}
	var out bytes.Buffer
	c := New(nil, &out).Alerts()
	for i, p := range posts {
		ts, err := c.Post(context.Background(), p)
		if err != nil || ts == "" {
			t.Fatalf("post %d: ts %q, error %v", i, ts, err)
		}
	}
	golden(t, "alert.txt", out.String())
	if !strings.Contains(out.String(), "4 unauthorized calls in 2026-03-02 10:15:00–10:20:41 UTC") {
		t.Error("no count and window")
	}
}
