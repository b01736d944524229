// Package remediate is the fix of one account, the same from the terminal (cisbot fix) and from
// Slack (the Approve button): plan, approve, apply, audit again. Approval belongs to the front
// end, a prompt or --yes in the terminal, a recorded click in Slack, so it is a hook here, as
// are showing the plan and recording each step.
package remediate

import (
	"context"

	"github.com/cisbot/cisbot/internal/cis"
)

// Remediator plans and applies the fix of one account (app.Remediator in the program).
type Remediator interface {
	// Plan audits the account and plans its fix; what it creates is tagged with requestID.
	Plan(ctx context.Context, account, requestID string) (cis.Plan, cis.Result, error)
	// Apply executes a plan in the account, reporting each step as it ends.
	Apply(ctx context.Context, account string, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) (cis.ApplyResult, error)
}

// Hooks are where a front end takes part; a nil hook is skipped.
type Hooks struct {
	// Planned is shown the plan and the audit it was made from, whatever the plan holds.
	Planned func(plan cis.Plan, before cis.Result)
	// Approve decides whether the plan is applied. It is asked only when the plan has steps;
	// a nil Approve applies without asking.
	Approve func(ctx context.Context, plan cis.Plan, before cis.Result) (bool, error)
	// Step is called as each step ends, those not run included.
	Step func(cis.PlanStep, cis.StepOutcome)
	// Applied is called once the plan has run, before the account is audited again.
	Applied func(res cis.ApplyResult, err error)
}

// Fix is what became of one account's fix.
type Fix struct {
	Plan   cis.Plan
	Before cis.Result
	// Applied is nil when nothing was applied: nothing to do, or not approved.
	Applied *cis.ApplyResult
	// ApplyErr is set when the plan could not be run at all (the account's session failed).
	ApplyErr error
	// After is the audit once the plan has run; nil when it did not run or AfterErr is set.
	After    *cis.Result
	AfterErr error
}

// Run plans the account's fix and, once approved, applies the plan and audits the account again
// (under the same request id, so the audit after is what the next plan would start from). The
// error is set only when the plan could not be made or Approve failed; then nothing was changed.
func Run(ctx context.Context, r Remediator, account, requestID string, h Hooks) (Fix, error) {
	var fix Fix
	var err error
	fix.Plan, fix.Before, err = r.Plan(ctx, account, requestID)
	if err != nil {
		return fix, err
	}
	if h.Planned != nil {
		h.Planned(fix.Plan, fix.Before)
	}
	if fix.Plan.Passes || len(fix.Plan.Steps) == 0 {
		return fix, nil
	}
	if h.Approve != nil {
		ok, err := h.Approve(ctx, fix.Plan, fix.Before)
		if err != nil || !ok {
			return fix, err
		}
	}
	step := h.Step
	if step == nil {
		step = func(cis.PlanStep, cis.StepOutcome) {}
	}
	applied, err := r.Apply(ctx, account, fix.Plan, step)
	fix.Applied, fix.ApplyErr = &applied, err
	if h.Applied != nil {
		h.Applied(applied, err)
	}
	if err != nil {
		return fix, nil
	}
	if _, after, err := r.Plan(ctx, account, requestID); err != nil {
		fix.AfterErr = err
	} else {
		fix.After = &after
	}
	return fix, nil
}
