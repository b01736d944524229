package cis

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Plans as the first version of the planner stored them with fix requests (json.Marshal of the
// plan, hash computed over string parameters). They must keep decoding into typed steps, encode
// back to the same bytes, and keep their hash, or approving a stored request would fail.
func TestStoredPlans(t *testing.T) {
	tags := Tags{TagManagedBy: ManagedBy, TagRequest: "req-42"}
	publish := AlarmPublish{Sid: PolicySid, SourceAccount: "111111111111", SourceARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"}
	alarm := PutMetricAlarm{AlarmName: "unauthorized_api_calls_alarm", Namespace: "CISBenchmark", MetricName: "unauthorized_api_calls_metric",
		Statistic: "Sum", Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
		ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching", TopicARN: topicARN, Tags: tags}
	filter := PutMetricFilter{LogGroupName: "cloudtrail-logs", FilterName: "unauthorized_api_calls_metric", Pattern: PatternSecurityHub,
		MetricName: "unauthorized_api_calls_metric", Namespace: "CISBenchmark", MetricValue: "1", DefaultValue: 0}
	tests := []struct {
		file string
		hash string // as stored with the request
		want []PlanStep
	}{
		{"testdata/stored-plan-all-kinds.json", "3c4b545fd68ef409f5aea11d4b5c6aa14dfa08da1c74ffaf5337e6cd39b4a78e", []PlanStep{
			StartLogging{TrailARN: trailARN, TrailName: "main"},
			filter,
			CreateTopic{TopicName: "cis-alarms", TopicARN: topicARN, Publish: publish, Tags: tags},
			Subscribe{TopicARN: topicARN, Protocol: "email", Endpoint: "secops@example.com"},
			Subscribe{TopicARN: topicARN, Protocol: "https", Endpoint: hookURL},
			alarm,
		}},
		{"testdata/stored-plan-merge-policy.json", "622e85f85530a67ca4cc459603f28cf2c74e0cd6fd84aece8b1554d414af273e", []PlanStep{
			filter,
			MergeTopicPolicy{TopicARN: topicARN, Publish: publish},
			alarm,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			stored, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			stored = bytes.TrimSuffix(stored, []byte("\n"))
			var p Plan
			if err := json.Unmarshal(stored, &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Steps) != len(tc.want) {
				t.Fatalf("%d steps, want %d", len(p.Steps), len(tc.want))
			}
			for i, st := range p.Steps {
				if info := st.Info(); info.Region != "us-east-1" || info.Resource == "" || info.Detail == "" {
					t.Errorf("step %d: %+v", i, info)
				}
				if got, want := withoutInfo(st), tc.want[i]; !reflect.DeepEqual(got, want) {
					t.Errorf("step %d:\n got %#v\nwant %#v", i, got, want)
				}
			}
			if p.Hash != tc.hash || PlanHash(p.Steps) != tc.hash {
				t.Errorf("hash %s, recomputed %s, stored %s", p.Hash, PlanHash(p.Steps), tc.hash)
			}
			again, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, stored) {
				t.Errorf("re-encoded plan differs:\n got %s\nwant %s", again, stored)
			}
		})
	}
}

// withoutInfo is the step with its common part cleared, to compare the typed fields.
func withoutInfo(s PlanStep) PlanStep {
	switch s := s.(type) {
	case StartLogging:
		s.StepInfo = StepInfo{}
		return s
	case PutMetricFilter:
		s.StepInfo = StepInfo{}
		return s
	case CreateTopic:
		s.StepInfo = StepInfo{}
		return s
	case MergeTopicPolicy:
		s.StepInfo = StepInfo{}
		return s
	case Subscribe:
		s.StepInfo = StepInfo{}
		return s
	case PutMetricAlarm:
		s.StepInfo = StepInfo{}
		return s
	}
	return s
}

func TestUnmarshalStep(t *testing.T) {
	info := StepInfo{Region: "us-east-1", Resource: "r", Detail: "d"}
	tests := []struct {
		json    string
		problem string // of the RawStep it decodes into
	}{
		{`{"kind":"delete_everything","region":"us-east-1","resource":"r","detail":"d","params":{"Really":"yes"}}`, `unknown step kind "delete_everything"`},
		{`{"kind":"start_logging","region":"us-east-1","resource":"r","detail":"d","params":{"TrailARN":"` + trailARN + `"}}`,
			"the start_logging step lacks parameter TrailName: plan again"},
		{`{"kind":"put_metric_alarm","region":"us-east-1","resource":"r","detail":"d","params":{"AlarmName":"a","ComparisonOperator":"c","DatapointsToAlarm":"1",` +
			`"EvaluationPeriods":"1","MetricName":"m","Namespace":"n","Period":"five","Statistic":"Sum","Threshold":"1","TopicARN":"x","TreatMissingData":"t"}}`,
			`the put_metric_alarm step's parameter Period is "five", not a number: plan again`},
	}
	for _, tc := range tests {
		got, err := UnmarshalStep([]byte(tc.json))
		raw, ok := got.(RawStep)
		if err != nil || !ok || raw.Info() != info || !strings.Contains(raw.Problem, tc.problem) {
			t.Errorf("%s: %#v, %v", tc.json, got, err)
			continue
		}
		// It is kept as it was: the same bytes back, so the same hash.
		if b, _ := json.Marshal(got); string(b) != tc.json {
			t.Errorf("re-encoded %s, want %s", b, tc.json)
		}
	}
	if _, err := UnmarshalStep([]byte(`[]`)); err == nil {
		t.Error("a list decoded as a step")
	}
}

// The wire form leaves HTML escaping to the encoder that embeds it, as the first version's
// struct did: a pattern's && stays as it is under SetEscapeHTML(false), and is escaped by
// json.Marshal.
func TestStepHTMLEscaping(t *testing.T) {
	st := PutMetricFilter{StepInfo: StepInfo{Detail: "a <b> & c"}, Pattern: `{ ($.a = 1) && ($.b = 2) }`}
	plain, _ := json.Marshal(st)
	if !strings.Contains(string(plain), `\u0026\u0026`) || !strings.Contains(string(plain), `\u003cb\u003e`) {
		t.Errorf("json.Marshal: %s", plain)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode([]PlanStep{st}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `&&`) || !strings.Contains(b.String(), `<b> &`) {
		t.Errorf("SetEscapeHTML(false): %s", b.String())
	}
}
