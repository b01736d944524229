package app

import (
	"context"
	"log/slog"
	"slices"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// Auditor runs audits for the commands, the same way the command line does.
type Auditor struct {
	Accounts    *Accounts
	Concurrency int
	Logger      *slog.Logger
}

var _ commands.Auditor = (*Auditor)(nil)

// Audit audits names ("all" for every configured and organization account).
func (a *Auditor) Audit(ctx context.Context, names []string, progress func(done, total int)) (cis.Report, error) {
	ctl, err := cis.Lookup("4.1")
	if err != nil {
		return cis.Report{}, err
	}
	all := slices.Contains(names, "all")
	targets, err := a.Accounts.Targets(ctx, slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "all" }), all)
	if err != nil {
		return cis.Report{}, err
	}
	runner := &audit.Runner{Control: ctl, Collector: a.Accounts.Collector(), Concurrency: a.Concurrency, Logger: a.Logger}
	if progress != nil {
		progress(0, len(targets))
		runner.Progress = func(done, total int, _ cis.Result) { progress(done, total) }
	}
	return cis.NewReport(ctl.ID, runner.Run(ctx, targets)), nil
}
