package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAuditHistory(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		t0 := base
		batches := [][]AuditRecord{
			{
				{Account: "prod", AccountID: "111111111111", At: t0, Status: AuditPass, Verdict: AuditPass, Since: t0, Source: "s1", Reason: "passes"},
				{Account: "dev", AccountID: "222222222222", At: t0, Status: AuditFail, FailedStep: "alarm", Verdict: AuditFail, Since: t0, Source: "s1", Reason: "no alarm"},
			},
			{
				{Account: "prod", AccountID: "111111111111", At: t0.Add(time.Hour), Status: AuditError, FailedStep: "trail", Verdict: AuditPass, Since: t0, Source: "s1", Reason: "AccessDenied"},
				{Account: "dev", AccountID: "222222222222", At: t0.Add(time.Hour), Status: AuditFail, FailedStep: "alarm", Verdict: AuditFail, Since: t0, Source: "s1"},
				{Account: "stage", At: t0.Add(time.Hour), Status: AuditPass, Verdict: AuditPass, Since: t0.Add(time.Hour), Source: "cli"},
			},
		}
		for _, b := range batches {
			if err := s.RecordAudits(ctx, b); err != nil {
				t.Fatalf("RecordAudits: %v", err)
			}
		}
		norm := func(r AuditRecord) AuditRecord {
			r.At, r.Since = ms(r.At), ms(r.Since)
			if r.Control == "" {
				r.Control = DefaultControl
			}
			return r
		}
		latest, err := s.LatestAudits(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []AuditRecord{norm(batches[1][1]), norm(batches[1][0]), norm(batches[1][2])} // by name
		if !reflect.DeepEqual(latest, want) {
			t.Errorf("LatestAudits(nil):\n got %+v\nwant %+v", latest, want)
		}
		some, err := s.LatestAudits(ctx, []string{"prod", "unknown"})
		if err != nil || len(some) != 1 || some[0].Account != "prod" || some[0].Status != AuditError {
			t.Errorf("LatestAudits(prod, unknown) = %+v, %v", some, err)
		}
		dev, err := s.AccountAudits(ctx, "dev", 10)
		if err != nil || len(dev) != 2 || !dev[0].At.Equal(ms(t0.Add(time.Hour))) || !dev[1].At.Equal(ms(t0)) {
			t.Errorf("AccountAudits(dev) = %+v, %v; want two, newest first", dev, err)
		}
		if one, err := s.AccountAudits(ctx, "dev", 1); err != nil || len(one) != 1 {
			t.Errorf("AccountAudits(dev, 1) = %d records, %v", len(one), err)
		}
		if _, err := s.AccountAudits(ctx, "dev", 0); err == nil {
			t.Error("AccountAudits with limit 0 succeeded")
		}
		// A zero Since stays zero.
		if err := s.RecordAudits(ctx, []AuditRecord{{Account: "new", At: t0, Status: AuditError}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.LatestAudits(ctx, []string{"new"}); len(got) != 1 || !got[0].Since.IsZero() || got[0].Verdict != "" {
			t.Errorf("record without a verdict read back as %+v", got)
		}
	})
}

func TestRecordAuditsErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		good := AuditRecord{Account: "prod", At: base, Status: AuditPass, Verdict: AuditPass}
		for _, tc := range []struct {
			name string
			rec  AuditRecord
			want string
		}{
			{"no account", AuditRecord{At: base, Status: AuditPass}, "empty account"},
			{"no time", AuditRecord{Account: "prod", Status: AuditPass}, "zero time"},
			{"bad status", AuditRecord{Account: "prod", At: base, Status: "pass"}, `status "pass"`},
			{"bad verdict", AuditRecord{Account: "prod", At: base, Status: AuditError, Verdict: AuditError}, `verdict "ERROR"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// A bad record anywhere in the batch stores nothing of it.
				err := s.RecordAudits(ctx, []AuditRecord{good, tc.rec})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one containing %q", err, tc.want)
				}
				if got, _ := s.LatestAudits(ctx, nil); len(got) != 0 {
					t.Errorf("a rejected batch stored %+v", got)
				}
			})
		}
	})
}

func TestSummaryTicks(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		tick1, tick2 := base, base.Add(24*time.Hour)
		if _, found, err := s.LastPosted(ctx, "s1", tick1); found || err != nil {
			t.Fatalf("LastPosted on an empty store: found %v, %v", found, err)
		}
		ok, err := s.ClaimTick(ctx, "s1", tick1, "a", tick1, 0)
		if !ok || err != nil {
			t.Fatalf("first claim: %v, %v", ok, err)
		}
		if ok, err := s.ClaimTick(ctx, "s1", tick1, "b", tick1, 0); ok || err != nil {
			t.Errorf("second claim of the same tick: %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.ClaimTick(ctx, "s2", tick1, "b", tick1, 0); !ok || err != nil {
			t.Errorf("another schedule's claim of the same time: %v, %v", ok, err)
		}
		// Only the owner finishes a tick.
		if err := s.FinishTick(ctx, "s1", tick1, "b", 1, 2, "", tick1); !errors.Is(err, ErrNotFound) {
			t.Errorf("FinishTick by another owner: %v, want ErrNotFound", err)
		}
		// A claimed tick that failed to post is not the last summary.
		if err := s.FinishTick(ctx, "s2", tick1, "b", 0, 0, "channel_not_found", tick1); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.LastPosted(ctx, "s2", tick2); found {
			t.Error("a failed tick counts as the last summary")
		}
		if err := s.FinishTick(ctx, "s1", tick1, "a", 17, 20, "", tick1.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		last, found, err := s.LastPosted(ctx, "s1", tick2)
		want := Tick{Schedule: "s1", Tick: ms(tick1), Owner: "a", ClaimedAt: ms(tick1), PostedAt: ms(tick1.Add(time.Minute)), Pass: 17, Total: 20}
		if !found || err != nil || last != want {
			t.Errorf("LastPosted = %+v, %v, %v; want %+v", last, found, err, want)
		}
		// Strictly before the tick asked about.
		if _, found, _ := s.LastPosted(ctx, "s1", tick1); found {
			t.Error("LastPosted(tick1) found tick1 itself")
		}
		for _, bad := range []struct {
			schedule, owner string
			tick            time.Time
		}{{"", "a", tick1}, {"s1", "", tick1}, {"s1", "a", time.Time{}}} {
			if _, err := s.ClaimTick(ctx, bad.schedule, bad.tick, bad.owner, tick1, 0); err == nil {
				t.Errorf("ClaimTick(%q, %v, %q) succeeded", bad.schedule, bad.tick, bad.owner)
			}
		}
	})
}

// TestClaimTickOnce: replicas racing for one tick through their own handles on one file; one
// claim wins per tick.
func TestClaimTickOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		path := d.newDB(t)
		handles := []Store{d.open(t, path), d.open(t, path), d.open(t, path)}
		const ticks, racers = 5, 12
		var (
			wins  [ticks]atomic.Int32
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  = make(chan error, ticks*racers)
		)
		for tk := range ticks {
			for i := range racers {
				wg.Go(func() {
					<-start
					ok, err := handles[i%len(handles)].ClaimTick(context.Background(), "daily", base.Add(time.Duration(tk)*time.Hour), fmt.Sprint("replica-", i), base, 0)
					if err != nil {
						errs <- err
					}
					if ok {
						wins[tk].Add(1)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("ClaimTick: %v", err)
		}
		for tk := range ticks {
			if n := wins[tk].Load(); n != 1 {
				t.Errorf("tick %d: %d claims won, want exactly 1", tk, n)
			}
		}
	})
}

// TestClaimTickTakeover: a claim never finished (its replica died) is taken over once its lease
// has passed, by one caller; a finished tick, posted or failed, never is; the old owner can no
// longer finish it.
func TestClaimTickTakeover(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		lease := 30 * time.Minute
		tick := base
		type step struct {
			owner string
			at    time.Duration // after the tick
			lease time.Duration
			want  bool
		}
		for _, tc := range []struct {
			name   string
			finish string // "": the first claim is never finished; "posted" or an error
			steps  []step
		}{
			{"dead claim taken over after the lease", "", []step{
				{"b", lease - time.Millisecond, lease, false}, // still within the lease
				{"b", lease + time.Second, 0, false},          // no lease asked: never
				{"b", lease + time.Second, lease, true},
				{"c", lease + 2*time.Second, lease, false}, // b's fresh claim holds
			}},
			{"posted tick never taken over", "posted", []step{{"b", 10 * lease, lease, false}}},
			{"failed tick never taken over", "channel_not_found", []step{{"b", 10 * lease, lease, false}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := d.newStore(t)
				if ok, err := s.ClaimTick(ctx, "daily", tick, "a", tick, lease); !ok || err != nil {
					t.Fatalf("first claim: %v, %v", ok, err)
				}
				switch tc.finish {
				case "":
				case "posted":
					if err := s.FinishTick(ctx, "daily", tick, "a", 1, 1, "", tick.Add(time.Minute)); err != nil {
						t.Fatal(err)
					}
				default:
					if err := s.FinishTick(ctx, "daily", tick, "a", 0, 1, tc.finish, tick.Add(time.Minute)); err != nil {
						t.Fatal(err)
					}
				}
				for i, st := range tc.steps {
					if ok, err := s.ClaimTick(ctx, "daily", tick, st.owner, tick.Add(st.at), st.lease); ok != st.want || err != nil {
						t.Errorf("step %d: ClaimTick(%s, +%v, lease %v) = %v, %v; want %v", i, st.owner, st.at, st.lease, ok, err, st.want)
					}
				}
				if tc.finish == "" {
					if err := s.FinishTick(ctx, "daily", tick, "a", 1, 1, "", tick.Add(2*lease)); !errors.Is(err, ErrNotFound) {
						t.Errorf("FinishTick by the dead owner after the takeover: %v, want ErrNotFound", err)
					}
				}
			})
		}
	})
}

// TestAuditHistoryPerControl: the latest record is per (account, control), so one control's
// newer result does not hide another's, and an account's history holds every control's.
func TestAuditHistoryPerControl(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		t0 := base
		recs := []AuditRecord{
			{Account: "prod", Control: "4.1", At: t0, Status: AuditPass, Verdict: AuditPass, Since: t0},
			{Account: "prod", Control: "4.3", At: t0, Status: AuditFail, Verdict: AuditFail, Since: t0, FailedStep: "metric_filter"},
			{Account: "prod", Control: "4.3", At: t0.Add(time.Hour), Status: AuditPass, Verdict: AuditPass, Since: t0.Add(time.Hour)},
			{Account: "prod", Control: "4.10", At: t0, Status: AuditFail, Verdict: AuditFail, Since: t0},
			{Account: "dev", Control: "4.3", At: t0, Status: AuditError, Reason: "AccessDenied"},
			{Account: "stage", Control: "4.1", At: t0, Status: AuditPass, Verdict: AuditPass, Since: t0},
		}
		if err := s.RecordAudits(ctx, recs); err != nil {
			t.Fatal(err)
		}
		key := func(rs []AuditRecord) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.Account+"/"+r.Control+"="+r.Status)
			}
			return out
		}
		for _, tc := range []struct {
			accounts []string
			want     []string
		}{
			{nil, []string{"dev/4.3=ERROR", "prod/4.1=PASS", "prod/4.10=FAIL", "prod/4.3=PASS", "stage/4.1=PASS"}},
			{[]string{"prod"}, []string{"prod/4.1=PASS", "prod/4.10=FAIL", "prod/4.3=PASS"}},
			{[]string{"dev", "stage", "unknown"}, []string{"dev/4.3=ERROR", "stage/4.1=PASS"}},
			{[]string{"unknown"}, nil},
		} {
			got, err := s.LatestAudits(ctx, tc.accounts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(key(got), tc.want) {
				t.Errorf("LatestAudits(%v) = %v, want %v", tc.accounts, key(got), tc.want)
			}
		}
		all, err := s.AccountAudits(ctx, "prod", 10)
		if err != nil || len(all) != 4 || all[0].Control != "4.3" || all[0].Status != AuditPass {
			t.Errorf("AccountAudits(prod) = %v, %v; want 4 records, 4.3's PASS first", key(all), err)
		}
	})
}
