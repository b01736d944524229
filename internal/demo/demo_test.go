package demo

import (
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// motoPID is the pid the demo reports for its moto_server.
func motoPID(t *testing.T, out string) int {
	t.Helper()
	m := regexp.MustCompile(`\(pid (\d+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the demo did not report moto_server's pid:\n%s", out)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// The interactive session: what the user types runs against the demo's accounts.
func TestInteractive(t *testing.T) {
	var out syncbuf.Buffer
	in := strings.NewReader("audit dev\n1\n\naudit prod\n")
	if err := Run(context.Background(), Options{In: in, Out: &out, Interactive: true}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"# Type commands as in Slack",
		"cis> Auditing dev… 0 of 1 done\n",
		"FAIL   dev  222222222222  0/15 pass  fail 4.1–4.15\n",
		"cis> Evidence for dev (222222222222): FAIL, 0/15 pass  fail 4.1–4.15\n4.1 Ensure unauthorized API calls are monitored: FAIL at metric_filter\n",
		"cis> # moto_server stopped.\n", // the empty line typed ends the session
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(got, "PASS   prod") {
		t.Error("the session went on after the empty line")
	}
	if strings.Contains(got, "Run cisbot demo in a terminal") {
		t.Error("the interactive session ends with the tour's closing words")
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
	if pid := motoPID(t, got); emulator.Running(pid) {
		t.Errorf("moto_server (pid %d) still runs", pid)
	}
}

// Ctrl-C (the context cancelled) while the session waits for input stops moto_server.
func TestInterrupted(t *testing.T) {
	var out syncbuf.Buffer
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{In: pr, Out: &out, Interactive: true}) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.HasSuffix(out.String(), Prompt) {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v; an interrupted session is a normal end", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the context was cancelled")
	}
	if pid := motoPID(t, out.String()); emulator.Running(pid) {
		t.Errorf("moto_server (pid %d) still runs", pid)
	}
}

// The tour stops at once when interrupted, and says so.
func TestTourInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out syncbuf.Buffer
	err := Run(ctx, Options{Out: &out})
	if err == nil {
		t.Fatal("an interrupted tour returned nil")
	}
	if pid := motoPID(t, out.String()); emulator.Running(pid) {
		t.Errorf("moto_server (pid %d) still runs", pid)
	}
}
