package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func newItem(id string, created time.Time) OutboxItem {
	return OutboxItem{
		ID:        id,
		TopicARN:  "arn:aws:sns:eu-west-1:111111111111:alarms",
		Kind:      OutboxNotification,
		Body:      []byte(`{"MessageId":"` + id + `"}`),
		CreatedAt: created,
	}
}

func mustEnqueue(t testing.TB, s Store, it OutboxItem) {
	t.Helper()
	added, err := s.Enqueue(context.Background(), it)
	if err != nil || !added {
		t.Fatalf("Enqueue(%q) = %v, %v; want true, nil", it.ID, added, err)
	}
}

func mustClaim(t testing.TB, s Store, owner string, at time.Time, lease time.Duration, n int) []OutboxItem {
	t.Helper()
	items, err := s.Claim(context.Background(), owner, at, lease, n)
	if err != nil {
		t.Fatalf("Claim(%q, %v) = %v", owner, at, err)
	}
	return items
}

func ids(items []OutboxItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func mustPending(t testing.TB, s Store, want int) {
	t.Helper()
	n, err := s.Pending(context.Background())
	if err != nil || n != want {
		t.Fatalf("Pending() = %d, %v; want %d", n, err, want)
	}
}

func TestOutboxEnqueueDuplicate(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		it := newItem("m1", base)
		mustEnqueue(t, s, it)

		dup := it
		dup.Body = []byte("other")
		dup.TopicARN = "other"
		dup.CreatedAt = base.Add(time.Hour)
		added, err := s.Enqueue(ctx, dup)
		if err != nil || added {
			t.Fatalf("Enqueue(duplicate) = %v, %v; want false, nil", added, err)
		}
		mustPending(t, s, 1)

		got := mustClaim(t, s, "w1", base, time.Minute, 10)
		want := OutboxItem{ID: "m1", TopicARN: it.TopicARN, Kind: OutboxNotification, Body: it.Body,
			NextAt: ms(base), CreatedAt: ms(base)}
		if len(got) != 1 || !equalItem(got[0], want) {
			t.Fatalf("Claim = %+v, want [%+v]", got, want)
		}
	})
}

func equalItem(a, b OutboxItem) bool {
	return a.ID == b.ID && a.TopicARN == b.TopicARN && a.Kind == b.Kind && bytes.Equal(a.Body, b.Body) &&
		a.Attempts == b.Attempts && a.NextAt.Equal(b.NextAt) && a.CreatedAt.Equal(b.CreatedAt) &&
		a.LastError == b.LastError && a.Delivered == b.Delivered
}

func TestOutboxEnqueueErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		bad := map[string]OutboxItem{
			"empty ID":   {Kind: OutboxNotification, CreatedAt: base},
			"bad kind":   {ID: "x", Kind: "alarm", CreatedAt: base},
			"empty kind": {ID: "x", CreatedAt: base},
			"no created": {ID: "x", Kind: OutboxNotification},
		}
		for name, it := range bad {
			if added, err := s.Enqueue(ctx, it); err == nil || added {
				t.Errorf("%s: Enqueue = %v, %v; want an error", name, added, err)
			}
		}
		mustPending(t, s, 0)
		// Every kind is accepted; a nil body is stored as empty.
		for i, k := range OutboxKinds {
			mustEnqueue(t, s, OutboxItem{ID: fmt.Sprint("k", i), Kind: k, CreatedAt: base})
		}
		got := mustClaim(t, s, "w", base, time.Minute, 10)
		if len(got) != len(OutboxKinds) {
			t.Fatalf("claimed %d, want %d", len(got), len(OutboxKinds))
		}
		for _, it := range got {
			if it.Body == nil || len(it.Body) != 0 {
				t.Errorf("%s: body = %v, want empty", it.ID, it.Body)
			}
		}
	})
}

func TestOutboxClaimOrderAndDue(t *testing.T) {
	forEachDriver(t, func(t *testing.T, drv testDriver) {
		s := drv.newStore(t)
		// c is due first, then a and b share NextAt and go by CreatedAt; d is not due yet.
		a := newItem("a", base.Add(2*time.Second))
		a.NextAt = base.Add(10 * time.Second)
		b := newItem("b", base.Add(1*time.Second))
		b.NextAt = base.Add(10 * time.Second)
		c := newItem("c", base.Add(3*time.Second)) // NextAt = CreatedAt
		d := newItem("d", base)
		d.NextAt = base.Add(time.Hour)
		for _, it := range []OutboxItem{a, b, c, d} {
			mustEnqueue(t, s, it)
		}
		at := base.Add(time.Minute)
		const lease = 24 * time.Hour // outlives the test: nothing is claimed twice
		if got := ids(mustClaim(t, s, "w", at, lease, 2)); fmt.Sprint(got) != "[c b]" {
			t.Errorf("first claim = %v, want [c b]", got)
		}
		if got := ids(mustClaim(t, s, "w", at, lease, 10)); fmt.Sprint(got) != "[a]" {
			t.Errorf("second claim = %v, want [a]", got)
		}
		if got := mustClaim(t, s, "w", at, lease, 10); len(got) != 0 {
			t.Errorf("third claim = %v, want none", ids(got))
		}
		// d becomes due exactly at its NextAt.
		if got := ids(mustClaim(t, s, "w", d.NextAt, time.Minute, 10)); fmt.Sprint(got) != "[d]" {
			t.Errorf("claim at d.NextAt = %v, want [d]", got)
		}
		mustPending(t, s, 4) // claimed items are still pending
	})
}

func TestOutboxClaimErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		cases := []struct {
			owner string
			at    time.Time
			lease time.Duration
			n     int
		}{
			{"", base, time.Minute, 1},
			{"w", time.Time{}, time.Minute, 1},
			{"w", base, 0, 1},
			{"w", base, time.Minute, 0},
		}
		for _, c := range cases {
			if _, err := s.Claim(ctx, c.owner, c.at, c.lease, c.n); err == nil {
				t.Errorf("Claim(%q, %v, %v, %d) succeeded, want an error", c.owner, c.at, c.lease, c.n)
			}
		}
	})
}

func TestOutboxLeaseExpiry(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		mustEnqueue(t, s, newItem("m1", base))
		lease := 30 * time.Second
		if got := mustClaim(t, s, "dead", base, lease, 1); len(got) != 1 {
			t.Fatalf("claim = %v, want m1", ids(got))
		}
		// While the lease holds nobody else gets it.
		if got := mustClaim(t, s, "live", base.Add(lease-time.Millisecond), lease, 1); len(got) != 0 {
			t.Fatalf("claim under a live lease = %v, want none", ids(got))
		}
		// "dead" crashed; once its lease expires "live" takes the item over.
		after := base.Add(lease)
		if got := mustClaim(t, s, "live", after, lease, 1); fmt.Sprint(ids(got)) != "[m1]" {
			t.Fatalf("claim after expiry = %v, want [m1]", ids(got))
		}
		// The crashed owner can no longer finish or release it.
		if ok, err := s.Delivered(ctx, "m1", "dead", after); err != nil || ok {
			t.Errorf("Delivered by the old owner = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.Retry(ctx, "m1", "dead", after, "x"); err != nil || ok {
			t.Errorf("Retry by the old owner = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.Delivered(ctx, "m1", "live", after); err != nil || !ok {
			t.Errorf("Delivered by the new owner = %v, %v; want true, nil", ok, err)
		}
		mustPending(t, s, 0)
	})
}

func TestOutboxDelivered(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		mustEnqueue(t, s, newItem("m1", base))
		mustEnqueue(t, s, newItem("m2", base))
		mustPending(t, s, 2)

		// Not claimed yet: nobody may mark it.
		if ok, err := s.Delivered(ctx, "m1", "w1", base); err != nil || ok {
			t.Errorf("Delivered before a claim = %v, %v; want false, nil", ok, err)
		}
		mustClaim(t, s, "w1", base, time.Minute, 1)
		if ok, err := s.Delivered(ctx, "m1", "w2", base); err != nil || ok {
			t.Errorf("Delivered by the wrong owner = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.Delivered(ctx, "m1", "w1", base); err != nil || !ok {
			t.Errorf("Delivered = %v, %v; want true, nil", ok, err)
		}
		if ok, err := s.Delivered(ctx, "m1", "w1", base); err != nil || ok {
			t.Errorf("Delivered twice = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.Retry(ctx, "m1", "w1", base, "late"); err != nil || ok {
			t.Errorf("Retry after delivery = %v, %v; want false, nil", ok, err)
		}
		mustPending(t, s, 1)

		// A delivered item is never claimed again, even long after its lease.
		later := base.Add(24 * time.Hour)
		if got := ids(mustClaim(t, s, "w3", later, time.Minute, 10)); fmt.Sprint(got) != "[m2]" {
			t.Errorf("claim after delivery = %v, want [m2]", got)
		}
		// And a duplicate of it is still refused.
		if added, err := s.Enqueue(ctx, newItem("m1", later)); err != nil || added {
			t.Errorf("Enqueue(delivered duplicate) = %v, %v; want false, nil", added, err)
		}

		for _, f := range []func() (bool, error){
			func() (bool, error) { return s.Delivered(ctx, "nope", "w1", base) },
			func() (bool, error) { return s.Retry(ctx, "nope", "w1", base, "x") },
		} {
			if ok, err := f(); ok || !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown id = %v, %v; want false, ErrNotFound", ok, err)
			}
		}
		if _, err := s.Delivered(ctx, "m2", "w3", time.Time{}); err == nil {
			t.Error("Delivered with a zero time succeeded")
		}
		if _, err := s.Delivered(ctx, "m2", "", base); err == nil {
			t.Error("Delivered with an empty owner succeeded")
		}
	})
}

func TestOutboxRetry(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		mustEnqueue(t, s, newItem("m1", base))
		mustClaim(t, s, "w1", base, time.Minute, 1)
		if ok, err := s.Retry(ctx, "m1", "w2", base.Add(time.Second), "x"); err != nil || ok {
			t.Errorf("Retry by the wrong owner = %v, %v; want false, nil", ok, err)
		}
		next := base.Add(5 * time.Second)
		if ok, err := s.Retry(ctx, "m1", "w1", next, "slack: 429"); err != nil || !ok {
			t.Fatalf("Retry = %v, %v; want true, nil", ok, err)
		}
		// Released, but not due before next.
		if got := mustClaim(t, s, "w2", next.Add(-time.Millisecond), time.Minute, 1); len(got) != 0 {
			t.Errorf("claim before next = %v, want none", ids(got))
		}
		got := mustClaim(t, s, "w2", next, time.Minute, 1)
		if len(got) != 1 || got[0].Attempts != 1 || !got[0].NextAt.Equal(ms(next)) || got[0].LastError != "slack: 429" {
			t.Fatalf("claim at next = %+v; want m1 with 1 attempt, NextAt %v, the reason", got, ms(next))
		}
		next2 := next.Add(10 * time.Second)
		if ok, err := s.Retry(ctx, "m1", "w2", next2, "slack: 500"); err != nil || !ok {
			t.Fatalf("second Retry = %v, %v; want true, nil", ok, err)
		}
		got = mustClaim(t, s, "w1", next2, time.Minute, 1)
		if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "slack: 500" {
			t.Fatalf("claim after second retry = %+v; want 2 attempts", got)
		}
		mustPending(t, s, 1)
	})
}

func TestOutboxRestartKeepsItems(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		path := d.newDB(t)
		s, err := Open(ctx, d.name, path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			mustEnqueue(t, s, newItem(fmt.Sprint("m", i), base.Add(time.Duration(i)*time.Second)))
		}
		mustClaim(t, s, "before", base.Add(time.Minute), time.Minute, 3)
		if ok, err := s.Delivered(ctx, "m0", "before", base.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("Delivered = %v, %v", ok, err)
		}
		// m1 and m2 are claimed by a process that now stops without finishing them.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s2 := d.open(t, path)
		mustPending(t, s2, 2)
		if added, err := s2.Enqueue(ctx, newItem("m0", base)); err != nil || added {
			t.Errorf("Enqueue(m0) after restart = %v, %v; want a duplicate", added, err)
		}
		if got := mustClaim(t, s2, "after", base.Add(time.Minute+time.Second), time.Minute, 10); len(got) != 0 {
			t.Errorf("claim under the old leases = %v, want none", ids(got))
		}
		got := mustClaim(t, s2, "after", base.Add(2*time.Minute), time.Minute, 10)
		if fmt.Sprint(ids(got)) != "[m1 m2]" {
			t.Errorf("claim after the old leases = %v, want [m1 m2]", ids(got))
		}
	})
}

// TestOutboxClaimRace has workers on two handles on one file, and several goroutines on each,
// claim the same due items at once: every item is claimed exactly once.
func TestOutboxClaimRace(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		path := d.newDB(t)
		s1 := d.open(t, path)
		s2 := d.open(t, path)
		const items = 200
		for i := range items {
			mustEnqueue(t, s1, newItem(fmt.Sprintf("m%03d", i), base))
		}

		const perHandle = 4
		var (
			mu    sync.Mutex
			got   = map[string]string{} // id -> owner
			dupes []string
			wg    sync.WaitGroup
		)
		for h, s := range []Store{s1, s2} {
			for g := range perHandle {
				owner := fmt.Sprintf("h%d-g%d", h, g)
				wg.Go(func() {
					for {
						claimed, err := s.Claim(ctx, owner, base, time.Hour, 3)
						if err != nil {
							t.Errorf("%s: Claim: %v", owner, err)
							return
						}
						if len(claimed) == 0 {
							return
						}
						mu.Lock()
						for _, it := range claimed {
							if prev, ok := got[it.ID]; ok {
								dupes = append(dupes, fmt.Sprintf("%s by %s and %s", it.ID, prev, owner))
							}
							got[it.ID] = owner
						}
						mu.Unlock()
						time.Sleep(10 * time.Millisecond) // "deliver": lets the other handle at the lock
					}
				})
			}
		}
		wg.Wait()
		if len(dupes) > 0 {
			t.Errorf("claimed twice: %v", dupes)
		}
		if len(got) != items {
			t.Errorf("claimed %d distinct items, want %d", len(got), items)
		}
		owners := map[string]bool{}
		for _, o := range got {
			owners[o[:2]] = true
		}
		t.Logf("handles that claimed: %v", owners)

		// Every owner can finish exactly its own items, through either handle.
		for id, owner := range got {
			other := s1
			if owner[:2] == "h0" {
				other = s2
			}
			if ok, err := other.Delivered(ctx, id, "someone-else", base); err != nil || ok {
				t.Fatalf("Delivered(%s) by a stranger = %v, %v", id, ok, err)
			}
			if ok, err := other.Delivered(ctx, id, owner, base); err != nil || !ok {
				t.Fatalf("Delivered(%s) by %s = %v, %v", id, owner, ok, err)
			}
		}
		mustPending(t, s1, 0)
		mustPending(t, s2, 0)
	})
}

// TestOutboxPosting: the "being sent" mark survives a release for retry and a lost claim, so
// whoever claims the item next knows a post may have gone out; clearing it needs the claim.
func TestOutboxPosting(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		mustEnqueue(t, s, newItem("m1", base))
		if ok, err := s.Posting(ctx, "m1", "w1", base); err != nil || ok {
			t.Errorf("Posting before a claim = %v, %v; want false, nil", ok, err)
		}
		got := mustClaim(t, s, "w1", base, time.Minute, 1)
		if len(got) != 1 || !got[0].PostingAt.IsZero() {
			t.Fatalf("first claim = %+v; want m1 never sent", got)
		}
		sent := base.Add(time.Second)
		if ok, err := s.Posting(ctx, "m1", "w2", sent); err != nil || ok {
			t.Errorf("Posting by the wrong owner = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.Posting(ctx, "m1", "w1", sent); err != nil || !ok {
			t.Fatalf("Posting = %v, %v; want true, nil", ok, err)
		}
		// w1 dies holding the claim; w2 takes the item after the lease and sees the mark.
		got = mustClaim(t, s, "w2", base.Add(time.Minute), time.Minute, 1)
		if len(got) != 1 || !got[0].PostingAt.Equal(ms(sent)) {
			t.Fatalf("claim after the lease = %+v; want PostingAt %v", got, ms(sent))
		}
		// A retry keeps it: the outcome of that send is still unknown.
		next := base.Add(2 * time.Minute)
		if ok, err := s.Retry(ctx, "m1", "w2", next, "timeout"); err != nil || !ok {
			t.Fatalf("Retry = %v, %v", ok, err)
		}
		got = mustClaim(t, s, "w3", next, time.Minute, 1)
		if len(got) != 1 || !got[0].PostingAt.Equal(ms(sent)) {
			t.Fatalf("claim after a retry = %+v; want PostingAt %v", got, ms(sent))
		}
		// A send known to have failed clears it.
		if ok, err := s.Posting(ctx, "m1", "w3", time.Time{}); err != nil || !ok {
			t.Fatalf("Posting(zero) = %v, %v", ok, err)
		}
		if ok, err := s.Retry(ctx, "m1", "w3", next, "slack: 429"); err != nil || !ok {
			t.Fatalf("Retry = %v, %v", ok, err)
		}
		if got = mustClaim(t, s, "w1", next, time.Minute, 1); len(got) != 1 || !got[0].PostingAt.IsZero() {
			t.Fatalf("claim after clearing = %+v; want PostingAt zero", got)
		}
		if ok, err := s.Posting(ctx, "nope", "w1", sent); ok || !errors.Is(err, ErrNotFound) {
			t.Errorf("Posting(unknown) = %v, %v; want false, ErrNotFound", ok, err)
		}
	})
}

// TestOutboxReleaseClaims: a restarted relay takes back what it held before the crash at once,
// and only that: other owners' live claims and delivered items stay as they are.
func TestOutboxReleaseClaims(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		for i := range 4 {
			mustEnqueue(t, s, newItem(fmt.Sprint("m", i), base.Add(time.Duration(i)*time.Millisecond)))
		}
		lease, at := time.Hour, base.Add(time.Second)
		mustClaim(t, s, "host-a", at, lease, 2) // m0 m1
		mustClaim(t, s, "host-b", at, lease, 1) // m2
		mustClaim(t, s, "host-a", at, lease, 1) // m3
		if ok, err := s.Delivered(ctx, "m3", "host-a", at); err != nil || !ok {
			t.Fatalf("Delivered = %v, %v", ok, err)
		}
		cases := []struct {
			owner string
			want  int
		}{
			{"host-a", 2},
			{"host-a", 0}, // nothing left to release
			{"host-c", 0},
		}
		for _, c := range cases {
			if n, err := s.ReleaseClaims(ctx, c.owner); err != nil || n != c.want {
				t.Errorf("ReleaseClaims(%q) = %d, %v; want %d", c.owner, n, err, c.want)
			}
		}
		// Well inside the old lease, host-a's items are due again; host-b's is not.
		if got := ids(mustClaim(t, s, "host-a", at.Add(time.Second), lease, 10)); fmt.Sprint(got) != "[m0 m1]" {
			t.Errorf("claim after release = %v, want [m0 m1]", got)
		}
		if _, err := s.ReleaseClaims(ctx, ""); err == nil {
			t.Error("ReleaseClaims(\"\") succeeded")
		}
	})
}
