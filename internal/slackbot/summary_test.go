package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/summary"
)

var (
	summaryAt = time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC) // Thursday 09:00 in Berlin
	berlin    = mustZone("Europe/Berlin")
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// sampleSummary has every section: two accounts newly failing (one with markup in its name),
// one newly passing, one still failing for three days, one not audited, three unchanged.
func sampleSummary() summary.Digest {
	return summary.Digest{
		Schedule: "a1b2c3d4e5f6", Channel: "C0SECOPS01", Control: "4.1", At: summaryAt, Location: berlin,
		Pass: 4, Total: 8, Previous: &summary.Previous{At: summaryAt.AddDate(0, 0, -3), Pass: 5, Total: 8},
		NewlyFailing: []summary.Line{
			{Account: "dev", AccountID: "222222222222", Status: cis.StatusFail, FailedStep: "subscriber", Verdict: "PASS", Since: summaryAt,
				Reason: "topic cis-alarms has no confirmed subscription (1 pending). Confirm it from the e-mail."},
			{Account: "stage <!channel> & co", Status: cis.StatusFail, FailedStep: "alarm", Since: summaryAt,
				Reason: "no alarm on CISBenchmark/unauthorized_api_calls_metric would fire on one matching event"},
		},
		NewlyPassing: []summary.Line{{Account: "qa", AccountID: "444444444444", Status: cis.StatusPass, Verdict: "FAIL", Since: summaryAt}},
		StillFailing: []summary.Line{{Account: "legacy", AccountID: "555555555555", Status: cis.StatusFail, FailedStep: "metric_filter", Verdict: "FAIL",
			Since: summaryAt.Add(-72 * time.Hour), Reason: "the pattern misses AccessDeniedException"}},
		Errors: []summary.Line{{Account: "sandbox", Status: cis.StatusError, FailedStep: "trail", Verdict: "PASS", Since: summaryAt.AddDate(0, -1, 0),
			Reason: "trail: sts:AssumeRole: AccessDenied: the role's trust policy does not name the bot. More follows."}},
		Unchanged: 3,
	}
}

// bigSummary has n accounts in each section.
func bigSummary(n int) summary.Digest {
	s := summary.Digest{Schedule: "big", Channel: "C0SECOPS01", Control: "4.1", At: summaryAt, Pass: n, Total: 4*n + 500, Unchanged: 500}
	for i := range n {
		long := strings.Repeat("reason <&> ", 100)
		s.NewlyFailing = append(s.NewlyFailing, summary.Line{Account: fmt.Sprintf("new-%03d", i), AccountID: "111111111111", Status: cis.StatusFail, FailedStep: "alarm", Reason: long, Since: summaryAt})
		s.NewlyPassing = append(s.NewlyPassing, summary.Line{Account: fmt.Sprintf("fixed-%03d", i), Status: cis.StatusPass})
		s.StillFailing = append(s.StillFailing, summary.Line{Account: fmt.Sprintf("old-%03d", i), Status: cis.StatusFail, FailedStep: "trail", Since: summaryAt.AddDate(0, 0, -i)})
		s.Errors = append(s.Errors, summary.Line{Account: fmt.Sprintf("err-%03d", i), Status: cis.StatusError, Reason: long})
	}
	return s
}

func summaryGoldenCases() []struct {
	name string
	s    summary.Digest
} {
	first := summary.Digest{Schedule: "x", Channel: "C0SECOPS01", Control: "4.1", At: summaryAt, Pass: 2, Total: 2, Unchanged: 2}
	return []struct {
		name string
		s    summary.Digest
	}{
		{"summary", sampleSummary()},
		{"summary-first-all-pass", first},
		{"summary-120", bigSummary(30)},
	}
}

func TestRenderSummaryGolden(t *testing.T) {
	for _, tc := range summaryGoldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := renderSummary(tc.s)
			if err := validate(r.Blocks); err != nil {
				t.Errorf("breaks a Slack limit: %v", err)
			}
			checkLimits(t, r.Blocks)
			for _, txt := range mrkdwnTexts(r.Blocks) {
				if strings.Contains(txt, "<!channel>") || strings.Contains(txt, "<&>") {
					t.Errorf("unescaped text: %s", txt)
				}
			}
			golden(t, tc.name+".json", encodeSummary(t, r))
		})
	}
}

func encodeSummary(t *testing.T, r rendered) []byte {
	t.Helper()
	b, err := json.MarshalIndent(struct {
		Text   string        `json:"text"`
		Blocks []slack.Block `json:"blocks"`
	}{r.Text, r.Blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b)) + "\n")
}

// TestRenderSummaryContent checks what the golden files show, so that a careless -update
// cannot hide a lost section: the order of the sections, the Fix buttons of exactly the failing
// accounts, the still-failing account's step and since when, and the audit time.
func TestRenderSummaryContent(t *testing.T) {
	r := renderSummary(sampleSummary())
	text := strings.Join(mrkdwnTexts(r.Blocks), "\n")
	order := []string{"*Newly failing*", "*dev*", "*Newly passing*", "*qa*", "*Still failing*", "*legacy*", "*Not audited*", "*sandbox*", "3 accounts passing as before", "Audited <!date^1772697600^"}
	last := -1
	for _, s := range order {
		i := strings.Index(text, s)
		if i < 0 || i < last {
			t.Errorf("%q is missing or out of order in:\n%s", s, text)
		}
		last = i
	}
	for _, s := range []string{"fails at `subscriber`", "at `metric_filter`, for 3 days (since <!date^1772438400^", "_(it was PASS)_"} {
		if !strings.Contains(text, s) {
			t.Errorf("no %q in:\n%s", s, text)
		}
	}
	if h := r.Blocks[0].(*slack.HeaderBlock).Text.Text; h != "CIS 4.1 summary: 4 of 8 accounts pass, 1 fewer than Monday" {
		t.Errorf("header %q", h)
	}
	var buttons []string
	for _, b := range r.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				buttons = append(buttons, actionID(btn.ActionID)+"="+btn.Value)
			}
		}
	}
	want := []string{commands.ActionFix + "=dev", commands.ActionFix + "=stage <!channel> & co", commands.ActionFix + "=legacy"}
	if strings.Join(buttons, "|") != strings.Join(want, "|") {
		t.Errorf("buttons %v, want %v", buttons, want)
	}
}

// TestRenderSummaryHuge: far more accounts than a message holds stay within Slack's limits,
// each section saying how many it left out.
func TestRenderSummaryHuge(t *testing.T) {
	r := renderSummary(bigSummary(400))
	if err := validate(r.Blocks); err != nil {
		t.Fatal(err)
	}
	checkLimits(t, r.Blocks)
	text := strings.Join(mrkdwnTexts(r.Blocks), "\n")
	if !strings.Contains(text, "more accounts newly failing") {
		t.Errorf("no count of the newly failing accounts left out:\n%s", text)
	}
	if !strings.Contains(text, "Fix buttons are not shown") {
		t.Errorf("no count of the Fix buttons left out")
	}
}

// summaryChat is a chat.postMessage endpoint that records what it is sent.
type summaryChat struct {
	mu    sync.Mutex
	forms []url.Values
	auth  []string
	body  string
}

func (f *summaryChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/chat.postMessage" {
		http.NotFound(w, r)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(raw))
	f.forms = append(f.forms, form)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, f.body)
}

func TestSummaryPoster(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		channel string
		err     string // "" for success
	}{
		{"posted", `{"ok":true,"channel":"C0SECOPS01","ts":"1772697600.000100"}`, "C0SECOPS01", ""},
		{"not in channel", `{"ok":false,"error":"not_in_channel"}`, "C0SECOPS01", "invite it (/invite @cisbot), or fix summaries[].channel"},
		{"channel not found", `{"ok":false,"error":"channel_not_found"}`, "C0SECOPS01", "fix summaries[].channel"},
		{"token refused", `{"ok":false,"error":"invalid_auth"}`, "C0SECOPS01", "check SLACK_BOT_TOKEN"},
		{"no channel", ``, "", "set summaries[].channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &summaryChat{body: tc.body}
			srv := httptest.NewServer(f)
			defer srv.Close()
			logger, logs := newLogger(t)
			p := NewSummaryPoster(Config{BotToken: testBotToken, APIURL: srv.URL + "/"}, logger)
			s := sampleSummary()
			s.Channel = tc.channel
			err := p.PostSummary(context.Background(), s)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), testBotToken) || strings.Contains(logs.String(), testBotToken) {
				t.Error("the token is in the error or the log")
			}
			if tc.channel == "" {
				if len(f.forms) != 0 {
					t.Error("posted without a channel")
				}
				return
			}
			if len(f.forms) != 1 || f.forms[0].Get("channel") != tc.channel ||
				f.auth[0] != "Bearer "+testBotToken && f.forms[0].Get("token") != testBotToken {
				t.Fatalf("calls %v with auth %v", f.forms, f.auth)
			}
			var blocks []map[string]any
			if err := json.Unmarshal([]byte(f.forms[0].Get("blocks")), &blocks); err != nil {
				t.Fatal(err)
			}
			if len(blocks) != len(renderSummary(s).Blocks) || !strings.Contains(f.forms[0].Get("blocks"), `"action_id":"cis_fix_start"`) ||
				!strings.HasPrefix(f.forms[0].Get("text"), "CIS 4.1 summary: 4 of 8 accounts pass") {
				t.Errorf("posted %s", f.forms[0])
			}
		})
	}
}

// actionLog is a Handler that records the buttons pressed.
type actionLog struct{ got chan commands.ActionRequest }

func (a *actionLog) Handle(context.Context, commands.Request, commands.Replier) {}
func (a *actionLog) HandleAction(_ context.Context, req commands.ActionRequest, _ commands.Replier) {
	a.got <- req
}

// TestSummaryFixButtons: each Fix button of a posted summary, pressed in its channel, reaches
// the command handler as the fix action for its account (the flow of /cis fix).
func TestSummaryFixButtons(t *testing.T) {
	h := &actionLog{got: make(chan commands.ActionRequest, 10)}
	r := start(t, setup{handler: h})
	pressed := 0
	for i, b := range renderSummary(sampleSummary()).Blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for j, e := range a.Elements.ElementSet {
			btn := e.(*slack.ButtonBlockElement)
			id := fmt.Sprintf("env-fix-%d-%d", i, j)
			r.conn.send <- actionEnvelope(id, "U0AUDITOR", "C0SECOPS01", r.rec.url("fix"), button(btn.ActionID, btn.Value))
			r.slack.waitAck(t, id, ackDeadline)
			pressed++
			select {
			case req := <-h.got:
				want := commands.ActionRequest{ActionID: commands.ActionFix, Value: btn.Value, UserID: "U0AUDITOR", ChannelID: "C0SECOPS01", MessageRef: "1.1"} // the ts of the message with the button
				if req != want {
					t.Errorf("button %s: %+v, want %+v", btn.ActionID, req, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("button %s did not reach the handler", btn.ActionID)
			}
		}
	}
	if pressed != len(sampleSummary().Failing()) {
		t.Errorf("%d buttons pressed, want one per failing account", pressed)
	}
}
