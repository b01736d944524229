package app

import (
	"context"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// CommandsAuditor is the Auditor as the commands call it, for 4.1 only, until they audit
// several controls.
type CommandsAuditor struct{ *Auditor }

var _ commands.Auditor = CommandsAuditor{}

// Audit audits names for control 4.1.
func (a CommandsAuditor) Audit(ctx context.Context, names []string, progress func(done, total int)) (cis.Report, error) {
	ctl, err := cis.Lookup("4.1")
	if err != nil {
		return cis.Report{}, err
	}
	rep, err := a.Auditor.Audit(ctx, names, []*cis.Control{ctl}, progress)
	if err != nil {
		return cis.Report{}, err
	}
	results := make([]cis.Result, len(rep.Results))
	for i, r := range rep.Results {
		results[i] = r.Result
	}
	return cis.NewReport(ctl.ID, results), nil
}
