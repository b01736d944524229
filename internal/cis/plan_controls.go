package cis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// sharedKinds are the steps that act on the trail or the topic, which several controls share.
var sharedKinds = []string{KindStartLogging, KindCreateTopic, KindMergeTopicPolicy, KindMergeQueuePolicy, KindSubscribe}

// Shared reports whether a step acts on what several controls share (the trail, the topic)
// rather than on one control's own metric filter or alarm.
func Shared(s PlanStep) bool { return slices.Contains(sharedKinds, s.Kind()) }

// NewPlanControls plans the remediation of several controls of one account in one plan, from
// one snapshot and each control's result (results[i] is ctls[i]'s), so that one approval fixes
// every control that does not pass.
//
// Each failing control is planned as NewPlan would; the steps on the trail and the topic are
// then shared: equal ones (same kind, region, resource and parameters) are kept once, first, in
// the order of their kinds. The planner's choice of topic depends only on the snapshot and the
// options, so every control that needs a new topic plans the same one. Each control's own steps
// (its metric filter and alarm, whose default names differ between controls) follow, grouped
// by control in the order of ctls, carrying its id. Manual steps are kept once; controls whose
// audit ended in ERROR are named together per reason.
//
// With several controls, a remediation.pattern a control does not publish gives that control
// its default pattern, as its filter step says, rather than no plan. A plan of one control is
// planned as NewPlan plans it; for control 4.1 alone it is NewPlan's plan, byte for byte, which
// is what a stored plan without Controls means.
func NewPlanControls(ctls []*Control, snap *Snapshot, results []Result, opts PlanOptions) Plan {
	if len(ctls) == 1 && ctls[0].ID == "4.1" {
		return NewPlan(ctls[0], snap, results[0], opts)
	}
	p := Plan{Account: snap.Account, AccountID: snap.AccountID, Steps: []PlanStep{}, Manual: []string{}, Passes: true}
	var shared, own []PlanStep
	seen := map[string]bool{}
	var errs errorControls
	for i, ctl := range ctls {
		p.Controls = append(p.Controls, ctl.ID)
		res := results[i]
		switch res.Status {
		case StatusPass:
			continue
		case StatusError:
			p.Passes = false
			errs.add(ctl.ID, res)
			continue
		}
		p.Passes = false
		steps, manual := planControl(ctl, snap, res, opts, ctl.ID, len(ctls) > 1)
		for _, m := range manual {
			if !slices.Contains(p.Manual, m) {
				p.Manual = append(p.Manual, m)
			}
		}
		sortSteps(steps)
		for _, s := range steps {
			if !Shared(s) {
				own = append(own, s)
				continue
			}
			if k := stepKey(s); !seen[k] {
				seen[k] = true
				shared = append(shared, s)
			}
		}
	}
	p.Manual = append(p.Manual, errs.manual()...)
	sortSteps(shared)
	p.Steps = append(append(p.Steps, shared...), own...)
	return seal(p)
}

// stepKey identifies what a step executes, as PlanHash hashes it.
func stepKey(s PlanStep) string {
	info := s.Info()
	b, err := json.Marshal(s.params()) // encoding/json sorts the keys
	if err != nil {
		panic(fmt.Sprintf("cis: marshal step parameters: %v", err)) // only strings
	}
	return s.Kind() + "\x00" + info.Region + "\x00" + info.Resource + "\x00" + string(b)
}

// errorControls are the controls whose audit ended in ERROR, grouped by reason and fix: an
// account that could not be read fails every control the same way, and is told once.
type errorControls struct {
	keys []string
	ids  map[string][]string
	res  map[string]Result
}

func (e *errorControls) add(id string, res Result) {
	k := res.Reason + "\x00" + res.Fix
	if e.ids == nil {
		e.ids, e.res = map[string][]string{}, map[string]Result{}
	}
	if _, ok := e.ids[k]; !ok {
		e.keys = append(e.keys, k)
		e.res[k] = res
	}
	e.ids[k] = append(e.ids[k], id)
}

func (e *errorControls) manual() []string {
	var out []string
	for _, k := range e.keys {
		res, ids := e.res[k], e.ids[k]
		which := "control " + ids[0]
		if len(ids) > 1 {
			which = "controls " + strings.Join(ids, ", ")
		}
		out = append(out, fmt.Sprintf("The audit of %s could not decide (%s), so nothing is planned for %s: %s Then run the fix again.", which, res.Reason, plural(len(ids), "it", "them"), res.Fix))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// PlannedControls are the controls a plan was made for, to plan again for the same ones: its
// Controls, or control 4.1 for a plan without them, as every plan stored before plans named
// their controls. An id this version does not know is an error.
func (p Plan) PlannedControls() ([]*Control, error) {
	ids := p.Controls
	if len(ids) == 0 {
		ids = []string{"4.1"}
	}
	ctls := make([]*Control, 0, len(ids))
	for _, id := range ids {
		c, err := Lookup(id)
		if err != nil {
			return nil, fmt.Errorf("the plan's controls: %w", err)
		}
		ctls = append(ctls, c)
	}
	return ctls, nil
}

// StepGroup is a run of a plan's steps for one control, or shared by its controls (Control
// ""), as the plan is shown: shared steps first, then each control's.
type StepGroup struct {
	Control string
	// First is the number of the group's first step in the plan, counting from 1.
	First int
	Steps []PlanStep
}

// Title heads the group where a plan is shown: "Shared" for the steps on the trail and the
// topic, else the control's id and title.
func (g StepGroup) Title() string {
	if g.Control == "" {
		return "Shared"
	}
	if t := ControlTitle(g.Control); t != "" {
		return g.Control + " " + t
	}
	return g.Control
}

// Groups splits the steps into runs of one control each, in plan order; a plan of one control
// is one group.
func (p Plan) Groups() []StepGroup {
	var gs []StepGroup
	for i, s := range p.Steps {
		c := s.Info().Control
		if len(gs) == 0 || gs[len(gs)-1].Control != c {
			gs = append(gs, StepGroup{Control: c, First: i + 1})
		}
		gs[len(gs)-1].Steps = append(gs[len(gs)-1].Steps, s)
	}
	return gs
}
