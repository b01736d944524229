package summary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// Auditor audits accounts by name ("all" for every configured and organization account) for
// controls (nil: every control in cis.Controls, in table order); the app's Auditor, which /cis
// audit uses, is one.
type Auditor interface {
	Audit(ctx context.Context, names []string, controls []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error)
}

// History is the part of the store that keeps audit results.
type History interface {
	RecordAudits(ctx context.Context, recs []store.AuditRecord) error
	LatestAudits(ctx context.Context, accounts []string) ([]store.AuditRecord, error)
}

// Ticks is the part of the store that makes a tick post once.
type Ticks interface {
	ClaimTick(ctx context.Context, schedule string, tick time.Time, owner string, at time.Time, lease time.Duration) (bool, error)
	FinishTick(ctx context.Context, schedule string, tick time.Time, owner string, pass, total int, errMsg string, at time.Time) error
	LastPosted(ctx context.Context, schedule string, tick time.Time) (store.Tick, bool, error)
}

// Poster delivers a summary to its channel (the Slack adapter with chat.postMessage, the
// console by printing it).
type Poster interface {
	PostSummary(ctx context.Context, s Digest) error
}

// Runner runs summaries: claim the tick, audit, compare, record, post.
type Runner struct {
	Auditor Auditor
	History History
	Ticks   Ticks
	Poster  Poster
	// Owner names this replica in the claims (host and pid).
	Owner string
	// Lease is how long a claimed tick that was never finished (its replica died during the
	// run) stays claimed before another run of the same tick may take it over (default
	// DefaultTickLease; negative: never).
	Lease  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// DefaultTickLease is longer than any audit of all accounts takes.
const DefaultTickLease = 30 * time.Minute

func (r *Runner) lease() time.Duration {
	switch {
	case r.Lease < 0:
		return 0
	case r.Lease == 0:
		return DefaultTickLease
	}
	return r.Lease
}

func (r *Runner) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ErrClaimed is returned by Run when another replica (or an earlier run) has claimed the tick.
var ErrClaimed = errors.New("the tick was claimed by another run")

// Run runs spec's summary for tick: it claims the tick (ErrClaimed when it was taken), audits
// the accounts, records every result in the history, compares each with its previous result,
// and posts the summary. The results are recorded even when posting fails, and the tick records
// the outcome. A cancelled ctx stops the run without posting a summary of interrupted audits.
func (r *Runner) Run(ctx context.Context, spec Spec, tick time.Time) (Digest, error) {
	log := r.log().With("schedule", spec.ID, "channel", spec.Channel, "tick", tick.UTC().Format(time.RFC3339))
	ok, err := r.Ticks.ClaimTick(ctx, spec.ID, tick, r.Owner, r.now(), r.lease())
	if err != nil {
		return Digest{}, fmt.Errorf("summary %s: %w", spec.ID, err)
	}
	if !ok {
		log.Debug("summary tick already claimed")
		return Digest{}, ErrClaimed
	}
	defer func() {
		// The tick says why it was not posted; the panic goes on to the scheduler's recovery.
		if p := recover(); p != nil {
			r.finish(context.WithoutCancel(ctx), log, spec, tick, Digest{}, fmt.Errorf("summary %s: internal error: %v", spec.ID, p))
			panic(p)
		}
	}()
	s, recs, err := r.build(ctx, spec, tick)
	if ctx.Err() != nil {
		err = fmt.Errorf("summary %s: stopped before it was posted: %w", spec.ID, ctx.Err())
	}
	if err != nil {
		r.finish(context.WithoutCancel(ctx), log, spec, tick, s, err)
		return Digest{}, err
	}
	var errs []error
	if err := r.History.RecordAudits(ctx, recs); err != nil {
		// The summary is still worth posting; the next one compares with older results.
		errs = append(errs, fmt.Errorf("summary %s: %w", spec.ID, err))
		log.Error("could not record the audit results", "err", err)
	}
	if err := r.Poster.PostSummary(ctx, s); err != nil {
		errs = append(errs, fmt.Errorf("summary %s: post to %s: %w", spec.ID, spec.Channel, err))
	}
	err = errors.Join(errs...)
	r.finish(context.WithoutCancel(ctx), log, spec, tick, s, err)
	if err == nil {
		log.Info("summary posted", "accounts", len(s.Accounts), "pass", s.Pass, "total", s.Total, "newly_failing", len(s.NewlyFailing), "errors", len(s.Errors))
	}
	return s, err
}

func (r *Runner) finish(ctx context.Context, log *slog.Logger, spec Spec, tick time.Time, s Digest, runErr error) {
	msg := ""
	switch {
	case errors.Is(runErr, context.Canceled):
		msg = runErr.Error()
		log.Info("summary not posted: stopped", "err", runErr)
	case runErr != nil:
		msg = runErr.Error()
		log.Error("summary not posted", "err", runErr)
	}
	if err := r.Ticks.FinishTick(ctx, spec.ID, tick, r.Owner, s.Pass, s.Total, msg, r.now()); err != nil {
		log.Error("could not record the summary's outcome", "err", err)
	}
}

// Preview audits spec's accounts and builds the summary without claiming, recording or posting
// anything (cisbot summary --dry-run).
func (r *Runner) Preview(ctx context.Context, spec Spec) (Digest, error) {
	s, _, err := r.build(ctx, spec, r.now())
	return s, err
}

// build audits the spec's controls and compares each (account, control) pair with its last
// record.
func (r *Runner) build(ctx context.Context, spec Spec, tick time.Time) (Digest, []store.AuditRecord, error) {
	report, err := r.Auditor.Audit(ctx, spec.Names(), spec.Controls, nil)
	if err != nil {
		return Digest{}, nil, fmt.Errorf("summary %s: the audit could not start: %w", spec.ID, err)
	}
	at := r.now()
	var names []string
	for _, res := range report.Results {
		if len(names) == 0 || names[len(names)-1] != res.Account {
			names = append(names, res.Account)
		}
	}
	prevRecs, err := r.History.LatestAudits(ctx, names)
	if err != nil {
		return Digest{}, nil, fmt.Errorf("summary %s: read the previous results: %w", spec.ID, err)
	}
	s, recs := Compare(report.Results, PreviousByPair(prevRecs), at, spec.ID)
	s.Schedule, s.Channel, s.Controls, s.Location = spec.ID, spec.Channel, report.Controls, spec.Location
	last, found, err := r.Ticks.LastPosted(ctx, spec.ID, tick)
	if err != nil {
		return Digest{}, nil, fmt.Errorf("summary %s: read the last summary: %w", spec.ID, err)
	}
	if found {
		s.Previous = &Previous{At: last.PostedAt, Pass: last.Pass, Total: last.Total}
	}
	return s, recs, nil
}
