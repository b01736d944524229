package remediate

import (
	"context"
	"errors"
	"fmt"
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

func (f *fake) Plan(_ context.Context, account string, controls []*cis.Control, requestID string) (cis.Plan, []cis.ControlResult, error) {
	var ids []string
	for _, c := range controls {
		ids = append(ids, c.ID)
	}
	f.calls = append(f.calls, fmt.Sprintf("plan %s %v", requestID, ids))
	if f.planErr != nil {
		return cis.Plan{}, nil, f.planErr
	}
	results := func(s cis.Status) []cis.ControlResult {
		var rs []cis.ControlResult
		for _, id := range ids {
			rs = append(rs, cis.ControlResult{Control: id, Result: cis.Result{Status: s}})
		}
		return rs
	}
	if f.applied {
		return cis.Plan{Account: account, Controls: ids, Passes: true, Steps: cis.PlanSteps{}}, results(cis.StatusPass), nil
	}
	return cis.Plan{Account: account, Controls: ids, Steps: f.steps, Hash: cis.PlanHash(f.steps)}, results(cis.StatusFail), nil
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
	controls := []*cis.Control{&cis.Controls[0], &cis.Controls[2]}
	one := cis.PlanSteps{cis.StartLogging{TrailARN: "arn:aws:cloudtrail:us-east-1:1:trail/main", TrailName: "main"}}
	yes := func(context.Context, cis.Plan, []cis.ControlResult) (bool, error) { return true, nil }
	no := func(context.Context, cis.Plan, []cis.ControlResult) (bool, error) { return false, nil }
	tests := []struct {
		name    string
		f       *fake
		approve func(context.Context, cis.Plan, []cis.ControlResult) (bool, error)
		calls   []string
		applied bool
		after   cis.Status
		err     bool
	}{
		{"approved: applied and audited again", &fake{steps: one}, yes, []string{"plan r1 [4.1 4.3]", "apply", "plan r1 [4.1 4.3]"}, true, cis.StatusPass, false},
		{"not approved: nothing applied", &fake{steps: one}, no, []string{"plan r1 [4.1 4.3]"}, false, "", false},
		{"nothing to do: not asked", &fake{steps: cis.PlanSteps{}}, nil, []string{"plan r1 [4.1 4.3]"}, false, "", false},
		{"the plan fails: nothing applied", &fake{steps: one, planErr: errors.New("denied")}, yes, []string{"plan r1 [4.1 4.3]"}, false, "", true},
		{"the apply fails as a whole: no audit after", &fake{steps: one, applyErr: errors.New("no session")}, yes, []string{"plan r1 [4.1 4.3]", "apply"}, true, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var planned, steps, applied int
			h := Hooks{
				Planned: func(cis.Plan, []cis.ControlResult) { planned++ },
				Approve: tc.approve,
				Step:    func(cis.PlanStep, cis.StepOutcome) { steps++ },
				Applied: func(cis.ApplyResult, error) { applied++ },
			}
			if tc.name == "nothing to do: not asked" {
				h.Approve = func(context.Context, cis.Plan, []cis.ControlResult) (bool, error) { t.Error("asked"); return true, nil }
			}
			fix, err := Run(context.Background(), tc.f, "dev", controls, "r1", h)
			if (err != nil) != tc.err || !reflect.DeepEqual(tc.f.calls, tc.calls) {
				t.Fatalf("err %v, calls %q, want %q", err, tc.f.calls, tc.calls)
			}
			if (fix.Applied != nil) != tc.applied || (applied == 1) != tc.applied {
				t.Errorf("applied %v (hook %d), want %v", fix.Applied, applied, tc.applied)
			}
			if tc.after != "" && (len(fix.After) != 2 || fix.After[1].Control != "4.3" || !AllPass(fix.After)) {
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

func TestSummaryAndOverall(t *testing.T) {
	r := func(id string, s cis.Status) cis.ControlResult {
		return cis.ControlResult{Control: id, Result: cis.Result{Status: s}}
	}
	tests := []struct {
		rs      []cis.ControlResult
		summary string
		overall cis.Status
	}{
		{[]cis.ControlResult{r("4.1", cis.StatusPass), r("4.2", cis.StatusPass)}, "2/2 controls pass", cis.StatusPass},
		{[]cis.ControlResult{r("4.1", cis.StatusPass), r("4.3", cis.StatusFail), r("4.10", cis.StatusFail)}, "1/3 controls pass; fail 4.3, 4.10", cis.StatusFail},
		{[]cis.ControlResult{r("4.1", cis.StatusError), r("4.3", cis.StatusFail)}, "0/2 controls pass; fail 4.3; error 4.1", cis.StatusError},
	}
	for _, tc := range tests {
		if got := Summary(tc.rs); got != tc.summary {
			t.Errorf("Summary = %q, want %q", got, tc.summary)
		}
		if got := Overall(tc.rs); got != tc.overall || AllPass(tc.rs) != (tc.overall == cis.StatusPass) {
			t.Errorf("Overall = %s, want %s", got, tc.overall)
		}
	}
}
