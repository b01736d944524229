package app

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/accountchanger"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// writers adapts a session to what remediation writes, as API does for what the audit reads.
func writers(s *awsenv.Session) accountchanger.Writers { return Writers(s) }

const (
	logGroup    = "cloudtrail-logs" // what the emulator fixture builds
	secops      = "secops@example.com"
	botEndpoint = "https://cisbot.example.com/sns/alerts"
)

var fixOpts = cis.PlanOptions{Subscribe: []string{secops, botEndpoint}, RequestID: "req-7"}

// remediated is one account in moto with the session the bot would use for it.
type remediated struct {
	id       string
	accounts *Accounts
	s        *awsenv.Session
}

// newRemediated builds the scenario in a fresh account, then breaks what the scenario cannot
// (the emulator fixture builds every part; removing one is done here with the SDK).
func newRemediated(t *testing.T, sc awsaccount.Scenario, breaks ...func(t *testing.T, r *remediated)) *remediated {
	t.Helper()
	f := factory(t)
	id := awsaccount.NewID()
	awsaccount.Build(t, f, id, sc, proxy)
	cfg := parseConfig(t, fmt.Sprintf("accounts:\n  - name: acct\n    role_arn: %s\n", awsaccount.RoleARN(id)))
	accounts := NewAccounts(cfg, f)
	acc, _ := cfg.Account("acct")
	r := &remediated{id: id, accounts: accounts, s: accounts.session(acc)}
	for _, b := range breaks {
		b(t, r)
	}
	return r
}

func (r *remediated) topicARN(name string) string {
	return "arn:aws:sns:us-east-1:" + r.id + ":" + name
}

func deleteFilter(t *testing.T, r *remediated) {
	_, err := r.s.Logs("").DeleteMetricFilter(context.Background(), &cloudwatchlogs.DeleteMetricFilterInput{
		LogGroupName: aws.String(logGroup), FilterName: aws.String("unauthorized_api_calls_metric")})
	if err != nil {
		t.Fatal(err)
	}
}

func deleteAlarm(t *testing.T, r *remediated) {
	_, err := r.s.CloudWatch("").DeleteAlarms(context.Background(), &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"unauthorized_api_calls_alarm"}})
	if err != nil {
		t.Fatal(err)
	}
}

func deleteTopic(t *testing.T, r *remediated) {
	if _, err := r.s.SNS("").DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(r.topicARN("cis-alarms"))}); err != nil {
		t.Fatal(err)
	}
}

// restrictTopicPolicy replaces the topic's default policy by one that lets only a role publish,
// as a security team might have it: CloudWatch may not publish until cisbot merges its statement.
func restrictTopicPolicy(t *testing.T, r *remediated) {
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Id":"team","Statement":[{"Sid":"ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:role/ops"},"Action":"sns:Publish","Resource":"%s"}]}`,
		r.id, r.topicARN("cis-alarms"))
	_, err := r.s.SNS("").SetTopicAttributes(context.Background(), &sns.SetTopicAttributesInput{TopicArn: aws.String(r.topicARN("cis-alarms")),
		AttributeName: aws.String("Policy"), AttributeValue: &policy})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *remediated) audit(t *testing.T) (*cis.Snapshot, cis.Result) {
	t.Helper()
	ctl, _ := cis.Lookup("4.1")
	snap := r.accounts.Collector().Collect(context.Background(), "acct", API(r.s))
	return snap, cis.Evaluate(ctl, snap, time.Now())
}

func (r *remediated) plan(t *testing.T) (cis.Plan, cis.Result) {
	t.Helper()
	ctl, _ := cis.Lookup("4.1")
	snap, res := r.audit(t)
	return cis.NewPlan(ctl, snap, res, fixOpts), res
}

// awsState is what remediation can change in the account, listed from AWS itself.
type awsState struct {
	Logging  bool
	Filters  []string // name: pattern → namespace/metric
	Alarms   []string // name → actions
	Subs     []string // topic protocol endpoint
	Policies map[string]string
}

func (r *remediated) state(t *testing.T) awsState {
	t.Helper()
	ctx := context.Background()
	var st awsState
	ts, err := r.s.CloudTrail("").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	st.Logging = aws.ToBool(ts.IsLogging)
	mf, err := r.s.Logs("").DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(logGroup)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range mf.MetricFilters {
		tr := f.MetricTransformations[0]
		st.Filters = append(st.Filters, fmt.Sprintf("%s: %s → %s/%s", aws.ToString(f.FilterName), aws.ToString(f.FilterPattern), aws.ToString(tr.MetricNamespace), aws.ToString(tr.MetricName)))
	}
	al, err := r.s.CloudWatch("").DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range al.MetricAlarms {
		st.Alarms = append(st.Alarms, fmt.Sprintf("%s → %v ok %v", aws.ToString(a.AlarmName), a.AlarmActions, a.OKActions))
	}
	subs, err := r.s.SNS("").ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs.Subscriptions {
		st.Subs = append(st.Subs, aws.ToString(s.TopicArn)+" "+aws.ToString(s.Protocol)+" "+aws.ToString(s.Endpoint))
	}
	topics, err := r.s.SNS("").ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	st.Policies = map[string]string{}
	for _, tp := range topics.Topics {
		attrs, err := r.s.SNS("").GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
		if err != nil {
			t.Fatal(err)
		}
		st.Policies[aws.ToString(tp.TopicArn)] = attrs.Attributes["Policy"]
	}
	for _, l := range [][]string{st.Filters, st.Alarms, st.Subs} {
		slices.Sort(l)
		if len(slices.Compact(slices.Clone(l))) != len(l) {
			t.Errorf("duplicates in %q", l)
		}
	}
	return st
}

func kinds(p cis.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Kind())
	}
	return out
}

// TestRemediateShapes: for every plan shape, audit (FAIL), plan, apply, audit again (PASS);
// then apply the same plan again, which must change nothing in AWS, and plan again, which must
// find nothing to do.
func TestRemediateShapes(t *testing.T) {
	type sc = awsaccount.Scenario
	exact := `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`
	tests := []struct {
		name      string
		sc        sc
		breaks    []func(*testing.T, *remediated)
		kinds     string
		unchanged []int // the steps that find their work done already on the first run
		step      cis.Step
		check     func(t *testing.T, r *remediated, p cis.Plan, before, after awsState)
	}{
		{name: "trail not logging", sc: sc{NotLogging: true}, kinds: "start_logging", step: cis.StepLogging},
		{name: "no metric filter: the alarm on its metric is reused", breaks: []func(*testing.T, *remediated){deleteFilter},
			// The audit did not read the orphaned alarm's topic: the endpoints are subscribed to it
			// (secops is already), rather than a second alarm created on the metric.
			kinds: "put_metric_filter subscribe subscribe", unchanged: []int{1}, step: cis.StepMetricFilter,
			check: func(t *testing.T, r *remediated, p cis.Plan, before, after awsState) {
				if len(after.Alarms) != 1 {
					t.Errorf("alarms %q: the existing alarm must be reused", after.Alarms)
				}
			}},
		{name: "no alarm (the topic exists, unseen by the audit)", breaks: []func(*testing.T, *remediated){deleteAlarm},
			kinds: "create_topic subscribe subscribe put_metric_alarm", unchanged: []int{0, 1}, step: cis.StepAlarm},
		{name: "alarm without actions", sc: sc{NoActions: true},
			kinds: "create_topic subscribe subscribe put_metric_alarm", unchanged: []int{0, 1}, step: cis.StepAlarmAction,
			check: func(t *testing.T, r *remediated, p cis.Plan, before, after awsState) {
				if a := p.Steps[3].(cis.PutMetricAlarm); a.AlarmName != "unauthorized_api_calls_alarm-cisbot" {
					t.Errorf("new alarm %s", a.AlarmName)
				}
				if !slices.ContainsFunc(after.Alarms, func(a string) bool { return strings.HasPrefix(a, "unauthorized_api_calls_alarm → []") }) {
					t.Errorf("the existing alarm was changed: %q", after.Alarms)
				}
			}},
		{name: "topic without subscriber", sc: sc{NoSubscription: true}, kinds: "subscribe subscribe", step: cis.StepSubscriber},
		{name: "pending subscriber: only the other endpoint", sc: sc{PendingOnly: true}, kinds: "subscribe", step: cis.StepSubscriber,
			check: func(t *testing.T, r *remediated, p cis.Plan, before, after awsState) {
				if e := p.Steps[0].(cis.Subscribe).Endpoint; e != botEndpoint {
					t.Errorf("subscribed %s, want only the endpoint not subscribed yet", e)
				}
			}},
		{name: "equivalent filter present, nothing after it", sc: sc{Pattern: cis.PatternCISv3},
			breaks: []func(*testing.T, *remediated){deleteAlarm, deleteTopic},
			kinds:  "create_topic subscribe subscribe put_metric_alarm", step: cis.StepAlarm,
			check: func(t *testing.T, r *remediated, p cis.Plan, before, after awsState) {
				if len(after.Filters) != 1 {
					t.Errorf("filters %q: the equivalent filter must be reused", after.Filters)
				}
			}},
		{name: "name clash with a non-compliant filter", sc: sc{Pattern: exact},
			kinds: "put_metric_filter merge_topic_policy put_metric_alarm", unchanged: []int{1}, step: cis.StepMetricFilter,
			check: func(t *testing.T, r *remediated, p cis.Plan, before, after awsState) {
				want := []string{
					"unauthorized_api_calls_metric-cisbot: " + cis.PatternSecurityHub + " → CISBenchmark/unauthorized_api_calls_metric-cisbot",
					"unauthorized_api_calls_metric: " + exact + " → CISBenchmark/unauthorized_api_calls_metric",
				}
				if !reflect.DeepEqual(after.Filters, want) {
					t.Errorf("filters %q,\nwant %q", after.Filters, want)
				}
				if before.Policies[r.topicARN("cis-alarms")] != after.Policies[r.topicARN("cis-alarms")] {
					t.Error("the default topic policy was changed although it lets the account's alarms publish")
				}
			}},
		{name: "name clash with a non-compliant alarm, restrictive topic policy", sc: sc{Datapoints: 2},
			breaks: []func(*testing.T, *remediated){restrictTopicPolicy},
			kinds:  "merge_topic_policy put_metric_alarm", step: cis.StepAlarm,
			check: func(t *testing.T, r *remediated, p cis.Plan, before, after awsState) {
				pol := after.Policies[r.topicARN("cis-alarms")]
				if !strings.Contains(pol, `"Sid":"ops"`) || !strings.Contains(pol, `"Sid":"`+cis.PolicySid+`"`) || !strings.Contains(pol, `"Id":"team"`) {
					t.Errorf("policy not merged: %s", pol)
				}
			}},
		{name: "all missing", sc: sc{NotLogging: true}, breaks: []func(*testing.T, *remediated){deleteFilter, deleteAlarm, deleteTopic},
			kinds: "start_logging put_metric_filter create_topic subscribe subscribe put_metric_alarm", step: cis.StepLogging,
			check: func(t *testing.T, r *remediated, p cis.Plan, before, after awsState) {
				ctx := context.Background()
				want := map[string]string{"managed-by": "cisbot", "cisbot-request": "req-7"}
				tt, err := r.s.SNS("").ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(r.topicARN("cis-alarms"))})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, tag := range tt.Tags {
					got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("topic tags %v, want %v", got, want)
				}
				at, err := r.s.CloudWatch("").ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(p.Steps[5].Info().Resource)})
				if err != nil {
					t.Fatal(err)
				}
				got = map[string]string{}
				for _, tag := range at.Tags {
					got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("alarm tags %v, want %v", got, want)
				}
				topic := r.topicARN("cis-alarms")
				wantAlarm := fmt.Sprintf("unauthorized_api_calls_alarm → [%s] ok [%s]", topic, topic)
				if !reflect.DeepEqual(after.Alarms, []string{wantAlarm}) {
					t.Errorf("alarms %q, want %q", after.Alarms, wantAlarm)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRemediated(t, tc.sc, tc.breaks...)
			p, res := r.plan(t)
			if res.Status != cis.StatusFail || res.FailedStep == nil || *res.FailedStep != tc.step {
				t.Fatalf("audit before: %s at %v: %s", res.Status, res.FailedStep, res.Reason)
			}
			if got := strings.Join(kinds(p), " "); got != tc.kinds || len(p.Manual) != 0 {
				t.Fatalf("plan %q, want %q; manual %q", got, tc.kinds, p.Manual)
			}
			before := r.state(t)

			var recorded []string
			first := accountchanger.Apply(context.Background(), writers(r.s), p, func(st cis.PlanStep, o cis.StepOutcome) {
				recorded = append(recorded, st.Kind()+"="+string(o.Outcome))
			})
			if !first.OK || len(recorded) != len(p.Steps) {
				t.Fatalf("first run: %s\n%+v", first.Sentence(), first.Steps)
			}
			for i, s := range first.Steps {
				if want := !slices.Contains(tc.unchanged, i); s.Outcome.Changed != want {
					t.Errorf("step %d (%s) changed=%v, want %v: %s", i, s.Step.Kind(), s.Outcome.Changed, want, s.Outcome.Detail)
				}
			}
			_, after := r.audit(t)
			if after.Status != cis.StatusPass {
				t.Fatalf("audit after: %s: %s", after.Status, after.Reason)
			}
			applied := r.state(t)

			second := accountchanger.Apply(context.Background(), writers(r.s), p, nil)
			if !second.OK || second.Changed() != 0 {
				t.Errorf("second run of the same plan: %s\n%+v", second.Sentence(), second.Steps)
			}
			if again := r.state(t); !reflect.DeepEqual(again, applied) {
				t.Errorf("the second run changed AWS:\nafter the first %+v\nafter the second %+v", applied, again)
			}
			if p2, _ := r.plan(t); !p2.Passes || len(p2.Steps) != 0 {
				t.Errorf("a fresh plan after the fix: %+v", p2)
			}
			if tc.check != nil {
				tc.check(t, r, p, before, applied)
			}
		})
	}
}

// Prerequisites the bot does not create are manual steps, and nothing is planned to apply.
func TestRemediateManualOnly(t *testing.T) {
	for name, tc := range map[string]struct {
		sc   awsaccount.Scenario
		want string
	}{
		"single-region trail":  {awsaccount.Scenario{SingleRegion: true}, "--is-multi-region-trail"},
		"write-only selectors": {awsaccount.Scenario{WriteOnly: true}, "put-event-selectors"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRemediated(t, tc.sc)
			p, _ := r.plan(t)
			if len(p.Steps) != 0 || len(p.Manual) != 1 || !strings.Contains(p.Manual[0], tc.want) || p.Passes {
				t.Fatalf("plan %+v", p)
			}
			if res := accountchanger.Apply(context.Background(), writers(r.s), p, nil); !res.OK || len(res.Steps) != 0 {
				t.Errorf("applying a plan without steps: %+v", res)
			}
		})
	}
}

// deniedSubscribe is our own TopicsWriter around the real client whose Subscribe fails the way
// SNS denies a call the role may not make (SNS's code is AuthorizationError, HTTP 403); moto
// grants every call, so the denial is made here, on the interface the applier calls.
type deniedSubscribe struct {
	accountchanger.TopicsWriter
	account string
}

func (d deniedSubscribe) Subscribe(_ context.Context, in *sns.SubscribeInput, _ ...func(*sns.Options)) (*sns.SubscribeOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AuthorizationError", Fault: smithy.FaultClient,
		Message: fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/cisbot/cisbot is not authorized to perform: SNS:Subscribe on resource: %s because no identity-based policy allows the SNS:Subscribe action", d.account, aws.ToString(in.TopicArn))}
}

// A denied call stops the run; the result says truthfully what was done and what was not, AWS
// holds exactly the steps reported done, and approving again after the permission is granted
// finishes the fix without repeating anything.
func TestRemediatePartialFailure(t *testing.T) {
	r := newRemediated(t, awsaccount.Scenario{NotLogging: true}, deleteFilter, deleteAlarm, deleteTopic)
	p, _ := r.plan(t)
	if got := strings.Join(kinds(p), " "); got != "start_logging put_metric_filter create_topic subscribe subscribe put_metric_alarm" {
		t.Fatalf("plan %s", got)
	}
	w := writers(r.s)
	w.SNS = func(region string) accountchanger.TopicsWriter { return deniedSubscribe{r.s.SNS(region), r.id} }
	var recorded []string
	res := accountchanger.Apply(context.Background(), w, p, func(st cis.PlanStep, o cis.StepOutcome) {
		recorded = append(recorded, st.Kind()+"="+string(o.Outcome))
	})
	want := "start_logging=ok put_metric_filter=ok create_topic=ok subscribe=failed subscribe=not_run put_metric_alarm=not_run"
	if got := strings.Join(recorded, " "); got != want {
		t.Errorf("recorded %s\nwant     %s", got, want)
	}
	f := res.Failed()
	if res.OK || f == nil || f.Outcome.Code != "AuthorizationError" || !strings.Contains(f.Outcome.Message, "not authorized to perform: SNS:Subscribe") ||
		!strings.Contains(f.Outcome.Detail, "Allow sns:Subscribe to the role") {
		t.Fatalf("failed step %+v", f)
	}
	if len(res.Done()) != 3 || len(res.NotDone()) != 3 {
		t.Errorf("done %d, not done %d", len(res.Done()), len(res.NotDone()))
	}
	if s := res.Sentence(); !strings.Contains(s, "3 of 6 steps done") || !strings.Contains(s, "step 4 (subscribe") || !strings.Contains(s, "2 not run") {
		t.Errorf("summary %q", s)
	}

	// AWS holds what was reported done, and nothing else.
	st := r.state(t)
	if !st.Logging || len(st.Filters) != 1 || len(st.Subs) != 0 || len(st.Alarms) != 0 {
		t.Errorf("after the failure AWS holds %+v", st)
	}
	if _, ok := st.Policies[r.topicARN("cis-alarms")]; !ok {
		t.Errorf("the topic reported created does not exist: %+v", st.Policies)
	}
	if _, res := r.audit(t); res.Status != cis.StatusFail || *res.FailedStep != cis.StepAlarm {
		t.Errorf("audit after the failure: %s at %v", res.Status, res.FailedStep)
	}

	// Granted, the same plan runs again: done steps are found in place, the rest are done.
	again := accountchanger.Apply(context.Background(), writers(r.s), p, nil)
	if !again.OK || again.Changed() != 3 {
		t.Fatalf("after the grant: %s", again.Sentence())
	}
	for _, s := range again.Steps[:3] {
		if s.Outcome.Changed {
			t.Errorf("%s was repeated: %s", s.Step.Kind(), s.Outcome.Detail)
		}
	}
	if _, res := r.audit(t); res.Status != cis.StatusPass {
		t.Errorf("audit after the grant: %s: %s", res.Status, res.Reason)
	}
}
