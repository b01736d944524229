package main_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
	"github.com/cisbot/cisbot/internal/testutil/replicacheck"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

const (
	slackChannel   = "C0SECOPS01"
	summaryChannel = "C0SUMMARY1"
)

// TestReplicasSlack runs two built binaries as replicas (`cisbot run`, each under a host name
// of its own) on one PostgreSQL database, one Slack workspace spreading envelopes over their
// two Socket Mode connections, and one emulated AWS account (moto) whose trail does not log, so
// every control fails and a fix has work to do. Across the two processes:
//   - a report rendered by one answers its Evidence button pressed on the other;
//   - a command Slack delivers again, to the other replica, runs once;
//   - 20 concurrent Approve clicks spread over both apply the fix once, and the 19 others are
//     told it was decided already;
//   - a per-minute summary is posted once per tick, both replicas scheduling it.
//
// A data race in either replica ends it (the race detector's exit), failing the test.
//
// Checked to fail: with replica-b on a database of its own, the Evidence button on it shows no
// evidence, the redelivered command is answered twice, the approvals apply nothing (the
// request is not in replica-b's store) and each summary tick is posted twice.
func TestReplicasSlack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two built binaries against moto and PostgreSQL for up to two minutes")
	}
	ctx := context.Background()
	moto, err := emulator.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(moto.Stop)
	f, err := awsenv.New(ctx, awsenv.Options{Region: "us-east-1", ConfigOptions: []func(*awsconfig.LoadOptions) error{
		awsconfig.WithBaseEndpoint(moto.URL),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	prod := awsaccount.NewID()
	awsaccount.Build(t, f, prod, awsaccount.Scenario{NotLogging: true}, nil)

	_, dsn := pgtest.OwnCluster(t)
	ws := slackfake.New(t, durBotToken)
	// Under -race the replicas are built with it too: their concurrency is what this test is about.
	var flags, env []string
	if raceEnabled {
		flags, env = []string{"-race"}, []string{"GORACE=halt_on_error=1"}
	}
	r := newReplicas(t, buildBot(t, flags...), ws.APIURL(), func(listen, opsListen string) string {
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
summaries:
  - cron: "* * * * *"
    channel: %s
    accounts: [prod]
`, awsaccount.RoleARN(prod), slackChannel, dsn, replicacheck.Approver, listen, opsListen, prod, slackChannel, summaryChannel)
	}, append(env, "AWS_ENDPOINT_URL="+moto.URL)...)
	r.args = []string{"--log-level", "debug"} // to see the tick claims each replica lost
	a := r.start(0)
	waitConnections(t, ws, 1, a)
	b := r.start(1) // the second connection: Deliver(1, …) reaches replica-b, Deliver(0, …) replica-a
	waitConnections(t, ws, 2, a, b)
	st, err := store.OpenPostgres(ctx, dsn) // the test's own view of the shared database
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	rc := replicacheck.Replicas{Slack: ws, Responses: slackfake.NewResponses(t), Store: st, Channel: slackChannel, Account: "prod",
		Logs: func() string { return a.logs() + "\n" + b.logs() }}
	t.Run("evidence on the other replica", rc.EvidenceAcross)
	t.Run("a redelivered command runs once", rc.RedeliveredOnce)
	t.Run("20 approvals over both replicas apply once", rc.ApprovalsOnce)

	t.Run("a per-minute summary is posted once per tick", func(t *testing.T) {
		// Both replicas run the latest tick as they start (a tick missed while down) and every
		// minute's; wait for two ticks posted, the second a scheduled one.
		db := pgConn(t, dsn)
		var ticks []postedTick
		for deadline := time.Now().Add(150 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			ticks = summaryTicks(t, db)
			if len(ticks) >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d summary ticks posted in 150 s, want 2: %+v\n%s", len(ticks), ticks, rc.Logs())
			}
		}
		time.Sleep(2 * time.Second) // a second post of a tick would come now
		ticks = summaryTicks(t, db)
		var posts []slackfake.Message
		for _, m := range ws.Messages(summaryChannel) {
			if m.ThreadTS == "" {
				posts = append(posts, m)
			}
		}
		owners := map[string]int{}
		for _, tk := range ticks {
			owners[tk.owner]++
			if tk.err != "" {
				t.Errorf("tick %s: %s", tk.tick.Format(time.RFC3339), tk.err)
			}
		}
		if len(posts) != len(ticks) {
			t.Errorf("%d summaries posted for %d ticks (%+v), want one per tick\n%s", len(posts), len(ticks), ticks, rc.Logs())
		}
		// Both replicas ran the ticks: the one that lost a tick's claim says so.
		lost := strings.Count(rc.Logs(), "summary tick already claimed")
		if lost == 0 {
			t.Errorf("no replica lost a tick's claim to the other: the test proves nothing\n%s", rc.Logs())
		}
		t.Logf("%d ticks posted, by %v; %d claims lost to the other replica", len(ticks), owners, lost)
	})
	stopBot(t, a)
	stopBot(t, b)
}

// waitConnections waits until ws has n Socket Mode connections, failing when a bot exits.
func waitConnections(t *testing.T, ws *slackfake.Workspace, n int, bots ...*bot) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ws.Connections() < n; time.Sleep(20 * time.Millisecond) {
		failIfExited(t, bots...)
		if time.Now().After(deadline) {
			t.Fatalf("%d Socket Mode connections after 30 s, want %d", ws.Connections(), n)
		}
	}
}

// postedTick is a summary tick the replicas claimed and posted.
type postedTick struct {
	tick  time.Time
	owner string
	err   string
}

// summaryTicks reads the summary ticks posted so far from the shared database.
func summaryTicks(t *testing.T, conn *pgx.Conn) []postedTick {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT tick, owner, error FROM summary_ticks WHERE posted_at > 0 ORDER BY tick`)
	if err != nil {
		t.Fatal(err)
	}
	ticks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (postedTick, error) {
		var p postedTick
		var ms int64
		err := row.Scan(&ms, &p.owner, &p.err)
		p.tick = time.UnixMilli(ms).UTC()
		return p, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ticks
}
