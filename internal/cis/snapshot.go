package cis

import "time"

// Snapshot is what the audit collected about one account: plain data, so that verdicts are pure
// functions over it and can be table-tested without AWS. A field's *Err is the failed call that
// should have filled it.
type Snapshot struct {
	Account   string // the configured name
	AccountID string
	// Trails are the account's trails as DescribeTrails lists them (shadow trails included).
	Trails    []Trail
	TrailsErr *CallError
	// LogGroups holds what was read per log group ARN (as the trail names it).
	LogGroups map[string]*LogGroup
	// Alarms holds the metric alarms per "account/region" where a log group lives.
	Alarms map[string]*AlarmSet
	// Topics holds the subscriptions per topic ARN named in an alarm action.
	Topics map[string]*Topic
}

// CallError is an AWS call that failed, as evidence: which call, on what, and why.
type CallError struct {
	API      string `json:"api"` // "cloudtrail:GetTrailStatus"
	Resource string `json:"resource,omitempty"`
	Code     string `json:"code,omitempty"` // the AWS error code, e.g. AccessDenied
	Message  string `json:"message"`
	// Unreachable marks a resource in an account the bot has no credentials for (not a failure
	// of the call, a gap in the configuration).
	Unreachable bool `json:"unreachable,omitempty"`
}

func (e *CallError) Error() string {
	s := e.API
	if e.Resource != "" {
		s += " on " + e.Resource
	}
	return s + ": " + e.Message
}

// Trail is one CloudTrail trail with its status and event selectors.
type Trail struct {
	Name         string
	ARN          string
	HomeRegion   string
	MultiRegion  bool
	Organization bool
	LogGroupARN  string // CloudWatchLogsLogGroupArn; empty when not delivering to CloudWatch Logs
	RoleARN      string // CloudWatchLogsRoleArn

	Status    *TrailStatus
	StatusErr *CallError

	Selectors    *EventSelectors
	SelectorsErr *CallError
}

// TrailStatus is the part of GetTrailStatus the audit uses.
type TrailStatus struct {
	IsLogging bool
	// LatestDeliveryError is LatestCloudWatchLogsDeliveryError.
	LatestDeliveryError string
	// LatestDeliveryTime is LatestCloudWatchLogsDeliveryTime; zero when unknown.
	LatestDeliveryTime time.Time
}

// EventSelectors are a trail's basic or advanced event selectors (a trail has one kind).
type EventSelectors struct {
	Basic    []BasicSelector
	Advanced []AdvancedSelector
}

// BasicSelector is one classic event selector.
type BasicSelector struct {
	IncludeManagementEvents bool
	ReadWriteType           string // All, ReadOnly, WriteOnly
	ExcludeSources          []string
}

// AdvancedSelector is one advanced event selector: its field conditions are AND-ed.
type AdvancedSelector struct {
	Name   string
	Fields []FieldCondition
}

// FieldCondition is one advanced selector field condition.
type FieldCondition struct {
	Field         string
	Equals        []string
	NotEquals     []string
	StartsWith    []string
	NotStartsWith []string
	EndsWith      []string
	NotEndsWith   []string
}

// LogGroup is a CloudWatch Logs group a trail delivers to, with its metric filters.
type LogGroup struct {
	ARN     string
	Account string // the 12-digit account id in the ARN
	Region  string
	Name    string
	Filters []MetricFilter
	Err     *CallError
}

// MetricFilter is one metric filter and the metric it publishes.
type MetricFilter struct {
	Name         string
	Pattern      string
	MetricName   string
	Namespace    string
	MetricValue  string
	DefaultValue *float64
	Unit         string
	Dimensions   map[string]string
}

// AlarmSet is every metric alarm of one account and region.
type AlarmSet struct {
	Account string
	Region  string
	Alarms  []Alarm
	Err     *CallError
}

// Alarm is one CloudWatch metric alarm.
type Alarm struct {
	Name               string
	ARN                string
	Namespace          string
	MetricName         string
	Dimensions         map[string]string
	Statistic          string // Sum, SampleCount, Average, Minimum, Maximum; empty with ExtendedStatistic
	ExtendedStatistic  string
	Period             int32
	EvaluationPeriods  int32
	DatapointsToAlarm  int32 // 0 = EvaluationPeriods
	Threshold          float64
	ComparisonOperator string
	TreatMissingData   string
	Unit               string
	ActionsEnabled     bool
	AlarmActions       []string
}

// Topic is an SNS topic with its subscriptions.
type Topic struct {
	ARN           string
	Subscriptions []Subscription
	Err           *CallError
}

// Subscription is one SNS subscription; ARN is "PendingConfirmation" until it is confirmed.
type Subscription struct {
	ARN      string
	Protocol string
	Endpoint string
}
