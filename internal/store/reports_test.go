package store

import (
	"context"
	"errors"
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
