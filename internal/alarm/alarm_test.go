package alarm

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const alarmTestdata = "testdata/cloudwatch-alarm"

// loadAlarmMessage returns the alarm Message in a testdata file: the file
// itself for an inner Message document, or the envelope's Message field for an
// SNS notification (sns-*.json).
func loadAlarmMessage(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(alarmTestdata, name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "sns-") {
		return string(data)
	}
	var env struct {
		Type    string
		Message string
	}
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("%s: decode envelope: %v", name, err)
	}
	if env.Type != "Notification" || env.Message == "" {
		t.Fatalf("%s: not a notification envelope", name)
	}
	return env.Message
}

func f64(v float64) *float64 { return &v }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestParseAlarmTestdata(t *testing.T) {
	type want struct {
		name, desc, account, region, regionCode string
		regionSource                            RegionSource
		arn, newState, oldState, reasonPrefix   string
		changed, updated                        string // CloudWatch layout; "" for zero
		trigger                                 Trigger
		alarmActions, okActions, insufActions   []string
	}
	tests := []struct {
		file string
		want want
	}{
		{
			file: "sns-notification-2023-route53-OK.json",
			want: want{
				name:         "api-jideola domain alarm",
				desc:         "This metric checks the status of the api-jideola.com health check.",
				account:      "951708231033",
				region:       "US East (N. Virginia)",
				regionCode:   "us-east-1",
				regionSource: RegionFromARN,
				arn:          "arn:aws:cloudwatch:us-east-1:951708231033:alarm:api-jideola domain alarm",
				newState:     StateOK, oldState: StateAlarm,
				reasonPrefix: "Threshold Crossed: 2 out of the last 2 datapoints",
				changed:      "2023-02-18T16:43:21.231+0000",
				updated:      "2023-02-18T16:41:38.351+0000",
				trigger: Trigger{
					MetricName: "HealthCheckStatus", Namespace: "AWS/Route53",
					StatisticType: "Statistic", Statistic: "SAMPLE_COUNT",
					Dimensions:        []Dimension{{Name: "HealthCheckId", Value: "afdf0e5a-b5ec-4eb0-8140-4fb83e928df6"}},
					Period:            60,
					EvaluationPeriods: 2, DatapointsToAlarm: 2,
					ComparisonOperator: "LessThanThreshold", Threshold: f64(1),
					TreatMissingData: "breaching", TreatMissingDataRaw: "breaching",
				},
				alarmActions: []string{"arn:aws:sns:us-east-1:951708231033:guardian"},
				okActions:    []string{"arn:aws:sns:us-east-1:951708231033:guardian"},
				insufActions: []string{"arn:aws:sns:us-east-1:951708231033:guardian"},
			},
		},
		{
			file: "sns-notification-cis-unauthorized-ALARM.SYNTHETIC.json",
			want: want{
				name:         "unauthorized_api_calls_alarm",
				desc:         "CIS 4.1 - unauthorized API calls",
				account:      "111122223333",
				region:       "US East (N. Virginia)",
				regionCode:   "us-east-1",
				regionSource: RegionFromARN,
				arn:          "arn:aws:cloudwatch:us-east-1:111122223333:alarm:unauthorized_api_calls_alarm",
				newState:     StateAlarm, oldState: StateOK,
				reasonPrefix: "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (02/03/26 10:15:00)]",
				changed:      "2026-03-02T10:20:41.562+0000",
				updated:      "2026-03-02T09:10:11.123+0000",
				trigger: Trigger{
					MetricName: "unauthorized_api_calls_metric", Namespace: "CISBenchmark",
					StatisticType: "Statistic", Statistic: "SUM",
					Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1,
					ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: f64(1),
					TreatMissingData: "notBreaching", TreatMissingDataRaw: "notBreaching",
				},
				alarmActions: []string{"arn:aws:sns:us-east-1:111122223333:cis-alarms"},
				okActions:    []string{},
				insufActions: []string{},
			},
		},
		{
			file: "alarm-message-2025-tokyo-ALARM.json",
			want: want{
				name:         "ErrorAlarm",
				desc:         "Alarm when ERROR appears in logs",
				account:      "449671225256",
				region:       "Asia Pacific (Tokyo)",
				regionCode:   "ap-northeast-1",
				regionSource: RegionFromARN,
				arn:          "arn:aws:cloudwatch:ap-northeast-1:449671225256:alarm:ErrorAlarm",
				newState:     StateAlarm, oldState: StateInsufficientData,
				reasonPrefix: "Threshold Crossed: 1 datapoint [1.0 (02/02/25 12:05:00)]",
				changed:      "2025-02-02T12:06:35.472+0000",
				updated:      "2025-02-02T11:48:52.788+0000",
				trigger: Trigger{
					MetricName: "ErrorCount", Namespace: "YourNamespace",
					StatisticType: "Statistic", Statistic: "SUM",
					Period: 60, EvaluationPeriods: 1, DatapointsToAlarm: 0,
					ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: f64(1),
					TreatMissingData: "missing", TreatMissingDataRaw: "missing",
				},
				alarmActions: []string{"arn:aws:sns:ap-northeast-1:449671225256:example-topic"},
				okActions:    []string{"arn:aws:sns:ap-northeast-1:449671225256:example-topic"},
				insufActions: []string{},
			},
		},
		{
			file: "alarm-message-2017-seoul-legacy.json",
			want: want{
				name:         "awsec2-i-f4b22853-CPU-Utilization",
				desc:         "Created from EC2 Console",
				account:      "129335065553",
				region:       "Asia Pacific - Seoul",
				regionCode:   "ap-northeast-2",
				regionSource: RegionFromDisplayName,
				newState:     StateAlarm, oldState: StateOK,
				reasonPrefix: "Threshold Crossed: 1 datapoint (42.73)",
				changed:      "2017-06-09T09:48:35.237+0000",
				trigger: Trigger{
					MetricName: "CPUUtilization", Namespace: "AWS/EC2",
					StatisticType: "Statistic", Statistic: "AVERAGE",
					Dimensions:         []Dimension{{Name: "InstanceId", Value: "i-f4b22853"}},
					Period:             300,
					EvaluationPeriods:  1,
					ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: f64(10),
				},
			},
		},
	}

	// Every file in the directory must be covered by the table.
	entries, err := os.ReadDir(alarmTestdata)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.ContainsFunc(tests, func(tc struct {
			file string
			want want
		}) bool {
			return tc.file == e.Name()
		}) {
			t.Errorf("testdata file %s has no test case", e.Name())
		}
	}

	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			a, err := Parse(loadAlarmMessage(t, tc.file))
			if err != nil {
				t.Fatalf("ParseAlarm: %v", err)
			}
			w := tc.want
			checks := []struct{ field, got, want string }{
				{"AlarmName", a.AlarmName, w.name},
				{"AlarmDescription", a.AlarmDescription, w.desc},
				{"AWSAccountID", a.AWSAccountID, w.account},
				{"Region", a.Region, w.region},
				{"RegionCode", a.RegionCode, w.regionCode},
				{"RegionSource", string(a.RegionSource), string(w.regionSource)},
				{"AlarmArn", a.AlarmArn, w.arn},
				{"NewState", a.NewState, w.newState},
				{"OldState", a.OldState, w.oldState},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if !strings.HasPrefix(a.NewStateReason, w.reasonPrefix) {
				t.Errorf("NewStateReason = %q, want prefix %q", a.NewStateReason, w.reasonPrefix)
			}
			if want := mustTime(t, w.changed); !a.StateChangeTime.Equal(want) || a.StateChangeTime.Location() != time.UTC {
				t.Errorf("StateChangeTime = %v, want %v in UTC", a.StateChangeTime, want)
			}
			if w.updated == "" {
				if !a.ConfigurationUpdated.IsZero() {
					t.Errorf("ConfigurationUpdated = %v, want zero", a.ConfigurationUpdated)
				}
			} else if want := mustTime(t, w.updated); !a.ConfigurationUpdated.Equal(want) {
				t.Errorf("ConfigurationUpdated = %v, want %v", a.ConfigurationUpdated, want)
			}
			checkTrigger(t, a.Trigger, w.trigger)
			if a.Trigger.IsMetricMath() || a.Composite {
				t.Errorf("IsMetricMath = %v, Composite = %v, want false", a.Trigger.IsMetricMath(), a.Composite)
			}
			for _, c := range []struct {
				field     string
				got, want []string
			}{
				{"AlarmActions", a.AlarmActions, w.alarmActions},
				{"OKActions", a.OKActions, w.okActions},
				{"InsufficientDataActions", a.InsufficientDataActions, w.insufActions},
			} {
				if !slices.Equal(c.got, c.want) || (c.got == nil) != (c.want == nil) {
					t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
				}
			}
		})
	}
}

func checkTrigger(t *testing.T, got, want Trigger) {
	t.Helper()
	strs := []struct{ field, got, want string }{
		{"MetricName", got.MetricName, want.MetricName},
		{"Namespace", got.Namespace, want.Namespace},
		{"StatisticType", got.StatisticType, want.StatisticType},
		{"Statistic", got.Statistic, want.Statistic},
		{"Unit", got.Unit, want.Unit},
		{"ComparisonOperator", got.ComparisonOperator, want.ComparisonOperator},
		{"TreatMissingData", got.TreatMissingData, want.TreatMissingData},
		{"TreatMissingDataRaw", got.TreatMissingDataRaw, want.TreatMissingDataRaw},
	}
	for _, c := range strs {
		if c.got != c.want {
			t.Errorf("Trigger.%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if got.Period != want.Period || got.EvaluationPeriods != want.EvaluationPeriods || got.DatapointsToAlarm != want.DatapointsToAlarm {
		t.Errorf("Trigger Period/EvaluationPeriods/DatapointsToAlarm = %d/%d/%d, want %d/%d/%d",
			got.Period, got.EvaluationPeriods, got.DatapointsToAlarm,
			want.Period, want.EvaluationPeriods, want.DatapointsToAlarm)
	}
	switch {
	case (got.Threshold == nil) != (want.Threshold == nil):
		t.Errorf("Trigger.Threshold = %v, want %v", got.Threshold, want.Threshold)
	case got.Threshold != nil && *got.Threshold != *want.Threshold:
		t.Errorf("Trigger.Threshold = %v, want %v", *got.Threshold, *want.Threshold)
	}
	if !slices.Equal(got.Dimensions, want.Dimensions) {
		t.Errorf("Trigger.Dimensions = %#v, want %#v", got.Dimensions, want.Dimensions)
	}
}

// TestParseAlarmCISHint checks what the relay needs for the CIS 4.1 alarm: the
// metric to look up and the window to read CloudTrail in.
func TestParseAlarmCISHint(t *testing.T) {
	a, err := Parse(loadAlarmMessage(t, "sns-notification-cis-unauthorized-ALARM.SYNTHETIC.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Trigger.APIStatistic() != "Sum" {
		t.Errorf("APIStatistic = %q, want Sum", a.Trigger.APIStatistic())
	}
	start, end := a.EvaluationWindow()
	wantStart := time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC)
	wantEnd := time.Date(2026, 3, 2, 10, 20, 41, 562e6, time.UTC)
	if !start.Equal(wantStart) || !end.Equal(wantEnd) {
		t.Errorf("EvaluationWindow = %v .. %v, want %v .. %v", start, end, wantStart, wantEnd)
	}
}

func TestParseAlarmNotAlarm(t *testing.T) {
	for _, msg := range []string{
		"",
		"   ",
		"Hello from SNS",
		"ALARM: \"x\" in US East (N. Virginia)",
		"{ this is text in braces }",
		`[]`,
		`["AlarmName"]`,
		`"AlarmName"`,
		`42`,
		`null`,
		`{}`,
		`{"default":"hello"}`,
		`{"AlarmName":"x"}`,
		`{"NewStateValue":"ALARM"}`,
		`{"AlarmName":null,"NewStateValue":"ALARM"}`,
		// An EventBridge event is a different format, not this one.
		`{"version":"0","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","detail":{"alarmName":"x","state":{"value":"ALARM"}}}`,
	} {
		a, err := Parse(msg)
		if !errors.Is(err, ErrNotAlarm) {
			t.Errorf("Parse(%q) = %v, %v; want ErrNotAlarm", msg, a, err)
		}
	}
}

func TestParseAlarmMalformed(t *testing.T) {
	valid := loadAlarmMessage(t, "alarm-message-2025-tokyo-ALARM.json")
	for name, msg := range map[string]string{
		"truncated":            valid[:len(valid)/2],
		"missing brace":        strings.TrimSuffix(strings.TrimSpace(valid), "}"),
		"name not string":      `{"AlarmName":{"a":1},"NewStateValue":"ALARM"}`,
		"empty name":           `{"AlarmName":"  ","NewStateValue":"ALARM"}`,
		"empty state":          `{"AlarmName":"a","NewStateValue":""}`,
		"bad time":             `{"AlarmName":"a","NewStateValue":"ALARM","StateChangeTime":"yesterday"}`,
		"date only":            `{"AlarmName":"a","NewStateValue":"ALARM","StateChangeTime":"2025-02-02"}`,
		"trigger not object":   `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":"x"}`,
		"period string":        `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Period":"five"}}`,
		"period negative":      `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Period":-60}}`,
		"period fraction":      `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Period":60.5}}`,
		"threshold object":     `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Threshold":{}}}`,
		"dimensions not array": `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":{"name":"x"}}}`,
		"actions not array":    `{"AlarmName":"a","NewStateValue":"ALARM","AlarmActions":{"a":1}}`,
		"action object":        `{"AlarmName":"a","NewStateValue":"ALARM","AlarmActions":[{}]}`,
		"metrics not array":    `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Metrics":3}}`,
	} {
		a, err := Parse(msg)
		if err == nil {
			t.Errorf("%s: ParseAlarm = %+v, want an error", name, a)
			continue
		}
		if errors.Is(err, ErrNotAlarm) {
			t.Errorf("%s: ParseAlarm error %v, want a malformed-alarm error, not ErrNotAlarm", name, err)
		}
	}
}

func TestParseAlarmTooLarge(t *testing.T) {
	msg := `{"AlarmName":"a","NewStateValue":"ALARM","AlarmDescription":"` +
		strings.Repeat("x", MaxMessageSize) + `"}`
	if _, err := Parse(msg); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Parse(huge) error = %v, want ErrTooLarge", err)
	}
}

func TestParseAlarmTolerance(t *testing.T) {
	t.Run("minimal, nulls and type drift", func(t *testing.T) {
		a, err := Parse(`{"AlarmName":"a \"quoted\" / ünï","AlarmDescription":null,"AWSAccountId":111122223333,
			"NewStateValue":"ALARM","StateChangeTime":"2024-05-06T07:08:09Z","Region":"Nowhere (Moon)",
			"OKActions":null,"AlarmActions":"arn:aws:sns:x","Unknown":{"deep":[1,2]},
			"Trigger":{"Period":"60","EvaluationPeriods":3,"Threshold":null,"Unit":null,
			  "Dimensions":[{"Value":"v","Name":"n"}],"TreatMissingData":"- TreatMissingData:                    NonBreaching"}}`)
		if err != nil {
			t.Fatal(err)
		}
		if a.AlarmName != `a "quoted" / ünï` || a.AlarmDescription != "" || a.AWSAccountID != "111122223333" {
			t.Errorf("name/desc/account = %q/%q/%q", a.AlarmName, a.AlarmDescription, a.AWSAccountID)
		}
		if a.RegionCode != "" || a.RegionSource != RegionUnknown {
			t.Errorf("RegionCode/Source = %q/%q, want unknown", a.RegionCode, a.RegionSource)
		}
		if !a.StateChangeTime.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) {
			t.Errorf("StateChangeTime (RFC 3339) = %v", a.StateChangeTime)
		}
		if a.OKActions != nil || !slices.Equal(a.AlarmActions, []string{"arn:aws:sns:x"}) {
			t.Errorf("actions = %#v / %#v", a.OKActions, a.AlarmActions)
		}
		tr := a.Trigger
		if tr.Period != 60 || tr.EvaluationPeriods != 3 || tr.Threshold != nil || tr.TreatMissingData != "notBreaching" {
			t.Errorf("trigger = %+v", tr)
		}
		if !slices.Equal(tr.Dimensions, []Dimension{{Name: "n", Value: "v"}}) {
			t.Errorf("dimensions = %#v", tr.Dimensions)
		}
	})
	t.Run("RFC 3339 with offset", func(t *testing.T) {
		a, err := Parse(`{"AlarmName":"a","NewStateValue":"OK","StateChangeTime":"2024-05-06T09:08:09.5+02:00"}`)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2024, 5, 6, 7, 8, 9, 5e8, time.UTC); !a.StateChangeTime.Equal(want) {
			t.Errorf("StateChangeTime = %v, want %v", a.StateChangeTime, want)
		}
	})
	t.Run("metric math", func(t *testing.T) {
		a, err := Parse(`{"AlarmName":"m","NewStateValue":"ALARM","AlarmArn":"arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:m:with:colons",
			"Trigger":{"Period":60,"EvaluationPeriods":1,"Metrics":[
			  {"Id":"e1","Expression":"m1/m2","Label":"ratio","ReturnData":true},
			  {"Id":"m1","MetricStat":{"Metric":{"MetricName":"Errors"},"Period":60,"Stat":"Sum"},"ReturnData":false}]}}`)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Trigger.IsMetricMath() || len(a.Trigger.Metrics) != 2 {
			t.Fatalf("Metrics = %+v", a.Trigger.Metrics)
		}
		m := a.Trigger.Metrics
		if m[0].ID != "e1" || m[0].Expression != "m1/m2" || m[0].Label != "ratio" || m[0].ReturnData == nil || !*m[0].ReturnData {
			t.Errorf("Metrics[0] = %+v", m[0])
		}
		if m[1].ID != "m1" || len(m[1].MetricStat) == 0 || m[1].ReturnData == nil || *m[1].ReturnData {
			t.Errorf("Metrics[1] = %+v", m[1])
		}
		if a.RegionCode != "us-gov-west-1" || a.RegionSource != RegionFromARN || a.AWSAccountID != "123456789012" {
			t.Errorf("region/account from ARN = %q/%q/%q", a.RegionCode, a.RegionSource, a.AWSAccountID)
		}
	})
	t.Run("composite", func(t *testing.T) {
		a, err := Parse(`{"AlarmName":"c","NewStateValue":"ALARM","AlarmRule":"ALARM(a) OR ALARM(b)","StateChangeTime":"2024-05-06T07:08:09.000+0000"}`)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Composite {
			t.Error("Composite = false")
		}
		start, end := a.EvaluationWindow()
		if end.Sub(start) < DefaultEvaluationPeriod {
			t.Errorf("window %v .. %v shorter than the default period", start, end)
		}
	})
	t.Run("ARN region outside its partition falls back to display name", func(t *testing.T) {
		a, err := Parse(`{"AlarmName":"a","NewStateValue":"OK","AlarmArn":"arn:aws:cloudwatch:cn-north-1:123456789012:alarm:a","Region":"EU (Ireland)"}`)
		if err != nil {
			t.Fatal(err)
		}
		if a.RegionCode != "eu-west-1" || a.RegionSource != RegionFromDisplayName {
			t.Errorf("RegionCode/Source = %q/%q", a.RegionCode, a.RegionSource)
		}
	})
	t.Run("bad ARN falls back to display name", func(t *testing.T) {
		a, err := Parse(`{"AlarmName":"a","NewStateValue":"OK","AlarmArn":"not-an-arn","Region":"EU (Ireland)"}`)
		if err != nil {
			t.Fatal(err)
		}
		if a.RegionCode != "eu-west-1" || a.RegionSource != RegionFromDisplayName {
			t.Errorf("RegionCode/Source = %q/%q", a.RegionCode, a.RegionSource)
		}
	})
}

func TestRegionCodeForDisplayName(t *testing.T) {
	for name, want := range map[string]string{
		"US East (N. Virginia)":       "us-east-1",
		"US East - N. Virginia":       "us-east-1",
		"US East (Ohio)":              "us-east-2",
		"US West - Oregon":            "us-west-2",
		"EU - Ireland":                "eu-west-1",
		"EU (Ireland)":                "eu-west-1",
		"Europe (Ireland)":            "eu-west-1",
		"EU (Frankfurt)":              "eu-central-1",
		"Asia Pacific - Seoul":        "ap-northeast-2",
		"Asia Pacific (Tokyo)":        "ap-northeast-1",
		"Asia Pacific (Singapore)":    "ap-southeast-1",
		"South America (São Paulo)":   "sa-east-1",
		"South America - Sao Paulo":   "sa-east-1",
		"AWS GovCloud (US-West)":      "us-gov-west-1",
		"  asia   pacific (mumbai)  ": "ap-south-1",
	} {
		if got, ok := RegionCodeForDisplayName(name); !ok || got != want {
			t.Errorf("RegionCodeForDisplayName(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "Atlantis", "EU", "US East"} {
		if got, ok := RegionCodeForDisplayName(name); ok {
			t.Errorf("RegionCodeForDisplayName(%q) = %q, want unknown", name, got)
		}
	}
}

func TestTreatMissingDataNormalised(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"missing":      "missing",
		"notBreaching": "notBreaching",
		"breaching":    "breaching",
		"ignore":       "ignore",
		"- TreatMissingData:                    NonBreaching": "notBreaching",
		"- TreatMissingData: Breaching":                       "breaching",
		"something else":                                      "",
	} {
		if got := normaliseTreatMissingData(in); got != want {
			t.Errorf("normaliseTreatMissingData(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAPIStatistic(t *testing.T) {
	for in, want := range map[string]string{
		"SUM": "Sum", "AVERAGE": "Average", "MINIMUM": "Minimum", "MAXIMUM": "Maximum",
		"SAMPLE_COUNT": "SampleCount", "Sum": "Sum", "p90": "p90", "": "",
	} {
		if got := (Trigger{Statistic: in}).APIStatistic(); got != want {
			t.Errorf("APIStatistic(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEvaluationWindow(t *testing.T) {
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, time.UTC) }
	tests := []struct {
		name              string
		end               time.Time
		period, evalCount int
		wantStart         time.Time
	}{
		{"CIS 300s x1, mid-period", at(10, 20, 41), 300, 1, at(10, 15, 0)},
		{"300s x1 on boundary", at(10, 20, 0), 300, 1, at(10, 15, 0)},
		{"60s x1", at(12, 6, 35), 60, 1, at(12, 5, 0)},
		{"60s x2", at(16, 43, 21), 60, 2, at(16, 41, 0)},
		{"60s x20", at(16, 43, 21), 60, 20, at(16, 23, 0)},
		{"3600s x3", at(10, 20, 41), 3600, 3, at(7, 0, 0)},
		{"10s high resolution x6", at(10, 20, 41), 10, 6, at(10, 19, 40)},
		{"no evaluation periods: one period", at(10, 20, 41), 300, 0, at(10, 15, 0)},
		{"no period: default 5 min", at(10, 20, 41), 0, 2, at(10, 10, 0)},
		// 7 days back is Mon 2026-02-23 10:00, rounded down to the day.
		{"capped at 7 days", at(10, 0, 0), 86400, 100, time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)},
		// Period capped at a week; weeks since the epoch start on Thursdays.
		{"huge values do not overflow", at(10, 0, 0), 1<<31 - 1, 1<<31 - 1, time.Date(2026, 2, 19, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &Alarm{StateChangeTime: tc.end, Trigger: Trigger{Period: tc.period, EvaluationPeriods: tc.evalCount}}
			start, end := a.EvaluationWindow()
			if !end.Equal(tc.end) || !start.Equal(tc.wantStart) {
				t.Errorf("EvaluationWindow = %v .. %v, want %v .. %v", start, end, tc.wantStart, tc.end)
			}
			// Never shorter than the plain Period × EvaluationPeriods (≥ 1 period).
			p := time.Duration(tc.period) * time.Second
			if p <= 0 {
				p = DefaultEvaluationPeriod
			}
			n := time.Duration(max(tc.evalCount, 1))
			if plain := min(p*n, MaxEvaluationWindow); tc.period < 1<<20 && end.Sub(start) < plain {
				t.Errorf("window %v shorter than %v", end.Sub(start), plain)
			}
		})
	}
	if s, e := (&Alarm{}).EvaluationWindow(); !s.IsZero() || !e.IsZero() {
		t.Errorf("zero StateChangeTime: window %v .. %v, want zero", s, e)
	}
}
