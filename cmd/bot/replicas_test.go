package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cisbot/cisbot/internal/testutil/pgtest"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
	"github.com/cisbot/cisbot/internal/testutil/snsproxy"
	"github.com/cisbot/cisbot/internal/testutil/snssign"
)

// replicaSet is two cisbot run processes on one PostgreSQL database: how to start each again,
// and the addresses of their endpoints.
type replicaSet struct {
	t        *testing.T
	bin, dir string
	names    [2]string
	env      [2][]string
	base     [2]string // the SNS endpoints
	ops      [2]string // the operations endpoints
	starts   int
	args     []string // after "cisbot run"
}

// newReplicaSet writes the two replicas' configs: the same store (dsn) and Slack workspace,
// their own listeners, SNS certificates fetched through proxy.
func newReplicaSet(t *testing.T, bin, dsn, slackURL string, proxy *snsproxy.Proxy) *replicaSet {
	t.Helper()
	return newReplicas(t, bin, slackURL, func(listen, opsListen string) string {
		return fmt.Sprintf(`accounts:
  - name: prod
    role_arn: arn:aws:iam::111122223333:role/cisbot
store:
  driver: postgres
  dsn: %s
alerts:
  listen: %s
  ops_listen: %s
  topics: [%s]
  default_channel: %s
  channel_interval: 0s
`, dsn, listen, opsListen, durTopic, durChannel)
	}, "HTTPS_PROXY="+proxy.URL, "SSL_CERT_FILE="+proxy.CAFile,
		"AWS_ENDPOINT_URL=http://127.0.0.1:1")
}

// newReplicas writes the two replicas' configs, config's answer for each replica's own
// listeners, and their environment: the Slack workspace at slackURL, dummy AWS credentials,
// and env.
func newReplicas(t *testing.T, bin, slackURL string, config func(listen, opsListen string) string, env ...string) *replicaSet {
	t.Helper()
	r := &replicaSet{t: t, bin: bin, dir: t.TempDir(), names: [2]string{"replica-a", "replica-b"}}
	for i, name := range r.names {
		addr, opsAddr := freeAddr(t), freeAddr(t)
		cfgPath := filepath.Join(r.dir, name+".yml")
		if err := os.WriteFile(cfgPath, []byte(config(addr, opsAddr)), 0o600); err != nil {
			t.Fatal(err)
		}
		r.env[i] = append([]string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + r.dir,
			"SLACK_APP_TOKEN=" + durAppToken, "SLACK_BOT_TOKEN=" + durBotToken, "SLACK_API_URL=" + slackURL,
			"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_EC2_METADATA_DISABLED=true", "CISBOT_CONFIG=" + cfgPath,
		}, env...)
		r.base[i], r.ops[i] = "http://"+addr, "http://"+opsAddr
	}
	return r
}

// start runs replica i and waits until it is ready. Each replica runs under a host name of its
// own (a UTS namespace, as each container or pod has): the bot names its claims after its host,
// and replicas need distinct host names.
func (r *replicaSet) start(i int) *bot {
	t := r.t
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("the replicas test gives each process a host name of its own with unshare (util-linux): %v", err)
	}
	args := []string{"-u"}
	if os.Geteuid() != 0 {
		args = []string{"-r", "-u"} // a user namespace lets an unprivileged user set the host name
	}
	args = append(args, "sh", "-c", `hostname "$1" && shift && exec "$@"`, "sh", r.names[i], r.bin, "run")
	args = append(args, r.args...)
	r.starts++
	b := startCmd(t, exec.Command(unshare, args...), r.env[i], filepath.Join(r.dir, fmt.Sprintf("%s-%d.log", r.names[i], r.starts)))
	waitReady(t, r.ops[i], b)
	return b
}

// TestReplicasDurability runs two built binaries as replicas on one PostgreSQL database and one
// Slack workspace, SNS spreading 1,000 signed notifications over both from 8 senders. One
// replica is killed with SIGKILL part-way, while both deliver a backlog, and started again;
// what was not acknowledged is sent again over both, as SNS retries. Every notification
// reaches the channel exactly once.
//
// On 2 shared cores the 1,000 notifications take about 11 s (17 s for the whole test, the build
// aside). Checked to fail: with replica-b on a database of its own, a notification it stored
// without acknowledging it, sent again to replica-a, was posted twice.
func TestReplicasDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two built binaries with 1,000 notifications")
	}
	_, dsn := pgtest.OwnCluster(t)
	bin := buildBot(t)
	signer := snssign.New(t)
	proxy := snsproxy.New(t, signer.CertPEM)
	ws := slackfake.New(t, durBotToken)
	r := newReplicaSet(t, bin, dsn, ws.APIURL(), proxy)
	begin := time.Now()

	bodies := make([][]byte, durMessages)
	ids := make([]string, durMessages)
	for i := range bodies {
		ids[i], bodies[i] = notification(t, signer, i)
	}
	a := r.start(0)
	b1 := r.start(1)
	both := r.base[:]
	var acked [durMessages]atomic.Bool
	var nAcked atomic.Int64
	const first = 300
	send(t, both, bodies[:first], ids[:first], &acked, &nAcked, nil)
	waitPosted(t, ws, 50, a, b1)
	killed := make(chan struct{})
	var postedAtKill, heldAtKill int
	go func() {
		defer close(killed)
		for nAcked.Load() < durKillAt {
			time.Sleep(100 * time.Microsecond)
		}
		_ = b1.cmd.Process.Signal(syscall.SIGKILL)
		postedAtKill = len(ws.Messages(durChannel))
	}()
	send(t, both, bodies[first:], ids[first:], &acked, &nAcked, killed)
	<-killed
	<-b1.exited
	heldAtKill = heldBy(t, dsn, r.names[1])
	ackedAtKill := int(nAcked.Load())
	if postedAtKill == 0 || postedAtKill >= ackedAtKill {
		t.Fatalf("at the kill %d of %d acknowledged notifications were posted: the replica was not killed while delivering, the test proves nothing", postedAtKill, ackedAtKill)
	}
	t.Logf("replica-b killed with %d acknowledged, %d posted, %d items claimed by it", ackedAtKill, postedAtKill, heldAtKill)

	// SNS retries what was not acknowledged, over both replicas once the killed one is back.
	b2 := r.start(1)
	resendUnacked(t, both, bodies, ids, &acked)
	waitPosted(t, ws, durMessages, a, b2)
	for _, ops := range r.ops {
		for deadline := time.Now().Add(30 * time.Second); outboxDepth(t, ops) != 0; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("outbox depth %d at %s after every notification was posted", outboxDepth(t, ops), ops)
			}
		}
	}
	time.Sleep(500 * time.Millisecond) // a late second post of an item would come now
	stopBot(t, a)
	stopBot(t, b2)
	checkOnce(t, ws, ids)
	if heldAtKill > 0 && !strings.Contains(b2.logs(), "took back outbox items held before a restart") {
		t.Errorf("replica-b held %d items when killed and did not take them back at restart\n%s", heldAtKill, b2.logs())
	}
	t.Logf("%d notifications over two replicas, one killed and restarted, in %s; %d chat.postMessage calls",
		durMessages, time.Since(begin).Round(100*time.Millisecond), ws.Calls("chat.postMessage"))
}

// waitPosted waits until the channel holds n messages, failing when a bot exits.
func waitPosted(t *testing.T, ws *slackfake.Workspace, n int, bots ...*bot) {
	t.Helper()
	waitPostedWithin(t, ws, n, 90*time.Second, bots...)
}

// waitPostedWithin is waitPosted failing after d.
func waitPostedWithin(t *testing.T, ws *slackfake.Workspace, n int, d time.Duration, bots ...*bot) {
	t.Helper()
	deadline := time.Now().Add(d)
	for len(ws.Messages(durChannel)) < n {
		failIfExited(t, bots...)
		if time.Now().After(deadline) {
			t.Fatalf("after %s %d of %d messages posted", d, len(ws.Messages(durChannel)), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// failIfExited fails the test, with its log, when one of the bots has exited.
func failIfExited(t *testing.T, bots ...*bot) {
	t.Helper()
	for _, b := range bots {
		select {
		case <-b.exited:
			t.Fatalf("a bot exited (%v)\n%s", b.waitErr, b.logs())
		default:
		}
	}
}

// checkOnce fails unless every notification of ids was posted to the channel exactly once.
func checkOnce(t *testing.T, ws *slackfake.Workspace, ids []string) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range ws.Messages(durChannel) {
		seen[m.EventPayload("message_id")]++
	}
	missing, twice := 0, 0
	for _, id := range ids {
		switch seen[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
			if twice <= 10 {
				t.Errorf("notification %s was posted %d times", id, seen[id])
			}
		}
	}
	if missing > 0 || twice > 0 || len(seen) != len(ids) {
		t.Fatalf("%d notifications missing, %d posted more than once, %d distinct posts; want all %d exactly once", missing, twice, len(seen), len(ids))
	}
}

// heldBy counts the undelivered outbox items owner holds a live claim on.
func heldBy(t *testing.T, dsn, owner string) int {
	t.Helper()
	var n int
	err := pgConn(t, dsn).QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE claim_owner = $1 AND NOT delivered`, owner).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pgConn is a connection to the replicas' database, for reading what they wrote; it is closed
// when the test ends.
func pgConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
