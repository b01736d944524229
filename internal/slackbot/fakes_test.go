package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/suggest"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// The test tokens. They are checked never to appear in a log or an error.
const (
	testAppToken = "xapp-1-A0TEST-0000-appsecretvalue"
	testBotToken = "xoxb-0000-0000-botsecretvalue"
)

// fakeSlack is slack-go's slacktest server with the Socket Mode parts replaced, as slack-go's
// own socketmode tests do: /apps.connections.open counts the connections and hands out /ws,
// whose handler says hello, sends the envelopes a test queues and reads the acknowledgements.
type fakeSlack struct {
	srv *slacktest.Server

	opens     atomic.Int32
	appTokens atomic.Int32 // apps.connections.open calls that carried the app-level token
	openError atomic.Value // string: answer apps.connections.open with this error

	mu        sync.Mutex
	cur       *wsConn
	connected chan *wsConn
	acks      chan ack

	groups map[string][]string // usergroups.users.list
}

type ack struct {
	id string
	at time.Time
}

// wsConn is one WebSocket connection of the bot.
type wsConn struct {
	send chan []byte
	drop chan struct{}
	done chan struct{}
}

func newFakeSlack(t testing.TB) *fakeSlack {
	t.Helper()
	f := &fakeSlack{connected: make(chan *wsConn, 8), acks: make(chan ack, 1<<16), groups: map[string][]string{}}
	f.openError.Store("")
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", f.open)
		c.Handle("/ws", slacktest.Websocket(f.serve))
		c.Handle("/usergroups.users.list", f.usergroupsUsersList)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) config() Config {
	return Config{AppToken: testAppToken, BotToken: testBotToken, APIURL: f.srv.GetAPIURL(), Command: "/cis"}
}

func (f *fakeSlack) open(w http.ResponseWriter, r *http.Request) {
	f.opens.Add(1)
	if r.Header.Get("Authorization") == "Bearer "+testAppToken {
		f.appTokens.Add(1)
	}
	w.Header().Set("Content-Type", "application/json")
	if e := f.openError.Load().(string); e != "" {
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, e)
		return
	}
	fmt.Fprintf(w, `{"ok":true,"url":%q}`, f.srv.GetWSURL())
}

func (f *fakeSlack) usergroupsUsersList(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if r.Form.Get("token") != testBotToken && r.Header.Get("Authorization") != "Bearer "+testBotToken {
		fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	members, ok := f.groups[r.Form.Get("usergroup")]
	if !ok {
		fmt.Fprint(w, `{"ok":false,"error":"no_such_subteam"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "users": members})
}

// serve is one WebSocket connection: hello, then envelopes out and acknowledgements in, until
// the bot closes it or a test drops it.
func (f *fakeSlack) serve(c *websocket.Conn) {
	wc := &wsConn{send: make(chan []byte, 64), drop: make(chan struct{}), done: make(chan struct{})}
	defer close(wc.done)
	hello := `{"type":"hello","num_connections":1,"debug_info":{"host":"fake-applink"},"connection_info":{"app_id":"A0TEST"}}`
	if err := c.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		return
	}
	f.mu.Lock()
	f.cur = wc
	f.mu.Unlock()
	f.connected <- wc

	readErr := make(chan error, 1)
	go func() {
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			at := time.Now()
			var a struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(data, &a) == nil && a.EnvelopeID != "" {
				f.acks <- ack{id: a.EnvelopeID, at: at}
			}
		}
	}()
	ping := time.NewTicker(time.Second) // Slack pings; without pings the client reconnects after 30 s
	defer ping.Stop()
	for {
		select {
		case m := <-wc.send:
			if err := c.WriteMessage(websocket.TextMessage, m); err != nil {
				return
			}
		case <-wc.drop:
			// No close frame: the TCP connection just goes, as when a network path fails.
			_ = c.UnderlyingConn().Close()
			return
		case <-ping.C:
			_ = c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
		case <-readErr:
			return
		}
	}
}

// waitConn waits for the bot's next connection.
func (f *fakeSlack) waitConn(t testing.TB) *wsConn {
	t.Helper()
	select {
	case wc := <-f.connected:
		return wc
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not connect")
		return nil
	}
}

// waitAck waits for the acknowledgement of one envelope.
func (f *fakeSlack) waitAck(t testing.TB, id string, within time.Duration) ack {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case a := <-f.acks:
			if a.id == id {
				return a
			}
		case <-deadline:
			t.Fatalf("envelope %s was not acknowledged within %s", id, within)
		}
	}
}

func slashEnvelope(id, command, text, user, channel, responseURL string) []byte {
	b, _ := json.Marshal(map[string]any{
		"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{
			"token": "unused", "team_id": "T0TEST", "team_domain": "test", "channel_id": channel, "channel_name": "test",
			"user_id": user, "user_name": "someone", "command": command, "text": text, "api_app_id": "A0TEST",
			"response_url": responseURL, "trigger_id": "1.2.3",
		},
	})
	return b
}

func actionEnvelope(id, user, channel, responseURL string, actions ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"envelope_id": id, "type": "interactive", "accepts_response_payload": false,
		"payload": map[string]any{
			"type": "block_actions", "user": map[string]any{"id": user}, "channel": map[string]any{"id": channel},
			"container":    map[string]any{"type": "message", "channel_id": channel, "message_ts": "1.1"},
			"response_url": responseURL, "trigger_id": "1.2.3", "actions": actions,
		},
	})
	return b
}

func button(actionID, value string) map[string]any {
	return map[string]any{"action_id": actionID, "block_id": "b1", "type": "button", "value": value, "action_ts": "1.2"}
}

// recorder is the loopback server the response_urls of the tests point at.
type recorder struct {
	srv   *httptest.Server
	posts chan post
	n     atomic.Int64
	code  atomic.Int32 // status to answer; 0 is 200
}

type post struct {
	path string
	raw  []byte
	msg  struct {
		ResponseType    string          `json:"response_type"`
		Text            string          `json:"text"`
		ReplaceOriginal *bool           `json:"replace_original"`
		Blocks          json.RawMessage `json:"blocks"`
	}
}

func newRecorder(t testing.TB) *recorder {
	t.Helper()
	r := &recorder{posts: make(chan post, 1<<16)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		p := post{path: req.URL.Path, raw: body}
		if err := json.Unmarshal(body, &p.msg); err != nil || req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		r.n.Add(1)
		r.posts <- p
		if c := r.code.Load(); c != 0 {
			http.Error(w, "expired_url", int(c))
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// url is a response_url. Its last part plays the secret of a real one.
func (r *recorder) url(name string) string {
	return r.srv.URL + "/commands/T0TEST/" + name + "/SECRETrespondtoken"
}

func (r *recorder) next(t testing.TB) post {
	t.Helper()
	select {
	case p := <-r.posts:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no reply was posted")
		return post{}
	}
}

// none checks that nothing is posted for a while.
func (r *recorder) none(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case p := <-r.posts:
		t.Fatalf("unexpected reply to %s: %s", p.path, p.raw)
	case <-time.After(d):
	}
}

// fakeAuditor is a fake of commands.Auditor, one of our own interfaces: AWS is not part of
// these tests. Each audit waits until the test releases it.
type fakeAuditor struct {
	started chan []string
	release chan struct{}
	report  cis.ControlsReport
}

func newFakeAuditor(report cis.Report) *fakeAuditor {
	return &fakeAuditor{started: make(chan []string, 1<<16), release: make(chan struct{}), report: oneControl(report)}
}

func (a *fakeAuditor) Audit(ctx context.Context, names []string, _ []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error) {
	a.started <- names
	select {
	case <-a.release:
	case <-ctx.Done():
		return cis.ControlsReport{}, ctx.Err()
	}
	progress(1, len(a.report.Results))
	return a.report, nil
}

// fakeDirectory is a fake of commands.Directory, our own interface.
type fakeDirectory struct {
	accounts []commands.AccountInfo
	org      string
}

func (d fakeDirectory) Accounts() []commands.AccountInfo { return d.accounts }
func (d fakeDirectory) OrganizationRole() string         { return d.org }

// Resolve finds configured accounts by name.
func (d fakeDirectory) Resolve(_ context.Context, name string) (string, error) {
	var names []string
	for _, a := range d.accounts {
		if a.Name == name {
			return name, nil
		}
		names = append(names, a.Name)
	}
	return "", &commands.UnknownAccountError{Name: name, Closest: suggest.Closest(name, names), Known: names}
}

// clock steps one second at every reading, so that reports are the same at every run.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.t
	c.t = c.t.Add(time.Second)
	return now
}

// newLogger logs at debug level into a buffer that is checked for secrets when the test ends.
func newLogger(t testing.TB) (*slog.Logger, *syncbuf.Buffer) {
	t.Helper()
	buf := &syncbuf.Buffer{}
	t.Cleanup(func() {
		logs := buf.String()
		for _, secret := range []string{"SECRETrespondtoken", "/commands/T0TEST", testAppToken, testBotToken} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs hold a secret (%s):\n%s", secret, logs)
			}
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// sampleReport has an account of each status, warnings, and text Slack would read as markup.
func sampleReport() cis.Report {
	logging, subscriber := cis.StepLogging, cis.StepSubscriber
	return cis.NewReport("4.1", []cis.Result{
		{Account: "prod", AccountID: "111111111111", Status: cis.StatusPass,
			Reason: "every step of the CIS chain passes: topic has a confirmed email subscription (secops@example.com)",
			Checks: []cis.Check{
				{Step: cis.StepTrail, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:111111111111:trail/main", Detail: "multi-region trail main (home region us-east-1) delivers to log group arn:aws:logs:us-east-1:111111111111:log-group:trail"},
				{Step: cis.StepMetricFilter, Status: cis.StatusPass, Resource: "arn:aws:logs:us-east-1:111111111111:log-group:trail", Detail: `metric filter unauthorized publishes CIS/UnauthorizedAPICalls with pattern { ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") }`},
			},
			Warnings: []string{"metric filter f satisfies control 4.1, but Security Hub CloudWatch.2 compares the text and will still report it as failed"}},
		{Account: "dev", AccountID: "222222222222", Status: cis.StatusFail, FailedStep: &logging,
			Reason: "logging: the trail is not logging",
			Fix:    "Start logging: aws cloudtrail start-logging --name arn:aws:cloudtrail:us-east-1:222222222222:trail/main",
			Checks: []cis.Check{
				{Step: cis.StepTrail, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main", Detail: "multi-region trail main"},
				{Step: cis.StepLogging, Status: cis.StatusFail, Resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main", Detail: "the trail is not logging"},
			}},
		{Account: "stage <!channel> & co", Status: cis.StatusError, FailedStep: &subscriber,
			Reason: "subscriber: sns:ListSubscriptionsByTopic on arn:aws:sns:us-east-1:333333333333:cis-alarms: AuthorizationError: not authorized",
			Fix:    "Allow sns:ListSubscriptionsByTopic to the role the bot uses in this account (the SecurityAudit managed policy covers the audit).",
			Checks: []cis.Check{{Step: cis.StepSubscriber, Status: cis.StatusError, Resource: "arn:aws:sns:us-east-1:333333333333:cis-alarms", Detail: "sns:ListSubscriptionsByTopic: AuthorizationError <@U999>"}}},
	})
}

// oneControl is a report of one control as a report of several.
func oneControl(r cis.Report) cis.ControlsReport {
	rs := make([][]cis.Result, len(r.Results))
	for i, res := range r.Results {
		rs[i] = []cis.Result{res}
	}
	return cis.NewControlsReport([]string{r.Control}, rs)
}

func sampleDirectory() fakeDirectory {
	return fakeDirectory{accounts: []commands.AccountInfo{
		{Name: "prod", RoleARN: "arn:aws:iam::111111111111:role/cisbot-audit", Channel: "C0PROD0001"},
		{Name: "dev", RoleARN: "arn:aws:iam::222222222222:role/cisbot-audit"},
		{Name: "stage <!channel> & co", Channel: "#stage-alerts"},
	}, org: "OrganizationAccountAccessRole"}
}
