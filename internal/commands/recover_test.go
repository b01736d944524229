package commands

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// channelsRecorder is the transport's Channels: one recorder per channel.
type channelsRecorder struct {
	mu  sync.Mutex
	chs map[string]*recorder
}

func (c *channelsRecorder) Channel(id string) Replier {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chs == nil {
		c.chs = map[string]*recorder{}
	}
	if c.chs[id] == nil {
		c.chs[id] = &recorder{}
	}
	return c.chs[id]
}

// TestRecoverAfterKill: the bot is killed (kill -9, power loss) while applying a fix, after one
// of its two steps was recorded. At the next start the request ends interrupted: the plan
// message shows the step recorded, an audit of the account is posted to the plan's channel,
// /cis history shows it, and the account can be fixed again.
func TestRecoverAfterKill(t *testing.T) {
	e := newFixEnv(t, nil)
	stuck, unstick := make(chan struct{}), make(chan struct{})
	e.rem.apply = func(_ context.Context, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) cis.ApplyResult {
		record(p.Steps[0], cis.StepOutcome{Outcome: cis.OutcomeOK, Changed: true, Detail: "topic cis-alarms created"})
		close(stuck)
		<-unstick // the process is gone: nothing after this is recorded in time
		return cis.ApplyResult{}
	}
	fp := e.fix("U1")
	dead := e.bot
	go dead.HandleAction(context.Background(), ActionRequest{ActionID: ActionApprove, Value: fp.RequestID, UserID: "U0BOSS", ChannelID: "C0CHAN", MessageRef: "1700000000.000100"}, &recorder{})
	<-stuck
	t.Cleanup(func() {
		close(unstick)
		_ = dead.WaitFixes(context.Background())
	})

	// The restart: a new process on the same file, same owner name.
	e.rem.apply = nil
	e.st = openStore(t, e.path)
	e.rem.setPlan(failingPlan("h1"))
	e.rem.stay = true
	audit := cis.NewControlsReport([]string{"4.1"}, [][]cis.Result{{{Account: "prod", Status: cis.StatusFail, Reason: "alarm: none"}}})
	e.bot = New(Options{Auditor: &fakeAuditor{report: audit}, Directory: fakeDirectory{}, Policy: e.pol, Now: e.clock.Now,
		Remediator: e.rem, Requests: e.st})
	out := &channelsRecorder{}
	plans := len(e.rem.asked)
	n, err := e.bot.RecoverInterrupted(context.Background(), out)
	if err != nil || n != 1 {
		t.Fatalf("RecoverInterrupted = %d, %v", n, err)
	}
	// One audit gives the results after the fix and the report posted: none planned again.
	if len(e.rem.asked) != plans {
		t.Errorf("the account was audited again by planning: %q", e.rem.asked[plans:])
	}
	if s := e.state(fp.RequestID); s != store.StateInterrupted {
		t.Fatalf("state %s, want interrupted", s)
	}
	if got := strings.Join(e.events(fp.RequestID), ","); got != "requested,approved,step,interrupted,reaudit" {
		t.Errorf("events %s", got)
	}

	ch := out.chs["C0CHAN"]
	if ch == nil {
		t.Fatal("nothing was posted to the plan's channel")
	}
	d, ok := ch.last["1700000000.000100"].(FixDecided)
	if !ok || d.State != "interrupted" || len(d.After) != 1 || d.After[0].Status != cis.StatusFail || d.After[0].Reason != "alarm: none" {
		t.Fatalf("plan message %+v (events %v)", ch.last, ch.events)
	}
	if s := d.Applied.Steps; len(s) != 2 || s[0].Outcome.Outcome != cis.OutcomeOK || s[0].Outcome.Detail != "topic cis-alarms created" || s[1].Outcome.Detail != NotRecorded {
		t.Errorf("steps shown %+v", s)
	}
	if r, ok := ch.last["1"].(Report); !ok || len(r.Report.Results) != 1 || !hasAction(r.Actions, ActionFix) {
		t.Errorf("audit posted %+v", ch.last["1"])
	}

	rec := &recorder{}
	e.bot.Handle(context.Background(), Request{Command: "/cis", Text: "history prod", UserID: "U1", ChannelID: "C0CHAN"}, rec)
	if h, ok := rec.last["1"].(History); !ok || len(h.Entries) != 1 || h.Entries[0].State != "interrupted" {
		t.Errorf("history %+v", rec.last["1"])
	}

	// Recovery again finds nothing; the account can be fixed again.
	if n, err := e.bot.RecoverInterrupted(context.Background(), out); n != 0 || err != nil {
		t.Errorf("second recovery = %d, %v", n, err)
	}
	again := e.fix("U1")
	e.click(ActionApprove, again.RequestID, "U0BOSS")
	if s := e.state(again.RequestID); s != store.StateApplied {
		t.Errorf("a new fix of the account after the interruption: %s", s)
	}
}

// TestRecoverLeavesOtherProcessesFixes: a request applying under another live process's lock
// is that process's; recovery leaves it, and takes it once the lock's lease has passed.
func TestRecoverLeavesOtherProcessesFixes(t *testing.T) {
	e := newFixEnv(t, nil)
	fp := e.fix("U1")
	ctx := context.Background()
	now := e.clock.Now()
	if ok, err := e.st.Transition(ctx, fp.RequestID, store.StatePending, store.StateApplying, "U0BOSS", store.EventApproved, "", now); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := e.st.LockAccount(ctx, "prod", fp.RequestID, "replica-b", now, now.Add(6*time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n, err := e.bot.RecoverInterrupted(ctx, nil); n != 0 || err != nil {
		t.Fatalf("RecoverInterrupted = %d, %v; want the other process's fix left alone", n, err)
	}
	e.clock.Advance(7 * time.Minute)
	if n, err := e.bot.RecoverInterrupted(ctx, nil); n != 1 || err != nil {
		t.Fatalf("after the lease: RecoverInterrupted = %d, %v", n, err)
	}
	if s := e.state(fp.RequestID); s != store.StateInterrupted {
		t.Errorf("state %s", s)
	}
}

func hasAction(as []Action, id string) bool {
	for _, a := range as {
		if a.ID == id {
			return true
		}
	}
	return false
}

// TestRecoverAbandoned: the periodic sweep leaves a fix whose lock is live, whoever holds it (this
// process included: its own fix under way), and ends one whose lock has lapsed, is gone, or
// belongs to another request (a process that died and came back under another name, or never).
func TestRecoverAbandoned(t *testing.T) {
	for _, tc := range []struct {
		name      string
		owner     string        // "" no lock; "self" this process
		lockOther bool          // the lock is another request's
		age       time.Duration // how long ago the lock's 6-minute lease began
		want      int
	}{
		{"own fix under way", "self", false, time.Minute, 0},
		{"another process's fix under way", "replica-b", false, time.Minute, 0},
		{"lease lapsed: its process died", "replica-b", false, 7 * time.Minute, 1},
		{"no lock", "", false, 0, 1},
		{"the lock is another request's", "replica-b", true, time.Minute, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFixEnv(t, nil)
			fp := e.fix("U1")
			ctx := context.Background()
			now := e.clock.Now()
			if ok, err := e.st.Transition(ctx, fp.RequestID, store.StatePending, store.StateApplying, "U0BOSS", store.EventApproved, "", now); !ok || err != nil {
				t.Fatal(ok, err)
			}
			if tc.owner != "" {
				owner, id := tc.owner, fp.RequestID
				if owner == "self" {
					owner = ""
				}
				if tc.lockOther {
					id = "another-request"
				}
				start := now.Add(-tc.age)
				if ok, err := e.st.LockAccount(ctx, "prod", id, owner, start, start.Add(6*time.Minute)); !ok || err != nil {
					t.Fatal(ok, err)
				}
			}
			if n, err := e.bot.RecoverAbandoned(ctx, nil); n != tc.want || err != nil {
				t.Fatalf("RecoverAbandoned = %d, %v; want %d", n, err, tc.want)
			}
			want := store.StateApplying
			if tc.want == 1 {
				want = store.StateInterrupted
			}
			if s := e.state(fp.RequestID); s != want {
				t.Errorf("state %s, want %s", s, want)
			}
		})
	}
}
