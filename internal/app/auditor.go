package app

import (
	"context"
	"log/slog"
	"slices"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// Auditor runs audits for the commands and the summaries, the same way the command line does.
type Auditor struct {
	Accounts    *Accounts
	Concurrency int
	Logger      *slog.Logger
}

// Audit audits names ("all" for every configured and organization account) against control
// 4.1, what the scheduled summaries report.
func (a *Auditor) Audit(ctx context.Context, names []string, progress func(done, total int)) (cis.Report, error) {
	ctl, err := cis.Lookup("4.1")
	if err != nil {
		return cis.Report{}, err
	}
	report, err := a.AuditControls(ctx, names, []*cis.Control{ctl}, progress)
	if err != nil {
		return cis.Report{}, err
	}
	results := make([]cis.Result, len(report.Results))
	for i, r := range report.Results {
		results[i] = r.Result
	}
	return cis.NewReport(ctl.ID, results), nil
}

// AuditControls audits names ("all" for every configured and organization account) against
// controls, every control of cis.Controls when none are given; each account is read once.
func (a *Auditor) AuditControls(ctx context.Context, names []string, controls []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error) {
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
	runner := &audit.Runner{Controls: controls, Collector: a.Accounts.Collector(), Concurrency: a.Concurrency, Logger: a.Logger}
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

// Controls is the Auditor as the commands use it: /cis audit audits every control, or those
// named. The summaries keep Audit, of control 4.1.
func (a *Auditor) Controls() ControlsAuditor { return ControlsAuditor{a} }

// ControlsAuditor audits several controls for the commands.
type ControlsAuditor struct{ a *Auditor }

var _ commands.Auditor = ControlsAuditor{}

// Audit is AuditControls.
func (c ControlsAuditor) Audit(ctx context.Context, names []string, controls []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error) {
	return c.a.AuditControls(ctx, names, controls, progress)
}
