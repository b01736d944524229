package slackbot

import (
	"cmp"
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
	"github.com/cisbot/cisbot/internal/store"
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

// pairRow is one (account, control) of a test summary: its result and its previous record.
type pairRow struct {
	account, id, control string
	status               cis.Status
	step                 cis.Step
	reason               string
	prev                 string // the previous verdict: "", PASS or FAIL
	prevStatus           string // the previous status when it differs from prev (ERROR)
	since                time.Time
}

// digestOf compares the rows as a summary does, over controls.
func digestOf(controls []string, rows []pairRow, previous *summary.Previous) summary.Digest {
	var results []cis.ControlResult
	var recs []store.AuditRecord
	for _, r := range rows {
		res := cis.Result{Account: r.account, AccountID: r.id, Status: r.status, Reason: r.reason}
		if r.step != "" {
			res.FailedStep = &r.step
		}
		results = append(results, cis.ControlResult{Control: r.control, Result: res})
		if r.prev != "" || r.prevStatus != "" {
			st := cmp.Or(r.prevStatus, r.prev)
			recs = append(recs, store.AuditRecord{Account: r.account, Control: r.control, At: summaryAt.AddDate(0, 0, -3), Status: st, Verdict: r.prev, Since: r.since})
		}
	}
	s, _ := summary.Compare(results, summary.PreviousByPair(recs), summaryAt, "a1b2c3d4e5f6")
	s.Schedule, s.Channel, s.Controls, s.Location, s.Previous = "a1b2c3d4e5f6", "C0SECOPS01", controls, berlin, previous
	return s
}

var sampleControls = []string{"4.1", "4.3", "4.10"}

// passing are rows of an account passing the sample's three controls as before.
func passing(account, id string) []pairRow {
	var rows []pairRow
	for _, c := range sampleControls {
		rows = append(rows, pairRow{account: account, id: id, control: c, status: cis.StatusPass, prev: "PASS", since: summaryAt.AddDate(0, -2, 0)})
	}
	return rows
}

// sampleSummary has every kind of change over three controls: dev newly failing 4.3 while its
// 4.1 passes and 4.10 still fails, an account with markup in its name newly failing, qa newly
// passing 4.1, legacy still failing two controls for three and five days, sandbox not audited
// at all, and three accounts passing as before.
func sampleSummary() summary.Digest {
	days := func(n int) time.Time { return summaryAt.AddDate(0, 0, -n) }
	rows := []pairRow{
		{"dev", "222222222222", "4.1", cis.StatusPass, "", "", "PASS", "", days(30)},
		{"dev", "222222222222", "4.3", cis.StatusFail, cis.StepSubscriber, "subscriber: topic cis-alarms has no confirmed subscription (1 pending). Confirm it from the e-mail.", "PASS", "", days(30)},
		{"dev", "222222222222", "4.10", cis.StatusFail, cis.StepMetricFilter, "no metric filter matches a console sign-in without MFA", "FAIL", "", days(5)},
		{"stage <!channel> & co", "", "4.1", cis.StatusFail, cis.StepAlarm, "no alarm on CISBenchmark/unauthorized_api_calls_metric would fire on one matching event", "", "", time.Time{}},
		{"stage <!channel> & co", "", "4.3", cis.StatusPass, "", "", "", "", time.Time{}},
		{"stage <!channel> & co", "", "4.10", cis.StatusPass, "", "", "", "", time.Time{}},
		{"qa", "444444444444", "4.1", cis.StatusPass, "", "", "FAIL", "", days(3)},
		{"qa", "444444444444", "4.3", cis.StatusPass, "", "", "PASS", "", days(30)},
		{"qa", "444444444444", "4.10", cis.StatusPass, "", "", "PASS", "", days(30)},
		{"legacy", "555555555555", "4.1", cis.StatusFail, cis.StepMetricFilter, "the pattern misses AccessDeniedException", "FAIL", "", days(3)},
		{"legacy", "555555555555", "4.3", cis.StatusPass, "", "", "PASS", "", days(30)},
		{"legacy", "555555555555", "4.10", cis.StatusFail, cis.StepAlarm, "no alarm", "FAIL", "ERROR", days(5)},
	}
	for _, c := range sampleControls {
		rows = append(rows, pairRow{"sandbox", "", c, cis.StatusError, cis.StepTrail, "trail: sts:AssumeRole: AccessDenied: the role's trust policy does not name the bot. More follows.", "PASS", "", days(30)})
	}
	for _, a := range []string{"ops", "audit", "billing"} {
		rows = append(rows, passing(a, "")...)
	}
	return digestOf(sampleControls, rows, &summary.Previous{At: days(3), Pass: 20, Total: 24})
}

// bigSummary is n accounts of all fifteen controls: in each group of five, one newly failing
// two controls (with a long reason), one newly passing one, one still failing three, one not
// audited, and one passing as before.
func bigSummary(n int) summary.Digest {
	var controls []string
	for _, c := range cis.Controls {
		controls = append(controls, c.ID)
	}
	long := strings.Repeat("reason <&> ", 100)
	var rows []pairRow
	for i := range n {
		name := fmt.Sprintf("account-%03d", i)
		for j, c := range controls {
			r := pairRow{account: name, id: fmt.Sprintf("%012d", i), control: c, status: cis.StatusPass, prev: "PASS", since: summaryAt.AddDate(0, -1, 0)}
			switch {
			case i%5 == 0 && j < 2:
				r.status, r.step, r.reason = cis.StatusFail, cis.StepAlarm, long
			case i%5 == 1 && j == 4:
				r.prev, r.since = "FAIL", summaryAt.AddDate(0, 0, -i)
			case i%5 == 2 && j >= 12:
				r.status, r.step, r.prev, r.since = cis.StatusFail, cis.StepMetricFilter, "FAIL", summaryAt.AddDate(0, 0, -i-j)
			case i%5 == 3:
				r.status, r.reason = cis.StatusError, long
			}
			rows = append(rows, r)
		}
	}
	return digestOf(controls, rows, &summary.Previous{At: summaryAt.AddDate(0, 0, -7), Pass: 15 * n, Total: 15 * n})
}

func summaryGoldenCases() []struct {
	name string
	s    summary.Digest
} {
	first := digestOf(sampleControls, append(passing("prod", "111111111111"), passing("dev", "222222222222")...), nil)
	return []struct {
		name string
		s    summary.Digest
	}{
		{"summary", sampleSummary()},
		{"summary-first-all-pass", first},
		{"summary-50x15", bigSummary(50)},
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
// cannot hide a lost line: the newly failing checks with their reasons, then one line per
// account that changed or fails (its controls passing, which changed, since when), the count
// of the others, the Fix buttons of exactly the failing accounts, and the audit time.
func TestRenderSummaryContent(t *testing.T) {
	r := renderSummary(sampleSummary())
	text := strings.Join(mrkdwnTexts(r.Blocks), "\n")
	order := []string{
		"*Newly failing*", "*dev* 4.3 fails at `subscriber`: topic cis-alarms", "*stage &lt;!channel&gt; &amp; co* 4.1 fails at `alarm`",
		"*By account*",
		"*dev* `222222222222` 1/3 · newly failing 4.3 · still failing 4.10 since Saturday",
		"*stage &lt;!channel&gt; &amp; co* 2/3 · newly failing 4.1",
		"*qa* `444444444444` 3/3 · newly passing 4.1",
		"*legacy* `555555555555` 1/3 · still failing 4.1, 4.10 since Saturday",
		"*sandbox* 0/3 · not audited (all 3): trail: sts:AssumeRole: AccessDenied",
		"3 accounts pass all 3 controls as before", "Audited <!date^1772697600^",
	}
	last := -1
	for _, s := range order {
		i := strings.Index(text, s)
		if i < 0 || i < last {
			t.Errorf("%q is missing or out of order in:\n%s", s, text)
		}
		last = i
	}
	if strings.Contains(text, "Not shown") {
		t.Errorf("a small summary left something out:\n%s", text)
	}
	if h := r.Blocks[0].(*slack.HeaderBlock).Text.Text; h != "CIS summary: 4 of 8 accounts pass all 3 controls; 16 of 24 checks pass, 4 fewer than Monday" {
		t.Errorf("header %q", h)
	}
	if got := summaryButtons(r.Blocks); strings.Join(got, "|") != strings.Join([]string{
		// The summary audited 3 controls: each Fix plans those. A name with spaces goes in JSON.
		commands.ActionFix + "=dev 4.1,4.3,4.10", commands.ActionFix + `={"account":"stage <!channel> & co","controls":["4.1","4.3","4.10"]}`, commands.ActionFix + "=legacy 4.1,4.3,4.10"}, "|") {
		t.Errorf("buttons %v", got)
	}
}

func summaryButtons(blocks []slack.Block) []string {
	var buttons []string
	for _, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				buttons = append(buttons, actionID(btn.ActionID)+"="+btn.Value)
			}
		}
	}
	return buttons
}

// TestRenderSummaryAccounts: 50 accounts of fifteen controls are each on a line of their own or
// counted as passing as before, within Slack's limits; what does not fit is counted with where
// to see it. Far more accounts say how many lines were left out, and how many Fix buttons.
func TestRenderSummaryAccounts(t *testing.T) {
	for _, tc := range []struct {
		n        int
		notShown []string
	}{
		{50, []string{"Not shown: 5 newly failing checks in detail; see them all with `cisbot summary --dry-run` or `/cis status`."}},
		{400, []string{"Not shown: 145 newly failing checks in detail and 249 accounts", " accounts; see them all with", "more Fix buttons are not shown"}},
	} {
		s := bigSummary(tc.n)
		r := renderSummary(s)
		if err := validate(r.Blocks); err != nil {
			t.Fatalf("%d accounts: %v", tc.n, err)
		}
		checkLimits(t, r.Blocks)
		text := strings.Join(mrkdwnTexts(r.Blocks), "\n")
		for _, want := range tc.notShown {
			if !strings.Contains(text, want) {
				t.Errorf("%d accounts: no %q in:\n%s", tc.n, want, text)
			}
		}
		// Every account is listed, or counted in "pass as before", or in "Not shown".
		listed, quiet := 0, 0
		for _, a := range s.Accounts {
			if a.Quiet() {
				quiet++
			} else if strings.Contains(text, "*"+a.Account+"* `") {
				listed++
			}
		}
		notListed := len(s.Accounts) - quiet - listed
		if !strings.Contains(text, fmt.Sprintf("%d accounts pass all 15 controls as before", quiet)) {
			t.Errorf("%d accounts: the %d quiet accounts are not counted", tc.n, quiet)
		}
		if notListed > 0 && !strings.Contains(text, fmt.Sprintf(" and %d accounts; see them all", notListed)) {
			t.Errorf("%d accounts: %d accounts neither listed nor counted as not shown", tc.n, notListed)
		}
		if tc.n == 50 && notListed != 0 {
			t.Errorf("50 accounts: %d not listed", notListed)
		}
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
				!strings.HasPrefix(f.forms[0].Get("text"), "CIS summary: 4 of 8 accounts pass all 3 controls") {
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
	if pressed != len(sampleSummary().FailingAccounts()) {
		t.Errorf("%d buttons pressed, want one per failing account", pressed)
	}
}
