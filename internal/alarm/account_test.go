package alarm

import (
	"errors"
	"testing"
)

// TestCheckTopic: an alarm is its topic's account's only when every account it names is that
// account; a sandbox account's topic cannot carry an alarm of prod's.
func TestCheckTopic(t *testing.T) {
	const (
		prod    = "111111111111"
		sandbox = "222222222222"
		topic   = "arn:aws:sns:us-east-1:" + sandbox + ":cis-alarms"
	)
	arnOf := func(account string) string { return "arn:aws:cloudwatch:us-east-1:" + account + ":alarm:cis" }
	tests := []struct {
		name, topic, account, alarmArn string
		ok                             bool
	}{
		{"all three agree", topic, sandbox, arnOf(sandbox), true},
		{"no AlarmArn (before 2019): its account cannot be checked", topic, sandbox, "", false},
		{"account from AlarmArn alone", topic, "", arnOf(sandbox), true},
		// The three mismatches of the forged alarm.
		{"AWSAccountId of another account", topic, prod, arnOf(sandbox), false},
		{"AlarmArn of another account", topic, sandbox, arnOf(prod), false},
		{"both of another account", topic, prod, arnOf(prod), false},
		{"AWSAccountId of another account, no AlarmArn", topic, prod, "", false},
		{"no account at all", topic, "", "", false},
		{"AWSAccountId not 12 digits", "arn:aws:sns:us-east-1:22222222222:t", "22222222222", "", false},
		{"AWSAccountId with a suffix", topic, sandbox + " ", arnOf(sandbox), false},
		{"AlarmArn not an alarm", topic, sandbox, "arn:aws:sns:us-east-1:" + sandbox + ":cis-alarms", false},
		{"AlarmArn not an ARN", topic, sandbox, "cis", false},
		{"topic not an ARN", "cis-alarms", sandbox, arnOf(sandbox), false},
		{"topic not SNS", "arn:aws:sqs:us-east-1:" + sandbox + ":q", sandbox, arnOf(sandbox), false},
		// An unsigned alarm from a queue is stored under its own ARN.
		{"its own AlarmArn", arnOf(sandbox), sandbox, arnOf(sandbox), true},
		{"its own AlarmArn, AWSAccountId of another account", arnOf(sandbox), prod, arnOf(sandbox), false},
		{"another alarm's ARN", arnOf(prod), prod, arnOf(sandbox), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Alarm{AlarmName: "cis", NewState: StateAlarm, AWSAccountID: tt.account, AlarmArn: tt.alarmArn}
			a.setRegion()
			err := a.CheckTopic(tt.topic)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckTopic(%q) = %v, want ok=%v", tt.topic, err, tt.ok)
			}
			if err == nil {
				return
			}
			ae, ok := errors.AsType[*AccountError](err)
			if !ok || ae.Reason == "" {
				t.Fatalf("error %T %v is not an *AccountError with a reason", err, err)
			}
		})
	}
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"111111111111": true, "000000000000": true,
		"11111111111": false, "1111111111111": false, "11111111111a": false, "": false, "１１１１１１１１１１１１": false,
	} {
		if IsAccountID(s) != want {
			t.Errorf("IsAccountID(%q) = %v", s, !want)
		}
	}
}
