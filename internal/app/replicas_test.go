package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
	"github.com/cisbot/cisbot/internal/testutil/replicacheck"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// TestReplicas runs two app.Servers in this test process, as two replicas: each with an owner
// of its own ("replica-a", "replica-b"; in production the host name), its own Socket Mode
// connection to one local Slack workspace, and one PostgreSQL database shared. A report
// rendered by one answers its Evidence button on the other, a command Slack delivers again to
// the other runs once, and 20 concurrent Approve clicks spread over both apply the fix once.
func TestReplicas(t *testing.T) {
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
  approvers: [%s]
alerts:
  listen: %s
  ops_listen: %s
  topics: [arn:aws:sns:us-east-1:%s:cis-alarms]
  default_channel: %s
`, awsaccount.RoleARN(prod), channel, dsn, replicacheck.Approver, freeAddr(t), freeAddr(t), prod, channel)
	}, nil)

	rc := replicacheck.Replicas{Slack: ws, Responses: rec, Store: replicas[0].store, Channel: channel, Account: "prod",
		Logs: func() string { return logs[0].String() + "\n" + logs[1].String() }}
	t.Run("evidence on the other replica", rc.EvidenceAcross)
	t.Run("a redelivered command runs once", rc.RedeliveredOnce)
	t.Run("20 approvals over both replicas apply once", rc.ApprovalsOnce)
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
