// Package audit runs the CIS audit over many accounts: an explicit list of targets, a bounded
// worker group, one result slot per target. It is its own package rather than part of
// accountreader because remediation reads one account without any of this fan-out, and the
// fan-out's rules (panics and failed AssumeRoles become ERROR results, progress, concurrency)
// are about running audits, not about reading AWS.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/cis"
)

// Target is one account to audit: its name and how to reach it. Resolve is called inside the
// account's worker, so a slow or failing AssumeRole only holds up that account.
type Target struct {
	Name    string
	Resolve func(ctx context.Context) (*accountreader.AccountAPI, error)
}

// DefaultConcurrency is how many accounts are audited at once unless configured: enough to hide
// AWS latency, few enough to stay under the API rate limits of an organization's accounts.
const DefaultConcurrency = 16

// Runner audits many accounts with a bounded worker group.
type Runner struct {
	Control     *cis.Control
	Collector   *accountreader.Collector
	Concurrency int
	Now         func() time.Time
	// Progress, if set, is called after each account finishes (from the worker goroutine).
	Progress func(done, total int, r cis.Result)
	// Logger receives what does not belong in a result (panic stacks); nil discards it.
	Logger *slog.Logger
}

// Run audits the targets and returns their results in the targets' order. It always returns one
// result per target: a panic, a failed AssumeRole or a cancellation becomes that account's ERROR.
func (r *Runner) Run(ctx context.Context, targets []Target) []cis.Result {
	results := make([]cis.Result, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	limit := r.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	g.SetLimit(limit)
	now := r.Now
	if now == nil {
		now = time.Now
	}
	// count serialises the progress counter so callers see 1, 2, … N in order of completion.
	count := make(chan int, 1)
	count <- 0
	for i, t := range targets {
		g.Go(func() error {
			results[i] = r.one(gctx, t, now)
			if r.Progress != nil {
				n := <-count + 1
				count <- n
				r.Progress(n, len(targets), results[i])
			}
			return nil
		})
	}
	_ = g.Wait()
	return results
}

func (r *Runner) one(ctx context.Context, t Target, now func() time.Time) (res cis.Result) {
	defer func() {
		if p := recover(); p != nil {
			if r.Logger != nil {
				r.Logger.Error("audit panicked", "account", t.Name, "panic", p, "stack", string(debug.Stack()))
			}
			res = cis.ErrorResult(t.Name, cis.StepTrail, &cis.CallError{API: "cisbot", Message: fmt.Sprintf("internal error: %v (please report it)", p)})
		}
	}()
	if err := ctx.Err(); err != nil {
		return cis.ErrorResult(t.Name, cis.StepTrail, &cis.CallError{API: "cisbot", Message: "the audit was cancelled before this account started"})
	}
	api, err := t.Resolve(ctx)
	if err != nil {
		return cis.ErrorResult(t.Name, cis.StepTrail, accountreader.CallError("sts:AssumeRole", "", err))
	}
	snap := r.Collector.Collect(ctx, t.Name, api)
	return cis.Evaluate(r.Control, snap, now())
}
