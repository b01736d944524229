package console

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
)

func TestPostAlert(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 20, 41, 0, time.UTC)
	al := &alarm.Alarm{AlarmName: "unauthorized_api_calls_alarm", AWSAccountID: "222222222222", RegionCode: "us-east-1",
		NewState: alarm.StateAlarm, OldState: alarm.StateOK, StateChangeTime: at}
	enriched := &enrich.Findings{
		Window: [2]time.Time{at.Add(-5*time.Minute - 41*time.Second), at}, Total: 4, More: 1,
		ConsoleURL: "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups",
		Filters:    []enrich.FilterRef{{LogGroup: "cloudtrail-logs", Name: "unauthorized_api_calls_metric"}},
		Groups: []enrich.PrincipalGroup{
			{Principal: "arn:aws:iam::222222222222:user/mallory", Count: 2, Actions: []string{"s3:ListBuckets", "ec2:RunInstances"},
				ErrorCodes: []string{"AccessDenied", "Client.UnauthorizedOperation"}, SourceIPs: []string{"203.0.113.7"}},
			{Principal: "ci/build-42", Count: 1, Actions: []string{"iam:ListUsers"}, ErrorCodes: []string{"AccessDenied"}},
		},
	}
	missing := &enrich.Findings{Missing: "no access to account 222222222222: AccessDenied"}
	ok := *al
	ok.NewState, ok.OldState = alarm.StateOK, alarm.StateAlarm
	posts := []relay.Post{
		{Kind: relay.PostAlarm, Alarm: al, Findings: enriched},
		{Kind: relay.PostAlarm, Alarm: al, Findings: missing},
		{Kind: relay.PostAlarm, Alarm: &ok, ThreadTS: "1"},
		{Kind: relay.PostMessage, TopicARN: "arn:aws:sns:us-east-1:222222222222:cis-alarms", Subject: "Hello", Text: "plain\ntext"},
		{Kind: relay.PostSubscribed, TopicARN: "arn:aws:sns:us-east-1:222222222222:cis-alarms"},
		{Kind: relay.PostUnsubscribed, TopicARN: "arn:aws:sns:us-east-1:222222222222:cis-alarms"},
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
