package console

import (
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

func TestRenderFix(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	plan := cis.Plan{Account: "dev", AccountID: "222222222222", Steps: cis.PlanSteps{
		cis.StartLogging{StepInfo: cis.StepInfo{Detail: "Start logging on trail main"}},
		cis.PutMetricAlarm{StepInfo: cis.StepInfo{Detail: "Create alarm unauthorized_api_calls_alarm"}},
	}, Manual: []string{"Record read events: aws cloudtrail put-event-selectors …"}}
	applied := &cis.ApplyResult{Account: "dev", OK: true, Steps: []cis.StepResult{
		{Step: plan.Steps[0], Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true}},
		{Step: plan.Steps[1], Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK}},
	}}
	multi, before, after := multiPlan()
	tests := []struct {
		name  string
		reply commands.Reply
	}{
		{"fix-plan", commands.FixPlan{RequestID: "r1", Plan: plan, RequestedBy: "console", Expires: at, Actions: []commands.Action{
			{ID: commands.ActionApprove, Label: "Approve", Value: "r1"}, {ID: commands.ActionReject, Label: "Reject", Value: "r1"}}}},
		{"fix-applied", commands.FixDecided{RequestID: "r1", Account: "dev", State: "applied", DecidedBy: "U0BOB0001", Plan: plan, Applied: applied,
			After: []cis.ControlResult{{Control: "4.1", Result: cis.Result{Status: cis.StatusPass, Reason: "every step of the CIS chain passes"}}}}},
		{"fix-interrupted", commands.FixDecided{RequestID: "r1", Account: "dev", State: "interrupted", DecidedBy: "U0BOB0001", Plan: plan,
			Applied: &cis.ApplyResult{Account: "dev", Steps: []cis.StepResult{
				{Step: plan.Steps[0], Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true, Detail: "trail main started logging"}},
				{Step: plan.Steps[1], Outcome: cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: commands.NotRecorded}},
			}},
			After: []cis.ControlResult{{Control: "4.1", Result: cis.Result{Status: cis.StatusFail, Reason: "alarm: no alarm watches the metric"}}}}},
		{"fix-plan-controls", commands.FixPlan{RequestID: "r4", Plan: multi, Before: before, RequestedBy: "console", Expires: at}},
		{"fix-applied-controls", commands.FixDecided{RequestID: "r4", Account: "dev", State: "applied", DecidedBy: "U0BOB0001", Plan: multi, After: after}},
		{"history", commands.History{Account: "dev", Entries: []commands.HistoryEntry{{RequestID: "r1", State: "applied", RequestedBy: "console", DecidedBy: "U0BOB0001", Created: at, Steps: 2}}}},
		{"history-empty", commands.History{Account: "dev"}},
	}
	for _, tc := range tests {
		golden(t, tc.name+".txt", render(tc.reply))
	}
}

// multiPlan is a plan of three controls of which two fail: the shared steps, then each failing
// control's own; with the audit before and after it (one control still failing).
func multiPlan() (cis.Plan, []cis.ControlResult, []cis.ControlResult) {
	step := func(control, detail string) cis.StepInfo { return cis.StepInfo{Control: control, Detail: detail} }
	p := cis.Plan{Account: "dev", AccountID: "222222222222", Controls: []string{"4.1", "4.3", "4.10"}, Steps: cis.PlanSteps{
		cis.CreateTopic{StepInfo: step("", "Create SNS topic cis-alarms")},
		cis.Subscribe{StepInfo: step("", "Subscribe secops@example.com to topic cis-alarms")},
		cis.PutMetricFilter{StepInfo: step("4.3", "Create metric filter root_usage_metric")},
		cis.PutMetricAlarm{StepInfo: step("4.3", "Create alarm root_usage_alarm")},
		cis.PutMetricFilter{StepInfo: step("4.10", "Create metric filter security_group_changes_metric")},
		cis.PutMetricAlarm{StepInfo: step("4.10", "Create alarm security_group_changes_alarm")},
	}}
	r := func(id string, s cis.Status, reason string) cis.ControlResult {
		return cis.ControlResult{Control: id, Result: cis.Result{Account: "dev", Status: s, Reason: reason}}
	}
	before := []cis.ControlResult{r("4.1", cis.StatusPass, "every step passes"), r("4.3", cis.StatusFail, "metric_filter: none"), r("4.10", cis.StatusFail, "metric_filter: none")}
	after := []cis.ControlResult{r("4.1", cis.StatusPass, "every step passes"), r("4.3", cis.StatusPass, "every step passes"), r("4.10", cis.StatusFail, "subscriber: pending")}
	return p, before, after
}
