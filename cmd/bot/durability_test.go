package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
	"github.com/cisbot/cisbot/internal/testutil/snsproxy"
	"github.com/cisbot/cisbot/internal/testutil/snssign"
)

const (
	durTopic    = "arn:aws:sns:us-east-1:111122223333:cis-alarms"
	durChannel  = "C0ALERTS01"
	durBotToken = "xoxb-0000-0000-durabilitysecret"
	durAppToken = "xapp-1-A0FAKE-0000-durabilitysecret"
	durCertURL  = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
	durMessages = 1000
	durKillAt   = 500 // acknowledged notifications before the SIGKILL
)

// TestDurability runs the built binary as in production: SNS notifications signed with a
// certificate fetched through an HTTPS proxy (HTTPS_PROXY, SSL_CERT_FILE), Slack in Socket Mode,
// the SQLite store on disk. It posts 1,000 notifications from 8 senders and kills the bot with
// SIGKILL part-way, while it is delivering a backlog; restarts it on the same store while Slack
// answers 500 (some after carrying the post out, as when an answer is lost) and then 429 for a
// while; resends what was not acknowledged, as SNS does; and checks that every notification
// reaches the channel exactly once.
func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built binary with 1,000 notifications")
	}
	bin := buildBot(t)
	signer := snssign.New(t)
	proxy := snsproxy.New(t, signer.CertPEM)
	ws := slackfake.New(t, durBotToken)
	dir := t.TempDir()
	addr, opsAddr := freeAddr(t), freeAddr(t)
	cfgPath := filepath.Join(dir, "cisbot.yml")
	cfg := fmt.Sprintf(`accounts:
  - name: prod
    role_arn: arn:aws:iam::111122223333:role/cisbot
store:
  path: %s
alerts:
  listen: %s
  ops_listen: %s
  topics: [%s]
  default_channel: %s
  channel_interval: 0s
`, filepath.Join(dir, "cisbot.db"), addr, opsAddr, durTopic, durChannel)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"SLACK_APP_TOKEN=" + durAppToken, "SLACK_BOT_TOKEN=" + durBotToken, "SLACK_API_URL=" + ws.APIURL(),
		"HTTPS_PROXY=" + proxy.URL, "SSL_CERT_FILE=" + proxy.CAFile,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"CISBOT_CONFIG=" + cfgPath,
	}
	base, ops := "http://"+addr, "http://"+opsAddr

	bodies := make([][]byte, durMessages)
	ids := make([]string, durMessages)
	for i := range bodies {
		ids[i], bodies[i] = notification(t, signer, i)
	}

	// Phase 1: a first part is stored and delivery starts; the rest arrives while the bot works
	// through the backlog, and the bot is killed part-way.
	bot1 := startBot(t, bin, env, filepath.Join(dir, "bot1.log"))
	waitReady(t, ops, bot1)
	var acked [durMessages]atomic.Bool
	var nAcked atomic.Int64
	const first = 300
	send(t, []string{base}, bodies[:first], ids[:first], &acked, &nAcked, nil)
	for len(ws.Messages(durChannel)) < 50 {
		select {
		case <-bot1.exited:
			t.Fatalf("the bot exited\n%s", bot1.logs())
		case <-time.After(time.Millisecond):
		}
	}
	killed := make(chan struct{})
	var postedAtKill int
	go func() {
		defer close(killed)
		for nAcked.Load() < durKillAt {
			time.Sleep(100 * time.Microsecond)
		}
		_ = bot1.cmd.Process.Signal(syscall.SIGKILL)
		postedAtKill = len(ws.Messages(durChannel))
	}()
	send(t, []string{base}, bodies[first:], ids[first:], &acked, &nAcked, killed)
	<-killed
	<-bot1.exited
	ackedAtKill := int(nAcked.Load())
	if postedAtKill == 0 || postedAtKill >= ackedAtKill {
		t.Fatalf("at the kill %d of %d acknowledged notifications were posted: the bot was not killed while delivering, the test proves nothing", postedAtKill, ackedAtKill)
	}
	t.Logf("killed with %d acknowledged, %d posted", ackedAtKill, postedAtKill)

	// Phase 2: Slack answers 500 to a third of the first 150 posts, half of them after posting
	// (the answer is lost), then 429 to the next 100, then recovers.
	var posts atomic.Int64
	ws.SetFault(func(method string) *slackfake.Fault {
		if method != "chat.postMessage" {
			return nil
		}
		switch n := posts.Add(1); {
		case n > 150 && n <= 250:
			return &slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1}
		case n > 150 || n%3 != 0:
			return nil
		case n%2 == 0:
			return &slackfake.Fault{Status: http.StatusInternalServerError, Lost: true}
		default:
			return &slackfake.Fault{Status: http.StatusInternalServerError}
		}
	})
	bot2 := startBot(t, bin, env, filepath.Join(dir, "bot2.log"))
	waitReady(t, ops, bot2)
	// SNS retries what was not acknowledged; a message stored but not acknowledged before the
	// kill is a duplicate now, answered 200 and stored once.
	resendUnacked(t, []string{base}, bodies, ids, &acked)

	deadline := time.Now().Add(90 * time.Second)
	for outboxDepth(t, ops) != 0 || len(ws.Messages(durChannel)) < durMessages {
		if time.Now().After(deadline) {
			t.Fatalf("after 90 s: outbox depth %d, %d of %d messages posted\n%s", outboxDepth(t, ops), len(ws.Messages(durChannel)), durMessages, bot2.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopBot(t, bot2)

	checkOnce(t, ws, ids)
	for _, want := range []string{"took back outbox items held before a restart", "an earlier attempt had posted it"} {
		if !strings.Contains(bot2.logs(), want) {
			t.Errorf("the restarted bot never logged %q", want)
		}
	}
	if proxy.Fetches() == 0 || proxy.Refused() != 0 {
		t.Errorf("certificate fetches through the proxy: %d, refused %d; want some, none refused", proxy.Fetches(), proxy.Refused())
	}
	for _, b := range []*bot{bot1, bot2} {
		if l := b.logs(); strings.Contains(l, durBotToken) || strings.Contains(l, durAppToken) {
			t.Errorf("a log holds a Slack token:\n%s", l)
		}
	}
	t.Logf("Slack: %d chat.postMessage calls, %d conversations.history lookups; %d certificate fetches",
		ws.Calls("chat.postMessage"), ws.Calls("conversations.history"), proxy.Fetches())
}

// notification is SNS notification i, signed (v1 and v2 alternately).
func notification(t *testing.T, s *snssign.Signer, i int) (id string, body []byte) {
	t.Helper()
	subject := fmt.Sprintf("Notification %d", i)
	m := &sns.Message{
		Type:             "Notification",
		MessageId:        fmt.Sprintf("0d2f9b6e-7a1c-4c55-9e0b-%012d", i),
		TopicArn:         durTopic,
		Subject:          &subject,
		Message:          fmt.Sprintf("Relay durability check %d of %d", i+1, durMessages),
		Timestamp:        time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: strconv.Itoa(1 + i%2),
		SigningCertURL:   durCertURL,
	}
	sts, err := sns.StringToSign(m)
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = s.Sign(t, m.SignatureVersion, sts)
	body, err = json.Marshal(map[string]string{
		"Type": m.Type, "MessageId": m.MessageId, "TopicArn": m.TopicArn, "Subject": subject,
		"Message": m.Message, "Timestamp": m.Timestamp, "SignatureVersion": m.SignatureVersion,
		"Signature": m.Signature, "SigningCertURL": m.SigningCertURL,
		"UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + durTopic + ":1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return m.MessageId, body
}

// send posts bodies from 8 senders as SNS does, marking each one answered 200 in acked. When
// stop closes, the senders stop taking new bodies (the bot is being killed). Body k goes to
// bases[k%len(bases)]: several replicas share the stream.
func send(t *testing.T, bases []string, bodies [][]byte, ids []string, acked *[durMessages]atomic.Bool, n *atomic.Int64, stop <-chan struct{}) {
	t.Helper()
	idx := map[string]int{}
	for i := range durMessages {
		idx[fmt.Sprintf("0d2f9b6e-7a1c-4c55-9e0b-%012d", i)] = i
	}
	client := &http.Client{Timeout: 10 * time.Second}
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				req, err := http.NewRequest(http.MethodPost, bases[i%len(bases)]+"/sns", bytes.NewReader(bodies[i]))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
				req.Header.Set("x-amz-sns-message-type", "Notification")
				req.Header.Set("x-amz-sns-message-id", ids[i])
				req.Header.Set("x-amz-sns-topic-arn", durTopic)
				req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
				resp, err := client.Do(req)
				if err != nil {
					continue // the bot is gone: not acknowledged, SNS would retry
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					acked[idx[ids[i]]].Store(true)
					n.Add(1)
				}
			}
		})
	}
feed:
	for i := range bodies {
		select {
		case <-stop:
			break feed
		case next <- i:
		}
	}
	close(next)
	wg.Wait()
}

// resendUnacked sends again, over bases, every notification that was not acknowledged, as SNS
// retries, and fails the test unless each is acknowledged now.
func resendUnacked(t *testing.T, bases []string, bodies [][]byte, ids []string, acked *[durMessages]atomic.Bool) {
	t.Helper()
	var rest [][]byte
	var restIDs []string
	for i := range bodies {
		if !acked[i].Load() {
			rest, restIDs = append(rest, bodies[i]), append(restIDs, ids[i])
		}
	}
	var acked2 [durMessages]atomic.Bool
	var nAcked2 atomic.Int64
	send(t, bases, rest, restIDs, &acked2, &nAcked2, nil)
	if int(nAcked2.Load()) != len(rest) {
		t.Fatalf("after the restart %d of %d resent notifications were acknowledged", nAcked2.Load(), len(rest))
	}
}

type bot struct {
	cmd     *exec.Cmd
	log     string
	exited  chan struct{} // closed when the process has ended
	waitErr error         // its exit status, once exited is closed
}

func (b *bot) logs() string {
	data, _ := os.ReadFile(b.log)
	return string(data)
}

func buildBot(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cisbot")
	out, err := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startBot(t *testing.T, bin string, env []string, logPath string) *bot {
	t.Helper()
	return startCmd(t, exec.Command(bin, "run"), env, logPath)
}

// startCmd starts cmd, a bot, with env, its output to logPath.
func startCmd(t *testing.T, cmd *exec.Cmd, env []string, logPath string) *bot {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &bot{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() { b.waitErr = cmd.Wait(); close(b.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-b.exited
	})
	return b
}

// stopBot ends the bot as an orchestrator does, with SIGTERM, and expects a clean exit.
func stopBot(t *testing.T, b *bot) {
	t.Helper()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
		if b.waitErr != nil {
			t.Errorf("the bot did not stop cleanly on SIGTERM: %v\n%s", b.waitErr, b.logs())
		}
	case <-time.After(20 * time.Second):
		_ = b.cmd.Process.Kill()
		t.Errorf("the bot did not stop within 20 s of SIGTERM\n%s", b.logs())
	}
}

// waitReady waits for /readyz (store and Slack reachable).
func waitReady(t *testing.T, base string, b *bot) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		failIfExited(t, b)
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the bot was not ready within 30 s\n%s", b.logs())
}

var depthRE = regexp.MustCompile(`(?m)^cisbot_outbox_depth ([0-9.e+]+)$`)

// outboxDepth reads the outbox depth gauge from /metrics (-1 when it cannot).
func outboxDepth(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m := depthRE.FindSubmatch(data)
	if m == nil {
		return -1
	}
	f, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return -1
	}
	return int(f)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
