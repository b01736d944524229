package console

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/summary"
)

func sampleSummary() summary.Digest {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	return summary.Digest{
		Schedule: "a1b2c3d4e5f6", Channel: "C0SECOPS01", Control: "4.1", At: at, Location: berlin,
		Pass: 2, Total: 5, Previous: &summary.Previous{At: at.AddDate(0, 0, -3), Pass: 3, Total: 5},
		NewlyFailing: []summary.Line{{Account: "dev", AccountID: "222222222222", Status: cis.StatusFail, FailedStep: "subscriber", Since: at,
			Reason: "topic cis-alarms has no confirmed subscription\n(1 pending)"}},
		NewlyPassing: []summary.Line{{Account: "qa", AccountID: "444444444444", Status: cis.StatusPass, Verdict: "FAIL"}},
		StillFailing: []summary.Line{{Account: "legacy", Status: cis.StatusFail, FailedStep: "metric_filter", Verdict: "FAIL", Since: at.Add(-72 * time.Hour)}},
		Errors:       []summary.Line{{Account: "sandbox", Status: cis.StatusError, Verdict: "PASS", Reason: "trail: sts:AssumeRole: AccessDenied"}},
		Unchanged:    1,
	}
}

func TestRenderSummary(t *testing.T) {
	s := sampleSummary()
	golden(t, "summary.txt", RenderSummary(s, SummaryActions(s)))
	first := summary.Digest{Control: "4.1", At: s.At, Pass: 2, Total: 2, Unchanged: 2}
	golden(t, "summary-first.txt", RenderSummary(first, nil))
}

// TestSummaryPosterOffersFix: a printed summary's numbers press its Fix buttons.
func TestSummaryPosterOffersFix(t *testing.T) {
	var out bytes.Buffer
	h := &pressRecorder{}
	c := New(h, &out)
	if err := c.Summaries().PostSummary(context.Background(), sampleSummary()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "[2] Fix: legacy\n") {
		t.Errorf("output:\n%s", out.String())
	}
	c.Exec(context.Background(), "2")
	if len(h.pressed) != 1 || h.pressed[0] != (commands.ActionRequest{ActionID: commands.ActionFix, Value: "legacy", UserID: UserID, ChannelID: ChannelID}) {
		t.Errorf("pressed %+v", h.pressed)
	}
}

// pressRecorder is a Handler that records the buttons pressed.
type pressRecorder struct{ pressed []commands.ActionRequest }

func (p *pressRecorder) Handle(context.Context, commands.Request, commands.Replier) {}
func (p *pressRecorder) HandleAction(_ context.Context, req commands.ActionRequest, _ commands.Replier) {
	p.pressed = append(p.pressed, req)
}
