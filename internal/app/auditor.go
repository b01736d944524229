package app

import (
	"context"
	"log/slog"
	"slices"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/summary"
)

// Auditor runs audits for the commands and the summaries, the same way the command line does.
type Auditor struct {
	Accounts    *Accounts
	Concurrency int
	// Benchmark is what judges the metric filters (controls.benchmark; "" for the newest CIS).
	Benchmark string
	Logger    *slog.Logger
}

var (
	_ commands.Auditor = (*Auditor)(nil)
	_ summary.Auditor  = (*Auditor)(nil)
)

// Audit audits names ("all" for every configured and organization account) against controls,
// every control of cis.Controls when none are given; each account is read once.
func (a *Auditor) Audit(ctx context.Context, names []string, controls []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error) {
	if len(controls) == 0 {
		for i := range cis.Controls {
			controls = append(controls, &cis.Controls[i])
		}
	}
	all := slices.Contains(names, "all")
	targets, err := a.Accounts.Targets(ctx, slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "all" }), all)
	if err != nil {
		return cis.ControlsReport{}, err
	}
	runner := &audit.Runner{Controls: controls, Collector: a.Accounts.Collector(), Concurrency: a.Concurrency, Benchmark: a.Benchmark, Logger: a.Logger}
	if progress != nil {
		progress(0, len(targets))
		runner.Progress = func(done, total int, _ cis.Result) { progress(done, total) }
	}
	ids := make([]string, len(controls))
	for i, c := range controls {
		ids[i] = c.ID
	}
	return cis.NewControlsReport(ids, runner.RunControls(ctx, targets)), nil
}
