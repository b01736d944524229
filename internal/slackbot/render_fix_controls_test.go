package slackbot

import (
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// bareAccount is an account whose trail is stopped and whose log group has no metric filter, no
// alarm and no topic: every control fails, and its plan has every kind of step.
func bareAccount() *cis.Snapshot {
	const id, lg = "222222222222", "arn:aws:logs:us-east-1:222222222222:log-group:cloudtrail-logs:*"
	return &cis.Snapshot{Account: "dev", AccountID: id,
		Trails: []cis.Trail{{Name: "main", ARN: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main", HomeRegion: "us-east-1", MultiRegion: true, LogGroupARN: lg,
			Status:    &cis.TrailStatus{IsLogging: false},
			Selectors: &cis.EventSelectors{Basic: []cis.BasicSelector{{IncludeManagementEvents: true, ReadWriteType: "All"}}}}},
		LogGroups: map[string]*cis.LogGroup{lg: {ARN: lg, Account: id, Region: "us-east-1", Name: "cloudtrail-logs"}},
		Alarms:    map[string]*cis.AlarmSet{id + "/us-east-1": {Account: id, Region: "us-east-1"}},
		Topics:    map[string]*cis.Topic{},
	}
}

// plannedFix is the plan, as the planner makes it, of the controls (all of them when none) in
// a bare account, with each control's audit before it.
func plannedFix(ids ...string) (cis.Plan, []cis.ControlResult) {
	var ctls []*cis.Control
	for _, id := range ids {
		c, _ := cis.Lookup(id)
		ctls = append(ctls, c)
	}
	if len(ctls) == 0 {
		for i := range cis.Controls {
			ctls = append(ctls, &cis.Controls[i])
		}
	}
	snap := bareAccount()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var results []cis.Result
	var before []cis.ControlResult
	for _, c := range ctls {
		r := cis.Evaluate(c, snap, at)
		results = append(results, r)
		before = append(before, cis.ControlResult{Control: c.ID, Result: r})
	}
	opts := cis.PlanOptions{Subscribe: []string{"secops@example.com", "https://cisbot.example.com/sns/alerts"}, RequestID: "r4"}
	return cis.NewPlanControls(ctls, snap, results, opts), before
}

// TestRenderFixControlsGolden: a plan of several controls shows each control's audit and its
// steps grouped by control after the shared ones; all fifteen controls fit in one message.
func TestRenderFixControlsGolden(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	actions := []commands.Action{{ID: commands.ActionApprove, Label: "Approve", Value: "r4", Style: "primary"}, {ID: commands.ActionReject, Label: "Reject", Value: "r4", Style: "danger"}}
	two, twoBefore := plannedFix("4.3", "4.10")
	all, allBefore := plannedFix()
	after := make([]cis.ControlResult, len(twoBefore))
	copy(after, twoBefore)
	after[0].Status, after[0].Reason = cis.StatusPass, "every step passes"
	applied := &cis.ApplyResult{Account: "dev", OK: true}
	for _, s := range two.Steps {
		applied.Steps = append(applied.Steps, cis.StepResult{Step: s, Outcome: cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true}})
	}
	tests := []struct {
		name  string
		reply commands.Reply
		want  []string // fragments of the message's text
	}{
		{"fix-plan-controls", commands.FixPlan{RequestID: "r4", Plan: two, Before: twoBefore, RequestedBy: "U0ALICE01", Expires: at, Actions: actions},
			[]string{"*Shared*", "*4.3 Ensure usage of the", "*4.10 Ensure security group changes are monitored*", "0/2 controls pass"}},
		{"fix-plan-all-controls", commands.FixPlan{RequestID: "r4", Plan: all, Before: allBefore, RequestedBy: "U0ALICE01", Expires: at, Actions: actions},
			[]string{"*4.15 ", "34. "}},
		{"fix-applied-controls", commands.FixDecided{RequestID: "r4", Account: "dev", State: "applied", DecidedBy: "U0BOB0001", Plan: two, Applied: applied, After: after},
			[]string{"1/2 controls pass; fail 4.10", "*4.10 Ensure security group changes are monitored*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMessage(tc.reply)
			if err := validate(m.Blocks); err != nil {
				t.Errorf("breaks a Slack limit: %v", err)
			}
			got := encode(t, m)
			for _, w := range tc.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("lacks %q", w)
				}
			}
			if strings.Contains(string(got), "do not fit") {
				t.Error("steps were left out")
			}
			golden(t, tc.name+".json", got)
		})
	}
}

// A plan too long for one message says what it leaves out and where the full plan is.
func TestRenderFixControlsLeftOut(t *testing.T) {
	p, before := plannedFix()
	for i, s := range p.Steps {
		if f, ok := s.(cis.PutMetricFilter); ok {
			f.Detail += strings.Repeat(" (a longer sentence)", 20)
			p.Steps[i] = f
		}
	}
	m := newMessage(commands.FixPlan{RequestID: "r4", Plan: p, Before: before, RequestedBy: "U0ALICE01"})
	if err := validate(m.Blocks); err != nil {
		t.Fatalf("breaks a Slack limit: %v", err)
	}
	got := string(encode(t, m))
	if !strings.Contains(got, "do not fit in a Slack message: the full plan is in `cisbot fix dev --format json`") || !strings.Contains(got, "of 4.") {
		t.Errorf("no note of what was left out:\n%s", got)
	}
}
