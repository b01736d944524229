package alarm

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// FuzzParseAlarm parses any message; the seeds are the samples, the strings below and the
// account-field cases of testdata/fuzz/FuzzParseAlarm (an AWSAccountId or AlarmArn of another
// account, missing, null, a number, not 12 digits, an AlarmArn that is not an alarm's).
func FuzzParseAlarm(f *testing.F) {
	entries, err := os.ReadDir(alarmTestdata)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(loadAlarmMessage(f, e.Name()))
	}
	for _, s := range []string{
		"", "plain text", "{", "{}", "[]", "null",
		`{"AlarmName":"a","NewStateValue":"ALARM","AlarmRule":"x","StateChangeTime":"2024-05-06T07:08:09Z"}`,
		`{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Period":"60","Threshold":null,"Metrics":[{"Id":"e1","ReturnData":true}]}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		a, err := Parse(msg)
		if err != nil {
			if a != nil {
				t.Fatalf("non-nil Alarm with error %v", err)
			}
			if errors.Is(err, ErrNotAlarm) && errors.Is(err, ErrTooLarge) {
				t.Fatalf("error is both not-alarm and too-large: %v", err)
			}
			return
		}
		if a.AlarmName == "" || a.NewState == "" {
			t.Fatalf("accepted alarm without name or state: %+v", a)
		}
		switch a.RegionSource {
		case RegionFromARN, RegionFromDisplayName:
			if a.RegionCode == "" {
				t.Fatalf("RegionSource %q with empty RegionCode", a.RegionSource)
			}
		case RegionUnknown:
			if a.RegionCode != "" {
				t.Fatalf("unknown region with RegionCode %q", a.RegionCode)
			}
		default:
			t.Fatalf("RegionSource = %q", a.RegionSource)
		}
		checkAccounts(t, a)
		if a.Trigger.Period < 0 || a.Trigger.EvaluationPeriods < 0 || a.Trigger.DatapointsToAlarm < 0 {
			t.Fatalf("negative trigger counts: %+v", a.Trigger)
		}
		start, end := a.EvaluationWindow()
		if a.StateChangeTime.IsZero() {
			if !start.IsZero() || !end.IsZero() {
				t.Fatalf("window %v .. %v for zero StateChangeTime", start, end)
			}
			return
		}
		if !end.Equal(a.StateChangeTime) {
			t.Fatalf("window end %v != StateChangeTime %v", end, a.StateChangeTime)
		}
		if d := end.Sub(start); d <= 0 || d > 2*MaxEvaluationWindow+time.Second {
			t.Fatalf("window %v .. %v has length %v", start, end, d)
		}
	})
}

// checkAccounts asserts the account invariants of a parsed alarm: it belongs to at most one
// topic account, and only to one that every account it names equals, in 12 digits.
func checkAccounts(t *testing.T, a *Alarm) {
	t.Helper()
	accepted := ""
	for _, account := range []string{a.AWSAccountID, "999999999999", "000000000000"} {
		topic := "arn:aws:sns:us-east-1:" + account + ":cis-alarms"
		err := a.CheckTopic(topic)
		if err != nil {
			if _, ok := errors.AsType[*AccountError](err); !ok {
				t.Fatalf("CheckTopic(%q) error %T is not an *AccountError: %v", topic, err, err)
			}
			continue
		}
		if accepted != "" && accepted != account {
			t.Fatalf("alarm accepted for the topics of two accounts, %s and %s: %+v", accepted, account, a)
		}
		accepted = account
		if !IsAccountID(account) || a.AWSAccountID != account {
			t.Fatalf("alarm of account %q accepted for a topic of account %q", a.AWSAccountID, account)
		}
		if a.AlarmArn != "" {
			if r, err := arn.Parse(a.AlarmArn); err != nil || r.AccountID != account {
				t.Fatalf("AlarmArn %q accepted for a topic of account %q", a.AlarmArn, account)
			}
		}
	}
}
