package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// responses records what the bots post to the response_urls of the test's envelopes, by path.
type responses struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts map[string][]string
}

func newResponses(t *testing.T) *responses {
	r := &responses{posts: map[string][]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts[req.URL.Path] = append(r.posts[req.URL.Path], string(body))
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *responses) url(name string) string { return r.srv.URL + "/" + name }

// wait returns the first post to name's URL that contains want.
func (r *responses) wait(t *testing.T, name, want string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, p := range r.posts["/"+name] {
			if strings.Contains(p, want) {
				r.mu.Unlock()
				return p
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("no reply to %s holds %q; got %q", name, want, r.posts["/"+name])
	return ""
}

func envelopeJSON(t *testing.T, v map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func slashCommand(t *testing.T, id, text, user, channel, responseURL string) []byte {
	return envelopeJSON(t, map[string]any{"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"team_id": "T0FAKE", "channel_id": channel, "user_id": user, "command": "/cis", "text": text,
			"api_app_id": "A0FAKE", "response_url": responseURL, "trigger_id": "trigger-" + id}})
}

func buttonPress(t *testing.T, id, user, channel, responseURL, actionID, value string) []byte {
	return envelopeJSON(t, map[string]any{"envelope_id": id, "type": "interactive",
		"payload": map[string]any{"type": "block_actions", "user": map[string]any{"id": user}, "channel": map[string]any{"id": channel},
			"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": "1.1"}, "response_url": responseURL,
			"trigger_id": "trigger-" + id,
			"actions":    []map[string]any{{"action_id": actionID, "block_id": "b1", "type": "button", "value": value, "action_ts": "1.2"}}}})
}

// TestReplicas runs two app.Servers in this test process, as two replicas: each with an owner
// of its own ("replica-a", "replica-b"; in production the host name), its own Socket Mode
// connection to one local Slack workspace, and one PostgreSQL database shared. A report
// rendered by one answers its Evidence button on the other, a command Slack delivers again to
// the other runs once, and 20 concurrent Approve clicks spread over both apply the fix once.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	_, dsn := pgtest.OwnCluster(t)
	// prod is an emulated account whose trail does not log: every control fails, and a fix
	// has work to do.
	prod := awsaccount.NewID()
	awsaccount.Build(t, factory(t), prod, awsaccount.Scenario{NotLogging: true}, proxy)
	ws := slackfake.New(t, serverBotToken)
	rec := newResponses(t)
	const channel = "C0DEFAULTAL"
	replicas, logs := startReplicas(t, ws, func() string {
		return fmt.Sprintf(`accounts:
  - name: prod
    role_arn: %s
    channel: %s
store:
  driver: postgres
  dsn: %s
remediation:
  approvers: [U0APPROVER]
alerts:
  listen: %s
  ops_listen: %s
  topics: [arn:aws:sns:us-east-1:%s:cis-alarms]
  default_channel: %s
`, awsaccount.RoleARN(prod), channel, dsn, freeAddr(t), freeAddr(t), prod, channel)
	}, nil)

	t.Run("evidence on the other replica", func(t *testing.T) {
		ws.Deliver(0, slashCommand(t, "e-audit", "audit prod", "U0REQUESTER", channel, rec.url("audit")))
		report := rec.wait(t, "audit", commands.ActionEvidence)
		m := regexp.MustCompile(`"value":"([0-9a-f]{12}/prod)"`).FindStringSubmatch(report)
		if m == nil {
			t.Fatalf("no Evidence button for prod in %s", report)
		}
		ws.Deliver(1, buttonPress(t, "e-evidence", "U0REQUESTER", channel, rec.url("evidence"), commands.ActionEvidence, m[1]))
		evidence := rec.wait(t, "evidence", "4.1")
		if strings.Contains(evidence, "no longer held") {
			t.Errorf("the other replica did not find the report: %s", evidence)
		}
	})

	t.Run("a redelivered command runs once", func(t *testing.T) {
		count := func() int {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			return len(rec.posts["/redelivered"])
		}
		env := slashCommand(t, "e-redelivered", "help", "U0REQUESTER", channel, rec.url("redelivered"))
		ws.Deliver(0, env)
		rec.wait(t, "redelivered", "/cis")
		var m map[string]any
		_ = json.Unmarshal(env, &m)
		m["retry_attempt"] = 1
		ws.Deliver(1, envelopeJSON(t, m)) // Slack's retry, to the other replica
		time.Sleep(500 * time.Millisecond)
		if n := count(); n != 1 {
			t.Errorf("%d replies to a command delivered twice, want 1", n)
		}
	})

	t.Run("20 approvals over both replicas apply once", func(t *testing.T) {
		ws.Deliver(0, slashCommand(t, "e-fix", "fix prod", "U0REQUESTER", channel, rec.url("fix")))
		var pending []store.Request
		var err error
		for deadline := time.Now().Add(60 * time.Second); len(pending) == 0; time.Sleep(50 * time.Millisecond) {
			if pending, err = replicas[0].store.InState(ctx, store.StatePending); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				rec.mu.Lock()
				t.Fatalf("no pending fix request; replies %q\n%s", rec.posts["/fix"], logs[0])
			}
		}
		id := pending[0].ID
		var clicks sync.WaitGroup
		for i := range 20 {
			clicks.Go(func() {
				ws.Deliver(i, buttonPress(t, fmt.Sprintf("e-approve-%d", i), "U0APPROVER", channel, rec.url(fmt.Sprintf("approve-%d", i)), commands.ActionApprove, id))
			})
		}
		clicks.Wait()
		var r store.Request
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if r, err = replicas[1].store.GetRequest(ctx, id); err != nil {
				t.Fatal(err)
			}
			if r.State != store.StatePending && r.State != store.StateApplying {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("request %s still %s\n%s\n%s", id, r.State, logs[0], logs[1])
			}
		}
		if r.State != store.StateApplied {
			t.Errorf("request %s ended %s, want applied", id, r.State)
		}
		evs, err := replicas[0].store.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range evs {
			counts[e.Kind]++
		}
		if counts[store.EventApproved] != 1 || counts[store.EventApplied] > 1 {
			t.Errorf("events %v: want one approval and at most one apply", counts)
		}
		// Every other click, on either replica, is told the request was decided already.
		rec.mu.Lock()
		defer rec.mu.Unlock()
		refused := 0
		for i := range 20 {
			for _, p := range rec.posts[fmt.Sprintf("/approve-%d", i)] {
				if strings.Contains(p, "was already decided") {
					refused++
				}
			}
		}
		if refused != 19 {
			t.Errorf("%d clicks told the request was decided already, want 19", refused)
		}
	})
}

// startReplicas builds two Servers as replicas from the configs config returns (one call each),
// with the owners "replica-a" and "replica-b" and Socket Mode connections to ws; tune, when
// not nil, adjusts each after it is built. It runs both until the test ends and returns once
// both are connected.
func startReplicas(t *testing.T, ws *slackfake.Workspace, config func() string, tune func(*Server)) ([]*Server, []*syncbuf.Buffer) {
	t.Helper()
	ctx := context.Background()
	var replicas []*Server
	var logs []*syncbuf.Buffer
	for _, owner := range []string{"replica-a", "replica-b"} {
		cfg := parseConfig(t, config())
		buf := &syncbuf.Buffer{}
		logger := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})).With("replica", owner)
		st, err := OpenStore(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{cfg: cfg, logger: logger, accounts: NewAccounts(cfg, factory(t)), store: st, owner: owner}
		scfg := slackbot.Config{AppToken: serverAppToken, BotToken: serverBotToken, APIURL: ws.APIURL(), Command: slackbot.DefaultCommand}
		if err := s.build(scfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if tune != nil {
			tune(s)
		}
		replicas, logs = append(replicas, s), append(logs, buf)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i, s := range replicas {
		wg.Go(func() {
			if err := s.Run(runCtx); err != nil {
				t.Errorf("replica %d: Run = %v", i, err)
			}
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for ws.Connections() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d Socket Mode connections, want 2\n%s\n%s", ws.Connections(), logs[0], logs[1])
		}
		time.Sleep(20 * time.Millisecond)
	}
	return replicas, logs
}
