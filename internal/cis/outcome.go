package cis

import (
	"fmt"
	"slices"
)

// Outcome is what became of one step.
type Outcome string

// The outcomes.
const (
	OutcomeOK     Outcome = "ok"      // done, or found already in place
	OutcomeFailed Outcome = "failed"  // the run stopped here
	OutcomeNotRun Outcome = "not_run" // an earlier step failed
)

// StepOutcome is the record of one step.
type StepOutcome struct {
	Outcome Outcome `json:"outcome"`
	// Changed is false when what the step creates was already in place (a second run).
	Changed bool   `json:"changed"`
	Detail  string `json:"detail"`
	// Code and Message are the AWS error of a failed call; Code is empty when the applier itself
	// refused (something exists and differs from the plan).
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// StepResult is a step with its outcome.
type StepResult struct {
	Step    PlanStep    `json:"step"`
	Outcome StepOutcome `json:"outcome"`
}

// ApplyResult is a whole run: every step of the plan in order, those done, the one that failed
// and those not run.
type ApplyResult struct {
	Account   string       `json:"account"`
	AccountID string       `json:"account_id"`
	PlanHash  string       `json:"plan_hash"`
	OK        bool         `json:"ok"`
	Error     string       `json:"error,omitempty"` // set when the plan itself was refused
	Steps     []StepResult `json:"steps"`
}

// Done are the steps that completed (changed or already in place).
func (r ApplyResult) Done() []StepResult { return r.with(OutcomeOK) }

// NotDone are the failed step and those not run.
func (r ApplyResult) NotDone() []StepResult {
	return slices.DeleteFunc(slices.Clone(r.Steps), func(s StepResult) bool { return s.Outcome.Outcome == OutcomeOK })
}

// Failed is the step that stopped the run, nil if none did.
func (r ApplyResult) Failed() *StepResult {
	for i := range r.Steps {
		if r.Steps[i].Outcome.Outcome == OutcomeFailed {
			return &r.Steps[i]
		}
	}
	return nil
}

// Changed counts the steps that changed something.
func (r ApplyResult) Changed() int {
	n := 0
	for _, s := range r.Steps {
		if s.Outcome.Changed {
			n++
		}
	}
	return n
}

func (r ApplyResult) with(o Outcome) []StepResult {
	var out []StepResult
	for _, s := range r.Steps {
		if s.Outcome.Outcome == o {
			out = append(out, s)
		}
	}
	return out
}

// Sentence says in one sentence what was and was not done.
func (r ApplyResult) Sentence() string {
	if r.Error != "" {
		return "nothing was done: " + r.Error
	}
	done := len(r.Done())
	s := fmt.Sprintf("%d of %d steps done (%d changed something)", done, len(r.Steps), r.Changed())
	if f := r.Failed(); f != nil {
		s += fmt.Sprintf("; step %d (%s %s) failed: %s", done+1, f.Step.Kind(), f.Step.Info().Resource, f.Outcome.Detail)
		if n := len(r.Steps) - done - 1; n > 0 {
			s += fmt.Sprintf("; %d not run", n)
		}
	}
	return s
}
