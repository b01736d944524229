package slackbot

import (
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

func fixReplies() []struct {
	name  string
	reply commands.Reply
} {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	plan := cis.Plan{Account: "dev", AccountID: "222222222222", Hash: "h1", Steps: cis.PlanSteps{
		cis.StartLogging{StepInfo: cis.StepInfo{Detail: "Start logging on trail main"}},
		cis.PutMetricFilter{StepInfo: cis.StepInfo{Detail: "Create metric filter unauthorized_api_calls_metric on cloudtrail-logs <with> & pattern"}},
		cis.PutMetricAlarm{StepInfo: cis.StepInfo{Detail: "Create alarm unauthorized_api_calls_alarm on CISBenchmark/unauthorized_api_calls_metric"}},
	}, Manual: []string{"Record read events: aws cloudtrail put-event-selectors …"}}
	applied := &cis.ApplyResult{Account: "dev", OK: false, Steps: []cis.StepResult{
		{Step: plan.Steps[0], Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true}},
		{Step: plan.Steps[1], Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK}},
		{Step: plan.Steps[2], Outcome: cis.StepOutcome{Outcome: cis.OutcomeFailed, Code: "AccessDenied", Message: "not authorized to perform cloudwatch:PutMetricAlarm"}},
	}}
	after := []cis.ControlResult{{Control: "4.1", Result: cis.Result{Account: "dev", Status: cis.StatusFail, Reason: "alarm: no alarm in us-east-1 watches CISBenchmark/unauthorized_api_calls_metric"}}}
	interrupted := &cis.ApplyResult{Account: "dev", Steps: []cis.StepResult{
		{Step: plan.Steps[0], Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true, Detail: "trail main started logging"}},
		{Step: plan.Steps[1], Outcome: cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: commands.NotRecorded}},
		{Step: plan.Steps[2], Outcome: cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: commands.NotRecorded}},
	}}
	return []struct {
		name  string
		reply commands.Reply
	}{
		{"fix-plan", commands.FixPlan{RequestID: "r1", Plan: plan, RequestedBy: "U0ALICE01", Expires: at.Add(time.Hour), Actions: []commands.Action{
			{ID: commands.ActionApprove, Label: "Approve", Value: "r1", Style: "primary"}, {ID: commands.ActionReject, Label: "Reject", Value: "r1", Style: "danger"}}}},
		{"fix-plan-superseded", commands.FixPlan{RequestID: "r2", Superseded: "r1", Plan: plan, RequestedBy: "cli"}},
		{"fix-applied-partly", commands.FixDecided{RequestID: "r1", Account: "dev", State: "failed", DecidedBy: "U0BOB0001", Plan: plan, Applied: applied, After: after}},
		{"fix-interrupted", commands.FixDecided{RequestID: "r1", Account: "dev", State: "interrupted", DecidedBy: "U0BOB0001", Plan: plan, Applied: interrupted, After: after}},
		{"history-interrupted", commands.History{Account: "dev", Entries: []commands.HistoryEntry{
			{RequestID: "r3", State: "interrupted", RequestedBy: "U0ALICE01", DecidedBy: "U0BOB0001", Created: at, Steps: 3}}}},
		{"fix-rejected", commands.FixDecided{RequestID: "r1", Account: "dev", State: "rejected", DecidedBy: "U0BOB0001", Plan: plan}},
		{"history", commands.History{Account: "dev", Entries: []commands.HistoryEntry{
			{RequestID: "r2", State: "applied", RequestedBy: "U0ALICE01", DecidedBy: "U0BOB0001", Created: at, Steps: 3},
			{RequestID: "r1", State: "superseded", RequestedBy: "U0ALICE01", Created: at.Add(-time.Hour), Steps: 2}}}},
		{"history-empty", commands.History{Account: "dev"}},
	}
}

func TestRenderFixGolden(t *testing.T) {
	for _, tc := range fixReplies() {
		t.Run(tc.name, func(t *testing.T) {
			m := newMessage(tc.reply)
			if err := validate(m.Blocks); err != nil {
				t.Errorf("breaks a Slack limit: %v", err)
			}
			if m.ResponseType != inChannel {
				t.Errorf("response_type %q: fix replies are for the channel", m.ResponseType)
			}
			got := encode(t, m)
			if strings.Contains(string(got), "<with>") {
				t.Error("user text is not escaped")
			}
			golden(t, tc.name+".json", got)
		})
	}
}
