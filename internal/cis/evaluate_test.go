package cis

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const (
	trailARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
	lgARN    = "arn:aws:logs:us-east-1:111111111111:log-group:cloudtrail-logs:*"
	topicARN = "arn:aws:sns:us-east-1:111111111111:cis-alarms"
	alarmARN = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:unauthorized_api_calls_alarm"
)

// passing is a snapshot of an account where every step passes; each test case breaks one thing.
func passing() *Snapshot {
	one := 0.0
	return &Snapshot{
		Account: "prod", AccountID: "111111111111",
		Trails: []Trail{{
			Name: "main", ARN: trailARN, HomeRegion: "us-east-1", MultiRegion: true, LogGroupARN: lgARN,
			RoleARN:   "arn:aws:iam::111111111111:role/ct-logs",
			Status:    &TrailStatus{IsLogging: true, LatestDeliveryTime: now.Add(-time.Minute)},
			Selectors: &EventSelectors{Basic: []BasicSelector{{IncludeManagementEvents: true, ReadWriteType: "All"}}},
		}},
		LogGroups: map[string]*LogGroup{lgARN: {
			ARN: lgARN, Account: "111111111111", Region: "us-east-1", Name: "cloudtrail-logs",
			Filters: []MetricFilter{{Name: "unauthorized", Pattern: PatternSecurityHub, MetricName: "unauthorized_api_calls_metric",
				Namespace: "CISBenchmark", MetricValue: "1", DefaultValue: &one}},
		}},
		Alarms: map[string]*AlarmSet{"111111111111/us-east-1": {Account: "111111111111", Region: "us-east-1", Alarms: []Alarm{{
			Name: "unauthorized_api_calls_alarm", ARN: alarmARN, Namespace: "CISBenchmark", MetricName: "unauthorized_api_calls_metric",
			Statistic: "Sum", Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold",
			ActionsEnabled: true, AlarmActions: []string{topicARN},
		}}}},
		Topics: map[string]*Topic{topicARN: {ARN: topicARN, Subscriptions: []Subscription{
			{ARN: topicARN + ":0b9a8f4e-1111-2222-3333-444455556666", Protocol: "email", Endpoint: "secops@example.com"},
		}}},
	}
}

func alarm(s *Snapshot) *Alarm         { return &s.Alarms["111111111111/us-east-1"].Alarms[0] }
func filter(s *Snapshot) *MetricFilter { return &s.LogGroups[lgARN].Filters[0] }

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Snapshot)
		status  Status
		step    Step   // failed step; "" for PASS
		reason  string // fragment of the reason
		warning string // fragment of a warning, if any
	}{
		{"everything passes", func(*Snapshot) {}, StatusPass, "", "confirmed email subscription", ""},
		{"no trail", func(s *Snapshot) { s.Trails = nil }, StatusFail, StepTrail, "no CloudTrail trail", ""},
		{"single-region trail", func(s *Snapshot) { s.Trails[0].MultiRegion = false }, StatusFail, StepTrail, "main (single-region)", ""},
		{"trail without CloudWatch Logs", func(s *Snapshot) { s.Trails[0].LogGroupARN = "" }, StatusFail, StepTrail, "no CloudWatch Logs delivery", ""},
		{"DescribeTrails denied", func(s *Snapshot) {
			s.Trails = nil
			s.TrailsErr = &CallError{API: "cloudtrail:DescribeTrails", Code: "AccessDenied", Message: "not authorized"}
		}, StatusError, StepTrail, "cloudtrail:DescribeTrails", ""},
		{"not logging", func(s *Snapshot) { s.Trails[0].Status.IsLogging = false }, StatusFail, StepLogging, "not logging", ""},
		{"status unreadable", func(s *Snapshot) {
			s.Trails[0].Status = nil
			s.Trails[0].StatusErr = &CallError{API: "cloudtrail:GetTrailStatus", Resource: trailARN, Code: "AccessDenied", Message: "denied"}
		}, StatusError, StepLogging, "GetTrailStatus", ""},
		{"delivery error is a warning", func(s *Snapshot) { s.Trails[0].Status.LatestDeliveryError = "AccessDenied" }, StatusPass, "", "", "delivery failed"},
		{"stale delivery is a warning", func(s *Snapshot) { s.Trails[0].Status.LatestDeliveryTime = now.Add(-72 * time.Hour) }, StatusPass, "", "", "nothing delivered"},
		{"write-only selector", func(s *Snapshot) { s.Trails[0].Selectors.Basic[0].ReadWriteType = "WriteOnly" }, StatusFail, StepManagementEvents, "write management events only", ""},
		{"management events excluded", func(s *Snapshot) { s.Trails[0].Selectors.Basic[0].IncludeManagementEvents = false }, StatusFail, StepManagementEvents, "no management events", ""},
		{"ReadOnly plus WriteOnly selectors add up", func(s *Snapshot) {
			s.Trails[0].Selectors.Basic = []BasicSelector{{IncludeManagementEvents: true, ReadWriteType: "ReadOnly"}, {IncludeManagementEvents: true, ReadWriteType: "WriteOnly"}}
		}, StatusPass, "", "", ""},
		{"no selectors at all", func(s *Snapshot) { s.Trails[0].Selectors = &EventSelectors{} }, StatusFail, StepManagementEvents, "no event selectors", ""},
		{"KMS events excluded is a warning", func(s *Snapshot) { s.Trails[0].Selectors.Basic[0].ExcludeSources = []string{"kms.amazonaws.com"} }, StatusPass, "", "", "kms.amazonaws.com"},
		{"advanced selector, all management events", func(s *Snapshot) {
			s.Trails[0].Selectors = &EventSelectors{Advanced: []AdvancedSelector{{Name: "mgmt", Fields: []FieldCondition{{Field: "eventCategory", Equals: []string{"Management"}}}}}}
		}, StatusPass, "", "", ""},
		{"advanced selector, write only", func(s *Snapshot) {
			s.Trails[0].Selectors = &EventSelectors{Advanced: []AdvancedSelector{{Name: "mgmt", Fields: []FieldCondition{
				{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"false"}}}}}}
		}, StatusFail, StepManagementEvents, "write management events only (advanced", ""},
		{"advanced selectors for data events only", func(s *Snapshot) {
			s.Trails[0].Selectors = &EventSelectors{Advanced: []AdvancedSelector{{Name: "s3", Fields: []FieldCondition{
				{Field: "eventCategory", Equals: []string{"Data"}}, {Field: "resources.type", Equals: []string{"AWS::S3::Object"}}}}}}
		}, StatusFail, StepManagementEvents, "no management events", ""},
		{"selectors unreadable", func(s *Snapshot) {
			s.Trails[0].Selectors = nil
			s.Trails[0].SelectorsErr = &CallError{API: "cloudtrail:GetEventSelectors", Code: "AccessDenied", Message: "denied"}
		}, StatusError, StepManagementEvents, "GetEventSelectors", ""},
		{"no metric filter", func(s *Snapshot) { s.LogGroups[lgARN].Filters = nil }, StatusFail, StepMetricFilter, "has no metric filter", ""},
		{"filter with exact codes", func(s *Snapshot) {
			filter(s).Pattern = `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`
		}, StatusFail, StepMetricFilter, "misses an unauthorized API call", ""},
		{"the all-|| reprint", func(s *Snapshot) {
			filter(s).Pattern = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`
		}, StatusFail, StepMetricFilter, "successful API call", ""},
		{"CIS v3 pattern passes with a Security Hub warning", func(s *Snapshot) { filter(s).Pattern = PatternCISv3 }, StatusPass, "", "", "Security Hub CloudWatch.2 compares the text"},
		{"log group in an account that is not configured", func(s *Snapshot) {
			s.LogGroups[lgARN].Filters = nil
			s.LogGroups[lgARN].Err = &CallError{API: "logs:DescribeMetricFilters", Resource: lgARN, Message: "the log group is in account 999999999999, which is not configured", Unreachable: true}
		}, StatusError, StepMetricFilter, "not configured", ""},
		{"no alarm", func(s *Snapshot) { s.Alarms["111111111111/us-east-1"].Alarms = nil }, StatusFail, StepAlarm, "no alarm in us-east-1 watches CISBenchmark/unauthorized_api_calls_metric", ""},
		{"alarm in the wrong namespace", func(s *Snapshot) { alarm(s).Namespace = "LogMetrics" }, StatusFail, StepAlarm, "the namespace does not", ""},
		{"alarm on another metric", func(s *Snapshot) { alarm(s).MetricName = "other" }, StatusFail, StepAlarm, "no alarm in us-east-1", ""},
		{"alarm actions disabled", func(s *Snapshot) { alarm(s).ActionsEnabled = false }, StatusFail, StepAlarm, "actions disabled", ""},
		{"alarm needs 2 of 3 datapoints", func(s *Snapshot) { alarm(s).EvaluationPeriods = 3; alarm(s).DatapointsToAlarm = 2 }, StatusFail, StepAlarm, "needs 2 breaching datapoints out of 3", ""},
		{"alarm needs 3 periods", func(s *Snapshot) { alarm(s).EvaluationPeriods = 3 }, StatusFail, StepAlarm, "needs 3 breaching datapoints", ""},
		{"1 of 3 datapoints fires", func(s *Snapshot) { alarm(s).EvaluationPeriods = 3; alarm(s).DatapointsToAlarm = 1 }, StatusPass, "", "", ""},
		{"threshold 5", func(s *Snapshot) { alarm(s).Threshold = 5 }, StatusFail, StepAlarm, "needs more than one event", ""},
		{"greater than 1", func(s *Snapshot) { alarm(s).ComparisonOperator = "GreaterThanThreshold" }, StatusFail, StepAlarm, "needs more than one event", ""},
		{"greater than 0", func(s *Snapshot) { alarm(s).ComparisonOperator = "GreaterThanThreshold"; alarm(s).Threshold = 0 }, StatusPass, "", "", ""},
		{"less than", func(s *Snapshot) { alarm(s).ComparisonOperator = "LessThanThreshold" }, StatusFail, StepAlarm, "not when events occur", ""},
		{"average with a default value", func(s *Snapshot) { alarm(s).Statistic = "Average" }, StatusFail, StepAlarm, "averaged away", ""},
		{"average without a default value", func(s *Snapshot) { alarm(s).Statistic = "Average"; filter(s).DefaultValue = nil }, StatusPass, "", "", ""},
		{"SampleCount", func(s *Snapshot) { alarm(s).Statistic = "SampleCount" }, StatusPass, "", "", ""},
		{"percentile", func(s *Snapshot) { alarm(s).Statistic = ""; alarm(s).ExtendedStatistic = "p90" }, StatusFail, StepAlarm, "p90", ""},
		{"unit mismatch", func(s *Snapshot) { alarm(s).Unit = "Count" }, StatusFail, StepAlarm, "unit Count", ""},
		{"filter with dimensions", func(s *Snapshot) { filter(s).Dimensions = map[string]string{"user": "$.userIdentity.arn"} }, StatusFail, StepAlarm, "publishes dimensions", ""},
		{"metric value from the event", func(s *Snapshot) { filter(s).MetricValue = "$.count" }, StatusFail, StepAlarm, "comes from the event", ""},
		{"alarms unreadable", func(s *Snapshot) {
			s.Alarms["111111111111/us-east-1"].Err = &CallError{API: "cloudwatch:DescribeAlarms", Code: "ThrottlingException", Message: "Rate exceeded"}
		}, StatusError, StepAlarm, "Rate exceeded", ""},
		{"no actions", func(s *Snapshot) { alarm(s).AlarmActions = nil }, StatusFail, StepAlarmAction, "has no actions", ""},
		{"only an EC2 action", func(s *Snapshot) { alarm(s).AlarmActions = []string{"arn:aws:automate:us-east-1:ec2:stop"} }, StatusFail, StepAlarmAction, "no SNS topic", ""},
		{"pending subscription only", func(s *Snapshot) {
			s.Topics[topicARN].Subscriptions = []Subscription{{ARN: "PendingConfirmation", Protocol: "email", Endpoint: "x@example.com"}}
		}, StatusFail, StepSubscriber, "pending confirmation", ""},
		{"no subscription", func(s *Snapshot) { s.Topics[topicARN].Subscriptions = nil }, StatusFail, StepSubscriber, "no confirmed subscription", ""},
		{"https endpoint is redacted", func(s *Snapshot) {
			s.Topics[topicARN].Subscriptions = []Subscription{{ARN: topicARN + ":abc", Protocol: "https", Endpoint: "https://hooks.example.com/sns?token=SECRET"}}
		}, StatusPass, "", "https://hooks.example.com/…", ""},
		{"topic unreadable", func(s *Snapshot) {
			s.Topics[topicARN].Err = &CallError{API: "sns:ListSubscriptionsByTopic", Resource: topicARN, Code: "AuthorizationError", Message: "not authorized"}
		}, StatusError, StepSubscriber, "ListSubscriptionsByTopic", ""},
		{"a second alarm passes where the first fails", func(s *Snapshot) {
			bad := *alarm(s)
			bad.Name, bad.ActionsEnabled = "disabled", false
			set := s.Alarms["111111111111/us-east-1"]
			set.Alarms = append([]Alarm{bad}, set.Alarms...)
		}, StatusPass, "", "", ""},
		{"best chain of two trails is reported", func(s *Snapshot) {
			broken := s.Trails[0]
			broken.Name, broken.ARN = "a-broken", "arn:aws:cloudtrail:us-east-1:111111111111:trail/a-broken"
			broken.Status = &TrailStatus{IsLogging: false}
			s.Topics[topicARN].Subscriptions = nil
			s.Trails = append(s.Trails, broken)
		}, StatusFail, StepSubscriber, "no confirmed subscription", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := passing()
			tc.mutate(s)
			ctl, _ := Lookup("4.1")
			r := Evaluate(ctl, s, now)
			if r.Status != tc.status {
				t.Fatalf("status %s, want %s: %s", r.Status, tc.status, r.Reason)
			}
			switch {
			case tc.step == "" && r.FailedStep != nil:
				t.Errorf("failed_step %s on a pass", *r.FailedStep)
			case tc.step != "" && (r.FailedStep == nil || *r.FailedStep != tc.step):
				t.Errorf("failed_step %v, want %s (%s)", r.FailedStep, tc.step, r.Reason)
			}
			if !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", r.Reason, tc.reason)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(r.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q lack %q", r.Warnings, tc.warning)
			}
			if r.Status != StatusPass && r.Fix == "" {
				t.Error("a failing result has no fix")
			}
			if strings.Contains(r.Reason+strings.Join(r.Warnings, ""), "SECRET") {
				t.Error("a secret from an endpoint URL leaked into the result")
			}
			last := r.Checks[len(r.Checks)-1]
			if r.Status == StatusPass && len(r.Checks) != len(Steps) {
				t.Errorf("a pass with %d checks", len(r.Checks))
			}
			if r.Status != StatusPass && (last.Step != *r.FailedStep || last.Status != r.Status) {
				t.Errorf("last check %+v does not match the verdict", last)
			}
		})
	}
}

func TestParseLogGroupARN(t *testing.T) {
	tests := []struct{ arn, account, region, name string }{
		{"arn:aws:logs:us-east-1:111111111111:log-group:cloudtrail-logs:*", "111111111111", "us-east-1", "cloudtrail-logs"},
		{"arn:aws-us-gov:logs:us-gov-west-1:222222222222:log-group:/aws/cloudtrail/org", "222222222222", "us-gov-west-1", "/aws/cloudtrail/org"},
		{"arn:aws:sns:us-east-1:1:topic", "", "", ""},
		{"", "", "", ""},
	}
	for _, tc := range tests {
		a, r, n, err := ParseLogGroupARN(tc.arn)
		if (err != nil) != (tc.name == "") || a != tc.account || r != tc.region || n != tc.name {
			t.Errorf("ParseLogGroupARN(%q) = %q, %q, %q, %v", tc.arn, a, r, n, err)
		}
	}
}

// A log group holding the filters of several controls: a control's verdict counts the other
// controls' filters instead of judging them, and a Security Hub warning names the control's own
// Security Hub check, or is left out when Security Hub has none.
func TestEvaluateFiltersOfOtherControls(t *testing.T) {
	withFilter := func(id, pattern string) func(*Snapshot) {
		return func(s *Snapshot) {
			lg := s.LogGroups[lgARN]
			lg.Filters = append(lg.Filters, MetricFilter{Name: id, Pattern: pattern, MetricName: id, Namespace: "CISBenchmark"})
		}
	}
	pattern := func(id string) string {
		ctl, err := Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		return ctl.Patterns[ctl.DefaultPattern]
	}
	tests := []struct {
		control string
		mutate  func(*Snapshot)
		reason  string
		warning string // "" for none
	}{
		{"4.3", func(*Snapshot) {}, "no metric filter on cloudtrail-logs satisfies control 4.3: its 1 filter(s) serve other controls (4.1)", ""},
		{"4.3", withFilter("other", `{ $.eventName = "Foo" }`), "control 4.3: other: the pattern misses", ""},
		{"4.3", withFilter("other", `{ $.eventName = "Foo" }`), "; 1 more serve other controls (4.1)", ""},
		{"4.3", withFilter("4.4", pattern("4.4")), "its 2 filter(s) serve other controls (4.1, 4.4)", ""},
		{"4.1", withFilter("4.4", pattern("4.4")), "confirmed email subscription", ""},
		{"4.2", withFilter("4.2", pattern("4.2")), "no alarm", "but Security Hub CloudWatch.3 compares the text"},
		{"4.15", withFilter("4.15", pattern("4.15")), "no alarm", ""},
	}
	for _, tc := range tests {
		t.Run(tc.control+" "+tc.reason, func(t *testing.T) {
			ctl, err := Lookup(tc.control)
			if err != nil {
				t.Fatal(err)
			}
			s := passing()
			tc.mutate(s)
			r := Evaluate(ctl, s, now)
			if !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", r.Reason, tc.reason)
			}
			warnings := strings.Join(r.Warnings, "\n")
			if tc.warning == "" && strings.Contains(warnings, "Security Hub") || !strings.Contains(warnings, tc.warning) {
				t.Errorf("warnings %q, want %q", warnings, tc.warning)
			}
		})
	}
}

// TestEvaluateAtBenchmark: the configured benchmark judges the filter, and a failing filter's
// reason says which other judges pass it (where text tools and older versions disagree).
func TestEvaluateAtBenchmark(t *testing.T) {
	sg, err := Lookup("4.10")
	if err != nil {
		t.Fatal(err)
	}
	org, err := Lookup("4.15")
	if err != nil {
		t.Fatal(err)
	}
	outdated := func(s *Snapshot) {
		f := filter(s)
		f.Pattern = sg.Patterns["securityhub"] // lacks ModifySecurityGroupRules, required from v5.0
	}
	tests := []struct {
		name      string
		ctl       *Control
		benchmark string
		mutate    func(*Snapshot)
		status    Status
		reason    []string
		warning   string
	}{
		{"newest CIS fails the outdated text", sg, "", outdated, StatusFail,
			[]string{"misses ModifySecurityGroupRules", "it satisfies CIS v1.2.0, CIS v1.3.0–v4.0.1, Security Hub", "Security Hub CloudWatch.10 accepts the exact text"}, ""},
		{"CIS v3.0.0 passes it", sg, "v3.0.0", outdated, StatusPass, nil, ""},
		{"Security Hub passes it", sg, "securityhub", outdated, StatusPass, nil, ""},
		{"CIS v5.0.0 fails it", sg, "v5.0.0", outdated, StatusFail, []string{"misses ModifySecurityGroupRules"}, ""},
		{"a control the benchmark lacks is judged as the newest", org, "v1.2.0", func(*Snapshot) {}, StatusFail, nil, "control 4.15 is not in CIS v1.2.0, so it is judged as CIS v7.0.0 requires it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := passing()
			tc.mutate(s)
			r := EvaluateAt(tc.ctl, s, now, tc.benchmark)
			if r.Status != tc.status {
				t.Fatalf("status %s, want %s (%s)", r.Status, tc.status, r.Reason)
			}
			for _, want := range tc.reason {
				if !strings.Contains(r.Reason, want) {
					t.Errorf("reason %q lacks %q", r.Reason, want)
				}
			}
			if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, tc.warning) {
				t.Errorf("warnings %q lack %q", w, tc.warning)
			}
		})
	}
}
