package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReports: a report stored by one handle is read by another (another replica) until it
// expires; a missing or expired one is ErrNotFound; storing again replaces it; Expire removes
// what expired and nothing else.
func TestReports(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		db := d.newDB(t)
		a, b := d.open(t, db), d.open(t, db)
		ctx := context.Background()
		expires := base.Add(24 * time.Hour)
		for _, r := range []struct {
			id, body string
			expires  time.Time
		}{{"r1", `{"v":1}`, expires}, {"r2", `{"v":2}`, base.Add(time.Hour)}, {"r1", `{"v":3}`, expires}} {
			if err := a.PutReport(ctx, r.id, []byte(r.body), r.expires); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			id   string
			now  time.Time
			want string // "" for ErrNotFound
		}{
			{"r1", base, `{"v":3}`},
			{"r2", base, `{"v":2}`},
			{"r2", base.Add(time.Hour), ""}, // expired at its expiry
			{"r1", expires.Add(-time.Millisecond), `{"v":3}`},
			{"missing", base, ""},
		} {
			got, err := b.GetReport(ctx, tc.id, tc.now)
			switch {
			case tc.want == "" && !errors.Is(err, ErrNotFound):
				t.Errorf("GetReport(%s, %v) = %s, %v; want ErrNotFound", tc.id, tc.now, got, err)
			case tc.want != "" && (err != nil || string(got) != tc.want):
				t.Errorf("GetReport(%s, %v) = %s, %v; want %s", tc.id, tc.now, got, err, tc.want)
			}
		}
		for _, bad := range []struct {
			id   string
			body []byte
			exp  time.Time
		}{{"", []byte("{}"), expires}, {"x", nil, expires}, {"x", []byte("{}"), time.Time{}}} {
			if err := a.PutReport(ctx, bad.id, bad.body, bad.exp); err == nil {
				t.Errorf("PutReport(%q, %q, %v) = nil, want an error", bad.id, bad.body, bad.exp)
			}
		}

		if e, err := a.Expire(ctx, base.Add(2*time.Hour)); err != nil || e != (Expired{Reports: 1}) {
			t.Errorf("Expire = %+v, %v; want r2 removed", e, err)
		}
		var n int
		queryRow(t, a, `SELECT count(*) FROM reports`, nil, &n)
		if n != 1 {
			t.Errorf("%d reports left after Expire, want r1 only", n)
		}
		if e, err := a.Expire(ctx, expires); err != nil || e.Reports != 1 {
			t.Errorf("Expire at r1's expiry = %+v, %v; want it removed", e, err)
		}
	})
}

// TestClaimDelivery: of many claims of one key from two handles (two replicas) at once exactly
// one is first; other keys are claimed on their own; Expire removes the keys DeliveryTTL old,
// after which a key is new again.
func TestClaimDelivery(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		db := d.newDB(t)
		handles := []Store{d.open(t, db), d.open(t, db)}
		ctx := context.Background()
		const racers = 20
		var wg sync.WaitGroup
		var firsts atomic.Int32
		for i := range racers {
			wg.Go(func() {
				first, err := handles[i%2].ClaimDelivery(ctx, "envelope:e1", base)
				if err != nil {
					t.Error(err)
				}
				if first {
					firsts.Add(1)
				}
			})
		}
		wg.Wait()
		if n := firsts.Load(); n != 1 {
			t.Errorf("%d of %d claims of one key were first, want 1", n, racers)
		}
		if first, err := handles[1].ClaimDelivery(ctx, "trigger:t1", base.Add(time.Hour)); err != nil || !first {
			t.Errorf("ClaimDelivery(another key) = %v, %v; want first", first, err)
		}
		if _, err := handles[0].ClaimDelivery(ctx, "", base); err == nil {
			t.Error("ClaimDelivery with an empty key: no error")
		}

		for _, tc := range []struct {
			now  time.Time
			want Expired
		}{
			{base.Add(DeliveryTTL - time.Millisecond), Expired{}},
			{base.Add(DeliveryTTL), Expired{Deliveries: 1}},
			{base.Add(DeliveryTTL + time.Hour), Expired{Deliveries: 1}},
		} {
			if e, err := handles[0].Expire(ctx, tc.now); err != nil || e != tc.want {
				t.Errorf("Expire(%v) = %+v, %v; want %+v", tc.now, e, err, tc.want)
			}
		}
		if first, err := handles[0].ClaimDelivery(ctx, "envelope:e1", base.Add(2*DeliveryTTL)); err != nil || !first {
			t.Errorf("ClaimDelivery after expiry = %v, %v; want first", first, err)
		}
	})
}
