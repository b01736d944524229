package cis

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func lookupAll(t *testing.T, ids ...string) []*Control {
	t.Helper()
	var ctls []*Control
	for _, id := range ids {
		c, err := Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		ctls = append(ctls, c)
	}
	return ctls
}

func evaluateAll(ctls []*Control, s *Snapshot) []Result {
	var rs []Result
	for _, c := range ctls {
		rs = append(rs, Evaluate(c, s, now))
	}
	return rs
}

// TestPlanControls plans several controls at once and checks the merged steps (shared ones
// first, once; then each control's own, in the order asked); where nothing is left to people,
// it plays the plan and checks that every control passes and planning again finds nothing.
func TestPlanControls(t *testing.T) {
	type step struct{ control, kind, resource string } // resource "" is not checked
	alarmOf := func(name string) string { return "arn:aws:cloudwatch:us-east-1:111111111111:alarm:" + name }
	tests := []struct {
		name     string
		controls []string
		mutate   func(*Snapshot)
		results  func([]Result) // replaces results, after Evaluate
		opts     *PlanOptions
		passes   bool
		steps    []step
		manual   []string // one fragment per expected manual entry
		check    func(t *testing.T, p Plan)
	}{
		{name: "two controls share one new topic", controls: []string{"4.1", "4.3"}, mutate: noAlarms,
			steps: []step{{"", KindCreateTopic, topicARN}, {"", KindSubscribe, topicARN}, {"", KindSubscribe, topicARN},
				{"4.1", KindPutMetricAlarm, alarmOf("unauthorized_api_calls_alarm")},
				{"4.3", KindPutMetricFilter, "root_usage_metric"}, {"4.3", KindPutMetricAlarm, alarmOf("root_usage_alarm")}},
			check: func(t *testing.T, p Plan) {
				if a, b := p.Steps[3].(PutMetricAlarm).TopicARN, p.Steps[5].(PutMetricAlarm).TopicARN; a != topicARN || b != topicARN {
					t.Errorf("alarms notify %s and %s, want both %s", a, b, topicARN)
				}
			}},
		{name: "the confirmed topic of one control is reused by the other", controls: []string{"4.3", "4.1"},
			steps: []step{{"", KindMergeTopicPolicy, topicARN},
				{"4.3", KindPutMetricFilter, "root_usage_metric"}, {"4.3", KindPutMetricAlarm, alarmOf("root_usage_alarm")}}},
		{name: "the trail is started once for every control", controls: []string{"4.1", "4.3", "4.4"},
			mutate: func(s *Snapshot) { s.Trails[0].Status.IsLogging = false },
			steps: []step{{"", KindStartLogging, trailARN}, {"", KindMergeTopicPolicy, topicARN},
				{"4.3", KindPutMetricFilter, "root_usage_metric"}, {"4.3", KindPutMetricAlarm, alarmOf("root_usage_alarm")},
				{"4.4", KindPutMetricFilter, "iam_changes_metric"}, {"4.4", KindPutMetricAlarm, alarmOf("iam_changes_alarm")}}},
		{name: "every control passes", controls: []string{"4.1"}, passes: true,
			results: func(rs []Result) {}},
		{name: "all passing of several", controls: []string{"4.1", "4.3"}, passes: true,
			results: func(rs []Result) { rs[1] = Result{Status: StatusPass} }},
		{name: "an ERROR is a manual step, the other control is planned", controls: []string{"4.1", "4.3", "4.4"},
			results: func(rs []Result) {
				rs[0] = Result{Status: StatusError, Reason: "logs:DescribeMetricFilters: AccessDenied", Fix: "Allow it."}
				rs[2] = rs[0]
			},
			steps: []step{{"", KindMergeTopicPolicy, topicARN},
				{"4.3", KindPutMetricFilter, "root_usage_metric"}, {"4.3", KindPutMetricAlarm, alarmOf("root_usage_alarm")}},
			manual: []string{"The audit of controls 4.1, 4.4 could not decide (logs:DescribeMetricFilters: AccessDenied), so nothing is planned for them: Allow it."}},
		{name: "a pattern one control does not publish: its default, said in its step", controls: []string{"4.1", "4.2"},
			mutate: func(s *Snapshot) { s.LogGroups[lgARN].Filters = nil },
			opts:   &PlanOptions{Pattern: "cis-v4", Subscribe: planOpts.Subscribe, RequestID: "req-42"},
			steps: []step{{"", KindMergeTopicPolicy, topicARN},
				{"4.1", KindPutMetricFilter, "unauthorized_api_calls_metric"},
				{"4.2", KindPutMetricFilter, "no_mfa_console_signin_metric"}, {"4.2", KindPutMetricAlarm, alarmOf("no_mfa_console_signin_alarm")}},
			check: func(t *testing.T, p Plan) {
				if d := p.Steps[1].Info().Detail; !strings.Contains(d, `remediation.pattern "cis-v4" is not one of control 4.1's patterns, so its default, securityhub, is used`) {
					t.Errorf("4.1's filter step: %s", d)
				}
				if d := p.Steps[2].Info().Detail; strings.Contains(d, "remediation.pattern") || p.Steps[2].(PutMetricFilter).Pattern != Controls[1].Patterns["cis-v4"] {
					t.Errorf("4.2's filter step: %+v", p.Steps[2])
				}
			}},
		{name: "a configured text the benchmark rejects gives way to one it accepts, as the step says", controls: []string{"4.2", "4.10"},
			mutate: func(s *Snapshot) { s.LogGroups[lgARN].Filters = nil },
			opts:   &PlanOptions{Pattern: "securityhub", Subscribe: planOpts.Subscribe, RequestID: "req-42"},
			steps: []step{{"", KindMergeTopicPolicy, topicARN},
				{"4.2", KindPutMetricFilter, "no_mfa_console_signin_metric"}, {"4.2", KindPutMetricAlarm, alarmOf("no_mfa_console_signin_alarm")},
				{"4.10", KindPutMetricFilter, "security_group_changes_metric"}, {"4.10", KindPutMetricAlarm, alarmOf("security_group_changes_alarm")}},
			check: func(t *testing.T, p Plan) {
				for _, i := range []int{1, 3} {
					d := p.Steps[i].Info().Detail
					if !strings.Contains(d, "the securityhub text does not satisfy control "+p.Steps[i].Info().Control+" as CIS v7.0.0 judges it, so the ") {
						t.Errorf("filter step %d: %s", i, d)
					}
				}
				if got, want := p.Steps[3].(PutMetricFilter).Pattern, Controls[9].Patterns["cis-v5"]; got != want {
					t.Errorf("4.10's filter %s, want the cis-v5 text", got)
				}
			}},
		{name: "a configured text the chosen benchmark accepts is kept", controls: []string{"4.10"},
			mutate: func(s *Snapshot) { s.LogGroups[lgARN].Filters = nil },
			opts:   &PlanOptions{Pattern: "securityhub", Benchmark: "v3.0.0", Subscribe: planOpts.Subscribe, RequestID: "req-42"},
			steps: []step{{"", KindMergeTopicPolicy, topicARN},
				{"4.10", KindPutMetricFilter, "security_group_changes_metric"}, {"4.10", KindPutMetricAlarm, alarmOf("security_group_changes_alarm")}},
			check: func(t *testing.T, p Plan) {
				if f := p.Steps[1].(PutMetricFilter); f.Pattern != Controls[9].Patterns["securityhub"] || strings.Contains(f.Detail, "does not satisfy") {
					t.Errorf("4.10's filter under CIS v3.0.0: %+v", f)
				}
			}},
		{name: "one control alone keeps NewPlan's refusal of a pattern it does not publish", controls: []string{"4.3"},
			opts:   &PlanOptions{Pattern: "cis-v5", RequestID: "req-42"},
			manual: []string{`remediation.pattern "cis-v5" is not one of`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctls := lookupAll(t, tc.controls...)
			s := passing()
			if tc.mutate != nil {
				tc.mutate(s)
			}
			opts := planOpts
			if tc.opts != nil {
				opts = *tc.opts
			}
			rs := evaluateAll(ctls, s)
			if tc.results != nil {
				tc.results(rs)
			}
			p := NewPlanControls(ctls, s, rs, opts)
			if p.Passes != tc.passes {
				t.Fatalf("passes %v: %+v", p.Passes, p)
			}
			var got []step
			for _, st := range p.Steps {
				got = append(got, step{st.Info().Control, st.Kind(), st.Info().Resource})
			}
			if !reflect.DeepEqual(got, tc.steps) {
				t.Errorf("steps\n got %v\nwant %v", got, tc.steps)
			}
			if len(p.Manual) != len(tc.manual) {
				t.Fatalf("manual %q, want %d", p.Manual, len(tc.manual))
			}
			for i, m := range tc.manual {
				if !strings.Contains(p.Manual[i], m) {
					t.Errorf("manual %d: %q lacks %q", i, p.Manual[i], m)
				}
			}
			if p.Hash != PlanHash(p.Steps) {
				t.Error("the plan is not sealed")
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			if len(tc.manual) > 0 || tc.passes {
				return
			}
			play(t, s, p)
			after := make([]Result, len(ctls))
			for i, c := range ctls {
				after[i] = EvaluateAt(c, s, now, opts.Benchmark)
			}
			for i, r := range after {
				if r.Status != StatusPass {
					t.Fatalf("after the plan control %s is %s: %s", ctls[i].ID, r.Status, r.Reason)
				}
			}
			if again := NewPlanControls(ctls, s, after, opts); !again.Passes || len(again.Steps) != 0 {
				t.Errorf("planning again after the plan: %+v", again)
			}
		})
	}
}

// A plan of control 4.1 alone is NewPlan's, byte for byte and with its hash: that is what a
// stored plan without controls means, and what cisbot fix --control 4.1 printed before.
func TestPlanControlsOneIsNewPlan(t *testing.T) {
	ctl, _ := Lookup("4.1")
	s := passing()
	s.Trails[0].Status.IsLogging = false
	noAlarms(s)
	res := Evaluate(ctl, s, now)
	want, _ := json.Marshal(NewPlan(ctl, s, res, planOpts))
	got, _ := json.Marshal(NewPlanControls([]*Control{ctl}, s, []Result{res}, planOpts))
	if string(got) != string(want) {
		t.Errorf("NewPlanControls(4.1)\n%s\nNewPlan\n%s", got, want)
	}
	if strings.Contains(string(got), `"control`) {
		t.Errorf("a plan of 4.1 alone names controls: %s", got)
	}

	// Of several, the controls and each own step's control are on the wire, and read back.
	ctls := lookupAll(t, "4.1", "4.3")
	p := NewPlanControls(ctls, s, evaluateAll(ctls, s), planOpts)
	b, _ := json.Marshal(p)
	if !strings.Contains(string(b), `"controls":["4.1","4.3"]`) || !strings.Contains(string(b), `{"control":"4.3","kind":"put_metric_filter"`) {
		t.Errorf("wire form: %s", b)
	}
	var groups []string
	for _, g := range p.Groups() {
		groups = append(groups, fmt.Sprintf("%q@%d×%d", g.Control, g.First, len(g.Steps)))
	}
	if got := strings.Join(groups, " "); got != `""@1×4 "4.1"@5×1 "4.3"@6×2` {
		t.Errorf("groups %s", got)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, p) || PlanHash(back.Steps) != p.Hash {
		t.Errorf("round trip: %v\n%+v\n%+v", err, back, p)
	}
}

// Controls planned together must not create two filters, metrics or alarms of one name.
func TestControlDefaultNamesDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, c := range Controls {
		d := c.Defaults
		for _, n := range []string{"filter " + d.FilterName, "metric " + d.MetricNamespace + "/" + d.MetricName, "alarm " + d.AlarmName} {
			if other, ok := seen[n]; ok {
				t.Errorf("controls %s and %s share %s", other, c.ID, n)
			}
			seen[n] = c.ID
		}
		if d.TopicName != Controls[0].Defaults.TopicName {
			t.Errorf("control %s's default topic %s is not the others' (%s): controls planned together would create two", c.ID, d.TopicName, Controls[0].Defaults.TopicName)
		}
	}
}

func TestPlannedControls(t *testing.T) {
	tests := []struct {
		controls []string
		want     string
		err      bool
	}{
		{nil, "4.1", false},
		{[]string{"4.3", "4.10"}, "4.3 4.10", false},
		{[]string{"4.99"}, "", true},
	}
	for _, tc := range tests {
		ctls, err := Plan{Controls: tc.controls}.PlannedControls()
		var ids []string
		for _, c := range ctls {
			ids = append(ids, c.ID)
		}
		if (err != nil) != tc.err || strings.Join(ids, " ") != tc.want {
			t.Errorf("%v: %v, %v; want %s", tc.controls, ids, err, tc.want)
		}
	}
}
