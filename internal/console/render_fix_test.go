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
	tests := []struct {
		name  string
		reply commands.Reply
	}{
		{"fix-plan", commands.FixPlan{RequestID: "r1", Plan: plan, RequestedBy: "console", Expires: at, Actions: []commands.Action{
			{ID: commands.ActionApprove, Label: "Approve", Value: "r1"}, {ID: commands.ActionReject, Label: "Reject", Value: "r1"}}}},
		{"fix-applied", commands.FixDecided{RequestID: "r1", Account: "dev", State: "applied", DecidedBy: "U0BOB0001", Plan: plan, Applied: applied,
			After: &cis.Result{Status: cis.StatusPass, Reason: "every step of the CIS chain passes"}}},
		{"fix-interrupted", commands.FixDecided{RequestID: "r1", Account: "dev", State: "interrupted", DecidedBy: "U0BOB0001", Plan: plan,
			Applied: &cis.ApplyResult{Account: "dev", Steps: []cis.StepResult{
				{Step: plan.Steps[0], Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true, Detail: "trail main started logging"}},
				{Step: plan.Steps[1], Outcome: cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: commands.NotRecorded}},
			}},
			After: &cis.Result{Status: cis.StatusFail, Reason: "alarm: no alarm watches the metric"}}},
		{"history", commands.History{Account: "dev", Entries: []commands.HistoryEntry{{RequestID: "r1", State: "applied", RequestedBy: "console", DecidedBy: "U0BOB0001", Created: at, Steps: 2}}}},
		{"history-empty", commands.History{Account: "dev"}},
	}
	for _, tc := range tests {
		golden(t, tc.name+".txt", render(tc.reply))
	}
}
