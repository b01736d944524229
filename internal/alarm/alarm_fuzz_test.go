package alarm

import (
	"errors"
	"os"
	"testing"
	"time"
)

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
