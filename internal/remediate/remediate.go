// Package remediate is the fix of one account, the same from the terminal (cisbot fix) and from
// Slack (the Approve button): plan, approve, apply, audit again. Approval belongs to the front
// end, a prompt or --yes in the terminal, a recorded click in Slack, so it is a hook here, as
// are showing the plan and recording each step.
package remediate

import (
	"context"
	"fmt"
	"strings"

	"github.com/cisbot/cisbot/internal/cis"
)

// Remediator plans and applies the fix of one account (app.Remediator in the program).
type Remediator interface {
	// Plan audits the account for the controls (every control when none) and plans their fix
	// in one plan, returning each control's result in their order; what the plan creates is
	// tagged with requestID.
	Plan(ctx context.Context, account string, controls []*cis.Control, requestID string) (cis.Plan, []cis.ControlResult, error)
	// Apply executes a plan in the account, reporting each step as it ends.
	Apply(ctx context.Context, account string, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) (cis.ApplyResult, error)
}

// Hooks are where a front end takes part; a nil hook is skipped.
type Hooks struct {
	// Planned is shown the plan and the audit it was made from, whatever the plan holds.
	Planned func(plan cis.Plan, before []cis.ControlResult)
	// Approve decides whether the plan is applied. It is asked only when the plan has steps;
	// a nil Approve applies without asking.
	Approve func(ctx context.Context, plan cis.Plan, before []cis.ControlResult) (bool, error)
	// Step is called as each step ends, those not run included.
	Step func(cis.PlanStep, cis.StepOutcome)
	// Applied is called once the plan has run, before the account is audited again.
	Applied func(res cis.ApplyResult, err error)
}

// Fix is what became of one account's fix.
type Fix struct {
	Plan cis.Plan
	// Before is each control's audit the plan was made from.
	Before []cis.ControlResult
	// Applied is nil when nothing was applied: nothing to do, or not approved.
	Applied *cis.ApplyResult
	// ApplyErr is set when the plan could not be run at all (the account's session failed).
	ApplyErr error
	// After is each control's audit once the plan has run; nil when it did not run or AfterErr
	// is set.
	After    []cis.ControlResult
	AfterErr error
}

// AllPass reports whether every control's result passes (none: true).
func AllPass(rs []cis.ControlResult) bool { return Overall(rs) == cis.StatusPass }

// Summary counts several controls' results for people: "13/15 controls pass; fail 4.3, 4.10"
// (and "; error …" for controls the audit could not decide).
func Summary(rs []cis.ControlResult) string {
	pass := 0
	var fail, errs []string
	for _, r := range rs {
		switch r.Status {
		case cis.StatusPass:
			pass++
		case cis.StatusFail:
			fail = append(fail, r.Control)
		default:
			errs = append(errs, r.Control)
		}
	}
	line := fmt.Sprintf("%d/%d controls pass", pass, len(rs))
	if len(fail) > 0 {
		line += "; fail " + strings.Join(fail, ", ")
	}
	if len(errs) > 0 {
		line += "; error " + strings.Join(errs, ", ")
	}
	return line
}

// Overall is the status of several controls' results: ERROR if any is (the audit could not
// decide), else FAIL if any fails, else PASS.
func Overall(rs []cis.ControlResult) cis.Status {
	s := cis.StatusPass
	for _, r := range rs {
		switch r.Status {
		case cis.StatusError:
			return cis.StatusError
		case cis.StatusFail:
			s = cis.StatusFail
		}
	}
	return s
}

// Run plans the fix of the account's controls (every control when none) and, once approved, applies the plan and audits the account again
// (under the same request id, so the audit after is what the next plan would start from). The
// error is set only when the plan could not be made or Approve failed; then nothing was changed.
func Run(ctx context.Context, r Remediator, account string, controls []*cis.Control, requestID string, h Hooks) (Fix, error) {
	var fix Fix
	var err error
	fix.Plan, fix.Before, err = r.Plan(ctx, account, controls, requestID)
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
	if _, after, err := r.Plan(ctx, account, controls, requestID); err != nil {
		fix.AfterErr = err
	} else {
		fix.After = after
	}
	return fix, nil
}
