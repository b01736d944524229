package console

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/testutil/alertcorpus"
)

// The alerts of controls other than 4.1: titled by the control, with the fields it shows.
func TestPostAlertControlsGolden(t *testing.T) {
	for _, tc := range []struct{ name, control string }{
		{"alert-root-usage", "4.3"},
		{"alert-console-signin-without-mfa", "4.2"},
		{"alert-security-group-change", "4.10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, c := alertcorpus.Alarm(t, tc.control)
			var out bytes.Buffer
			if _, err := New(nil, &out).Alerts().Post(context.Background(), relay.Post{Kind: relay.PostAlarm, Alarm: a, Findings: c}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "  "+c.Control.Title+": ") {
				t.Errorf("not titled %q:\n%s", c.Control.Title, out.String())
			}
			golden(t, tc.name+".txt", out.String())
		})
	}
}
