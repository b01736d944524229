package slackbot

import (
	"context"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

// TestFixPosterPostsAndUpdates: the channel replier used at start posts to the channel with the
// bot token and updates a message by its ts; a handle that is not a ts is refused.
func TestFixPosterPostsAndUpdates(t *testing.T) {
	ws := slackfake.New(t, "xoxb-test")
	p := NewFixPoster(Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: ws.APIURL()}, nil)
	ctx := context.Background()
	ch := p.Channel("C0CHAN")
	plan := cis.Plan{Account: "prod", Steps: cis.PlanSteps{cis.StartLogging{StepInfo: cis.StepInfo{Detail: "Start logging on trail main"}}}}
	h, err := ch.Post(ctx, commands.FixPlan{RequestID: "r1", Plan: plan, RequestedBy: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Update(ctx, h, commands.FixDecided{RequestID: "r1", Account: "prod", State: "interrupted", Plan: plan,
		Applied: &cis.ApplyResult{Steps: []cis.StepResult{{Step: plan.Steps[0], Outcome: cis.StepOutcome{Outcome: cis.OutcomeNotRun, Detail: commands.NotRecorded}}}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := ws.Messages("C0CHAN")
	if len(msgs) != 1 || msgs[0].TS != string(h) || msgs[0].Updates != 1 || !strings.Contains(msgs[0].Text, "interrupted") {
		t.Fatalf("messages %+v", msgs)
	}
	if err := ch.Update(ctx, commands.Origin, commands.Text{Text: "x"}); err == nil {
		t.Error("an update of a handle that is not a ts was sent")
	}
	if err := ch.Update(ctx, "1700000000.000001", commands.Text{Text: "x"}); err == nil {
		t.Error("an update of an unknown message succeeded")
	}
}
