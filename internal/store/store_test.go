package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// base is a time with a zone and sub-millisecond digits, so tests see the UTC millisecond
// round trip.
var base = time.Date(2025, 3, 1, 12, 0, 0, 123_456_789, time.FixedZone("CET", 3600))

// ms is t as the store returns it.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func openTestSQLite(t testing.TB, path string) *SQLite {
	t.Helper()
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenSQLite(%q): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newTestStore(t testing.TB) *SQLite {
	t.Helper()
	return openTestSQLite(t, filepath.Join(t.TempDir(), "cisbot.db"))
}

func newRequest(id, account string, created time.Time) Request {
	return Request{
		ID:          id,
		Account:     account,
		Channel:     "C0123",
		RequestedBy: "U_REQ",
		Plan:        []byte(`{"steps":[{"create":"metric-filter"}]}`),
		PlanHash:    "sha256:" + id,
		State:       StatePending,
		CreatedAt:   created,
		ExpiresAt:   created.Add(time.Hour),
	}
}

func mustCreate(t testing.TB, s Store, r Request) {
	t.Helper()
	if err := s.CreateRequest(context.Background(), r); err != nil {
		t.Fatalf("CreateRequest(%q): %v", r.ID, err)
	}
}

func mustGet(t testing.TB, s Store, id string) Request {
	t.Helper()
	r, err := s.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatalf("GetRequest(%q): %v", id, err)
	}
	return r
}

func mustEvents(t testing.TB, s Store, id string) []Event {
	t.Helper()
	ev, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatalf("Events(%q): %v", id, err)
	}
	return ev
}

func equalRequest(a, b Request) bool {
	return a.ID == b.ID && a.Account == b.Account && a.Channel == b.Channel &&
		a.RequestedBy == b.RequestedBy && bytes.Equal(a.Plan, b.Plan) && a.PlanHash == b.PlanHash &&
		a.State == b.State && a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt) &&
		a.UpdatedAt.Equal(b.UpdatedAt) && a.DecidedBy == b.DecidedBy && a.MessageRef == b.MessageRef
}

func TestCreateAndGetRoundTrip(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		tests := []struct {
			name string
			in   Request
			want Request
		}{
			{
				name: "all fields",
				in: func() Request {
					r := newRequest("r1", "111111111111", base)
					r.State = StateApplying
					r.UpdatedAt = base.Add(time.Minute)
					r.DecidedBy = "U_APP"
					r.MessageRef = "C0123/1700000000.000100"
					return r
				}(),
				want: func() Request {
					r := newRequest("r1", "111111111111", ms(base))
					r.ExpiresAt = ms(base.Add(time.Hour))
					r.State = StateApplying
					r.UpdatedAt = ms(base.Add(time.Minute))
					r.DecidedBy = "U_APP"
					r.MessageRef = "C0123/1700000000.000100"
					return r
				}(),
			},
			{
				name: "defaults: empty state is pending, zero UpdatedAt is CreatedAt",
				in: Request{ID: "r2", Account: "222222222222", CreatedAt: base,
					ExpiresAt: base.Add(time.Hour), RequestedBy: "cli"},
				want: Request{ID: "r2", Account: "222222222222", State: StatePending, CreatedAt: ms(base),
					ExpiresAt: ms(base.Add(time.Hour)), UpdatedAt: ms(base), RequestedBy: "cli", Plan: []byte{}},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := d.newStore(t)
				mustCreate(t, s, tt.in)
				got := mustGet(t, s, tt.in.ID)
				if !equalRequest(got, tt.want) {
					t.Errorf("GetRequest:\n got %+v\nwant %+v", got, tt.want)
				}
				for name, tm := range map[string]time.Time{"CreatedAt": got.CreatedAt, "ExpiresAt": got.ExpiresAt, "UpdatedAt": got.UpdatedAt} {
					if tm.Location() != time.UTC {
						t.Errorf("%s location = %v, want UTC", name, tm.Location())
					}
				}
			})
		}
	})
}

func TestCreateRequestErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		valid := newRequest("dup", "111111111111", base)
		tests := []struct {
			name   string
			mutate func(*Request)
			is     error // nil: any error
		}{
			{"duplicate id", func(*Request) {}, ErrExists},
			{"empty id", func(r *Request) { r.ID = "" }, nil},
			{"empty account", func(r *Request) { r.ID, r.Account = "x1", "" }, nil},
			{"invalid state", func(r *Request) { r.ID, r.State = "x2", "approved" }, nil},
			{"zero CreatedAt", func(r *Request) { r.ID, r.CreatedAt, r.UpdatedAt = "x3", time.Time{}, base }, nil},
			{"zero ExpiresAt", func(r *Request) { r.ID, r.ExpiresAt = "x4", time.Time{} }, nil},
		}
		s := d.newStore(t)
		mustCreate(t, s, valid)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := valid
				tt.mutate(&r)
				err := s.CreateRequest(context.Background(), r)
				if err == nil {
					t.Fatalf("CreateRequest(%+v) = nil, want an error", r)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("CreateRequest error = %v, want %v", err, tt.is)
				}
			})
		}
		// The duplicate did not overwrite the original.
		if got := mustGet(t, s, "dup"); !equalRequest(got, func() Request {
			r := newRequest("dup", "111111111111", ms(base))
			r.ExpiresAt, r.UpdatedAt = ms(base.Add(time.Hour)), ms(base)
			return r
		}()) {
			t.Errorf("original request changed: %+v", got)
		}
	})
}

func TestNotFound(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		tests := []struct {
			name string
			call func() error
		}{
			{"GetRequest", func() error { _, err := s.GetRequest(ctx, "nope"); return err }},
			{"Transition", func() error {
				_, err := s.Transition(ctx, "nope", StatePending, StateApplying, "U1", EventApproved, "", base)
				return err
			}},
			{"AddEvent", func() error {
				return s.AddEvent(ctx, Event{RequestID: "nope", At: base, Actor: "U1", Kind: EventRefused})
			}},
			{"SetMessageRef", func() error { return s.SetMessageRef(ctx, "nope", "ts") }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, ErrNotFound) {
					t.Errorf("error = %v, want ErrNotFound", err)
				}
			})
		}
		if ev := mustEvents(t, s, "nope"); len(ev) != 0 {
			t.Errorf("Events of an unknown request = %v, want none", ev)
		}
	})
}

func TestTransition(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		at := base.Add(10 * time.Minute)
		tests := []struct {
			name          string
			start         State
			from, to      State
			actor, kind   string
			wantOK        bool
			wantErr       bool
			wantState     State
			wantDecidedBy string
		}{
			{"approve", StatePending, StatePending, StateApplying, "U_APP", EventApproved, true, false, StateApplying, "U_APP"},
			{"reject", StatePending, StatePending, StateRejected, "U_APP", EventRejected, true, false, StateRejected, "U_APP"},
			{"supersede keeps no decider", StatePending, StatePending, StateSuperseded, ActorSystem, EventSuperseded, true, false, StateSuperseded, ""},
			{"applied", StateApplying, StateApplying, StateApplied, ActorSystem, EventApplied, true, false, StateApplied, ""},
			{"interrupted", StateApplying, StateApplying, StateInterrupted, ActorSystem, EventInterrupted, true, false, StateInterrupted, ""},
			{"wrong from: already applying", StateApplying, StatePending, StateApplying, "U_APP", EventApproved, false, false, StateApplying, ""},
			{"wrong from: expired", StateExpired, StatePending, StateRejected, "U_APP", EventRejected, false, false, StateExpired, ""},
			{"invalid to", StatePending, StatePending, "approved", "U_APP", EventApproved, false, true, StatePending, ""},
			{"invalid from", StatePending, "", StateApplying, "U_APP", EventApproved, false, true, StatePending, ""},
			{"empty kind", StatePending, StatePending, StateApplying, "U_APP", "", false, true, StatePending, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := d.newStore(t)
				r := newRequest("r1", "111111111111", base)
				r.State = tt.start
				mustCreate(t, s, r)

				ok, err := s.Transition(context.Background(), "r1", tt.from, tt.to, tt.actor, tt.kind, "detail", at)
				if (err != nil) != tt.wantErr || ok != tt.wantOK {
					t.Fatalf("Transition = %v, %v; want ok %v, error %v", ok, err, tt.wantOK, tt.wantErr)
				}
				got := mustGet(t, s, "r1")
				if got.State != tt.wantState || got.DecidedBy != tt.wantDecidedBy {
					t.Errorf("after: state %q decided by %q; want %q, %q", got.State, got.DecidedBy, tt.wantState, tt.wantDecidedBy)
				}
				wantUpdated := ms(base)
				var wantEvents []Event
				if tt.wantOK {
					wantUpdated = ms(at)
					wantEvents = []Event{{RequestID: "r1", At: ms(at), Actor: tt.actor, Kind: tt.kind, Detail: "detail"}}
				}
				if !got.UpdatedAt.Equal(wantUpdated) {
					t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, wantUpdated)
				}
				if ev := mustEvents(t, s, "r1"); !equalEvents(ev, wantEvents) {
					t.Errorf("events = %+v, want %+v", ev, wantEvents)
				}
			})
		}
	})
}

func equalEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].RequestID != b[i].RequestID || !a[i].At.Equal(b[i].At) || a[i].Actor != b[i].Actor ||
			a[i].Kind != b[i].Kind || a[i].Detail != b[i].Detail {
			return false
		}
	}
	return true
}

// TestTransitionExactlyOnce races 50 approvals of one request, on one handle and on two handles
// of the same file (two replicas): exactly one wins.
func TestTransitionExactlyOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		const clicks = 50
		tests := []struct {
			name    string
			handles int
		}{
			{"one handle", 1},
			{"two handles on one file", 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				path := d.newDB(t)
				var handles []Store
				for range tt.handles {
					handles = append(handles, d.open(t, path))
				}
				mustCreate(t, handles[0], newRequest("r1", "111111111111", base))

				var (
					wins  atomic.Int32
					wg    sync.WaitGroup
					start = make(chan struct{})
					errs  = make(chan error, clicks)
				)
				for i := range clicks {
					wg.Go(func() {
						<-start
						ok, err := handles[i%len(handles)].Transition(context.Background(), "r1",
							StatePending, StateApplying, fmt.Sprintf("U%02d", i), EventApproved, "", base.Add(time.Minute))
						if err != nil {
							errs <- err
						}
						if ok {
							wins.Add(1)
						}
					})
				}
				close(start)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Errorf("Transition: %v", err)
				}
				if n := wins.Load(); n != 1 {
					t.Errorf("%d transitions won, want exactly 1", n)
				}
				got := mustGet(t, handles[len(handles)-1], "r1")
				ev := mustEvents(t, handles[len(handles)-1], "r1")
				if got.State != StateApplying || len(ev) != 1 || ev[0].Actor != got.DecidedBy {
					t.Errorf("after the race: state %q decided by %q, events %+v; want applying, one approval by the decider",
						got.State, got.DecidedBy, ev)
				}
			})
		}
	})
}

func TestExpireBefore(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		sweep := base.Add(time.Hour)
		reqs := []struct {
			id      string
			state   State
			expires time.Time
			want    State
		}{
			{"pending-past", StatePending, sweep.Add(-time.Minute), StateExpired},
			{"pending-at-boundary", StatePending, sweep, StateExpired},
			{"pending-future", StatePending, sweep.Add(time.Millisecond), StatePending},
			{"applying-past", StateApplying, sweep.Add(-time.Minute), StateApplying},
			{"rejected-past", StateRejected, sweep.Add(-time.Minute), StateRejected},
		}
		for _, r := range reqs {
			req := newRequest(r.id, "111111111111", base)
			req.State, req.ExpiresAt = r.state, r.expires
			mustCreate(t, s, req)
		}

		n, err := s.ExpireBefore(ctx, sweep)
		if err != nil || n != 2 {
			t.Fatalf("ExpireBefore = %d, %v; want 2, nil", n, err)
		}
		for _, r := range reqs {
			t.Run(r.id, func(t *testing.T) {
				got := mustGet(t, s, r.id)
				if got.State != r.want {
					t.Errorf("state = %q, want %q", got.State, r.want)
				}
				ev := mustEvents(t, s, r.id)
				if r.want == StateExpired {
					want := []Event{{RequestID: r.id, At: ms(sweep), Actor: ActorSystem, Kind: EventExpired, Detail: "no decision before expiry"}}
					if !equalEvents(ev, want) || !got.UpdatedAt.Equal(ms(sweep)) {
						t.Errorf("events %+v, UpdatedAt %v; want %+v, %v", ev, got.UpdatedAt, want, ms(sweep))
					}
				} else if len(ev) != 0 {
					t.Errorf("events = %+v, want none", ev)
				}
			})
		}
		if n, err := s.ExpireBefore(ctx, sweep); err != nil || n != 0 {
			t.Errorf("second ExpireBefore = %d, %v; want 0, nil", n, err)
		}
		if _, err := s.ExpireBefore(ctx, time.Time{}); err == nil {
			t.Error("ExpireBefore(zero time) = nil error, want one")
		}
	})
}

func TestHistory(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		const a, b = "111111111111", "222222222222"
		// Created in this order; t3 and t3b share a time (insertion order breaks the tie).
		for _, r := range []struct {
			id, account string
			at          time.Duration
		}{
			{"a1", a, 1 * time.Minute},
			{"b1", b, 2 * time.Minute},
			{"a3", a, 3 * time.Minute},
			{"a3b", a, 3 * time.Minute},
			{"b4", b, 4 * time.Minute},
			{"a0", a, 0}, // created last but oldest
		} {
			mustCreate(t, s, newRequest(r.id, r.account, base.Add(r.at)))
		}
		tests := []struct {
			name    string
			account string
			limit   int
			want    []string
		}{
			{"one account", a, 10, []string{"a3b", "a3", "a1", "a0"}},
			{"one account, limited", a, 2, []string{"a3b", "a3"}},
			{"other account", b, 10, []string{"b4", "b1"}},
			{"all accounts", "", 10, []string{"b4", "a3b", "a3", "b1", "a1", "a0"}},
			{"all accounts, limited", "", 3, []string{"b4", "a3b", "a3"}},
			{"unknown account", "333333333333", 10, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.History(context.Background(), tt.account, tt.limit)
				if err != nil {
					t.Fatalf("History: %v", err)
				}
				var ids []string
				for _, r := range got {
					ids = append(ids, r.ID)
				}
				if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
					t.Errorf("History(%q, %d) = %v, want %v", tt.account, tt.limit, ids, tt.want)
				}
			})
		}
		if _, err := s.History(context.Background(), a, 0); err == nil {
			t.Error("History with limit 0: want an error")
		}
	})
}

func TestEventsOrder(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		mustCreate(t, s, newRequest("r1", "111111111111", base))
		mustCreate(t, s, newRequest("r2", "111111111111", base))
		add := []Event{
			{RequestID: "r1", At: base.Add(3 * time.Second), Actor: ActorSystem, Kind: EventStep, Detail: "create alarm: ok"},
			{RequestID: "r1", At: base, Actor: "U_REQ", Kind: EventRequested},
			{RequestID: "r2", At: base.Add(time.Second), Actor: "U_X", Kind: EventRefused, Detail: "not an approver"},
			{RequestID: "r1", At: base.Add(2 * time.Second), Actor: ActorSystem, Kind: EventStep, Detail: "create filter: ok"},
			{RequestID: "r1", At: base.Add(3 * time.Second), Actor: ActorSystem, Kind: EventApplied}, // same time as the first: after it
		}
		for _, e := range add {
			if err := s.AddEvent(ctx, e); err != nil {
				t.Fatalf("AddEvent(%+v): %v", e, err)
			}
		}
		want := []Event{
			{RequestID: "r1", At: ms(base), Actor: "U_REQ", Kind: EventRequested},
			{RequestID: "r1", At: ms(base.Add(2 * time.Second)), Actor: ActorSystem, Kind: EventStep, Detail: "create filter: ok"},
			{RequestID: "r1", At: ms(base.Add(3 * time.Second)), Actor: ActorSystem, Kind: EventStep, Detail: "create alarm: ok"},
			{RequestID: "r1", At: ms(base.Add(3 * time.Second)), Actor: ActorSystem, Kind: EventApplied},
		}
		if got := mustEvents(t, s, "r1"); !equalEvents(got, want) {
			t.Errorf("Events:\n got %+v\nwant %+v", got, want)
		}

		for _, e := range []Event{
			{RequestID: "", At: base, Kind: EventStep},
			{RequestID: "r1", At: base, Kind: ""},
			{RequestID: "r1", Kind: EventStep},
		} {
			if err := s.AddEvent(ctx, e); err == nil {
				t.Errorf("AddEvent(%+v) = nil, want an error", e)
			}
		}
	})
}

func TestSetMessageRef(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		mustCreate(t, s, newRequest("r1", "111111111111", base))
		if err := s.SetMessageRef(context.Background(), "r1", "C0123/1700000000.000100"); err != nil {
			t.Fatalf("SetMessageRef: %v", err)
		}
		got := mustGet(t, s, "r1")
		if got.MessageRef != "C0123/1700000000.000100" || !got.UpdatedAt.Equal(ms(base)) {
			t.Errorf("after SetMessageRef: ref %q, UpdatedAt %v; want the ref, UpdatedAt unchanged", got.MessageRef, got.UpdatedAt)
		}
	})
}

func TestPingClose(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s, err := Open(context.Background(), d.name, d.newDB(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(context.Background()); err != nil {
			t.Fatalf("Ping on an open store: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Ping(context.Background()); err == nil {
			t.Error("Ping after Close = nil, want an error")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s2 := d.newStore(t)
		if err := s2.Ping(ctx); err == nil {
			t.Error("Ping with a cancelled context = nil, want an error")
		}
	})
}
