package summary

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/store"
)

// blockingAuditor signals each audit's start, then panics on the first call when asked and
// otherwise waits until its context ends.
type blockingAuditor struct {
	started chan struct{}
	calls   atomic.Int32
	panics  bool
}

func (a *blockingAuditor) Audit(ctx context.Context, _ []string, _ func(done, total int)) (cis.Report, error) {
	n := a.calls.Add(1)
	a.started <- struct{}{}
	if a.panics && n == 1 {
		panic("audit exploded")
	}
	<-ctx.Done()
	return cis.NewReport("4.1", []cis.Result{result("prod", cis.StatusError, cis.StepTrail)}), nil
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncLog) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestSchedulerStopsCleanly: a job that panics is recovered and the schedule goes on; a job still
// running at the next ticks is not started again beside itself; on cancel, Run waits for the
// job under way, which posts nothing.
func TestSchedulerStopsCleanly(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sched, err := config.ParseCronSeconds("* * * * * *")
	if err != nil {
		t.Fatal(err)
	}
	auditor := &blockingAuditor{started: make(chan struct{}, 10), panics: true}
	poster := &fakePoster{}
	logs := &syncLog{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	s := &Scheduler{
		Runner: &Runner{Auditor: auditor, History: st, Ticks: st, Poster: poster, Owner: "me", Logger: log},
		Specs:  []Spec{{ID: "s", Cron: "* * * * * *", Schedule: sched, Channel: "C0SUMMARY1"}},
		Logger: log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for i := range 2 { // the panicking run, then one that blocks
		select {
		case <-auditor.started:
		case <-time.After(10 * time.Second):
			t.Fatalf("audit %d did not start", i+1)
		}
	}
	time.Sleep(2500 * time.Millisecond) // two more ticks while the second run blocks
	if n := auditor.calls.Load(); n != 2 {
		t.Errorf("%d audits started, want 2: a run still under way is not started again", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if len(poster.posted) != 0 {
		t.Errorf("%d summaries posted by cancelled runs", len(poster.posted))
	}
	if !strings.Contains(logs.String(), "audit exploded") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "internal error: audit exploded") {
		t.Errorf("the panicking run's tick does not say why it was not posted:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "scheduled summary failed") || strings.Contains(logs.String(), "level=ERROR msg=\"summary not posted\" err=\"summary s: stopped") {
		t.Errorf("a run stopped by shutdown is logged as a failure:\n%s", logs.String())
	}
}
