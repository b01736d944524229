package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

const (
	serverBotToken = "xoxb-0000-0000-serversecret"
	serverAppToken = "xapp-1-A0FAKE-0000-serversecret"
)

// newTestServer builds the Server of a minimal config (a store in a temporary directory, the
// alert endpoint on listen, the operations endpoints on ops) against a local Slack workspace.
func newTestServer(t *testing.T, listen, ops string, logs io.Writer) *Server {
	t.Helper()
	ws := slackfake.New(t, serverBotToken)
	cfg := parseConfig(t, fmt.Sprintf(`accounts:
  - name: prod
    role_arn: arn:aws:iam::111122223333:role/cisbot
store:
  path: %s
alerts:
  listen: %s
  ops_listen: %s
  topics: [arn:aws:sns:us-east-1:111122223333:cis-alarms]
  default_channel: C0DEFAULTAL
`, filepath.Join(t.TempDir(), "cisbot.db"), listen, ops))
	scfg := slackbot.Config{AppToken: serverAppToken, BotToken: serverBotToken, APIURL: ws.APIURL(), Command: slackbot.DefaultCommand}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	s, err := NewServer(context.Background(), cfg, scfg, factory(t), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestServerRun: the server built from a minimal config connects to Slack, answers readiness
// and metrics on the operations listener only, refuses on the public listener what is not an
// SNS message, and stops when its context is done, both listeners closed.
func TestServerRun(t *testing.T) {
	addr, opsAddr := freeAddr(t), freeAddr(t)
	var logs syncbuf.Buffer
	s := newTestServer(t, addr, opsAddr, &logs)
	if got, want := s.AlertEndpoint(), addr+"/sns"; got != want {
		t.Errorf("AlertEndpoint = %q, want %q", got, want)
	}
	if got := s.OpsEndpoint(); got != opsAddr {
		t.Errorf("OpsEndpoint = %q, want %q", got, opsAddr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	public, ops := "http://"+addr, "http://"+opsAddr

	waitFor(t, done, &logs, "/readyz answers 200", func() bool { return status(ops+"/readyz") == http.StatusOK })
	waitFor(t, done, &logs, "the Socket Mode connection", func() bool { return strings.Contains(logs.String(), "msg=\"connected to Slack\"") })
	resp, err := http.Get(ops + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"go_goroutines", "process_start_time_seconds", "cisbot_outbox_depth"} {
		if !strings.Contains(string(metrics), "\n"+name+" ") {
			t.Errorf("/metrics has no %s", name)
		}
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		if got := status(public + path); got != http.StatusNotFound {
			t.Errorf("public listener %s: status %d, want 404", path, got)
		}
	}
	resp, err = http.Post(public+"/sns", "text/plain", strings.NewReader(`{"Type":"Notification"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unsigned message: status %d, want 400", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after its context was cancelled, want nil\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("Run did not return within 15 s of its context being cancelled\n%s", logs.String())
	}
	for _, a := range []string{addr, opsAddr} {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Run returned", a)
		}
	}
	if !strings.Contains(logs.String(), "disconnected from Slack") {
		t.Errorf("the Slack connection was not closed\n%s", logs.String())
	}
}

// TestServerListenError: an address either listener cannot listen on ends Run with an error
// that names the listener and the address, and the Slack connection is closed.
func TestServerListenError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		takeOps bool
		want    string
	}{
		{"alert endpoint", false, "alert endpoint "},
		{"operations endpoint", true, "operations endpoint "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			addr, opsAddr := taken.Addr().String(), freeAddr(t)
			if tc.takeOps {
				addr, opsAddr = opsAddr, addr
			}
			var logs syncbuf.Buffer
			s := newTestServer(t, addr, opsAddr, &logs)
			done := make(chan error, 1)
			go func() { done <- s.Run(context.Background()) }()
			want := tc.want + taken.Addr().String()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "address already in use") {
					t.Errorf("Run = %v, want an error naming the %s", err, want)
				}
				if !strings.Contains(logs.String(), "disconnected from Slack") {
					t.Errorf("the Slack connection was not closed\n%s", logs.String())
				}
				if strings.Contains(logs.String(), "level=ERROR") {
					t.Errorf("a stop for a taken address logged errors besides it:\n%s", logs.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("Run did not return within 15 s with the address taken\n%s", logs.String())
			}
		})
	}
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

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond for up to 10 s, failing when Run returns first.
func waitFor(t *testing.T, done <-chan error, logs *syncbuf.Buffer, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("waiting for %s: Run returned %v\n%s", what, err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10 s\n%s", what, logs.String())
		}
	}
}

// TestServerRecoversInterruptedFix: a fix that a crash left applying is marked interrupted
// when the server starts, so the account can be fixed again.
func TestServerRecoversInterruptedFix(t *testing.T) {
	var logs syncbuf.Buffer
	s := newTestServer(t, freeAddr(t), freeAddr(t), &logs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	at := time.Now().Add(-time.Minute)
	if err := s.store.CreateRequest(ctx, store.Request{ID: "r-crashed", Account: "prod", Channel: "C0DEFAULTAL", RequestedBy: "U1",
		Plan: []byte(`{"account":"prod","steps":[],"manual":[]}`), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.store.Transition(ctx, "r-crashed", store.StatePending, store.StateApplying, "U2", store.EventApproved, "", at); !ok || err != nil {
		t.Fatalf("Transition = %v, %v", ok, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, done, &logs, "the request marked interrupted", func() bool {
		r, err := s.store.GetRequest(ctx, "r-crashed")
		return err == nil && r.State == store.StateInterrupted
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}
