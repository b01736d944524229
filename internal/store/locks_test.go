package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLockAccount(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		at := base.Add(time.Minute)
		until := at.Add(5 * time.Minute)
		tests := []struct {
			name   string
			held   *AccountLock // nil: free
			holder State        // the holding request's state
			want   bool
		}{
			{"free", nil, "", true},
			{"held by an applying request", &AccountLock{RequestID: "other", Owner: "b", Until: until}, StateApplying, false},
			{"held by a pending request (about to apply)", &AccountLock{RequestID: "other", Owner: "b", Until: until}, StatePending, false},
			{"lease ended", &AccountLock{RequestID: "other", Owner: "b", Until: at}, StateApplying, true},
			{"holder ended without releasing it", &AccountLock{RequestID: "other", Owner: "b", Until: until}, StateApplied, true},
			{"holder interrupted", &AccountLock{RequestID: "other", Owner: "b", Until: until}, StateInterrupted, true},
			{"held by this request", &AccountLock{RequestID: "mine", Owner: "a", Until: at.Add(time.Second)}, StateApplying, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				s := d.newStore(t)
				mustCreate(t, s, newRequest("mine", "prod", base))
				if tt.held != nil {
					if tt.held.RequestID != "mine" {
						r := newRequest(tt.held.RequestID, "prod", base)
						r.State = tt.holder
						mustCreate(t, s, r)
					}
					if ok, err := s.LockAccount(ctx, "prod", tt.held.RequestID, tt.held.Owner, base, tt.held.Until); err != nil || !ok {
						t.Fatalf("set up the lock: %v, %v", ok, err)
					}
				}
				ok, err := s.LockAccount(ctx, "prod", "mine", "a", at, until)
				if err != nil || ok != tt.want {
					t.Fatalf("LockAccount = %v, %v; want %v", ok, err, tt.want)
				}
				l, err := s.GetAccountLock(ctx, "prod")
				if err != nil {
					t.Fatal(err)
				}
				wantHolder := "mine"
				if !tt.want {
					wantHolder = tt.held.RequestID
				}
				if l.RequestID != wantHolder || (tt.want && (!l.Until.Equal(ms(until)) || l.Owner != "a")) {
					t.Errorf("lock %+v, want held by %s", l, wantHolder)
				}
				// Another account is not affected.
				if ok, err := s.LockAccount(ctx, "staging", "other2", "b", at, until); err != nil || !ok {
					t.Errorf("lock of another account: %v, %v", ok, err)
				}
			})
		}
	})
}

func TestUnlockAccount(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		mustCreate(t, s, newRequest("r1", "prod", base))
		if ok, err := s.LockAccount(ctx, "prod", "r1", "a", base, base.Add(time.Hour)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		// Another request cannot release it.
		if err := s.UnlockAccount(ctx, "prod", "r2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetAccountLock(ctx, "prod"); err != nil {
			t.Fatalf("the lock was released by another request: %v", err)
		}
		if err := s.UnlockAccount(ctx, "prod", "r1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetAccountLock(ctx, "prod"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after unlock: %v, want ErrNotFound", err)
		}
	})
}

// TestLockAccountOneWinner: processes (here, handles on one file) racing for an account's lock;
// exactly one takes it.
func TestLockAccountOneWinner(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		path := d.newDB(t)
		first := d.open(t, path)
		const n = 8
		for i := range n {
			mustCreate(t, first, newRequest(string(rune('a'+i)), "prod", base))
		}
		var (
			wg    sync.WaitGroup
			wins  atomic.Int32
			start = make(chan struct{})
		)
		for i := range n {
			s := first
			if i%2 == 1 {
				s = d.open(t, path)
			}
			wg.Go(func() {
				<-start
				ok, err := s.LockAccount(context.Background(), "prod", string(rune('a'+i)), "p", base, base.Add(time.Hour))
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d holders, want 1", wins.Load())
		}
	})
}

func TestInState(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		for i, st := range []State{StateApplying, StatePending, StateApplying} {
			r := newRequest(string(rune('a'+i)), "prod", base.Add(time.Duration(-i)*time.Minute))
			r.State = st
			mustCreate(t, s, r)
		}
		got, err := s.InState(ctx, StateApplying)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != "c" || got[1].ID != "a" {
			t.Errorf("applying: %+v, want c then a (oldest first)", got)
		}
		if _, err := s.InState(ctx, "bogus"); err == nil {
			t.Error("an invalid state was accepted")
		}
	})
}
