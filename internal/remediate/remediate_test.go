package remediate

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/cisbot/cisbot/internal/cis"
)

// fake is an account that fails until its plan is applied.
type fake struct {
	steps    cis.PlanSteps
	applied  bool
	planErr  error
	applyErr error
	calls    []string
}

func (f *fake) Plan(_ context.Context, account, requestID string) (cis.Plan, cis.Result, error) {
	f.calls = append(f.calls, "plan "+requestID)
	if f.planErr != nil {
		return cis.Plan{}, cis.Result{}, f.planErr
	}
	if f.applied {
		return cis.Plan{Account: account, Passes: true, Steps: cis.PlanSteps{}}, cis.Result{Status: cis.StatusPass}, nil
	}
	return cis.Plan{Account: account, Steps: f.steps, Hash: cis.PlanHash(f.steps)}, cis.Result{Status: cis.StatusFail}, nil
}

func (f *fake) Apply(_ context.Context, account string, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) (cis.ApplyResult, error) {
	f.calls = append(f.calls, "apply")
	if f.applyErr != nil {
		return cis.ApplyResult{}, f.applyErr
	}
	res := cis.ApplyResult{Account: account, OK: true}
	for _, s := range p.Steps {
		o := cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true}
		record(s, o)
		res.Steps = append(res.Steps, cis.StepResult{Step: s, Outcome: o})
	}
	f.applied = true
	return res, nil
}

func TestRun(t *testing.T) {
	one := cis.PlanSteps{cis.StartLogging{TrailARN: "arn:aws:cloudtrail:us-east-1:1:trail/main", TrailName: "main"}}
	yes := func(context.Context, cis.Plan, cis.Result) (bool, error) { return true, nil }
	no := func(context.Context, cis.Plan, cis.Result) (bool, error) { return false, nil }
	tests := []struct {
		name    string
		f       *fake
		approve func(context.Context, cis.Plan, cis.Result) (bool, error)
		calls   []string
		applied bool
		after   cis.Status
		err     bool
	}{
		{"approved: applied and audited again", &fake{steps: one}, yes, []string{"plan r1", "apply", "plan r1"}, true, cis.StatusPass, false},
		{"not approved: nothing applied", &fake{steps: one}, no, []string{"plan r1"}, false, "", false},
		{"nothing to do: not asked", &fake{steps: cis.PlanSteps{}}, nil, []string{"plan r1"}, false, "", false},
		{"the plan fails: nothing applied", &fake{steps: one, planErr: errors.New("denied")}, yes, []string{"plan r1"}, false, "", true},
		{"the apply fails as a whole: no audit after", &fake{steps: one, applyErr: errors.New("no session")}, yes, []string{"plan r1", "apply"}, true, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var planned, steps, applied int
			h := Hooks{
				Planned: func(cis.Plan, cis.Result) { planned++ },
				Approve: tc.approve,
				Step:    func(cis.PlanStep, cis.StepOutcome) { steps++ },
				Applied: func(cis.ApplyResult, error) { applied++ },
			}
			if tc.name == "nothing to do: not asked" {
				h.Approve = func(context.Context, cis.Plan, cis.Result) (bool, error) { t.Error("asked"); return true, nil }
			}
			fix, err := Run(context.Background(), tc.f, "dev", "r1", h)
			if (err != nil) != tc.err || !reflect.DeepEqual(tc.f.calls, tc.calls) {
				t.Fatalf("err %v, calls %q, want %q", err, tc.f.calls, tc.calls)
			}
			if (fix.Applied != nil) != tc.applied || (applied == 1) != tc.applied {
				t.Errorf("applied %v (hook %d), want %v", fix.Applied, applied, tc.applied)
			}
			if tc.after != "" && (fix.After == nil || fix.After.Status != tc.after) {
				t.Errorf("after %+v", fix.After)
			}
			if tc.after == "" && fix.After != nil {
				t.Errorf("an audit after: %+v", fix.After)
			}
			if wantPlanned := !tc.err; (planned == 1) != wantPlanned {
				t.Errorf("planned hook called %d times", planned)
			}
			if tc.after == cis.StatusPass && steps != len(one) {
				t.Errorf("%d steps recorded", steps)
			}
		})
	}
}
