package commands

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/fakeclock"
)

// fakeRemediator stands in for our own Remediator interface (app.Remediator runs against moto
// in internal/app). Its plan is what the account needs until a plan is applied, after which the
// account passes.
type fakeRemediator struct {
	mu      sync.Mutex
	plan    cis.Plan
	applied bool
	applies atomic.Int32
	ids     []string // the request ids plans were made for
	asked   []string // the controls each plan was made for, space-separated ("" for all)
	// stay keeps the account failing after an apply, so that every approval applies.
	stay bool
	// apply, when set, replaces Apply's steps (it runs after the count).
	apply func(ctx context.Context, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) cis.ApplyResult
}

func failingPlan(hash string) cis.Plan {
	return cis.Plan{Account: "prod", Hash: hash, Steps: cis.PlanSteps{
		cis.CreateTopic{StepInfo: cis.StepInfo{Region: "us-east-1", Detail: "create the topic"}},
		cis.PutMetricAlarm{StepInfo: cis.StepInfo{Region: "us-east-1", Detail: "create the alarm"}},
	}}
}

func (f *fakeRemediator) Plan(_ context.Context, account string, controls []*cis.Control, requestID string) (cis.Plan, []cis.ControlResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids = append(f.ids, requestID)
	var ids []string
	for _, c := range controls {
		ids = append(ids, c.ID)
	}
	f.asked = append(f.asked, strings.Join(ids, " "))
	results := func(s cis.Status) []cis.ControlResult {
		if len(ids) == 0 {
			return []cis.ControlResult{{Control: "4.1", Result: cis.Result{Account: account, Status: s}}}
		}
		var rs []cis.ControlResult
		for _, id := range ids {
			rs = append(rs, cis.ControlResult{Control: id, Result: cis.Result{Account: account, Status: s}})
		}
		return rs
	}
	if f.applied && !f.stay {
		return cis.Plan{Account: account, Passes: true, Hash: "none"}, results(cis.StatusPass), nil
	}
	p := f.plan
	p.Account = account
	return p, results(cis.StatusFail), nil
}

func (f *fakeRemediator) setPlan(p cis.Plan) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan = p
}

func (f *fakeRemediator) Apply(ctx context.Context, account string, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) (cis.ApplyResult, error) {
	f.applies.Add(1)
	if f.apply != nil {
		return f.apply(ctx, p, record), nil
	}
	time.Sleep(5 * time.Millisecond) // widen the window for concurrent clicks
	res := cis.ApplyResult{Account: account, PlanHash: p.Hash, OK: true}
	for _, s := range p.Steps {
		o := cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true, Detail: "created"}
		record(s, o)
		res.Steps = append(res.Steps, cis.StepResult{Step: s, Outcome: o})
	}
	f.mu.Lock()
	f.applied = true
	f.mu.Unlock()
	return res, nil
}

type fixEnv struct {
	t     *testing.T
	path  string
	st    *store.SQLite
	rem   *fakeRemediator
	clock *fakeclock.Clock
	pol   *Policy
	bot   *Dispatcher
}

func openStore(t *testing.T, path string) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newFixEnv(t *testing.T, pol *Policy) *fixEnv {
	t.Helper()
	if pol == nil {
		pol = &Policy{Approvers: []string{"U0BOSS"}}
	}
	e := &fixEnv{t: t, path: filepath.Join(t.TempDir(), "cisbot.db"), rem: &fakeRemediator{plan: failingPlan("h1")},
		clock: fakeclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), pol: pol}
	e.st = openStore(t, e.path)
	e.bot = e.newBot()
	return e
}

func (e *fixEnv) newBot() *Dispatcher {
	return New(Options{Auditor: &fakeAuditor{}, Directory: fakeDirectory{}, Policy: e.pol, Now: e.clock.Now,
		Remediator: e.rem, Requests: e.st})
}

// fix runs /cis fix prod as user and returns the posted plan.
func (e *fixEnv) fix(user string) FixPlan {
	e.t.Helper()
	rec := &recorder{}
	e.bot.Handle(context.Background(), Request{Command: "/cis", Text: "fix prod", UserID: user, ChannelID: "C0CHAN"}, rec)
	fp, ok := rec.last["1"].(FixPlan)
	if !ok || len(rec.events) != 1 {
		e.t.Fatalf("fix replies %v, %+v", rec.events, rec.last["1"])
	}
	return fp
}

func (e *fixEnv) click(action, value, user string) *recorder {
	rec := &recorder{}
	e.bot.HandleAction(context.Background(), ActionRequest{ActionID: action, Value: value, UserID: user, ChannelID: "C0CHAN"}, rec)
	return rec
}

func (e *fixEnv) state(id string) store.State {
	e.t.Helper()
	r, err := e.st.GetRequest(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.State
}

func (e *fixEnv) events(id string) []string {
	e.t.Helper()
	evs, err := e.st.Events(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

func TestFixPostsPlan(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	if len(fp.Actions) != 2 || fp.Actions[0] != (Action{ID: ActionApprove, Label: "Approve", Value: fp.RequestID, Style: "primary"}) ||
		fp.Actions[1] != (Action{ID: ActionReject, Label: "Reject", Value: fp.RequestID, Style: "danger"}) {
		t.Errorf("actions %+v", fp.Actions)
	}
	if fp.RequestedBy != "U1" || len(fp.Plan.Steps) != 2 || !fp.Expires.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("plan %+v", fp)
	}
	// What the plan creates is tagged with the request that offers it.
	if ids := e.rem.ids; len(ids) != 1 || ids[0] != fp.RequestID {
		t.Errorf("planned for requests %v, the request is %s", ids, fp.RequestID)
	}
	r, err := e.st.GetRequest(context.Background(), fp.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != store.StatePending || r.Account != "prod" || r.PlanHash != "h1" || r.MessageRef != "1" || r.Channel != "C0CHAN" {
		t.Errorf("request %+v", r)
	}
	if got := e.events(fp.RequestID); strings.Join(got, ",") != "requested" {
		t.Errorf("events %v", got)
	}
}

func TestFixAlreadyPasses(t *testing.T) {
	e := newFixEnv(t, nil)
	e.rem.setPlan(cis.Plan{Passes: true})
	rec := &recorder{}
	e.bot.Handle(context.Background(), Request{Text: "fix prod", UserID: "U1"}, rec)
	if tx, ok := rec.last["1"].(Text); !ok || tx.Text != "prod already passes control 4.1: nothing to fix." {
		t.Fatalf("%v %+v", rec.events, rec.last["1"])
	}
	if rs, _ := e.st.History(context.Background(), "prod", 10); len(rs) != 0 {
		t.Errorf("a request was stored: %+v", rs)
	}
}

func TestFixManualOnly(t *testing.T) {
	e := newFixEnv(t, nil)
	e.rem.setPlan(cis.Plan{Manual: []string{"Create a multi-region trail."}})
	rec := &recorder{}
	e.bot.Handle(context.Background(), Request{Text: "fix prod", UserID: "U1"}, rec)
	if tx, ok := rec.last["1"].(Text); !ok || !strings.Contains(tx.Text, "Create a multi-region trail.") {
		t.Fatalf("%+v", rec.last["1"])
	}
}

func TestFixUnknownAccountAndNotConfigured(t *testing.T) {
	e := newFixEnv(t, nil)
	rec := &recorder{}
	e.bot.Handle(context.Background(), Request{Text: "fix prdo", UserID: "U1"}, rec)
	if p, ok := rec.last["1"].(Problem); !ok || p.Suggestion != "/cis fix prod" {
		t.Errorf("%+v", rec.last["1"])
	}
	b := New(Options{Auditor: &fakeAuditor{}, Directory: fakeDirectory{}})
	for _, text := range []string{"fix prod", "history prod"} {
		rec := &recorder{}
		b.Handle(context.Background(), Request{Text: text, UserID: "U1"}, rec)
		if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "store.path") {
			t.Errorf("%s: %+v", text, rec.last["1"])
		}
	}
	for _, a := range []string{ActionApprove, ActionReject, ActionFix} {
		rec := &recorder{}
		b.HandleAction(context.Background(), ActionRequest{ActionID: a, Value: "x", UserID: "U1"}, rec)
		if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "store.path") {
			t.Errorf("%s: %+v", a, rec.last["1"])
		}
	}
}

func TestApproveByNonApproverIsRefused(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	rec := e.click(ActionApprove, fp.RequestID, "U2")
	if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "remediation.approvers") || len(rec.events) != 1 {
		t.Fatalf("%v %+v", rec.events, rec.last["1"])
	}
	if s := e.state(fp.RequestID); s != store.StatePending {
		t.Errorf("state %s", s)
	}
	if got := e.events(fp.RequestID); strings.Join(got, ",") != "requested,refused" {
		t.Errorf("events %v", got)
	}
	if n := e.rem.applies.Load(); n != 0 {
		t.Errorf("applied %d times", n)
	}
	// Nobody may approve when no approvers are configured.
	none := newFixEnv(t, &Policy{})
	fp = none.fix("U1")
	rec = none.click(ActionApprove, fp.RequestID, "U0BOSS")
	if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "remediation.approvers") || none.state(fp.RequestID) != store.StatePending {
		t.Errorf("%+v", rec.last["1"])
	}
}

func TestSelfApprovalRefused(t *testing.T) {
	e := newFixEnv(t, &Policy{Approvers: []string{"U0BOSS"}, RequireSecondPerson: true})
	fp := e.fix("U0BOSS")
	rec := e.click(ActionApprove, fp.RequestID, "U0BOSS")
	if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "second person") {
		t.Fatalf("%+v", rec.last["1"])
	}
	if s := e.state(fp.RequestID); s != store.StatePending || e.rem.applies.Load() != 0 {
		t.Errorf("state %s, applies %d", s, e.rem.applies.Load())
	}
	// Without the rule, the requester may approve.
	e2 := newFixEnv(t, &Policy{Approvers: []string{"U0BOSS"}})
	fp = e2.fix("U0BOSS")
	rec = e2.click(ActionApprove, fp.RequestID, "U0BOSS")
	if d, ok := rec.last[Origin].(FixDecided); !ok || d.State != "applied" {
		t.Errorf("%+v", rec.last["1"])
	}
}

func TestApproveAppliesAndReaudits(t *testing.T) {
	e := newFixEnv(t, &Policy{Approvers: []string{"S0OPS"}, Groups: groups{"S0OPS": {"U7"}}, RequireSecondPerson: true})
	fp := e.fix("U1")
	rec := e.click(ActionApprove, fp.RequestID, "U7")
	d, ok := rec.last[Origin].(FixDecided)
	if !ok || len(rec.events) != 1 {
		t.Fatalf("%v %+v", rec.events, rec.last["1"])
	}
	if d.State != "applied" || d.DecidedBy != "U7" || d.RequestID != fp.RequestID || d.Account != "prod" ||
		d.Applied == nil || len(d.Applied.Steps) != 2 || len(d.After) != 1 || d.After[0].Status != cis.StatusPass {
		t.Errorf("decided %+v", d)
	}
	r, _ := e.st.GetRequest(context.Background(), fp.RequestID)
	if r.State != store.StateApplied || r.DecidedBy != "U7" {
		t.Errorf("request %+v", r)
	}
	if got := strings.Join(e.events(fp.RequestID), ","); got != "requested,approved,step,step,applied,reaudit" {
		t.Errorf("events %s", got)
	}
	evs, _ := e.st.Events(context.Background(), fp.RequestID)
	if evs[2].Detail != "create_topic ok created" {
		t.Errorf("step detail %q", evs[2].Detail)
	}
}

func TestExpiredRequest(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	e.clock.Advance(time.Hour + time.Second)
	rec := e.click(ActionApprove, fp.RequestID, "U0BOSS")
	if d, ok := rec.last[Origin].(FixDecided); !ok || d.State != "expired" {
		t.Fatalf("%+v", rec.last["1"])
	}
	if s := e.state(fp.RequestID); s != store.StateExpired || e.rem.applies.Load() != 0 {
		t.Errorf("state %s, applies %d", s, e.rem.applies.Load())
	}
	rec = e.click(ActionApprove, fp.RequestID, "U0BOSS")
	if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "already decided") || !strings.Contains(p.Text, "expired") {
		t.Errorf("%+v", rec.last["1"])
	}
}

func TestConcurrentApprovalsApplyOnce(t *testing.T) {
	e := newFixEnv(t, &Policy{Approvers: []string{"U0BOSS"}})
	fp := e.fix("U1")
	rec := &recorder{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			e.bot.HandleAction(context.Background(), ActionRequest{ActionID: ActionApprove, Value: fp.RequestID, UserID: "U0BOSS", ChannelID: "C0CHAN"}, rec)
		}()
	}
	close(start)
	wg.Wait()
	if n := e.rem.applies.Load(); n != 1 {
		t.Fatalf("applied %d times", n)
	}
	applied, decided := 0, 0
	for _, r := range rec.last {
		switch r := r.(type) {
		case FixDecided:
			if r.State == "applied" {
				applied++
			}
		case Problem:
			if strings.Contains(r.Text, "already decided") {
				decided++
			}
		}
	}
	if applied != 1 || decided != 49 || len(rec.events) != 50 {
		t.Errorf("applied %d, already decided %d, replies %d", applied, decided, len(rec.events))
	}
	if s := e.state(fp.RequestID); s != store.StateApplied {
		t.Errorf("state %s", s)
	}
}

func TestPlanChangedSupersedes(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	e.rem.setPlan(failingPlan("h2"))
	rec := e.click(ActionApprove, fp.RequestID, "U0BOSS")
	np, ok := rec.last["1"].(FixPlan)
	if !ok || len(rec.events) != 1 {
		t.Fatalf("%v %+v", rec.events, rec.last["1"])
	}
	if np.Superseded != fp.RequestID || np.RequestID == fp.RequestID || np.Plan.Hash != "h2" || np.RequestedBy != "U1" || len(np.Actions) != 2 {
		t.Errorf("new plan %+v", np)
	}
	if n := e.rem.applies.Load(); n != 0 {
		t.Errorf("applied %d times", n)
	}
	if s := e.state(fp.RequestID); s != store.StateSuperseded {
		t.Errorf("old state %s", s)
	}
	if s := e.state(np.RequestID); s != store.StatePending {
		t.Errorf("new state %s", s)
	}
	// The new request can be approved.
	rec = e.click(ActionApprove, np.RequestID, "U0BOSS")
	if d, ok := rec.last[Origin].(FixDecided); !ok || d.State != "applied" {
		t.Errorf("%+v", rec.last["1"])
	}
}

func TestReject(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	if rec := e.click(ActionReject, fp.RequestID, "U2"); e.state(fp.RequestID) != store.StatePending {
		t.Fatalf("a non-approver rejected: %+v", rec.last["1"])
	}
	rec := e.click(ActionReject, fp.RequestID, "U0BOSS")
	if d, ok := rec.last[Origin].(FixDecided); !ok || d.State != "rejected" || d.DecidedBy != "U0BOSS" {
		t.Fatalf("%+v", rec.last["1"])
	}
	if s := e.state(fp.RequestID); s != store.StateRejected {
		t.Errorf("state %s", s)
	}
	rec = e.click(ActionApprove, fp.RequestID, "U0BOSS")
	if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "rejected") || e.rem.applies.Load() != 0 {
		t.Errorf("%+v", rec.last["1"])
	}
	rec = e.click(ActionApprove, "nosuch", "U0BOSS")
	if p, ok := rec.last["1"].(Problem); !ok || !strings.Contains(p.Text, "unknown or expired request") {
		t.Errorf("%+v", rec.last["1"])
	}
}

func TestHistory(t *testing.T) {
	e := newFixEnv(t, nil)
	first := e.fix("U1")
	e.click(ActionReject, first.RequestID, "U0BOSS")
	e.clock.Advance(time.Minute)
	second := e.fix("U2")
	rec := &recorder{}
	e.bot.Handle(context.Background(), Request{Text: "history prod", UserID: "U1"}, rec)
	h, ok := rec.last["1"].(History)
	if !ok || h.Account != "prod" || len(h.Entries) != 2 {
		t.Fatalf("%+v", rec.last["1"])
	}
	if h.Entries[0].RequestID != second.RequestID || h.Entries[0].State != "pending" || h.Entries[0].Steps != 2 || h.Entries[0].RequestedBy != "U2" {
		t.Errorf("newest %+v", h.Entries[0])
	}
	if h.Entries[1].RequestID != first.RequestID || h.Entries[1].State != "rejected" || h.Entries[1].DecidedBy != "U0BOSS" {
		t.Errorf("oldest %+v", h.Entries[1])
	}
	// A plan that does not decode counts no steps.
	now := e.clock.Now().Add(time.Minute)
	if err := e.st.CreateRequest(context.Background(), store.Request{ID: "bad", Account: "prod", Plan: []byte("{"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec = &recorder{}
	e.bot.Handle(context.Background(), Request{Text: "history prod", UserID: "U1"}, rec)
	if h := rec.last["1"].(History); len(h.Entries) != 3 || h.Entries[0].RequestID != "bad" || h.Entries[0].Steps != 0 {
		t.Errorf("%+v", h)
	}
}

func TestButtonAfterRestart(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e.st = openStore(t, e.path)
	e.bot = e.newBot()
	rec := e.click(ActionApprove, fp.RequestID, "U0BOSS")
	if d, ok := rec.last[Origin].(FixDecided); !ok || d.State != "applied" {
		t.Fatalf("%+v", rec.last["1"])
	}
	if s := e.state(fp.RequestID); s != store.StateApplied {
		t.Errorf("state %s", s)
	}
}

func TestReportFixButtons(t *testing.T) {
	e := newFixEnv(t, nil)
	aud := &fakeAuditor{report: report(cis.StatusPass, cis.StatusFail)}
	b := New(Options{Auditor: aud, Directory: fakeDirectory{}, Policy: e.pol, Now: e.clock.Now, Remediator: e.rem, Requests: e.st})
	rec := &recorder{}
	b.Handle(context.Background(), Request{Text: "audit prod dev", UserID: "U1"}, rec)
	rep := rec.last["2"].(Report)
	if len(rep.Actions) != 2 || rep.Actions[0].ID != ActionEvidence || rep.Actions[1] != (Action{ID: ActionFix, Label: "Fix: dev", Value: "dev 4.1"}) {
		t.Fatalf("actions %+v", rep.Actions)
	}
	// Pressing it starts the same flow as /cis fix dev.
	fix := &recorder{}
	b.HandleAction(context.Background(), ActionRequest{ActionID: ActionFix, Value: "dev 4.1", UserID: "U1", ChannelID: "C0CHAN"}, fix)
	if fp, ok := fix.last["1"].(FixPlan); !ok || fp.RequestedBy != "U1" || fp.Plan.Account != "dev" {
		t.Errorf("%+v", fix.last["1"])
	}
	// Without a remediator, no fix buttons.
	plain := New(Options{Auditor: aud, Directory: fakeDirectory{}})
	rec = &recorder{}
	plain.Handle(context.Background(), Request{Text: "audit prod dev", UserID: "U1"}, rec)
	if rep := rec.last["2"].(Report); len(rep.Actions) != 1 {
		t.Errorf("actions %+v", rep.Actions)
	}
}
