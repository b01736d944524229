package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestOutboxRenew: a worker that renews its claim keeps the item past the first lease, so
// another worker cannot take it while it is delivered; only the owner of a live claim renews.
func TestOutboxRenew(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		mustEnqueue(t, s, newItem("m1", base))
		mustEnqueue(t, s, newItem("m2", base))
		lease := 30 * time.Second
		if got := mustClaim(t, s, "a", base, lease, 1); fmt.Sprint(ids(got)) != "[m1]" {
			t.Fatalf("claim = %v, want [m1]", ids(got))
		}
		// a renews every lease/3 for a long delivery: three leases later b still cannot take m1.
		at := base
		for range 9 {
			at = at.Add(lease / 3)
			if ok, err := s.Renew(ctx, "m1", "a", at, lease); err != nil || !ok {
				t.Fatalf("Renew at %v = %v, %v; want true, nil", at.Sub(base), ok, err)
			}
		}
		if got := mustClaim(t, s, "b", at.Add(lease-time.Millisecond), lease, 10); fmt.Sprint(ids(got)) != "[m2]" {
			t.Errorf("claim by b under a renewed lease = %v, want only [m2]", ids(got))
		}
		cases := []struct {
			name  string
			id    string
			owner string
			at    time.Time
			ok    bool
			err   error
		}{
			{"another owner", "m1", "b", at, false, nil},
			{"the owner of the other item", "m2", "a", at, false, nil},
			{"an expired claim", "m1", "a", at.Add(lease), false, nil},
			{"an unknown item", "nope", "a", at, false, ErrNotFound},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ok, err := s.Renew(ctx, c.id, c.owner, c.at, lease)
				if ok != c.ok || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
					t.Errorf("Renew(%s, %s) = %v, %v; want %v, %v", c.id, c.owner, ok, err, c.ok, c.err)
				}
			})
		}
		// Delivered, the item has no claim left to renew.
		if ok, err := s.Delivered(ctx, "m1", "a", at); err != nil || !ok {
			t.Fatalf("Delivered = %v, %v", ok, err)
		}
		if ok, err := s.Renew(ctx, "m1", "a", at, lease); err != nil || ok {
			t.Errorf("Renew after delivery = %v, %v; want false, nil", ok, err)
		}
		for _, bad := range []struct {
			at    time.Time
			lease time.Duration
		}{{time.Time{}, lease}, {at, 0}} {
			if _, err := s.Renew(ctx, "m2", "b", bad.at, bad.lease); err == nil {
				t.Errorf("Renew(at %v, lease %v) succeeded", bad.at, bad.lease)
			}
		}
	})
}
