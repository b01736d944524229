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

// Runner audits many accounts with a bounded worker group. Each account's snapshot is collected
// once, whichever controls are audited: every control is judged on the same snapshot, so
// auditing all of them costs the same AWS calls as auditing one.
type Runner struct {
	// Control is what Run audits.
	Control *cis.Control
	// Controls are what RunControls audits, in the order of its results.
	Controls  []*cis.Control
	Collector *accountreader.Collector
	// Benchmark is what judges the metric filters (controls.benchmark; "" for the newest CIS
	// version): see cis.EvaluateAt.
	Benchmark   string
	Concurrency int
	Now         func() time.Time
	// Progress, if set, is called after each account finishes (from the worker goroutine) with
	// the account's result for the first control audited.
	Progress func(done, total int, r cis.Result)
	// Logger receives what does not belong in a result (panic stacks); nil discards it.
	Logger *slog.Logger
}

// Run audits the targets against Control and returns their results in the targets' order. It
// always returns one result per target: a panic, a failed AssumeRole or a cancellation becomes
// that account's ERROR.
func (r *Runner) Run(ctx context.Context, targets []Target) []cis.Result {
	all := r.run(ctx, targets, []*cis.Control{r.Control})
	results := make([]cis.Result, len(all))
	for i, rs := range all {
		results[i] = rs[0]
	}
	return results
}

// RunControls audits the targets against every one of Controls: results[i][j] is target i's
// result for Controls[j]. Each target has a result for each control, as Run has one per target.
func (r *Runner) RunControls(ctx context.Context, targets []Target) [][]cis.Result {
	return r.run(ctx, targets, r.Controls)
}

func (r *Runner) run(ctx context.Context, targets []Target, controls []*cis.Control) [][]cis.Result {
	results := make([][]cis.Result, len(targets))
	if len(controls) == 0 {
		return results
	}
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
			results[i] = r.one(gctx, t, controls, now)
			if r.Progress != nil {
				n := <-count + 1
				count <- n
				r.Progress(n, len(targets), results[i][0])
			}
			return nil
		})
	}
	_ = g.Wait()
	return results
}

// one audits one account: it collects the account's snapshot once and judges every control on it.
func (r *Runner) one(ctx context.Context, t Target, controls []*cis.Control, now func() time.Time) (res []cis.Result) {
	defer func() {
		if p := recover(); p != nil {
			if r.Logger != nil {
				r.Logger.Error("audit panicked", "account", t.Name, "panic", p, "stack", string(debug.Stack()))
			}
			res = errorResults(t.Name, len(controls), &cis.CallError{API: "cisbot", Message: fmt.Sprintf("internal error: %v (please report it)", p)})
		}
	}()
	if err := ctx.Err(); err != nil {
		return errorResults(t.Name, len(controls), &cis.CallError{API: "cisbot", Message: "the audit was cancelled before this account started"})
	}
	api, err := t.Resolve(ctx)
	if err != nil {
		return errorResults(t.Name, len(controls), accountreader.CallError("sts:AssumeRole", "", err))
	}
	snap := r.Collector.Collect(ctx, t.Name, api)
	res = make([]cis.Result, len(controls))
	at := now()
	for j, ctl := range controls {
		res[j] = cis.EvaluateAt(ctl, snap, at, r.Benchmark)
	}
	return res
}

// errorResults is the same ERROR for each of n controls: the account could not be audited.
func errorResults(account string, n int, e *cis.CallError) []cis.Result {
	res := make([]cis.Result, n)
	for j := range res {
		res[j] = cis.ErrorResult(account, cis.StepTrail, e)
	}
	return res
}
