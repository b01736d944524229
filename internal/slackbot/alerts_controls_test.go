package slackbot

import (
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/testutil/alertcorpus"
)

// The alerts of controls other than 4.1: titled by the control, with the fields it shows.
func TestRenderAlertControlsGolden(t *testing.T) {
	for _, tc := range []struct{ name, control string }{
		{"alert-root-usage", "4.3"},
		{"alert-console-signin-without-mfa", "4.2"},
		{"alert-security-group-change", "4.10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, c := alertcorpus.Alarm(t, tc.control)
			r := renderAlert(relay.Post{Channel: "C0ALERTS", Kind: relay.PostAlarm, TopicARN: "arn:aws:sns:us-east-1:111122223333:cis-alarms", Alarm: a, Findings: c})
			if err := validate(r.Blocks); err != nil {
				t.Errorf("breaks a Slack limit: %v", err)
			}
			if text := strings.Join(mrkdwnTexts(r.Blocks), "\n"); !strings.Contains(text, "*"+c.Control.Title+"*: ") {
				t.Errorf("not titled %q:\n%s", c.Control.Title, text)
			}
			golden(t, tc.name+".json", encodeAlert(t, r))
		})
	}
}
