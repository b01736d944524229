package summary

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// blockingAuditor signals each audit's start, then panics on the first call when asked and
// otherwise waits until its context ends.
type blockingAuditor struct {
	started chan struct{}
	calls   atomic.Int32
	panics  bool
}

func (a *blockingAuditor) Audit(ctx context.Context, _ []string, _ []*cis.Control, _ func(done, total int)) (cis.ControlsReport, error) {
	n := a.calls.Add(1)
	a.started <- struct{}{}
	if a.panics && n == 1 {
		panic("audit exploded")
	}
	<-ctx.Done()
	return controlsReport([]cis.ControlResult{result("prod", cis.StatusError, cis.StepTrail)}), nil
}

// TestSchedulerStopsCleanly: a job that panics is recovered and the schedule goes on; a job still
// running at the next ticks is not started again beside itself; on cancel, Run waits for the
// job under way, which posts nothing.
func TestSchedulerStopsCleanly(t *testing.T) {
	// In a synctest bubble the per-second schedule's ticks cost no real time, and "two more
	// ticks while the second run blocks" is exactly two ticks.
	synctest.Test(t, func(t *testing.T) {
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
		logs := &syncbuf.Buffer{}
		log := slog.New(slog.NewTextHandler(logs, nil))
		s := &Scheduler{
			Runner: &Runner{Auditor: auditor, History: st, Ticks: st, Poster: poster, Owner: "me", Logger: log},
			Specs:  []Spec{{ID: "s", Cron: "* * * * * *", Schedule: sched, Channel: "C0SUMMARY1"}},
			Logger: log,
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		<-auditor.started                   // the panicking run
		<-auditor.started                   // then one that blocks
		time.Sleep(2500 * time.Millisecond) // two more ticks while the second run blocks
		synctest.Wait()
		if n := auditor.calls.Load(); n != 2 {
			t.Errorf("%d audits started, want 2: a run still under way is not started again", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		checkStoppedCleanly(t, poster, logs.String())
	})
}

// checkStoppedCleanly: cancelled runs posted nothing, the panic and its tick's reason were logged,
// and a run stopped by shutdown is not logged as a failure.
func checkStoppedCleanly(t *testing.T, poster *fakePoster, logs string) {
	t.Helper()
	if len(poster.posted) != 0 {
		t.Errorf("%d summaries posted by cancelled runs", len(poster.posted))
	}
	if !strings.Contains(logs, "audit exploded") {
		t.Errorf("the panic was not logged:\n%s", logs)
	}
	if !strings.Contains(logs, "internal error: audit exploded") {
		t.Errorf("the panicking run's tick does not say why it was not posted:\n%s", logs)
	}
	if strings.Contains(logs, "scheduled summary failed") || strings.Contains(logs, "level=ERROR msg=\"summary not posted\" err=\"summary s: stopped") {
		t.Errorf("a run stopped by shutdown is logged as a failure:\n%s", logs)
	}
}

// TestSchedulerCatchUp: at start, the latest tick is run when it came less than CatchUp ago:
// posted when it was missed, or when its claim was never finished and its lease has passed;
// left alone when it was posted, when its claimer may still be running it, or when it is too
// old.
func TestSchedulerCatchUp(t *testing.T) {
	sched, err := config.ParseCron("0 9 * * *")
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const (
		none       = iota // no claim of the tick
		posted            // claimed and posted
		unfinished        // claimed at the tick by a replica that never finished it
	)
	for _, tc := range []struct {
		name    string
		before  int
		now     time.Duration // after the tick
		catchUp time.Duration
		want    string // the log line the catch-up ends with; "" for no catch-up run
		posts   int
	}{
		{"missed while down: posted late", none, 20 * time.Minute, 0, "summary posted", 1},
		{"already posted: not again", posted, 20 * time.Minute, 0, "summary posted by another run", 0},
		{"claimer died: taken over after the lease", unfinished, 40 * time.Minute, 0, "summary posted", 1},
		{"claimer may still run it: left alone", unfinished, 20 * time.Minute, 0, "summary posted by another run", 0},
		{"too late", none, 61 * time.Minute, 0, "", 0},
		{"catch-up off", none, 20 * time.Minute, -1, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cisbot.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				spec := Spec{ID: "daily", Cron: "0 9 * * *", Schedule: sched, Channel: "C0SUMMARY1"}
				switch tc.before {
				case posted, unfinished:
					if ok, err := st.ClaimTick(ctx, spec.ID, tick, "other", tick, 0); !ok || err != nil {
						t.Fatal(ok, err)
					}
					if tc.before == posted {
						if err := st.FinishTick(ctx, spec.ID, tick, "other", 1, 1, "", tick.Add(time.Minute)); err != nil {
							t.Fatal(err)
						}
					}
				}
				now := tick.Add(tc.now)
				logs := &syncbuf.Buffer{}
				log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				poster := &fakePoster{}
				s := &Scheduler{
					Runner: &Runner{Auditor: &fakeAuditor{results: []cis.ControlResult{result("prod", cis.StatusPass, "")}},
						History: st, Ticks: st, Poster: poster, Owner: "me", Logger: log, Now: func() time.Time { return now }},
					Specs: []Spec{spec}, Logger: log, CatchUp: tc.catchUp,
				}
				runCtx, cancel := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- s.Run(runCtx) }()
				// Everything the start did (a catch-up run or none) has run once the bubble's
				// goroutines all wait: a catch-up that should not happen would have posted by then.
				synctest.Wait()
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if tc.want != "" && !strings.Contains(logs.String(), "msg=\""+tc.want+"\"") {
					t.Errorf("no %q in the log:\n%s", tc.want, logs.String())
				}
				if ran := strings.Contains(logs.String(), "running the latest tick"); ran != (tc.want != "") {
					t.Errorf("catch-up run: %v, want %v\n%s", ran, tc.want != "", logs.String())
				}
				if len(poster.posted) != tc.posts {
					t.Errorf("%d summaries posted, want %d", len(poster.posted), tc.posts)
				}
			})
		})
	}
}
