package console

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
)

// sampleSummary is every kind of change over three controls, compared as a summary does: dev
// newly failing 4.3 and still failing 4.1 and 4.10 (one line: the same step, since the same audit), qa newly passing 4.1, sandbox not audited at all,
// and one account passing as before.
func sampleSummary() summary.Digest {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	res := func(account, id, control string, st cis.Status, step cis.Step, reason string) cis.ControlResult {
		r := cis.Result{Account: account, AccountID: id, Status: st, Reason: reason}
		if step != "" {
			r.FailedStep = &step
		}
		return cis.ControlResult{Control: control, Result: r}
	}
	prev := func(account, control, verdict string, since time.Time) store.AuditRecord {
		return store.AuditRecord{Account: account, Control: control, At: at.AddDate(0, 0, -3), Status: verdict, Verdict: verdict, Since: since}
	}
	results := []cis.ControlResult{
		res("dev", "222222222222", "4.1", cis.StatusFail, cis.StepMetricFilter, "no filter"),
		res("dev", "222222222222", "4.3", cis.StatusFail, cis.StepSubscriber, "topic cis-alarms has no confirmed subscription\n(1 pending)"),
		res("dev", "222222222222", "4.10", cis.StatusFail, cis.StepMetricFilter, "no filter"),
		res("qa", "444444444444", "4.1", cis.StatusPass, "", ""),
		res("qa", "444444444444", "4.3", cis.StatusPass, "", ""),
		res("qa", "444444444444", "4.10", cis.StatusPass, "", ""),
		res("prod", "111111111111", "4.1", cis.StatusPass, "", ""),
		res("prod", "111111111111", "4.3", cis.StatusPass, "", ""),
		res("prod", "111111111111", "4.10", cis.StatusPass, "", ""),
	}
	for _, c := range []string{"4.1", "4.3", "4.10"} {
		results = append(results, res("sandbox", "", c, cis.StatusError, cis.StepTrail, "trail: sts:AssumeRole: AccessDenied"))
	}
	recs := []store.AuditRecord{
		prev("dev", "4.1", "FAIL", at.Add(-72*time.Hour)), prev("dev", "4.3", "PASS", at.AddDate(0, -1, 0)), prev("dev", "4.10", "FAIL", at.Add(-72*time.Hour)),
		prev("qa", "4.1", "FAIL", at.Add(-72*time.Hour)), prev("sandbox", "4.1", "PASS", at.AddDate(0, -1, 0)),
		prev("sandbox", "4.3", "PASS", at.AddDate(0, -1, 0)), prev("sandbox", "4.10", "PASS", at.AddDate(0, -1, 0)),
	}
	s, _ := summary.Compare(results, summary.PreviousByPair(recs), at, "a1b2c3d4e5f6")
	s.Schedule, s.Channel, s.Controls, s.Location = "a1b2c3d4e5f6", "C0SECOPS01", []string{"4.1", "4.3", "4.10"}, berlin
	s.Previous = &summary.Previous{At: at.AddDate(0, 0, -3), Pass: 8, Total: 12}
	return s
}

func TestRenderSummary(t *testing.T) {
	s := sampleSummary()
	golden(t, "summary.txt", RenderSummary(s, SummaryActions(s)))
	first := summary.Digest{Controls: s.Controls, At: s.At, Pass: 6, Total: 6, Unchanged: 6,
		Accounts: []summary.Account{{Account: "prod", Pass: 3, Total: 3}, {Account: "dev", Pass: 3, Total: 3}}}
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
	if !strings.Contains(out.String(), "[1] Fix: dev\n") || strings.Contains(out.String(), "[2]") {
		t.Errorf("output:\n%s", out.String())
	}
	c.Exec(context.Background(), "1")
	if len(h.pressed) != 1 || h.pressed[0] != (commands.ActionRequest{ActionID: commands.ActionFix, Value: commands.FixAction("dev", sampleSummary().Controls).Value, UserID: UserID, ChannelID: ChannelID}) {
		t.Errorf("pressed %+v", h.pressed)
	}
}

// pressRecorder is a Handler that records the buttons pressed.
type pressRecorder struct{ pressed []commands.ActionRequest }

func (p *pressRecorder) Handle(context.Context, commands.Request, commands.Replier) {}
func (p *pressRecorder) HandleAction(_ context.Context, req commands.ActionRequest, _ commands.Replier) {
	p.pressed = append(p.pressed, req)
}
