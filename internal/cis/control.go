// Package cis is the domain of the bot: the CIS AWS Foundations monitoring controls as data, the
// judgement of a metric filter's pattern against a control, the verdict on an account's
// Snapshot, and the typed remediation Plan that makes a failing account pass. It is pure: it
// calls neither AWS (internal/accountreader fills the snapshot, internal/accountchanger applies
// a plan) nor Slack, so every verdict and plan is table-tested on plain structs.
package cis

import (
	"fmt"
	"strings"
)

// Ref is a control's number in one benchmark or standard.
type Ref struct {
	Benchmark string // "CIS AWS Foundations Benchmark", "AWS Security Hub"
	Versions  string // "v1.2.0", "v1.4.0–v3.0.0"; empty when unversioned
	ID        string // "3.1", "4.1", "CloudWatch.2"
	Title     string
}

// Severity says whether a probe's counterexample fails the control or only warrants a note.
type Severity int

// The severities.
const (
	Fail Severity = iota
	Warn
)

// Probe is one set of CloudTrail events with what a compliant pattern must do on it. The set is
// described by filter patterns so that it can be evaluated like any other: events that match
// every Include pattern and no Exclude pattern.
type Probe struct {
	Name      string // short id shown in results: "missed", "over-broad"
	Include   []string
	Exclude   []string
	WantMatch bool
	Severity  Severity
	// Problem is the sentence shown with a counterexample.
	Problem string
}

// AlarmSpec is the alarm the benchmark prescribes on the filter's metric.
type AlarmSpec struct {
	Statistic          string
	Period             int32 // seconds
	Threshold          float64
	ComparisonOperator string
	EvaluationPeriods  int32
}

// Names are the default names of what remediation creates.
type Names struct {
	FilterName      string
	MetricName      string
	MetricNamespace string
	AlarmName       string
	TopicName       string
}

// Control is one CIS monitoring control: a metric filter on the CloudTrail log group, an alarm
// on its metric, a subscribed topic.
type Control struct {
	ID    string // cisbot's id: the CIS v1.4–v3.0 number
	Title string
	Refs  []Ref
	// Patterns are the published filter patterns by name; remediation.pattern picks one.
	Patterns map[string]string
	// DefaultPattern names the entry of Patterns remediation uses unless configured.
	DefaultPattern string
	// SecurityHubAccepted are the exact texts Security Hub's check accepts; it compares strings.
	SecurityHubAccepted []string
	// Probes define what the control requires of a pattern, judged by evaluation.
	Probes   []Probe
	Alarm    AlarmSpec
	Defaults Names
}

// The published patterns of control 4.1.
const (
	// PatternSecurityHub is the CIS v1.2 3.1 pattern, the one Security Hub CloudWatch.2 checks for.
	PatternSecurityHub = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`
	// PatternCISv3 is the CIS v1.4–v3.0 pattern with its two exclusions, as CIS prints it.
	PatternCISv3 = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`
)

// cisAlarm is the alarm every CIS version prescribes: one matching event in five minutes fires.
var cisAlarm = AlarmSpec{
	Statistic:          "Sum",
	Period:             300,
	Threshold:          1,
	ComparisonOperator: "GreaterThanOrEqualToThreshold",
	EvaluationPeriods:  1,
}

// Controls lists the controls the bot knows, in benchmark order. Further section-4 controls are
// added as rows here.
var Controls = []Control{
	{
		ID:    "4.1",
		Title: "Ensure unauthorized API calls are monitored",
		Refs: []Ref{
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v1.0.0–v1.2.0", ID: "3.1", Title: "Ensure a log metric filter and alarm exist for unauthorized API calls"},
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v1.3.0–v1.5.0", ID: "4.1", Title: "Ensure a log metric filter and alarm exist for unauthorized API calls"},
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v2.0.0–v3.0.0", ID: "4.1", Title: "Ensure unauthorized API calls are monitored"},
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v4.0.0+", ID: "5.1", Title: "Ensure unauthorized API calls are monitored"},
			{Benchmark: "AWS Security Hub", ID: "CloudWatch.2", Title: "Ensure a log metric filter and alarm exist for unauthorized API calls"},
			{Benchmark: "Trend Micro Cloud One Conformity", ID: "CWL-002", Title: "AWS CloudWatch Unauthorized API Calls Alarm"},
		},
		Patterns: map[string]string{
			"securityhub": PatternSecurityHub,
			"cis-v3":      PatternCISv3,
		},
		DefaultPattern: "securityhub",
		SecurityHubAccepted: []string{
			`{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`,
			PatternSecurityHub,
		},
		Probes: []Probe{
			{
				Name:      "missed",
				Include:   []string{`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`},
				Exclude:   []string{`{ ($.sourceIPAddress = "delivery.logs.amazonaws.com") || ($.eventName = "HeadBucket") }`},
				WantMatch: true,
				Severity:  Fail,
				Problem:   "misses an unauthorized API call",
			},
			{
				Name:      "over-broad",
				Include:   []string{`{ $.errorCode NOT EXISTS }`},
				WantMatch: false,
				Severity:  Fail,
				Problem:   "matches a successful API call (an event with no errorCode), so the alarm would fire on normal traffic",
			},
			{
				Name:      "other-errors",
				Include:   []string{`{ $.errorCode = * }`},
				Exclude:   []string{`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`},
				WantMatch: false,
				Severity:  Warn,
				Problem:   "also counts errors that are not authorization failures; expect more alarms than CIS intends",
			},
		},
		Alarm: cisAlarm,
		Defaults: Names{
			FilterName:      "unauthorized_api_calls_metric",
			MetricName:      "unauthorized_api_calls_metric",
			MetricNamespace: "CISBenchmark",
			AlarmName:       "unauthorized_api_calls_alarm",
			TopicName:       "cis-alarms",
		},
	},
}

// Lookup finds a control by cisbot's id, or by its number in any benchmark ("3.1", "5.1",
// "CloudWatch.2", "CWL-002"; case-insensitive).
func Lookup(id string) (*Control, error) {
	id = strings.TrimSpace(id)
	for i := range Controls {
		if strings.EqualFold(Controls[i].ID, id) {
			return &Controls[i], nil
		}
	}
	for i := range Controls {
		for _, r := range Controls[i].Refs {
			if strings.EqualFold(r.ID, id) {
				return &Controls[i], nil
			}
		}
	}
	ids := make([]string, len(Controls))
	for i, c := range Controls {
		ids[i] = c.ID
	}
	return nil, fmt.Errorf("unknown control %q: known controls are %s", id, strings.Join(ids, ", "))
}
