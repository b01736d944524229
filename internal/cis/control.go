// Package cis is the domain of the bot: the CIS AWS Foundations monitoring controls as data, the
// judgement of a metric filter's pattern against a control, the verdict on an account's
// Snapshot, and the typed remediation Plan that makes a failing account pass. It is pure: it
// calls neither AWS (internal/accountreader fills the snapshot, internal/accountchanger applies
// a plan) nor Slack, so every verdict and plan is table-tested on plain structs.
package cis

import (
	"fmt"
	"slices"
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
	Probes []Probe
	// Requirements are the benchmarks and version ranges that judge the control, each with the
	// pattern it publishes and what it requires beyond Probes; a pattern is judged against one
	// of them (the newest CIS version unless asked otherwise).
	Requirements []Requirement
	// LeavesAlone completes the sentence of a passing verdict: "the pattern matches every event
	// control 4.1 requires and …".
	LeavesAlone string
	Alarm       AlarmSpec
	Defaults    Names
	// AlertFields are the CloudTrail fields an alert for the control shows, as JSON paths.
	AlertFields []string
	// AlertTitle is the short title of an alert for the control: "Root user used".
	AlertTitle string
	// AlertCount, when set, is what an alert counts (singular, plural): its summary then reads
	// "19 unauthorized calls" rather than "Root user used: 2 events".
	AlertCount [2]string
	// AlertShows are the fields of AlertFields an alert lists for each principal besides those
	// it always shows (who, which calls, which errors, from where, in which region, when).
	AlertShows []string
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

// PatternNames are the names remediation.pattern may take: every name some control publishes a
// pattern under, sorted. A control that does not publish the configured one uses its own
// DefaultPattern.
func PatternNames() []string {
	var names []string
	for _, c := range Controls {
		for n := range c.Patterns {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}
