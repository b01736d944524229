package commands

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// TestDecisionOnlyInThePlansChannel: a click is honoured only in the channel the plan was posted
// in, and only while the bot may work there; any other click is refused, recorded, and changes
// nothing.
func TestDecisionOnlyInThePlansChannel(t *testing.T) {
	tests := []struct {
		name    string
		action  string
		channel string
		allowed []string // slack.allowed_channels at click time
		want    string   // in the refusal; "" when the click is honoured
	}{
		{"approve in the plan's channel", ActionApprove, "C0CHAN", nil, ""},
		{"approve in the plan's channel, still allowed", ActionApprove, "C0CHAN", []string{"C0CHAN", "C0OPS"}, ""},
		{"approve from another channel", ActionApprove, "C0ELSE", nil, "was posted in <#C0CHAN>: approve or reject it there"},
		{"reject from another channel", ActionReject, "C0ELSE", nil, "was posted in <#C0CHAN>: approve or reject it there"},
		{"approve from a DM", ActionApprove, "D0DIRECT", nil, "was posted in <#C0CHAN>"},
		{"approve in a channel no longer allowed", ActionApprove, "C0CHAN", []string{"C0OPS"}, "no longer works in this channel"},
		{"reject in a channel no longer allowed", ActionReject, "C0CHAN", []string{"C0OPS"}, "no longer works in this channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFixEnv(t, nil)
			fp := e.fix("U1")
			e.pol.Channels = tt.allowed
			rec := &recorder{}
			e.bot.HandleAction(context.Background(), ActionRequest{ActionID: tt.action, Value: fp.RequestID, UserID: "U0BOSS", ChannelID: tt.channel}, rec)
			if tt.want == "" {
				if s := e.state(fp.RequestID); s == store.StatePending {
					t.Fatalf("the click was not honoured: %v %+v", rec.events, rec.last)
				}
				return
			}
			p, ok := rec.last["1"].(Problem)
			if !ok || !strings.Contains(p.Text, tt.want) || !strings.Contains(p.Text, "Nothing was changed") {
				t.Fatalf("reply %+v, want a refusal saying %q", rec.last, tt.want)
			}
			if s := e.state(fp.RequestID); s != store.StatePending || e.rem.applies.Load() != 0 {
				t.Errorf("state %s, applies %d: the refused click changed something", s, e.rem.applies.Load())
			}
			if got := strings.Join(e.events(fp.RequestID), ","); got != "requested,refused" {
				t.Errorf("events %s, want requested,refused", got)
			}
			// The same approver in the plan's channel, once allowed, still decides it.
			e.pol.Channels = nil
			e.click(tt.action, fp.RequestID, "U0BOSS")
			if s := e.state(fp.RequestID); s == store.StatePending {
				t.Errorf("a click in the plan's channel was not honoured after the refusal")
			}
		})
	}
}

// TestFixOutlivesShutdown: the command's context is cancelled (SIGTERM) while the fix is
// applying; the steps still run and are recorded, and the request ends applied, not applying.
// WaitFixes waits for it.
func TestFixOutlivesShutdown(t *testing.T) {
	e := newFixEnv(t, nil)
	started, release := make(chan struct{}), make(chan struct{})
	e.rem.apply = func(ctx context.Context, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) cis.ApplyResult {
		res := cis.ApplyResult{Account: p.Account, PlanHash: p.Hash, OK: true}
		for i, s := range p.Steps {
			if i == 1 {
				close(started)
				<-release
			}
			o := cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true, Detail: "created"}
			if ctx.Err() != nil { // as the account changer does
				o, res.OK = cis.StepOutcome{Outcome: cis.OutcomeFailed, Detail: "cancelled"}, false
			}
			record(s, o)
			res.Steps = append(res.Steps, cis.StepResult{Step: s, Outcome: o})
		}
		return res
	}
	fp := e.fix("U1")
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.bot.HandleAction(ctx, ActionRequest{ActionID: ActionApprove, Value: fp.RequestID, UserID: "U0BOSS", ChannelID: "C0CHAN"}, rec)
	}()
	<-started
	cancel() // SIGTERM: the bot stops taking requests
	short, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer stop()
	if err := e.bot.WaitFixes(short); err == nil {
		t.Error("WaitFixes returned while the fix was applying")
	}
	close(release)
	wait, stop2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop2()
	if err := e.bot.WaitFixes(wait); err != nil {
		t.Fatal(err)
	}
	<-done
	if s := e.state(fp.RequestID); s != store.StateApplied {
		t.Errorf("state %s, want applied", s)
	}
	if got := strings.Join(e.events(fp.RequestID), ","); got != "requested,approved,step,step,applied,reaudit" {
		t.Errorf("events %s", got)
	}
	if d, ok := rec.last[Origin].(FixDecided); !ok || d.State != "applied" {
		t.Errorf("decision %+v", rec.last)
	}
}

// TestOneFixPerAccountAtATime: two requests for one account approved at once apply one after
// the other, never overlapping; the second approver is told it waits.
func TestOneFixPerAccountAtATime(t *testing.T) {
	e := newFixEnv(t, nil)
	e.rem.stay = true
	var (
		mu        sync.Mutex
		active    int
		overlap   bool
		intervals [][2]time.Time
		ids       []string // the two requests, once made
	)
	// waiting reports whether one of the requests has recorded that it waits for the other.
	waiting := func() bool {
		for _, id := range ids {
			if strings.Contains(strings.Join(e.events(id), ","), "waiting") {
				return true
			}
		}
		return false
	}
	e.rem.apply = func(_ context.Context, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) cis.ApplyResult {
		mu.Lock()
		active++
		overlap = overlap || active > 1
		first := len(intervals) == 0
		start := time.Now()
		mu.Unlock()
		// The first apply holds the account until the other approval is seen waiting for it,
		// so the two always overlap in time, however the goroutines are scheduled.
		for deadline := time.Now().Add(10 * time.Second); first && !waiting() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		res := cis.ApplyResult{Account: p.Account, PlanHash: p.Hash, OK: true}
		for _, s := range p.Steps {
			o := cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true, Detail: "created"}
			record(s, o)
			res.Steps = append(res.Steps, cis.StepResult{Step: s, Outcome: o})
		}
		mu.Lock()
		active--
		intervals = append(intervals, [2]time.Time{start, time.Now()})
		mu.Unlock()
		return res
	}
	e.bot = New(Options{Auditor: &fakeAuditor{}, Directory: fakeDirectory{}, Policy: e.pol, Now: e.clock.Now,
		Remediator: e.rem, Requests: e.st, LockPoll: 5 * time.Millisecond})
	first, second := e.fix("U1"), e.fix("U2")
	mu.Lock()
	ids = []string{first.RequestID, second.RequestID}
	mu.Unlock()
	recs := []*recorder{{}, {}}
	var wg sync.WaitGroup
	for i, id := range []string{first.RequestID, second.RequestID} {
		wg.Go(func() {
			e.bot.HandleAction(context.Background(), ActionRequest{ActionID: ActionApprove, Value: id, UserID: "U0BOSS", ChannelID: "C0CHAN"}, recs[i])
		})
	}
	wg.Wait()
	if overlap || len(intervals) != 2 {
		t.Fatalf("overlap %v, applies %d", overlap, len(intervals))
	}
	if a, b := intervals[0], intervals[1]; b[0].Before(a[1]) {
		t.Errorf("the second fix started at %v, before the first ended at %v", b[0], a[1])
	}
	waited := 0
	for i, id := range []string{first.RequestID, second.RequestID} {
		if s := e.state(id); s != store.StateApplied {
			t.Errorf("request %d: state %s", i, s)
		}
		evs := strings.Join(e.events(id), ",")
		if strings.Contains(evs, "waiting") {
			waited++
			if tx, ok := recs[i].last["1"].(Text); !ok || !tx.Private || !strings.Contains(tx.Text, "is applied after it") {
				t.Errorf("the waiting approver was told %+v", recs[i].last["1"])
			}
		}
	}
	if waited != 1 {
		t.Errorf("%d approvals waited, want 1", waited)
	}
	if _, err := e.st.GetAccountLock(context.Background(), "prod"); err == nil {
		t.Error("the account's lock is still held after both fixes")
	}
}

// TestWaitingApprovalStopsWithTheBot: an approval waiting for another process's fix of the
// account gives up when the bot stops, without recording the approval; it can be approved
// again once the other fix has ended.
func TestWaitingApprovalStopsWithTheBot(t *testing.T) {
	e := newFixEnv(t, nil)
	e.bot = New(Options{Auditor: &fakeAuditor{}, Directory: fakeDirectory{}, Policy: e.pol, Now: e.clock.Now,
		Remediator: e.rem, Requests: e.st, LockPoll: 5 * time.Millisecond})
	other := e.fix("U2")
	fp := e.fix("U1")
	ctx := context.Background()
	// Another process is applying the other request.
	if ok, err := e.st.Transition(ctx, other.RequestID, store.StatePending, store.StateApplying, "U0BOSS", store.EventApproved, "", e.clock.Now()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := e.st.LockAccount(ctx, "prod", other.RequestID, "replica-b", e.clock.Now(), e.clock.Now().Add(time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// The bot stops once the approval is waiting (a fixed delay would race with a loaded machine
	// reading the request).
	stopping, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	go func() {
		for stopping.Err() == nil && !strings.Contains(strings.Join(e.events(fp.RequestID), ","), "waiting") {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	rec := &recorder{}
	e.bot.HandleAction(stopping, ActionRequest{ActionID: ActionApprove, Value: fp.RequestID, UserID: "U0BOSS", ChannelID: "C0CHAN"}, rec)
	if p, ok := rec.last["2"].(Problem); !ok || !strings.Contains(p.Text, "was not approved") {
		t.Fatalf("replies %v %+v", rec.events, rec.last)
	}
	if s := e.state(fp.RequestID); s != store.StatePending || e.rem.applies.Load() != 0 {
		t.Fatalf("state %s, applies %d", s, e.rem.applies.Load())
	}
	// The other fix ends; the approval goes through.
	if ok, err := e.st.Transition(ctx, other.RequestID, store.StateApplying, store.StateApplied, store.ActorSystem, store.EventApplied, "", e.clock.Now()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	e.click(ActionApprove, fp.RequestID, "U0BOSS")
	if s := e.state(fp.RequestID); s != store.StateApplied {
		t.Errorf("state %s after the other fix ended", s)
	}
}

// TestNoFixStartsOnceStopping: once the bot waits for its fixes (it is stopping), an approval is
// refused and the request stays pending, so no fix can start that nothing waits for.
func TestNoFixStartsOnceStopping(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	if err := e.bot.WaitFixes(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := e.click(ActionApprove, fp.RequestID, "U0BOSS")
	if s := e.state(fp.RequestID); s != store.StatePending {
		t.Errorf("state %s after an approval while stopping, want pending", s)
	}
	if tx, ok := rec.last["1"].(Text); !ok || !strings.Contains(tx.Text, "stopping") {
		t.Errorf("the approver was told %+v", rec.last)
	}
}

// lockedGroups is a Groups whose membership a test changes while clicks are in flight.
type lockedGroups struct {
	mu      sync.Mutex
	members map[string][]string
}

func (g *lockedGroups) Members(_ context.Context, id string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.members[id]), nil
}

func (g *lockedGroups) set(id string, members ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members[id] = members
}

// TestWaitingApprovalDecidedAgain: an approval that waited for another fix of the account is
// decided again once the lock is free: its approver, removed from the approvers' group in the
// meantime, is refused and the request stays pending.
func TestWaitingApprovalDecidedAgain(t *testing.T) {
	groups := &lockedGroups{members: map[string][]string{"S0APPROVE": {"U0TWO"}}}
	e := newFixEnv(t, &Policy{Approvers: []string{"U0BOSS", "S0APPROVE"}, Groups: groups})
	e.rem.stay = true
	first, second := e.fix("U1"), e.fix("U2")
	applying := make(chan struct{})
	var once sync.Once
	e.rem.apply = func(_ context.Context, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) cis.ApplyResult {
		once.Do(func() { close(applying) })
		// Hold the account until the second approval waits, then take its approver out.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if strings.Contains(strings.Join(e.events(second.RequestID), ","), "waiting") {
				break
			}
		}
		groups.set("S0APPROVE")
		return cis.ApplyResult{Account: p.Account, PlanHash: p.Hash, OK: true}
	}
	e.bot = New(Options{Auditor: &fakeAuditor{}, Directory: fakeDirectory{}, Policy: e.pol, Now: e.clock.Now,
		Remediator: e.rem, Requests: e.st, LockPoll: 5 * time.Millisecond})
	var wg sync.WaitGroup
	wg.Go(func() {
		e.bot.HandleAction(context.Background(), ActionRequest{ActionID: ActionApprove, Value: first.RequestID, UserID: "U0BOSS", ChannelID: "C0CHAN"}, &recorder{})
	})
	<-applying
	rec := &recorder{}
	wg.Go(func() {
		e.bot.HandleAction(context.Background(), ActionRequest{ActionID: ActionApprove, Value: second.RequestID, UserID: "U0TWO", ChannelID: "C0CHAN"}, rec)
	})
	wg.Wait()
	if s := e.state(second.RequestID); s != store.StatePending {
		t.Errorf("the second request is %s; want pending: its approver left the group while it waited", s)
	}
	if evs := strings.Join(e.events(second.RequestID), ","); !strings.Contains(evs, "refused") {
		t.Errorf("no refused event: %s", evs)
	}
	if _, err := e.st.GetAccountLock(context.Background(), "prod"); err == nil {
		t.Error("the refused approval left the account locked")
	}
}
