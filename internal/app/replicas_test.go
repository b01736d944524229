package app

import (
	"context"
	"fmt"
	"log/slog"
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
	rec := slackfake.NewResponses(t)
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
		ws.Deliver(0, slackfake.SlashCommand("e-audit", "audit prod", "U0REQUESTER", channel, rec.URL("audit")))
		report := rec.Wait(t, "audit", commands.ActionEvidence, 60*time.Second)
		m := regexp.MustCompile(`"value":"([0-9a-f]{12}/prod)"`).FindStringSubmatch(report)
		if m == nil {
			t.Fatalf("no Evidence button for prod in %s", report)
		}
		ws.Deliver(1, slackfake.ButtonPress("e-evidence", "U0REQUESTER", channel, rec.URL("evidence"), commands.ActionEvidence, m[1]))
		evidence := rec.Wait(t, "evidence", "4.1", 60*time.Second)
		if strings.Contains(evidence, "no longer held") {
			t.Errorf("the other replica did not find the report: %s", evidence)
		}
	})

	t.Run("a redelivered command runs once", func(t *testing.T) {
		env := slackfake.SlashCommand("e-redelivered", "help", "U0REQUESTER", channel, rec.URL("redelivered"))
		ws.Deliver(0, env)
		rec.Wait(t, "redelivered", "/cis", 60*time.Second)
		ws.Deliver(1, slackfake.Redelivered(env, 1)) // Slack's retry, to the other replica
		time.Sleep(500 * time.Millisecond)
		if n := len(rec.Posts("redelivered")); n != 1 {
			t.Errorf("%d replies to a command delivered twice, want 1", n)
		}
	})

	t.Run("20 approvals over both replicas apply once", func(t *testing.T) {
		ws.Deliver(0, slackfake.SlashCommand("e-fix", "fix prod", "U0REQUESTER", channel, rec.URL("fix")))
		var pending []store.Request
		var err error
		for deadline := time.Now().Add(60 * time.Second); len(pending) == 0; time.Sleep(50 * time.Millisecond) {
			if pending, err = replicas[0].store.InState(ctx, store.StatePending); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no pending fix request; replies %q\n%s", rec.Posts("fix"), logs[0])
			}
		}
		id := pending[0].ID
		var clicks sync.WaitGroup
		for i := range 20 {
			clicks.Go(func() {
				ws.Deliver(i, slackfake.ButtonPress(fmt.Sprintf("e-approve-%d", i), "U0APPROVER", channel, rec.URL(fmt.Sprintf("approve-%d", i)), commands.ActionApprove, id))
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
		refused := 0
		for i := range 20 {
			for _, p := range rec.Posts(fmt.Sprintf("approve-%d", i)) {
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
