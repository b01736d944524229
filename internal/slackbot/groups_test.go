package slackbot

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestGroups(t *testing.T) {
	f := newFakeSlack(t)
	f.groups["S0SECOPS1"] = []string{"U1", "U2"}
	g := NewGroups(f.config())
	members, err := g.Members(context.Background(), "S0SECOPS1")
	if err != nil || !slices.Equal(members, []string{"U1", "U2"}) {
		t.Errorf("Members: %v, %v", members, err)
	}
	if _, err := g.Members(context.Background(), "S0GONE001"); err == nil || !strings.Contains(err.Error(), "user group S0GONE001 does not exist: fix slack.auditors") {
		t.Errorf("unknown group: %v", err)
	}
	cfg := f.config()
	cfg.BotToken = "xoxb-wrong"
	if _, err := NewGroups(cfg).Members(context.Background(), "S0SECOPS1"); err == nil || !strings.Contains(err.Error(), "check SLACK_BOT_TOKEN") || strings.Contains(err.Error(), "xoxb-wrong") {
		t.Errorf("wrong token: %v", err)
	}
}
