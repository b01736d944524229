package cis

import (
	"maps"
	"slices"
	"strings"
)

// PlanStep is one change of a plan. Its types are StartLogging, PutMetricFilter, CreateTopic,
// MergeTopicPolicy, MergeQueuePolicy, Subscribe and PutMetricAlarm, plus RawStep for a stored step this version
// cannot type; the applier (internal/accountchanger) switches on the type.
// (Step, without Plan, is a link of the audit's chain.)
type PlanStep interface {
	// Kind is the step's name on the wire, one of the Kind* constants.
	Kind() string
	// Info is what every step has: where it acts and the sentence for people.
	Info() StepInfo
	// params is the step's wire form; PlanHash hashes it.
	params() map[string]string
}

// StepInfo is what every step has.
type StepInfo struct {
	Region   string
	Resource string // the ARN (or, for a metric filter, the name) it creates or changes
	Detail   string // one sentence for people
	// Control is the id of the control the step is for, in a plan of several controls (see
	// NewPlanControls); it is empty for a step shared by them (the trail, the topic) and in a
	// plan of control 4.1 alone, as plans were stored before they named their controls.
	Control string
}

// Info returns the step's common part; each step type gets it by embedding StepInfo.
func (i StepInfo) Info() StepInfo { return i }

// The kinds of step, in the order a plan executes them.
const (
	KindStartLogging     = "start_logging"
	KindPutMetricFilter  = "put_metric_filter"
	KindCreateTopic      = "create_topic"
	KindMergeTopicPolicy = "merge_topic_policy"
	KindMergeQueuePolicy = "merge_queue_policy"
	KindSubscribe        = "subscribe"
	KindPutMetricAlarm   = "put_metric_alarm"
)

// A queue's policy lets the topic send before the queue is subscribed, so that no message is
// refused in between.
var kindOrder = []string{KindStartLogging, KindPutMetricFilter, KindCreateTopic, KindMergeTopicPolicy, KindMergeQueuePolicy, KindSubscribe, KindPutMetricAlarm}

// Tags are the tags of a created resource, by key.
type Tags map[string]string

// Sorted lists the tags as key, value pairs sorted by key.
func (t Tags) Sorted() [][2]string {
	out := make([][2]string, 0, len(t))
	for _, k := range slices.Sorted(maps.Keys(t)) {
		out = append(out, [2]string{k, t[k]})
	}
	return out
}

// String is "k=v, k=v" in key order, as step details show them.
func (t Tags) String() string {
	var parts []string
	for _, kv := range t.Sorted() {
		parts = append(parts, kv[0]+"="+kv[1])
	}
	return strings.Join(parts, ", ")
}

// StartLogging starts a stopped trail.
type StartLogging struct {
	StepInfo
	TrailARN  string
	TrailName string
}

// PutMetricFilter creates a metric filter on a log group.
type PutMetricFilter struct {
	StepInfo
	LogGroupName string
	FilterName   string
	Pattern      string
	MetricName   string
	Namespace    string
	MetricValue  string
	DefaultValue float64
}

// AlarmPublish is the statement that lets a region's CloudWatch alarms of an account publish to
// a topic: its Sid and the source conditions.
type AlarmPublish struct {
	Sid           string
	SourceAccount string
	SourceARN     string // a pattern matching the alarms' ARNs
}

// CreateTopic creates an SNS topic, or uses one of that name that exists, making sure the
// alarms may publish to it.
type CreateTopic struct {
	StepInfo
	TopicName string
	TopicARN  string
	Publish   AlarmPublish
	Tags      Tags
}

// MergeTopicPolicy makes sure alarms may publish to an existing topic.
type MergeTopicPolicy struct {
	StepInfo
	TopicARN string
	Publish  AlarmPublish
}

// Subscribe subscribes an endpoint (https URL, e-mail address or SQS queue ARN) to a topic.
type Subscribe struct {
	StepInfo
	TopicARN string
	Protocol string
	Endpoint string
}

// Matches reports whether a subscription's protocol and endpoint are this step's.
func (s Subscribe) Matches(protocol, address string) bool {
	return sameEndpoint(endpoint{s.Protocol, s.Endpoint}, protocol, address)
}

// Shown is the endpoint as people see it: a URL without its path and query, which may hold
// a secret.
func (s Subscribe) Shown() string { return redactEndpoint(s.Protocol, s.Endpoint) }

// PutMetricAlarm creates a metric alarm notifying a topic on ALARM and on OK.
type PutMetricAlarm struct {
	StepInfo
	AlarmName          string
	Namespace          string
	MetricName         string
	Statistic          string
	Period             int32
	EvaluationPeriods  int32
	DatapointsToAlarm  int32
	Threshold          float64
	ComparisonOperator string
	TreatMissingData   string
	TopicARN           string
	Tags               Tags
}

// RawStep is a stored step this version cannot type: its kind is unknown (another version made
// the plan) or a parameter is missing or malformed. It is kept as it was, so the stored plan
// still shows and its hash still holds; the applier refuses to run it, saying Problem.
type RawStep struct {
	StepInfo
	StepKind string
	Params   map[string]string
	Problem  string
}

// Kind is the step's name on the wire.
func (StartLogging) Kind() string { return KindStartLogging }

// Kind is the step's name on the wire.
func (PutMetricFilter) Kind() string { return KindPutMetricFilter }

// Kind is the step's name on the wire.
func (CreateTopic) Kind() string { return KindCreateTopic }

// Kind is the step's name on the wire.
func (MergeTopicPolicy) Kind() string { return KindMergeTopicPolicy }

// Kind is the step's name on the wire.
func (Subscribe) Kind() string { return KindSubscribe }

// Kind is the step's name on the wire.
func (PutMetricAlarm) Kind() string { return KindPutMetricAlarm }

// Kind is the step's name on the wire.
func (s RawStep) Kind() string { return s.StepKind }

// endpoint is a subscriber: protocol and address.
type endpoint struct{ protocol, address string }

func sameEndpoint(e endpoint, protocol, address string) bool {
	if e.protocol != protocol {
		return false
	}
	if protocol == "email" {
		return strings.EqualFold(e.address, address)
	}
	return e.address == address
}
