package cis

// The wire form of plan steps. Plans are stored with fix requests and their hash is checked
// when a request is approved, so this form is what the first version wrote, byte for byte:
// {"kind","region","resource","detail","params":{…}}, every parameter a string, tags as
// "tag:<key>" parameters. The typed steps map their fields to it here and nowhere else.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Parameter names on the wire.
const (
	pTrailARN           = "TrailARN"
	pTrailName          = "TrailName"
	pLogGroupName       = "LogGroupName"
	pFilterName         = "FilterName"
	pPattern            = "Pattern"
	pMetricName         = "MetricName"
	pNamespace          = "Namespace"
	pMetricValue        = "MetricValue"
	pDefaultValue       = "DefaultValue"
	pTopicName          = "TopicName"
	pTopicARN           = "TopicARN"
	pProtocol           = "Protocol"
	pEndpoint           = "Endpoint"
	pAlarmName          = "AlarmName"
	pStatistic          = "Statistic"
	pPeriod             = "Period"
	pEvaluationPeriods  = "EvaluationPeriods"
	pDatapointsToAlarm  = "DatapointsToAlarm"
	pThreshold          = "Threshold"
	pComparisonOperator = "ComparisonOperator"
	pTreatMissingData   = "TreatMissingData"
	pSid                = "Sid"
	pSourceAccount      = "SourceAccount"
	pSourceArn          = "SourceArn"
	pQueueARN           = "QueueARN"
	pQueueURL           = "QueueURL"
	tagPrefix           = "tag:" // "tag:managed-by" is the tag managed-by
)

type wireStep struct {
	// Control is omitted when empty, so the steps of a plan of one control stay as stored.
	Control  string            `json:"control,omitempty"`
	Kind     string            `json:"kind"`
	Region   string            `json:"region"`
	Resource string            `json:"resource"`
	Detail   string            `json:"detail"`
	Params   map[string]string `json:"params"`
}

// stepKinds is the registry of kinds: each decodes its wire parameters into its type.
var stepKinds = map[string]func(StepInfo, *paramReader) PlanStep{
	KindStartLogging: func(i StepInfo, r *paramReader) PlanStep {
		return StartLogging{StepInfo: i, TrailARN: r.str(pTrailARN), TrailName: r.str(pTrailName)}
	},
	KindPutMetricFilter: func(i StepInfo, r *paramReader) PlanStep {
		return PutMetricFilter{StepInfo: i, LogGroupName: r.str(pLogGroupName), FilterName: r.str(pFilterName), Pattern: r.str(pPattern),
			MetricName: r.str(pMetricName), Namespace: r.str(pNamespace), MetricValue: r.str(pMetricValue), DefaultValue: r.float(pDefaultValue)}
	},
	KindCreateTopic: func(i StepInfo, r *paramReader) PlanStep {
		return CreateTopic{StepInfo: i, TopicName: r.str(pTopicName), TopicARN: r.str(pTopicARN), Publish: r.publish(), Tags: r.tags()}
	},
	KindMergeTopicPolicy: func(i StepInfo, r *paramReader) PlanStep {
		return MergeTopicPolicy{StepInfo: i, TopicARN: r.str(pTopicARN), Publish: r.publish()}
	},
	KindMergeQueuePolicy: func(i StepInfo, r *paramReader) PlanStep {
		return MergeQueuePolicy{StepInfo: i, QueueARN: r.str(pQueueARN), QueueURL: r.str(pQueueURL), Send: TopicSend{Sid: r.str(pSid), TopicARN: r.str(pTopicARN)}}
	},
	KindSubscribe: func(i StepInfo, r *paramReader) PlanStep {
		return Subscribe{StepInfo: i, TopicARN: r.str(pTopicARN), Protocol: r.str(pProtocol), Endpoint: r.str(pEndpoint)}
	},
	KindPutMetricAlarm: func(i StepInfo, r *paramReader) PlanStep {
		return PutMetricAlarm{StepInfo: i, AlarmName: r.str(pAlarmName), Namespace: r.str(pNamespace), MetricName: r.str(pMetricName),
			Statistic: r.str(pStatistic), Period: r.int32(pPeriod), EvaluationPeriods: r.int32(pEvaluationPeriods),
			DatapointsToAlarm: r.int32(pDatapointsToAlarm), Threshold: r.float(pThreshold), ComparisonOperator: r.str(pComparisonOperator),
			TreatMissingData: r.str(pTreatMissingData), TopicARN: r.str(pTopicARN), Tags: r.tags()}
	},
}

func (s StartLogging) params() map[string]string {
	return map[string]string{pTrailARN: s.TrailARN, pTrailName: s.TrailName}
}

func (s PutMetricFilter) params() map[string]string {
	return map[string]string{pLogGroupName: s.LogGroupName, pFilterName: s.FilterName, pPattern: s.Pattern,
		pMetricName: s.MetricName, pNamespace: s.Namespace, pMetricValue: s.MetricValue, pDefaultValue: formatFloat(s.DefaultValue)}
}

func (s CreateTopic) params() map[string]string {
	return withTags(s.Publish.params(map[string]string{pTopicName: s.TopicName, pTopicARN: s.TopicARN}), s.Tags)
}

func (s MergeTopicPolicy) params() map[string]string {
	return s.Publish.params(map[string]string{pTopicARN: s.TopicARN})
}

func (s Subscribe) params() map[string]string {
	return map[string]string{pTopicARN: s.TopicARN, pProtocol: s.Protocol, pEndpoint: s.Endpoint}
}

func (s PutMetricAlarm) params() map[string]string {
	return withTags(map[string]string{pAlarmName: s.AlarmName, pNamespace: s.Namespace, pMetricName: s.MetricName,
		pStatistic: s.Statistic, pPeriod: strconv.Itoa(int(s.Period)), pEvaluationPeriods: strconv.Itoa(int(s.EvaluationPeriods)),
		pDatapointsToAlarm: strconv.Itoa(int(s.DatapointsToAlarm)), pThreshold: formatFloat(s.Threshold),
		pComparisonOperator: s.ComparisonOperator, pTreatMissingData: s.TreatMissingData, pTopicARN: s.TopicARN}, s.Tags)
}

func (s RawStep) params() map[string]string { return s.Params }

func (a AlarmPublish) params(m map[string]string) map[string]string {
	m[pSid], m[pSourceAccount], m[pSourceArn] = a.Sid, a.SourceAccount, a.SourceARN
	return m
}

func withTags(m map[string]string, tags Tags) map[string]string {
	for k, v := range tags {
		m[tagPrefix+k] = v
	}
	return m
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func toWire(s PlanStep) wireStep {
	i := s.Info()
	return wireStep{Control: i.Control, Kind: s.Kind(), Region: i.Region, Resource: i.Resource, Detail: i.Detail, Params: s.params()}
}

// marshalStep writes the wire form. HTML characters are left as they are: the encoder that
// embeds the result escapes them or not, as it would have for the first version's struct.
func marshalStep(s PlanStep) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(toWire(s)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// MarshalJSON writes the step's wire form.
func (s StartLogging) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// MarshalJSON writes the step's wire form.
func (s PutMetricFilter) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// MarshalJSON writes the step's wire form.
func (s CreateTopic) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// MarshalJSON writes the step's wire form.
func (s MergeTopicPolicy) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// MarshalJSON writes the step's wire form.
func (s Subscribe) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// MarshalJSON writes the step's wire form.
func (s PutMetricAlarm) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// MarshalJSON writes the step's wire form.
func (s RawStep) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// UnmarshalStep reads a step's wire form into its type. A step of a kind this version does not
// know, or lacking a parameter, or with a malformed number, is a RawStep: only JSON that is not
// a step is an error.
func UnmarshalStep(data []byte) (PlanStep, error) {
	var w wireStep
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	info := StepInfo{Region: w.Region, Resource: w.Resource, Detail: w.Detail, Control: w.Control}
	raw := RawStep{StepInfo: info, StepKind: w.Kind, Params: w.Params}
	decode, ok := stepKinds[w.Kind]
	if !ok {
		raw.Problem = fmt.Sprintf("unknown step kind %q: this plan was made by another version of cisbot; plan again", w.Kind)
		return raw, nil
	}
	r := &paramReader{kind: w.Kind, params: w.Params}
	s := decode(info, r)
	if r.err != nil {
		raw.Problem = r.err.Error()
		return raw, nil
	}
	return s, nil
}

// PlanSteps are a plan's steps; they decode through the kind registry.
type PlanSteps []PlanStep

// UnmarshalJSON decodes each step into its type.
func (ps *PlanSteps) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*ps = nil
		return nil
	}
	out := make(PlanSteps, 0, len(raw))
	for i, r := range raw {
		s, err := UnmarshalStep(r)
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		out = append(out, s)
	}
	*ps = out
	return nil
}

// UnmarshalJSON decodes the step into its type.
func (r *StepResult) UnmarshalJSON(data []byte) error {
	var w struct {
		Step    json.RawMessage `json:"step"`
		Outcome StepOutcome     `json:"outcome"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	s, err := UnmarshalStep(w.Step)
	if err != nil {
		return err
	}
	r.Step, r.Outcome = s, w.Outcome
	return nil
}

// paramReader reads a step's wire parameters, keeping the first one missing or malformed.
type paramReader struct {
	kind   string
	params map[string]string
	err    error
}

func (r *paramReader) str(key string) string {
	v := r.params[key]
	if v == "" && r.err == nil {
		r.err = fmt.Errorf("the %s step lacks parameter %s: plan again", r.kind, key)
	}
	return v
}

func (r *paramReader) int32(key string) int32 {
	s := r.str(key)
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("the %s step's parameter %s is %q, not a number: plan again", r.kind, key, s)
	}
	return int32(n)
}

func (r *paramReader) float(key string) float64 {
	s := r.str(key)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("the %s step's parameter %s is %q, not a number: plan again", r.kind, key, s)
	}
	return f
}

func (r *paramReader) publish() AlarmPublish {
	return AlarmPublish{Sid: r.str(pSid), SourceAccount: r.str(pSourceAccount), SourceARN: r.str(pSourceArn)}
}

func (r *paramReader) tags() Tags {
	var t Tags
	for k, v := range r.params {
		if key, ok := strings.CutPrefix(k, tagPrefix); ok {
			if t == nil {
				t = Tags{}
			}
			t[key] = v
		}
	}
	return t
}
