package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

const alertTopic = "arn:aws:sns:eu-west-1:111122223333:cisbot-alarms"

var alarmAt = time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)

func sampleAlarm(state string) *alarm.Alarm {
	return &alarm.Alarm{
		AlarmName:       "CIS-4.1 <!channel> UnauthorizedAPICalls",
		AWSAccountID:    "111122223333",
		Region:          "EU (Ireland)",
		RegionCode:      "eu-west-1",
		RegionSource:    alarm.RegionFromARN,
		AlarmArn:        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:CIS-4.1",
		NewState:        state,
		OldState:        alarm.StateOK,
		NewStateReason:  "Threshold Crossed: 1 datapoint [7.0 (04/03/25 09:25:00)] was greater than or equal to the threshold (1.0) & <@U123>.",
		StateChangeTime: alarmAt,
	}
}

// sampleContext has seven principals, the top five shown.
func sampleContext() *enrich.Findings {
	c := &enrich.Findings{
		Filters: []enrich.FilterRef{{LogGroup: "aws-cloudtrail-logs", Name: "UnauthorizedAPICalls", Pattern: `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`,
			ConsoleURL: "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups"}},
		Window:     [2]time.Time{alarmAt.Add(-5 * time.Minute), alarmAt},
		Total:      19,
		More:       2,
		ConsoleURL: "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1&x=1#logsV2:log-groups/log-group/aws-cloudtrail-logs/log-events$3FfilterPattern$3D",
	}
	for i := range 5 {
		c.Groups = append(c.Groups, enrich.PrincipalGroup{
			Principal:    fmt.Sprintf("arn:aws:iam::111122223333:user/attacker%d", i),
			Count:        5 - i,
			Actions:      []string{"ec2:RunInstances", "s3:GetObject"},
			ErrorCodes:   []string{"AccessDenied"},
			ErrorMessage: fmt.Sprintf("User: attacker%d is not authorized <!here> & `rm -rf` _now_", i),
			SourceIPs:    []string{fmt.Sprintf("203.0.113.%d", i+1)},
			Regions:      []string{"eu-west-1"},
			First:        alarmAt.Add(-4 * time.Minute),
			Last:         alarmAt.Add(-time.Duration(i) * time.Minute),
		})
	}
	c.Groups[0].Principal = "CISAdmin/session`<@U999>"
	c.Groups[4].Last = c.Groups[4].First
	return c
}

func alertGoldenCases() []struct {
	name string
	post relay.Post
} {
	missing := &enrich.Findings{Missing: "account 111122223333 is not configured: cisbot cannot read its CloudWatch Logs <!everyone>"}
	return []struct {
		name string
		post relay.Post
	}{
		{"alert-alarm", relay.Post{Channel: "C0ALERTS", Kind: relay.PostAlarm, TopicARN: alertTopic, Alarm: sampleAlarm(alarm.StateAlarm), Findings: sampleContext()}},
		{"alert-alarm-missing", relay.Post{Channel: "C0ALERTS", Kind: relay.PostAlarm, TopicARN: alertTopic, Alarm: sampleAlarm(alarm.StateAlarm), Findings: missing}},
		{"alert-ok", relay.Post{Channel: "C0ALERTS", Kind: relay.PostAlarm, TopicARN: alertTopic, Alarm: sampleAlarm(alarm.StateOK)}},
		{"alert-insufficient", relay.Post{Channel: "C0ALERTS", Kind: relay.PostAlarm, TopicARN: alertTopic, Alarm: sampleAlarm(alarm.StateInsufficientData)}},
		{"alert-message", relay.Post{Channel: "C0ALERTS", Kind: relay.PostMessage, TopicARN: alertTopic, MessageID: "msg-1",
			Subject: "Budget *alert* <!channel>", Text: "Your budget & forecast > 100%.\n```\n<@U1> see <https://evil.example|here>"}},
		{"alert-subscribed", relay.Post{Channel: "C0ALERTS", Kind: relay.PostSubscribed, TopicARN: alertTopic}},
		{"alert-unsubscribed", relay.Post{Channel: "C0ALERTS", Kind: relay.PostUnsubscribed, TopicARN: alertTopic}},
	}
}

// alertMessage is a post as chat.postMessage receives it.
type alertMessage struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

func encodeAlert(t *testing.T, r rendered) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(alertMessage{Text: r.Text, Blocks: r.Blocks}); err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String()))
}

func TestRenderAlertGolden(t *testing.T) {
	for _, tc := range alertGoldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := renderAlert(tc.post)
			if err := validate(r.Blocks); err != nil {
				t.Errorf("breaks a Slack limit: %v", err)
			}
			// User-provided text never reaches Slack's mrkdwn unescaped (a header is plain text).
			mr := append([]string{r.Text}, mrkdwnTexts(r.Blocks)...)
			for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U", "<https://evil"} {
				if strings.Contains(strings.Join(mr, "\n"), bad) {
					t.Errorf("%s reaches Slack unescaped", bad)
				}
			}
			golden(t, tc.name+".json", encodeAlert(t, r))
		})
	}
}

func TestRenderAlertContent(t *testing.T) {
	all := func(r rendered) string { return string(encodeAlert(t, r)) }
	got := all(renderAlert(alertGoldenCases()[0].post))
	for _, want := range []string{":rotating_light: CIS-4.1 <!channel> UnauthorizedAPICalls is in ALARM", "19 unauthorized calls", "and 2 more principals",
		"View the events in CloudWatch", "`111122223333`", "`eu-west-1`", "`ec2:RunInstances`", "`AccessDenied`", "`203.0.113.1`"} {
		if !strings.Contains(got, want) {
			t.Errorf("alarm post lacks %q", want)
		}
	}
	c := sampleContext()
	c.Truncated = true
	got = all(renderAlert(relay.Post{Kind: relay.PostAlarm, Alarm: sampleAlarm(alarm.StateAlarm), Findings: c}))
	if !strings.Contains(got, "(first 19 events only)") {
		t.Error("a truncated context does not say so")
	}
	got = all(renderAlert(alertGoldenCases()[1].post))
	if !strings.Contains(got, "Context unavailable: account 111122223333 is not configured") {
		t.Errorf("missing context not explained:\n%s", got)
	}
}

// TestRenderAlertLimits: huge inputs stay within Slack's limits.
func TestRenderAlertLimits(t *testing.T) {
	long := strings.Repeat("<&>`*_", 5000)
	al := sampleAlarm(alarm.StateAlarm)
	al.AlarmName, al.NewStateReason = long, long
	c := &enrich.Findings{Total: 1000, More: 100, Missing: long, ConsoleURL: "https://x/" + long}
	for i := range 40 {
		many := make([]string, 50)
		for j := range many {
			many[j] = long
		}
		c.Groups = append(c.Groups, enrich.PrincipalGroup{Principal: long, Count: i, Actions: many, ErrorCodes: many, ErrorMessage: long, SourceIPs: many, Regions: many, First: alarmAt, Last: alarmAt})
	}
	for i := range 10 {
		c.Filters = append(c.Filters, enrich.FilterRef{Name: long, LogGroup: fmt.Sprint(i)})
	}
	posts := []relay.Post{
		{Kind: relay.PostAlarm, Alarm: al, Findings: c, TopicARN: long},
		{Kind: relay.PostMessage, Subject: long, Text: long, TopicARN: long, MessageID: long},
		{Kind: relay.PostSubscribed, TopicARN: long},
		{Kind: relay.PostUnsubscribed, TopicARN: long},
		{Kind: "other", TopicARN: long},
		{Kind: relay.PostAlarm},
	}
	for _, state := range []string{alarm.StateOK, alarm.StateInsufficientData, "WEIRD"} {
		a := *al
		a.NewState = state
		posts = append(posts, relay.Post{Kind: relay.PostAlarm, Alarm: &a})
	}
	for i, p := range posts {
		r := renderAlert(p)
		if err := validate(r.Blocks); err != nil {
			t.Errorf("post %d (%s): %v", i, p.Kind, err)
		}
		if len(r.Blocks) == 0 || r.Text == "" {
			t.Errorf("post %d (%s): empty", i, p.Kind)
		}
	}
}

// fakeChat is a chat.postMessage and chat.update endpoint answering with status and body.
type fakeChat struct {
	mu     sync.Mutex
	paths  []string
	forms  []url.Values
	auth   []string
	status int
	header map[string]string
	body   string
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/chat.postMessage" && r.URL.Path != "/chat.update" {
		http.NotFound(w, r)
		return
	}
	f.paths = append(f.paths, r.URL.Path)
	raw, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(raw))
	f.forms = append(f.forms, form)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	for k, v := range f.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}

// newFakeChat is an AlertPoster talking to f; newLogger checks its logs for the token.
func newFakeChat(t *testing.T, f *fakeChat) (*AlertPoster, *syncbuf.Buffer) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	logger, buf := newLogger(t)
	return NewAlertPoster(Config{BotToken: testBotToken, APIURL: srv.URL + "/"}, logger), buf
}

func TestAlertPosterPosts(t *testing.T) {
	f := &fakeChat{status: http.StatusOK, body: `{"ok":true,"channel":"C0ALERTS","ts":"1700000000.000100"}`}
	p, logs := newFakeChat(t, f)
	post := alertGoldenCases()[0].post
	if _, err := p.Post(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	if len(f.forms) != 1 {
		t.Fatalf("%d calls, want 1", len(f.forms))
	}
	form := f.forms[0]
	if form.Get("channel") != "C0ALERTS" {
		t.Errorf("channel %q", form.Get("channel"))
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	if want := len(renderAlert(post).Blocks); len(blocks.BlockSet) != want {
		t.Errorf("%d blocks sent, want %d", len(blocks.BlockSet), want)
	}
	if !strings.Contains(form.Get("text"), "is in ALARM") {
		t.Errorf("fallback text %q", form.Get("text"))
	}
	if f.auth[0] != "Bearer "+testBotToken && form.Get("token") != testBotToken {
		t.Error("the bot token was not sent")
	}
	if strings.Contains(logs.String(), testBotToken) {
		t.Error("the token was logged")
	}
}

func TestAlertPosterRateLimited(t *testing.T) {
	f := &fakeChat{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "7"}, body: `{"ok":false,"error":"ratelimited"}`}
	p, _ := newFakeChat(t, f)
	_, err := p.Post(context.Background(), alertGoldenCases()[5].post)
	ra, ok := errors.AsType[*relay.RetryAfterError](err)
	if !ok {
		t.Fatalf("error %v (%T), want *relay.RetryAfterError", err, err)
	}
	if ra.After != 7*time.Second {
		t.Errorf("After %s, want 7s", ra.After)
	}
}

func TestAlertPosterChannelErrors(t *testing.T) {
	for code, want := range map[string]string{
		"not_in_channel":    "the bot is not in channel C0ALERTS: invite it",
		"channel_not_found": "channel C0ALERTS was not found",
		"is_archived":       "channel C0ALERTS is archived",
		"invalid_auth":      "check SLACK_BOT_TOKEN",
		"fatal_error":       "chat.postMessage to C0ALERTS",
	} {
		t.Run(code, func(t *testing.T) {
			f := &fakeChat{status: http.StatusOK, body: `{"ok":false,"error":"` + code + `"}`}
			p, logs := newFakeChat(t, f)
			_, err := p.Post(context.Background(), alertGoldenCases()[5].post)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want it to say %q", err, want)
			}
			if code != "fatal_error" && code != "invalid_auth" && !strings.Contains(err.Error(), "accounts[].channel") {
				t.Errorf("error %v does not name accounts[].channel", err)
			}
			if _, ok := errors.AsType[*relay.RetryAfterError](err); ok {
				t.Error("a channel error is not a rate limit")
			}
			if strings.Contains(err.Error()+logs.String(), testBotToken) {
				t.Error("the token leaks")
			}
		})
	}
}

func TestAlertPosterNoChannel(t *testing.T) {
	f := &fakeChat{status: http.StatusOK, body: `{"ok":true}`}
	p, _ := newFakeChat(t, f)
	if _, err := p.Post(context.Background(), relay.Post{Kind: relay.PostSubscribed}); err == nil {
		t.Error("a post without a channel was accepted")
	}
	if len(f.forms) != 0 {
		t.Error("a post without a channel reached Slack")
	}
}

func TestAlertPosterThreads(t *testing.T) {
	f := &fakeChat{status: http.StatusOK, body: `{"ok":true,"channel":"C0ALERTS","ts":"1700000000.000200"}`}
	p, _ := newFakeChat(t, f)
	top := relay.Post{Channel: "C0ALERTS", Kind: relay.PostAlarm, TopicARN: alertTopic, Alarm: sampleAlarm(alarm.StateAlarm)}
	ts, err := p.Post(context.Background(), top)
	if err != nil || ts != "1700000000.000200" {
		t.Fatalf("Post = %q, %v; want the ts of the response", ts, err)
	}
	reply := relay.Post{Channel: "C0ALERTS", Kind: relay.PostAlarm, TopicARN: alertTopic, Alarm: sampleAlarm(alarm.StateOK), ThreadTS: "1700000000.000100"}
	if _, err := p.Post(context.Background(), reply); err != nil {
		t.Fatal(err)
	}
	if len(f.forms) != 2 {
		t.Fatalf("%d calls, want 2", len(f.forms))
	}
	if _, ok := f.forms[0]["thread_ts"]; ok {
		t.Errorf("a top-level post sent thread_ts %q", f.forms[0].Get("thread_ts"))
	}
	if got := f.forms[1].Get("thread_ts"); got != "1700000000.000100" {
		t.Errorf("thread_ts = %q, want 1700000000.000100", got)
	}
	if f.paths[1] != "/chat.postMessage" {
		t.Errorf("a reply went to %s", f.paths[1])
	}
}

func TestAlertPosterUpdateStatus(t *testing.T) {
	f := &fakeChat{status: http.StatusOK, body: `{"ok":true,"channel":"C0ALERTS","ts":"1700000000.000100","text":"x"}`}
	p, logs := newFakeChat(t, f)
	var _ relay.StatusUpdater = p
	if err := p.UpdateStatus(context.Background(), "C0ALERTS", "1700000000.000100", relay.Post{}, sampleAlarm(alarm.StateOK)); err != nil {
		t.Fatal(err)
	}
	if len(f.forms) != 1 || f.paths[0] != "/chat.update" {
		t.Fatalf("calls %v, want one chat.update", f.paths)
	}
	form := f.forms[0]
	if form.Get("channel") != "C0ALERTS" || form.Get("ts") != "1700000000.000100" {
		t.Errorf("channel, ts = %q, %q", form.Get("channel"), form.Get("ts"))
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	if len(blocks.BlockSet) == 0 {
		t.Fatal("no blocks sent")
	}
	sec, ok := blocks.BlockSet[0].(*slack.SectionBlock)
	if !ok || !strings.Contains(sec.Text.Text, "is OK since <!date^1741080600^") || !strings.Contains(form.Get("text"), "is OK") {
		t.Errorf("status blocks %s, text %q; want the state and its time", form.Get("blocks"), form.Get("text"))
	}
	if strings.Contains(logs.String(), testBotToken) {
		t.Error("the token was logged")
	}

	// Failures say which method failed; a rate limit is a RetryAfterError.
	f.body = `{"ok":false,"error":"message_not_found"}`
	err := p.UpdateStatus(context.Background(), "C0ALERTS", "1700000000.000100", relay.Post{}, sampleAlarm(alarm.StateAlarm))
	if err == nil || !strings.Contains(err.Error(), "chat.update to C0ALERTS") {
		t.Errorf("error %v, want it to name chat.update", err)
	}
	f.body = `{"ok":false,"error":"ratelimited"}`
	err = p.UpdateStatus(context.Background(), "C0ALERTS", "1700000000.000100", relay.Post{}, sampleAlarm(alarm.StateAlarm))
	if _, ok := errors.AsType[*relay.RetryAfterError](err); !ok {
		t.Errorf("error %v, want *relay.RetryAfterError", err)
	}
	// Nothing is sent without a channel, a ts or an alarm.
	n := len(f.forms)
	for _, c := range []struct {
		ch, ts string
		a      *alarm.Alarm
	}{{"", "1.2", sampleAlarm(alarm.StateOK)}, {"C0ALERTS", "", sampleAlarm(alarm.StateOK)}, {"C0ALERTS", "1.2", nil}} {
		if err := p.UpdateStatus(context.Background(), c.ch, c.ts, relay.Post{}, c.a); err == nil {
			t.Errorf("UpdateStatus(%q, %q, %v) accepted", c.ch, c.ts, c.a)
		}
	}
	if len(f.forms) != n {
		t.Error("an invalid status update reached Slack")
	}
}

func TestRenderStatus(t *testing.T) {
	long := strings.Repeat("<&>`*_", 5000)
	for _, state := range []string{alarm.StateAlarm, alarm.StateOK, alarm.StateInsufficientData, "WEIRD <!here>", ""} {
		al := sampleAlarm(state)
		r := renderStatus(al)
		if err := validate(r.Blocks); err != nil {
			t.Errorf("%q: %v", state, err)
		}
		got := string(encodeAlert(t, r))
		if strings.Contains(got, "<!channel>") || strings.Contains(got, "<!here>") {
			t.Errorf("%q: a mention reaches Slack unescaped:\n%s", state, got)
		}
		al.AlarmName, al.AWSAccountID, al.NewState = long, long, long
		al.StateChangeTime = time.Time{}
		if err := validate(renderStatus(al).Blocks); err != nil {
			t.Errorf("long %q: %v", state, err)
		}
	}
}

// The status update keeps what the first message showed: chat.update replaces a whole message,
// and the CloudTrail context of the first ALARM is what people need in the channel.
func TestUpdateStatusKeepsContext(t *testing.T) {
	f := &fakeChat{status: http.StatusOK, body: `{"ok":true,"channel":"C0ALERTS","ts":"1700000000.000100","text":"x"}`}
	p, _ := newFakeChat(t, f)
	first := relay.Post{Kind: relay.PostAlarm, Channel: "C0ALERTS", Alarm: sampleAlarm(alarm.StateAlarm), Findings: sampleContext()}
	if err := p.UpdateStatus(context.Background(), "C0ALERTS", "1700000000.000100", first, sampleAlarm(alarm.StateOK)); err != nil {
		t.Fatal(err)
	}
	blocks := f.forms[0].Get("blocks")
	status := strings.Index(blocks, "is OK since")
	context := strings.Index(blocks, "19 unauthorized calls")
	if status < 0 || context < 0 || status > context {
		t.Errorf("blocks %s: want the new status first, then the first message's CloudTrail context", blocks)
	}
}
