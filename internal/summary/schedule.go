package summary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/robfig/cron/v3"
)

// Spec is one schedule: when it runs, where it posts and which accounts it audits.
type Spec struct {
	// ID names the schedule in the store (config.SummarySchedule.ID): the same in every replica.
	ID string
	// Cron is the expression as written, for logs; Schedule is it parsed (nil for a run that is
	// not scheduled, such as cisbot summary).
	Cron     string
	Schedule cron.Schedule
	// Location is the schedule's time zone (CRON_TZ), in which times are shown; nil is UTC.
	Location *time.Location
	Channel  string
	// Accounts are the names to audit; empty means all.
	Accounts []string
	// Controls are the controls audited; nil means every control.
	Controls []*cis.Control
}

// Names are the accounts to audit: Accounts, or all.
func (s Spec) Names() []string {
	if len(s.Accounts) == 0 {
		return []string{"all"}
	}
	return s.Accounts
}

// Scheduler runs each spec's summary at its ticks with robfig/cron: a job that panics is
// recovered and logged, a job still running at its next tick skips that tick, and Run stops
// cleanly when its context ends.
//
// As it starts, it also runs each spec's latest tick if that came less than CatchUp ago: a tick
// missed while the bot was down (a deploy, a crash) is posted late rather than lost, and a tick
// whose run died with its replica is taken over once the Runner's lease has passed. A tick
// already posted is not posted again (the claim says so).
type Scheduler struct {
	Runner *Runner
	Specs  []Spec
	Logger *slog.Logger
	// CatchUp is how late a missed tick is still run at start (default DefaultCatchUp;
	// negative: never).
	CatchUp time.Duration
}

// DefaultCatchUp is how late a summary missed while the bot was down is still posted.
const DefaultCatchUp = time.Hour

// Run schedules the specs and blocks until ctx is done; then it stops the cron, whose jobs see
// ctx cancelled, and waits for the jobs under way before returning.
func (s *Scheduler) Run(ctx context.Context) error {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl := cronLogger{log}
	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cl))
	// Recover goes inside SkipIfStillRunning: the other way round, a panic would skip past
	// SkipIfStillRunning's release of its token, and the schedule would never run again.
	chain := cron.NewChain(cron.SkipIfStillRunning(cl), cron.Recover(cl))
	var catchUps sync.WaitGroup
	for _, spec := range s.Specs {
		if spec.Schedule == nil {
			return fmt.Errorf("summary %s: no schedule", spec.ID)
		}
		spec.Schedule = aligned(spec.Schedule)
		// One job per spec, for its ticks and its catch-up alike, so that they never overlap.
		job := chain.Then(cron.FuncJob(func() { s.fire(ctx, log, spec) }))
		c.Schedule(spec.Schedule, job)
		now := s.Runner.now().UTC()
		log.Info("summary scheduled", "schedule", spec.ID, "cron", spec.Cron, "channel", spec.Channel,
			"next", spec.Schedule.Next(now).UTC().Format(time.RFC3339))
		if last, ok := s.missed(spec, now); ok {
			log.Info("running the latest tick of a summary at start, in case it was missed", "schedule", spec.ID,
				"tick", last.Format(time.RFC3339))
			catchUps.Go(job.Run)
		}
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	catchUps.Wait()
	return nil
}

// missed is spec's latest tick at or before now when it came less than CatchUp ago.
func (s *Scheduler) missed(spec Spec, now time.Time) (time.Time, bool) {
	window := s.CatchUp
	if window == 0 {
		window = DefaultCatchUp
	}
	if window < 0 {
		return time.Time{}, false
	}
	tick := TickAt(spec.Schedule, now)
	// TickAt falls back to now when the schedule has no activation within a year: no tick.
	real := spec.Schedule.Next(tick.Add(-time.Second)).Equal(tick)
	return tick, real && now.Sub(tick) < window
}

// fire is one tick of spec's schedule.
func (s *Scheduler) fire(ctx context.Context, log *slog.Logger, spec Spec) {
	if ctx.Err() != nil {
		return
	}
	tick := TickAt(spec.Schedule, s.Runner.now())
	_, err := s.Runner.Run(ctx, spec, tick)
	switch {
	case errors.Is(err, ErrClaimed):
		log.Debug("summary posted by another run", "schedule", spec.ID, "tick", tick.UTC().Format(time.RFC3339))
	case err != nil && ctx.Err() == nil:
		log.Error("scheduled summary failed", "schedule", spec.ID, "err", err)
	}
}

// TickAt is the tick a job started at now belongs to: the schedule's latest activation at or
// before now (cron starts a job once its activation has come). Replicas whose clocks differ
// by less than the schedule's period agree on it, which is what makes it a key for posting
// once. A schedule without CRON_TZ is read in UTC, as the scheduler runs it.
func TickAt(s cron.Schedule, now time.Time) time.Time {
	now = now.UTC()
	for _, back := range []time.Duration{time.Minute, time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 367 * 24 * time.Hour} {
		t := s.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return now.Truncate(time.Second)
}

// aligned makes "@every D" fire at multiples of D since the Unix epoch instead of D after each
// replica started, so that replicas share its ticks.
func aligned(s cron.Schedule) cron.Schedule {
	if c, ok := s.(cron.ConstantDelaySchedule); ok && c.Delay > 0 {
		return alignedEvery{c.Delay}
	}
	return s
}

type alignedEvery struct{ d time.Duration }

func (a alignedEvery) Next(t time.Time) time.Time { return t.Truncate(a.d).Add(a.d) }

// cronLogger passes robfig/cron's log lines to slog: its chatter at debug level, errors (a
// recovered panic, with its stack) at error level.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
