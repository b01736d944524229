package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// ackDeadline is how soon an envelope must be acknowledged in these tests; Slack allows 3 s.
const ackDeadline = time.Second

// running is a Bot under test, with its fakes.
type running struct {
	slack   *fakeSlack
	rec     *recorder
	auditor *fakeAuditor
	logs    *syncbuf.Buffer
	conn    *wsConn
	cancel  context.CancelFunc
	done    chan error
	n       atomic.Int64
}

type setup struct {
	policy   *commands.Policy
	handler  Handler // instead of a commands.Dispatcher
	shutdown time.Duration
	// deliveries, when not nil, claims each delivery (WithDeliveries).
	deliveries Deliveries
}

// start runs a Bot with a real *commands.Dispatcher (fake Auditor and Directory) against fake Slack,
// and waits for its connection.
func start(t testing.TB, s setup) *running {
	t.Helper()
	r := &running{slack: newFakeSlack(t), rec: newRecorder(t), auditor: newFakeAuditor(sampleReport()), done: make(chan error, 1)}
	log, logs := newLogger(t)
	r.logs = logs
	h := s.handler
	if h == nil {
		policy := s.policy
		if policy != nil && policy.Groups == nil {
			policy.Groups = NewGroups(r.slack.config())
		}
		h = commands.New(commands.Options{Command: "/cis", Auditor: r.auditor, Directory: sampleDirectory(), Policy: policy,
			Logger: log, Now: newClock().Now, ProgressEvery: time.Millisecond})
	}
	opts := []Option{}
	if s.shutdown > 0 {
		opts = append(opts, WithShutdownTimeout(s.shutdown))
	}
	if s.deliveries != nil {
		opts = append(opts, WithDeliveries(s.deliveries))
	}
	b, err := New(r.slack.config(), h, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	})
	r.conn = r.slack.waitConn(t)
	return r
}

// command sends a slash command and returns its envelope id and response_url.
func (r *running) command(t testing.TB, user, channel, text string) (id, responseURL string) {
	t.Helper()
	n := r.n.Add(1)
	id, responseURL = fmt.Sprintf("env-%d", n), r.rec.url(fmt.Sprint(n))
	r.conn.send <- slashEnvelope(id, "/cis", text, user, channel, responseURL)
	return id, responseURL
}

// stop cancels Run and returns its result.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

var reportID = regexp.MustCompile(`"value": "[0-9a-f]{12}/`)

// TestAuditFlow follows /cis audit all from the envelope to the evidence button: the envelope is
// acknowledged while the audit still runs, progress is posted then replaced, the final report
// (a new message) matches its golden file, the progress message is marked finished, and the
// evidence button answers privately.
func TestAuditFlow(t *testing.T) {
	r := start(t, setup{})
	id, _ := r.command(t, "U0AUDITOR", "C0SECOPS01", "audit all")

	a := r.slack.waitAck(t, id, ackDeadline)
	select {
	case <-r.auditor.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the audit did not start")
	}
	select {
	case r.auditor.release <- struct{}{}: // the audit was still waiting: the ack came first
	case <-time.After(5 * time.Second):
		t.Fatal("the audit is not waiting")
	}
	if a.at.IsZero() {
		t.Fatal("no ack time")
	}

	first := r.rec.next(t)
	if first.msg.ResponseType != inChannel || *first.msg.ReplaceOriginal || !strings.Contains(first.msg.Text, "listing the organization's accounts") {
		t.Errorf("first post: %s", first.raw)
	}
	progress := r.rec.next(t)
	if !*progress.msg.ReplaceOriginal || !strings.Contains(progress.msg.Text, "1 of 3 done") {
		t.Errorf("progress update: %s", progress.raw)
	}
	// The report is a message of its own (replacing a slash command's reply is unreliable in
	// Slack, and the report must not be lost); then the progress message is marked finished.
	final := r.rec.next(t)
	if *final.msg.ReplaceOriginal || final.msg.ResponseType != inChannel {
		t.Errorf("final report: %s", final.raw)
	}
	finished := r.rec.next(t)
	if !*finished.msg.ReplaceOriginal || !strings.Contains(finished.msg.Text, "the report follows") {
		t.Errorf("progress not marked finished: %s", finished.raw)
	}
	got := indentJSON(t, final.raw)
	values := reportID.FindAllString(got, -1)
	if len(values) != 2 {
		t.Fatalf("want 2 evidence buttons, found %d in\n%s", len(values), got)
	}
	rid := values[0][len(`"value": "`) : len(values[0])-1]
	golden(t, "flow-report.json", []byte(strings.ReplaceAll(got, rid, "REPORTID")))

	// The evidence button of dev, pressed by the same user.
	r.conn.send <- actionEnvelope("env-button", "U0AUDITOR", "C0SECOPS01", r.rec.url("button"), button("cis_evidence", rid+"/dev"))
	r.slack.waitAck(t, "env-button", ackDeadline)
	ev := r.rec.next(t)
	if ev.msg.ResponseType != ephemeral || *ev.msg.ReplaceOriginal || !strings.Contains(ev.path, "/button/") {
		t.Errorf("evidence: %s to %s", ev.raw, ev.path)
	}
	golden(t, "flow-evidence.json", []byte(indentJSON(t, ev.raw)))

	// The second button of a block carries action_id cis_evidence#2.
	r.conn.send <- actionEnvelope("env-button-2", "U0AUDITOR", "C0SECOPS01", r.rec.url("button2"), button("cis_evidence#2", rid+"/stage <!channel> & co"))
	if ev := r.rec.next(t); ev.msg.ResponseType != ephemeral || !strings.Contains(ev.msg.Text, "Evidence for stage") {
		t.Errorf("second evidence button: %s", ev.raw)
	}
	r.rec.none(t, 100*time.Millisecond)
}

func indentJSON(t testing.TB, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPrivateAnswers: refusals and mistakes get an ephemeral Problem, through the command's own
// response_url.
func TestPrivateAnswers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  *commands.Policy
		groups  map[string][]string
		user    string
		channel string
		text    string
		want    string // in the reply's text
		private bool
	}{
		{name: "channel not allowed", policy: &commands.Policy{Channels: []string{"C0SECOPS01"}}, user: "U1", channel: "C0RANDOM01", text: "audit prod",
			want: "does not take commands in this channel. Use it in <#C0SECOPS01>", private: true},
		{name: "not an auditor", policy: &commands.Policy{Auditors: []string{"U0AUDITOR"}}, user: "U0INTERN1", channel: "C1", text: "audit prod",
			want: "You are not allowed to run audits", private: true},
		{name: "not in the auditors group", policy: &commands.Policy{Auditors: []string{"S0SECOPS1"}}, groups: map[string][]string{"S0SECOPS1": {"U0AUDITOR"}},
			user: "U0INTERN1", channel: "C1", text: "audit prod", want: "You are not allowed to run audits", private: true},
		{name: "unknown group", policy: &commands.Policy{Auditors: []string{"S0GONE001"}}, user: "U0INTERN1", channel: "C1", text: "audit prod",
			want: "user group S0GONE001 does not exist", private: true},
		{name: "in the auditors group", policy: &commands.Policy{Auditors: []string{"S0SECOPS1"}}, groups: map[string][]string{"S0SECOPS1": {"U0AUDITOR"}},
			user: "U0AUDITOR", channel: "C1", text: "audit prod", want: "Auditing prod", private: false},
		{name: "anyone may list accounts", policy: &commands.Policy{Auditors: []string{"U0AUDITOR"}}, user: "U0INTERN1", channel: "C1", text: "accounts",
			want: "3 accounts can be audited", private: false},
		{name: "unknown command", user: "U1", channel: "C1", text: "audti prod",
			want: `unknown command "audti" (did you mean "audit"?)`, private: true},
		{name: "unknown account", user: "U1", channel: "C1", text: "audit prd",
			want: `Unknown account "prd": did you mean prod?`, private: true},
		{name: "help", user: "U1", channel: "C1", text: "help", want: "cisbot commands", private: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := start(t, setup{policy: tc.policy})
			for k, v := range tc.groups {
				r.slack.groups[k] = v
			}
			id, _ := r.command(t, tc.user, tc.channel, tc.text)
			r.slack.waitAck(t, id, ackDeadline)
			p := r.rec.next(t)
			if !strings.Contains(p.msg.Text, tc.want) {
				t.Errorf("reply %q does not say %q", p.msg.Text, tc.want)
			}
			if got := p.msg.ResponseType == ephemeral; got != tc.private {
				t.Errorf("response_type %s", p.msg.ResponseType)
			}
			close(r.auditor.release)
		})
	}
}

// TestIgnoresOtherCommands: another app's command reaching the bot is acknowledged, logged and
// left alone.
func TestIgnoresOtherCommands(t *testing.T) {
	r := start(t, setup{})
	r.conn.send <- slashEnvelope("env-other", "/deploy", "prod", "U1", "C1", r.rec.url("other"))
	r.slack.waitAck(t, "env-other", ackDeadline)
	r.rec.none(t, 200*time.Millisecond)
	if !strings.Contains(r.logs.String(), "ignored a slash command that is not the bot's") {
		t.Errorf("no log line:\n%s", r.logs)
	}
}

// TestDuplicateEnvelope: an envelope delivered twice is acknowledged twice and run once.
func TestDuplicateEnvelope(t *testing.T) {
	r := start(t, setup{})
	env := slashEnvelope("env-dup", "/cis", "help", "U1", "C1", r.rec.url("dup"))
	r.conn.send <- env
	r.slack.waitAck(t, "env-dup", ackDeadline)
	r.conn.send <- env
	r.slack.waitAck(t, "env-dup", ackDeadline)
	r.rec.next(t)
	r.rec.none(t, 200*time.Millisecond)
}

// TestReconnect: when the WebSocket drops without a word, or Slack asks for a new connection,
// the bot calls apps.connections.open again and keeps serving on the new connection.
func TestReconnect(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(c *wsConn)
	}{
		{"connection dropped", func(c *wsConn) { close(c.drop) }},
		{"Slack asks to reconnect", func(c *wsConn) {
			c.send <- []byte(`{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"fake-applink"}}`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := start(t, setup{})
			id, _ := r.command(t, "U1", "C1", "help")
			r.slack.waitAck(t, id, ackDeadline)
			r.rec.next(t)
			if n := r.slack.opens.Load(); n != 1 {
				t.Fatalf("%d apps.connections.open calls before the cut", n)
			}

			old := r.conn
			tc.cut(old)
			r.conn = r.slack.waitConn(t)
			select {
			case <-old.done:
			case <-time.After(5 * time.Second):
				t.Error("the old connection is still served")
			}
			if n := r.slack.opens.Load(); n != 2 {
				t.Errorf("%d apps.connections.open calls, want 2", n)
			}
			if n := r.slack.appTokens.Load(); n != 2 {
				t.Errorf("%d apps.connections.open calls carried the app-level token, want 2", n)
			}

			id, _ = r.command(t, "U1", "C1", "accounts")
			r.slack.waitAck(t, id, ackDeadline)
			if p := r.rec.next(t); !strings.Contains(p.msg.Text, "accounts can be audited") {
				t.Errorf("after reconnecting: %s", p.raw)
			}
			if !strings.Contains(r.logs.String(), "connection=2") {
				t.Errorf("no second connection in the logs:\n%s", r.logs)
			}
		})
	}
}

// TestShutdown: cancelling Run's context ends it with nil, after the requests under way have
// had their chance to answer.
func TestShutdown(t *testing.T) {
	t.Run("audit under way", func(t *testing.T) {
		r := start(t, setup{})
		id, _ := r.command(t, "U1", "C1", "audit prod")
		r.slack.waitAck(t, id, ackDeadline)
		<-r.auditor.started
		r.rec.next(t) // progress
		t0 := time.Now()
		if err := r.stop(t); err != nil {
			t.Errorf("Run: %v", err)
		}
		// The audit saw its context end; its last word still reached the channel.
		p := r.rec.next(t)
		if !*p.msg.ReplaceOriginal || !strings.Contains(p.msg.Text, "The audit could not start: context canceled") {
			t.Errorf("last reply: %s", p.raw)
		}
		if d := time.Since(t0); d > 5*time.Second {
			t.Errorf("shutdown took %s", d)
		}
	})
	t.Run("handler that ignores its context", func(t *testing.T) {
		h := &stuckHandler{release: make(chan struct{}), started: make(chan struct{}, 1)}
		defer close(h.release)
		r := start(t, setup{handler: h, shutdown: 200 * time.Millisecond})
		id, _ := r.command(t, "U1", "C1", "help")
		r.slack.waitAck(t, id, ackDeadline)
		<-h.started
		t0 := time.Now()
		if err := r.stop(t); err != nil {
			t.Errorf("Run: %v", err)
		}
		if d := time.Since(t0); d < 200*time.Millisecond || d > 5*time.Second {
			t.Errorf("Run returned after %s; want the 200ms shutdown timeout", d)
		}
		if !strings.Contains(r.logs.String(), "stopped waiting for requests under way") {
			t.Errorf("no warning:\n%s", r.logs)
		}
	})
}

// stuckHandler blocks until released, whatever its context says.
type stuckHandler struct {
	release chan struct{}
	started chan struct{}
}

func (h *stuckHandler) Handle(context.Context, commands.Request, commands.Replier) {
	h.started <- struct{}{}
	<-h.release
}

func (h *stuckHandler) HandleAction(context.Context, commands.ActionRequest, commands.Replier) {}

// TestPanicIsContained: a handler that panics costs its own request only.
func TestPanicIsContained(t *testing.T) {
	var once sync.Once
	h := &panicky{next: commands.New(commands.Options{Directory: sampleDirectory()}), once: &once}
	r := start(t, setup{handler: h})
	id, _ := r.command(t, "U1", "C1", "help")
	r.slack.waitAck(t, id, ackDeadline)
	id, _ = r.command(t, "U1", "C1", "help")
	r.slack.waitAck(t, id, ackDeadline)
	r.rec.next(t)
	// The panicking request's recovery may log after the other request has replied:
	// the two run concurrently, so wait for the line rather than expect it already.
	deadline := time.Now().Add(ackDeadline)
	for !strings.Contains(r.logs.String(), "request handler panicked") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line:\n%s", r.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type panicky struct {
	next *commands.Dispatcher
	once *sync.Once
}

func (p *panicky) Handle(ctx context.Context, req commands.Request, rep commands.Replier) {
	p.once.Do(func() { panic("boom") })
	p.next.Handle(ctx, req, rep)
}

func (p *panicky) HandleAction(ctx context.Context, req commands.ActionRequest, rep commands.Replier) {
	p.next.HandleAction(ctx, req, rep)
}

// TestInvalidAuth: a refused app-level token ends Run with an error that says what to fix.
func TestInvalidAuth(t *testing.T) {
	f := newFakeSlack(t)
	f.openError.Store("invalid_auth")
	log, _ := newLogger(t)
	b, err := New(f.config(), nopHandler{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = b.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") || strings.Contains(err.Error(), testAppToken) {
		t.Errorf("Run: %v", err)
	}
}
