package alarm

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseEvent(t *testing.T) {
	real, err := os.ReadFile("testdata/eventbridge/alarm-state-change-unauthorized-ALARM.json")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) []byte { return []byte(strings.Replace(string(real), old, new, 1)) }
	for _, tc := range []struct {
		name    string
		body    []byte
		notEv   bool   // the error wraps ErrNotEvent
		errText string // "" when it parses
	}{
		{name: "real", body: real},
		{name: "other source", body: edit(`"source": "aws.cloudwatch"`, `"source": "aws.ec2"`), notEv: true, errText: "aws.ec2"},
		{name: "other detail-type", body: edit(`"CloudWatch Alarm State Change"`, `"EC2 Instance State-change Notification"`), notEv: true, errText: "detail-type"},
		{name: "not JSON", body: []byte("hello"), notEv: true, errText: "not a CloudWatch Alarm State Change"},
		{name: "account differs from the alarm's", body: edit(`"account": "111111111111"`, `"account": "999999999999"`), errText: "are not its alarm's"},
		{name: "region differs from the alarm's", body: edit(`"region": "eu-west-1"`, `"region": "us-east-1"`), errText: "are not its alarm's"},
		{name: "no resources", body: edit(`"arn:aws:cloudwatch:eu-west-1:111111111111:alarm:cis-4.1-unauthorized-api-calls"`, ``), errText: "no alarm ARN"},
		{name: "no id", body: edit(`"id": "5b2bd1e2-9a43-1c3e-8f0a-6b2f4c2a9d11"`, `"id": ""`), errText: "no id"},
		{name: "no state", body: edit(`"value": "ALARM"`, `"value": ""`), errText: "no alarmName or state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ParseEvent(tc.body)
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) || errors.Is(err, ErrNotEvent) != tc.notEv {
					t.Fatalf("ParseEvent = %v, want an error with %q (ErrNotEvent %v)", err, tc.errText, tc.notEv)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := ev.Alarm
			want := Alarm{
				AlarmName: "cis-4.1-unauthorized-api-calls", AlarmDescription: "CIS 4.1: unauthorized API calls",
				AWSAccountID: "111111111111", RegionCode: "eu-west-1", NewState: StateAlarm, OldState: "OK",
				AlarmArn: "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:cis-4.1-unauthorized-api-calls",
			}
			if a.AlarmName != want.AlarmName || a.AlarmDescription != want.AlarmDescription || a.AWSAccountID != want.AWSAccountID ||
				a.RegionCode != want.RegionCode || a.NewState != want.NewState || a.OldState != want.OldState || a.AlarmArn != want.AlarmArn {
				t.Errorf("alarm = %+v, want %+v", a, want)
			}
			if ev.ID != "5b2bd1e2-9a43-1c3e-8f0a-6b2f4c2a9d11" {
				t.Errorf("id = %q", ev.ID)
			}
			if !strings.HasPrefix(a.NewStateReason, "Threshold Crossed: 1 out of the last 1 datapoints [3.0") {
				t.Errorf("reason = %q", a.NewStateReason)
			}
			if tr := a.Trigger; tr.MetricName != "UnauthorizedAPICalls" || tr.Namespace != "CISBenchmark" || tr.APIStatistic() != "Sum" || tr.Period != 300 {
				t.Errorf("trigger = %+v", tr)
			}
			if want := time.Date(2026, 11, 30, 9, 14, 5, 115e6, time.UTC); !a.StateChangeTime.Equal(want) {
				t.Errorf("StateChangeTime = %v, want %v", a.StateChangeTime, want)
			}
			// The stored form reads back as the same alarm.
			back, err := Parse(string(ev.Message))
			if err != nil || back.AlarmArn != a.AlarmArn || back.Trigger.MetricName != a.Trigger.MetricName {
				t.Errorf("Parse(Message) = %+v, %v", back, err)
			}
			if err := a.CheckTopic("arn:aws:sns:eu-west-1:111111111111:cis-alarms"); err != nil {
				t.Errorf("CheckTopic: %v", err)
			}
		})
	}
}

func TestIsEvent(t *testing.T) {
	for body, want := range map[string]bool{
		`{"detail-type":"x","source":"aws.cloudwatch","detail":{}}`: true,
		`{"AlarmName":"a","NewStateValue":"ALARM"}`:                 false,
		`{"Type":"Notification"}`:                                   false,
		`not json`:                                                  false,
	} {
		if got := IsEvent([]byte(body)); got != want {
			t.Errorf("IsEvent(%s) = %v, want %v", body, got, want)
		}
	}
}
