package cis

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const (
	alarmSetKey = "111111111111/us-east-1"
	exactCodes  = `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`
	hookURL     = "https://cisbot.example.com/sns/alerts?token=SECRET"
)

const queueARN = "arn:aws:sqs:us-east-1:111111111111:cis-alarms"

var planOpts = PlanOptions{Subscribe: []string{"secops@example.com", hookURL}, RequestID: "req-42"}

// noAlarms removes every alarm, and so the topics the audit found through them.
func noAlarms(s *Snapshot) {
	s.Alarms[alarmSetKey].Alarms = nil
	s.Topics = map[string]*Topic{}
}

// TestPlanShapes plans every shape of failing account and checks the steps and manual steps;
// where nothing is left to people, it then plays the plan on the snapshot and checks that the
// audit passes and that planning again finds nothing to do.
func TestPlanShapes(t *testing.T) {
	type step struct{ kind, resource string } // resource "" is not checked
	defaultFilter := "unauthorized_api_calls_metric"
	newAlarmARN := "arn:aws:cloudwatch:us-east-1:111111111111:alarm:unauthorized_api_calls_alarm"
	tests := []struct {
		name   string
		mutate func(*Snapshot)
		opts   *PlanOptions
		steps  []step
		manual []string // one fragment per expected manual entry
		check  func(t *testing.T, p Plan)
	}{
		{name: "trail not logging", mutate: func(s *Snapshot) { s.Trails[0].Status.IsLogging = false },
			steps: []step{{KindStartLogging, trailARN}}},
		{name: "no metric filter: the orphaned alarm on the default metric is reused, its unread topic subscribed",
			// With no filter on the metric, the audit does not read the alarm's topic.
			mutate: func(s *Snapshot) { s.LogGroups[lgARN].Filters = nil; s.Topics = map[string]*Topic{} },
			steps:  []step{{KindPutMetricFilter, defaultFilter}, {KindSubscribe, topicARN}, {KindSubscribe, topicARN}},
			check: func(t *testing.T, p Plan) {
				want := PutMetricFilter{StepInfo: p.Steps[0].Info(), LogGroupName: "cloudtrail-logs", FilterName: defaultFilter, Pattern: PatternSecurityHub,
					MetricName: "unauthorized_api_calls_metric", Namespace: "CISBenchmark", MetricValue: "1", DefaultValue: 0}
				if !reflect.DeepEqual(p.Steps[0], want) {
					t.Errorf("step %+v, want %+v", p.Steps[0], want)
				}
			}},
		{name: "no alarm", mutate: noAlarms,
			steps: []step{{KindCreateTopic, topicARN}, {KindSubscribe, topicARN}, {KindSubscribe, topicARN}, {KindPutMetricAlarm, newAlarmARN}},
			check: func(t *testing.T, p Plan) {
				a := p.Steps[3]
				tags := Tags{TagManagedBy: ManagedBy, TagRequest: "req-42"}
				want := PutMetricAlarm{StepInfo: a.Info(), AlarmName: "unauthorized_api_calls_alarm", Namespace: "CISBenchmark", MetricName: "unauthorized_api_calls_metric",
					Statistic: "Sum", Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
					ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching", TopicARN: topicARN, Tags: tags}
				if !reflect.DeepEqual(a, want) {
					t.Errorf("alarm step %+v,\nwant %+v", a, want)
				}
				if c := p.Steps[0].(CreateTopic); !reflect.DeepEqual(c.Tags, tags) || c.TopicName != "cis-alarms" {
					t.Errorf("topic step %+v", c)
				}
				if e := p.Steps[1].(Subscribe); e.Protocol != "email" || e.Endpoint != "secops@example.com" {
					t.Errorf("first subscription %+v", e)
				}
				if e := p.Steps[2].(Subscribe); e.Protocol != "https" || e.Endpoint != hookURL {
					t.Errorf("second subscription %+v", e)
				}
			}},
		{name: "alarm without actions: a new alarm, not a changed one",
			mutate: func(s *Snapshot) { alarm(s).AlarmActions = nil; s.Topics = map[string]*Topic{} },
			steps: []step{{KindCreateTopic, topicARN}, {KindSubscribe, ""}, {KindSubscribe, ""},
				{KindPutMetricAlarm, newAlarmARN + NameSuffix}}},
		{name: "topic without subscriber: only subscribe",
			mutate: func(s *Snapshot) { s.Topics[topicARN].Subscriptions = nil },
			steps:  []step{{KindSubscribe, topicARN}, {KindSubscribe, topicARN}}},
		{name: "an endpoint already subscribed is not subscribed again",
			mutate: func(s *Snapshot) {
				s.Topics[topicARN].Subscriptions = []Subscription{{ARN: "PendingConfirmation", Protocol: "email", Endpoint: "SecOps@example.com"}}
			},
			steps: []step{{KindSubscribe, topicARN}},
			check: func(t *testing.T, p Plan) {
				if e := p.Steps[0].(Subscribe); e.Protocol != "https" {
					t.Errorf("subscribes %+v", e)
				}
			}},
		{name: "the only endpoint is pending: a person confirms it",
			mutate: func(s *Snapshot) {
				s.Topics[topicARN].Subscriptions = []Subscription{{ARN: "PendingConfirmation", Protocol: "email", Endpoint: "secops@example.com"}}
			},
			opts:   &PlanOptions{Subscribe: []string{"secops@example.com"}},
			manual: []string{"Confirm the subscription of secops@example.com"}},
		{name: "no endpoint configured and no subscriber",
			mutate: func(s *Snapshot) { s.Topics[topicARN].Subscriptions = nil },
			opts:   &PlanOptions{},
			manual: []string{"no endpoint is configured (remediation.subscribe)"}},
		{name: "a new topic with no endpoint configured",
			mutate: noAlarms, opts: &PlanOptions{},
			steps:  []step{{KindCreateTopic, topicARN}, {KindPutMetricAlarm, newAlarmARN}},
			manual: []string{"aws sns subscribe --region us-east-1 --topic-arn " + topicARN}},
		{name: "all missing",
			mutate: func(s *Snapshot) {
				s.Trails[0].Status.IsLogging = false
				s.LogGroups[lgARN].Filters = nil
				noAlarms(s)
			},
			steps: []step{{KindStartLogging, trailARN}, {KindPutMetricFilter, defaultFilter}, {KindCreateTopic, topicARN},
				{KindSubscribe, topicARN}, {KindSubscribe, topicARN}, {KindPutMetricAlarm, newAlarmARN}}},
		{name: "equivalent filter present: no new filter, the alarm watches its metric",
			mutate: func(s *Snapshot) {
				f := filter(s)
				f.Name, f.Pattern, f.Namespace, f.MetricName = "AuthorizationFailures", PatternCISv3, "CloudTrailMetrics", "AuthorizationFailureCount"
				noAlarms(s)
			},
			steps: []step{{KindCreateTopic, topicARN}, {KindSubscribe, ""}, {KindSubscribe, ""}, {KindPutMetricAlarm, newAlarmARN}},
			check: func(t *testing.T, p Plan) {
				if a := p.Steps[3].(PutMetricAlarm); a.Namespace != "CloudTrailMetrics" || a.MetricName != "AuthorizationFailureCount" {
					t.Errorf("alarm on %s/%s, want the existing filter's metric", a.Namespace, a.MetricName)
				}
			}},
		{name: "equivalent filter and firing alarm, topic without subscriber",
			mutate: func(s *Snapshot) { filter(s).Pattern = PatternCISv3; s.Topics[topicARN].Subscriptions = nil },
			steps:  []step{{KindSubscribe, topicARN}, {KindSubscribe, topicARN}}},
		{name: "write-only selectors: manual, the rest is planned",
			mutate: func(s *Snapshot) {
				s.Trails[0].Selectors.Basic[0].ReadWriteType = "WriteOnly"
				s.Topics[topicARN].Subscriptions = nil
			},
			steps:  []step{{KindSubscribe, topicARN}, {KindSubscribe, topicARN}},
			manual: []string{`put-event-selectors --region us-east-1 --trail-name ` + trailARN + ` --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`}},
		{name: "advanced selectors for data events: the advanced form of the command",
			mutate: func(s *Snapshot) {
				s.Trails[0].Selectors = &EventSelectors{Advanced: []AdvancedSelector{{Name: "s3", Fields: []FieldCondition{{Field: "eventCategory", Equals: []string{"Data"}}}}}}
			},
			manual: []string{`--advanced-event-selectors '[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]'`}},
		{name: "single-region trail: manual only",
			mutate: func(s *Snapshot) { s.Trails[0].MultiRegion = false },
			manual: []string{"aws cloudtrail update-trail --region us-east-1 --name " + trailARN + " --is-multi-region-trail. Then run the fix again"}},
		{name: "trail without CloudWatch Logs: manual only",
			mutate: func(s *Snapshot) { s.Trails[0].LogGroupARN = "" },
			manual: []string{"aws logs create-log-group --region us-east-1 --log-group-name aws-cloudtrail-logs-111111111111; aws cloudtrail update-trail --region us-east-1 --name " + trailARN + " --cloud-watch-logs-log-group-arn arn:aws:logs:us-east-1:111111111111:log-group:aws-cloudtrail-logs-111111111111:*"}},
		{name: "no trail: manual only",
			mutate: func(s *Snapshot) { s.Trails = nil },
			manual: []string{"aws cloudtrail create-trail --region <region> --name cis-trail"}},
		{name: "name clash with a non-compliant filter",
			mutate: func(s *Snapshot) {
				f := filter(s)
				f.Name, f.Pattern = defaultFilter, exactCodes
			},
			steps: []step{{KindPutMetricFilter, defaultFilter + NameSuffix}, {KindMergeTopicPolicy, topicARN}, {KindPutMetricAlarm, newAlarmARN + NameSuffix}},
			check: func(t *testing.T, p Plan) {
				if m := p.Steps[0].(PutMetricFilter).MetricName; m != "unauthorized_api_calls_metric"+NameSuffix {
					t.Errorf("new filter publishes %s: it must not share the non-compliant filter's metric", m)
				}
				m := p.Steps[1].(MergeTopicPolicy)
				if m.TopicARN != topicARN || m.Publish != (AlarmPublish{Sid: PolicySid, SourceAccount: "111111111111", SourceARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"}) {
					t.Errorf("merge step %+v", m)
				}
			}},
		{name: "name clash with a non-compliant alarm",
			mutate: func(s *Snapshot) { alarm(s).Threshold = 5 },
			steps:  []step{{KindMergeTopicPolicy, topicARN}, {KindPutMetricAlarm, newAlarmARN + NameSuffix}}},
		{name: "both the default name and the -cisbot name are taken",
			mutate: func(s *Snapshot) {
				alarm(s).Threshold = 5
				second := *alarm(s)
				second.Name = "unauthorized_api_calls_alarm" + NameSuffix
				s.Alarms[alarmSetKey].Alarms = append(s.Alarms[alarmSetKey].Alarms, second)
			},
			steps: []step{{KindMergeTopicPolicy, topicARN}, {KindPutMetricAlarm, newAlarmARN + NameSuffix + "-2"}}},
		{name: "a filter with dimensions cannot be alarmed on: a new filter on a new metric",
			mutate: func(s *Snapshot) { filter(s).Dimensions = map[string]string{"user": "$.userIdentity.arn"} },
			steps:  []step{{KindPutMetricFilter, defaultFilter}, {KindMergeTopicPolicy, topicARN}, {KindPutMetricAlarm, newAlarmARN + NameSuffix}},
			check: func(t *testing.T, p Plan) {
				if m := p.Steps[0].(PutMetricFilter).MetricName; m != "unauthorized_api_calls_metric"+NameSuffix {
					t.Errorf("new filter publishes %s, which the dimensioned filter publishes too", m)
				}
			}},
		{name: "cis-v3 pattern and a custom topic name",
			mutate: func(s *Snapshot) { s.LogGroups[lgARN].Filters = nil; noAlarms(s) },
			opts:   &PlanOptions{Pattern: "cis-v3", TopicName: "security-alarms", Subscribe: []string{"secops@example.com"}},
			steps: []step{{KindPutMetricFilter, defaultFilter}, {KindCreateTopic, "arn:aws:sns:us-east-1:111111111111:security-alarms"},
				{KindSubscribe, "arn:aws:sns:us-east-1:111111111111:security-alarms"}, {KindPutMetricAlarm, newAlarmARN}},
			check: func(t *testing.T, p Plan) {
				if f := p.Steps[0].(PutMetricFilter); f.Pattern != PatternCISv3 {
					t.Errorf("pattern %q", f.Pattern)
				}
				if _, ok := p.Steps[1].(CreateTopic).Tags[TagRequest]; ok {
					t.Error("a request tag without a request id")
				}
			}},
		{name: "an endpoint that is neither https nor e-mail is reported, the others subscribed",
			mutate: func(s *Snapshot) { s.Topics[topicARN].Subscriptions = nil },
			opts:   &PlanOptions{Subscribe: []string{"http://cisbot.example.com/sns?token=SECRET", "not an address", "secops@example.com", "secops@example.com"}},
			steps:  []step{{KindSubscribe, topicARN}},
			manual: []string{"http://cisbot.example.com/… is not subscribed", `"not an address" is neither`}},
		{name: "a queue endpoint: its policy lets the topic send, then it is subscribed",
			mutate: func(s *Snapshot) { s.Topics[topicARN].Subscriptions = nil },
			opts:   &PlanOptions{Subscribe: []string{"sqs:" + queueARN}},
			steps:  []step{{KindMergeQueuePolicy, queueARN}, {KindSubscribe, topicARN}},
			check: func(t *testing.T, p Plan) {
				q := p.Steps[0].(MergeQueuePolicy)
				want := MergeQueuePolicy{StepInfo: q.StepInfo, QueueARN: queueARN, QueueURL: "https://sqs.us-east-1.amazonaws.com/111111111111/cis-alarms",
					Send: TopicSend{Sid: "cisbot-topic-send-cis-alarms-98881f42", TopicARN: topicARN}}
				if !reflect.DeepEqual(q, want) || q.Control != "" {
					t.Errorf("queue policy step %+v, want %+v (shared by the controls)", q, want)
				}
				if e := p.Steps[1].(Subscribe); e.Protocol != "sqs" || e.Endpoint != queueARN {
					t.Errorf("subscription %+v", e)
				}
			}},
		{name: "a queue already subscribed: nothing to do",
			mutate: func(s *Snapshot) {
				s.Topics[topicARN].Subscriptions = []Subscription{{ARN: "PendingConfirmation", Protocol: "sqs", Endpoint: queueARN}}
			},
			opts:   &PlanOptions{Subscribe: []string{"sqs:" + queueARN}},
			manual: []string{"Confirm the subscription of " + queueARN}},
		{name: "a queue of another account: subscribed, its policy left to that account",
			mutate: func(s *Snapshot) { s.Topics[topicARN].Subscriptions = nil },
			opts:   &PlanOptions{Subscribe: []string{"sqs:arn:aws:sqs:us-east-1:999999999999:central"}},
			steps:  []step{{KindSubscribe, topicARN}},
			manual: []string{"Queue arn:aws:sqs:us-east-1:999999999999:central is in another account than topic " + topicARN + ": in the queue's account, let the topic send to it (aws sqs set-queue-attributes --queue-url https://sqs.us-east-1.amazonaws.com/999999999999/central"}},
		{name: "sqs: with something else than a queue ARN is reported",
			mutate: func(s *Snapshot) { s.Topics[topicARN].Subscriptions = nil },
			opts:   &PlanOptions{Subscribe: []string{"sqs:" + topicARN, "secops@example.com"}},
			steps:  []step{{KindSubscribe, topicARN}},
			manual: []string{`is not sqs: and a queue ARN`}},
		{name: "unknown pattern: nothing planned",
			mutate: func(s *Snapshot) { s.LogGroups[lgARN].Filters = nil },
			opts:   &PlanOptions{Pattern: "cis-v9"},
			manual: []string{`remediation.pattern "cis-v9" is not one of cis-v3, securityhub`}},
		{name: "log group in another account: manual only",
			mutate: func(s *Snapshot) {
				other := "arn:aws:logs:us-east-1:999999999999:log-group:org-trail:*"
				s.Trails[0].LogGroupARN = other
				lg := *s.LogGroups[lgARN]
				lg.ARN, lg.Account, lg.Filters = other, "999999999999", nil
				s.LogGroups = map[string]*LogGroup{other: &lg}
				s.Alarms = map[string]*AlarmSet{"999999999999/us-east-1": {Account: "999999999999", Region: "us-east-1"}}
				s.Topics = map[string]*Topic{}
			},
			manual: []string{"in account 999999999999, so the metric filter, alarm and topic belong in that account"}},
		{name: "the orphaned alarm notifies a topic in another region: a new alarm and topic",
			mutate: func(s *Snapshot) {
				s.LogGroups[lgARN].Filters = nil
				s.Topics = map[string]*Topic{}
				alarm(s).AlarmActions = []string{"arn:aws:sns:eu-west-1:111111111111:cis-alarms"}
			},
			steps: []step{{KindPutMetricFilter, defaultFilter}, {KindCreateTopic, topicARN}, {KindSubscribe, topicARN}, {KindSubscribe, topicARN},
				{KindPutMetricAlarm, newAlarmARN + NameSuffix}}},
		{name: "an organization trail of another account, not logging: manual only",
			mutate: func(s *Snapshot) {
				org := "arn:aws:logs:us-east-1:999999999999:log-group:org-trail:*"
				s.Trails[0].ARN, s.Trails[0].Organization = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org", true
				s.Trails[0].Status.IsLogging = false
				s.Trails[0].LogGroupARN = org
				s.LogGroups = map[string]*LogGroup{org: {ARN: org, Account: "999999999999", Region: "us-east-1", Name: "org-trail"}}
			},
			manual: []string{"belongs to account 999999999999 (an organization trail): start logging there: aws cloudtrail start-logging --region us-east-1 --name arn:aws:cloudtrail:us-east-1:999999999999:trail/org",
				"in account 999999999999"}},
		{name: "the trail that needs less work is chosen",
			mutate: func(s *Snapshot) {
				// a-broken sorts first and needs everything; main only needs a subscriber.
				broken := s.Trails[0]
				broken.Name, broken.ARN = "a-broken", "arn:aws:cloudtrail:us-east-1:111111111111:trail/a-broken"
				broken.LogGroupARN = "arn:aws:logs:us-east-1:111111111111:log-group:empty:*"
				broken.Status = &TrailStatus{IsLogging: false}
				s.LogGroups[broken.LogGroupARN] = &LogGroup{ARN: broken.LogGroupARN, Account: "111111111111", Region: "us-east-1", Name: "empty"}
				s.Trails = append([]Trail{broken}, s.Trails...)
				s.Topics[topicARN].Subscriptions = nil
			},
			steps: []step{{KindSubscribe, topicARN}, {KindSubscribe, topicARN}}},
	}
	ctl, _ := Lookup("4.1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := passing()
			tc.mutate(s)
			res := Evaluate(ctl, s, now)
			if res.Status != StatusFail {
				t.Fatalf("the mutated snapshot is %s, not FAIL: %s", res.Status, res.Reason)
			}
			opts := planOpts
			if tc.opts != nil {
				opts = *tc.opts
			}
			p := NewPlan(ctl, s, res, opts)
			if p.Passes || p.Account != "prod" || p.AccountID != "111111111111" || p.Hash != PlanHash(p.Steps) {
				t.Errorf("plan header %+v", p)
			}
			var got []step
			for _, st := range p.Steps {
				info := st.Info()
				got = append(got, step{st.Kind(), info.Resource})
				if info.Detail == "" || info.Region == "" || info.Resource == "" {
					t.Errorf("step without detail, region or resource: %+v", st)
				}
				if strings.Contains(info.Detail, "SECRET") {
					t.Errorf("a secret from an endpoint URL in a step's detail: %s", info.Detail)
				}
			}
			if len(got) != len(tc.steps) {
				t.Fatalf("steps %v, want %v\nmanual: %q", got, tc.steps, p.Manual)
			}
			for i, w := range tc.steps {
				if got[i].kind != w.kind || w.resource != "" && got[i].resource != w.resource {
					t.Errorf("step %d is %v, want %v", i, got[i], w)
				}
			}
			if len(p.Manual) != len(tc.manual) {
				t.Fatalf("manual %q, want %d entries like %q", p.Manual, len(tc.manual), tc.manual)
			}
			for i, w := range tc.manual {
				if !strings.Contains(p.Manual[i], w) {
					t.Errorf("manual[%d] = %q\nlacks %q", i, p.Manual[i], w)
				}
				if strings.Contains(p.Manual[i], "SECRET") {
					t.Errorf("a secret in a manual step: %s", p.Manual[i])
				}
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			if len(p.Manual) > 0 {
				return
			}
			play(t, s, p)
			after := Evaluate(ctl, s, now)
			if after.Status != StatusPass {
				t.Fatalf("after the plan the audit is %s: %s", after.Status, after.Reason)
			}
			if again := NewPlan(ctl, s, after, opts); !again.Passes || len(again.Steps) != 0 {
				t.Errorf("planning again after the plan: %+v", again)
			}
		})
	}
}

// play applies a plan to a snapshot the way AWS would (subscriptions confirmed at once).
func play(t *testing.T, s *Snapshot, p Plan) {
	t.Helper()
	for _, st := range p.Steps {
		switch st := st.(type) {
		case StartLogging:
			for i := range s.Trails {
				if s.Trails[i].ARN == st.TrailARN {
					s.Trails[i].Status.IsLogging = true
				}
			}
		case PutMetricFilter:
			for _, lg := range s.LogGroups {
				if lg.Name == st.LogGroupName {
					d := st.DefaultValue
					lg.Filters = append(lg.Filters, MetricFilter{Name: st.FilterName, Pattern: st.Pattern, MetricName: st.MetricName,
						Namespace: st.Namespace, MetricValue: st.MetricValue, DefaultValue: &d})
				}
			}
		case CreateTopic:
			s.Topics[st.TopicARN] = &Topic{ARN: st.TopicARN}
		case MergeQueuePolicy: // the snapshot holds no queue policy
		case Subscribe:
			tp := s.Topics[st.TopicARN]
			if tp == nil { // a topic the audit did not read
				tp = &Topic{ARN: st.TopicARN}
				s.Topics[tp.ARN] = tp
			}
			tp.Subscriptions = append(tp.Subscriptions, Subscription{ARN: st.TopicARN + ":sub", Protocol: st.Protocol, Endpoint: st.Endpoint})
		case PutMetricAlarm:
			set := s.Alarms[alarmSetKey]
			set.Alarms = append(set.Alarms, Alarm{Name: st.AlarmName, ARN: st.Resource, Namespace: st.Namespace, MetricName: st.MetricName,
				Statistic: st.Statistic, Period: st.Period, EvaluationPeriods: st.EvaluationPeriods,
				DatapointsToAlarm: st.DatapointsToAlarm, Threshold: st.Threshold, ComparisonOperator: st.ComparisonOperator,
				TreatMissingData: st.TreatMissingData, ActionsEnabled: true, AlarmActions: []string{st.TopicARN}})
		}
	}
}

func TestPlanPassingAndError(t *testing.T) {
	ctl, _ := Lookup("4.1")
	s := passing()
	p := NewPlan(ctl, s, Evaluate(ctl, s, now), planOpts)
	if !p.Passes || len(p.Steps) != 0 || len(p.Manual) != 0 {
		t.Errorf("a passing account: %+v", p)
	}
	b, _ := json.Marshal(p)
	if !strings.Contains(string(b), `"steps":[]`) || !strings.Contains(string(b), `"manual":[]`) {
		t.Errorf("empty lists must be [] in JSON: %s", b)
	}

	s.Alarms[alarmSetKey].Err = &CallError{API: "cloudwatch:DescribeAlarms", Code: "AccessDenied", Message: "AccessDenied: not allowed"}
	res := Evaluate(ctl, s, now)
	p = NewPlan(ctl, s, res, planOpts)
	if p.Passes || len(p.Steps) != 0 || len(p.Manual) != 1 || !strings.Contains(p.Manual[0], "could not decide") || !strings.Contains(p.Manual[0], "Allow cloudwatch:DescribeAlarms") {
		t.Errorf("an audit ERROR: %+v", p)
	}
}

func TestPlanHash(t *testing.T) {
	ctl, _ := Lookup("4.1")
	plan := func(opts PlanOptions, mutate func(*Snapshot)) Plan {
		s := passing()
		noAlarms(s)
		if mutate != nil {
			mutate(s)
		}
		return NewPlan(ctl, s, Evaluate(ctl, s, now), opts)
	}
	a, b := plan(planOpts, nil), plan(planOpts, nil)
	if a.Hash != b.Hash || len(a.Hash) != 64 {
		t.Fatalf("hash not stable: %s, %s", a.Hash, b.Hash)
	}
	reworded := b.Steps[0].(CreateTopic)
	reworded.Detail = "reworded"
	b.Steps[0] = reworded
	if PlanHash(b.Steps) != a.Hash {
		t.Error("the hash depends on the sentences for people")
	}
	other := planOpts
	other.RequestID = "req-43"
	if plan(other, nil).Hash == a.Hash {
		t.Error("the hash ignores the tags")
	}
	if plan(planOpts, func(s *Snapshot) { s.Trails[0].Status.IsLogging = false }).Hash == a.Hash {
		t.Error("the hash ignores an added step")
	}
	// The hash survives the store: a plan read back from JSON has the same hash.
	js, _ := json.Marshal(a)
	var back Plan
	if err := json.Unmarshal(js, &back); err != nil || PlanHash(back.Steps) != a.Hash {
		t.Errorf("hash after a JSON round trip: %v %s", err, PlanHash(back.Steps))
	}
}

// Each step kind appears in the order the applier needs: a topic before its subscriptions and
// before the alarm that notifies it.
func TestPlanStepOrder(t *testing.T) {
	ctl, _ := Lookup("4.1")
	s := passing()
	s.Trails[0].Status.IsLogging = false
	s.LogGroups[lgARN].Filters = nil
	noAlarms(s)
	p := NewPlan(ctl, s, Evaluate(ctl, s, now), planOpts)
	var idx []int
	for _, st := range p.Steps {
		idx = append(idx, slices.Index(kindOrder, st.Kind()))
	}
	if !slices.IsSorted(idx) || len(idx) != 6 {
		t.Errorf("steps out of order: %v", idx)
	}
}

func TestFreeName(t *testing.T) {
	taken := map[string]bool{"a": true, "a-cisbot": true, "a-cisbot-2": true}
	if got := freeName("a", func(n string) bool { return taken[n] }); got != "a-cisbot-3" {
		t.Errorf("freeName = %q", got)
	}
	if got := freeName("b", func(n string) bool { return taken[n] }); got != "b" {
		t.Errorf("freeName = %q", got)
	}
}
