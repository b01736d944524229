package app

import (
	"context"
	"log/slog"
	"slices"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/cis"
)

// Auditor runs audits for the commands and the summaries, the same way the command line does.
type Auditor struct {
	Accounts    *Accounts
	Concurrency int
	Logger      *slog.Logger
}

// Audit audits names ("all" for every configured and organization account) for controls (nil
// or empty: every control in cis.Controls, in table order), each account read once for all of
// them.
func (a *Auditor) Audit(ctx context.Context, names []string, controls []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error) {
	ctls := controls
	if len(ctls) == 0 {
		ctls = make([]*cis.Control, len(cis.Controls))
		for i := range cis.Controls {
			ctls[i] = &cis.Controls[i]
		}
	}
	ids := make([]string, len(ctls))
	for i, c := range ctls {
		ids[i] = c.ID
	}
	all := slices.Contains(names, "all")
	targets, err := a.Accounts.Targets(ctx, slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "all" }), all)
	if err != nil {
		return cis.ControlsReport{}, err
	}
	runner := &audit.Runner{Controls: ctls, Collector: a.Accounts.Collector(), Concurrency: a.Concurrency, Logger: a.Logger}
	if progress != nil {
		progress(0, len(targets))
		runner.Progress = func(done, total int, _ cis.Result) { progress(done, total) }
	}
	return cis.NewControlsReport(ids, runner.RunControls(ctx, targets)), nil
}
