package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTransition measures conditional state changes (each a transaction with an UPDATE and
// an event INSERT; on SQLite an IMMEDIATE one committed to the WAL of a real file). Serial flips
// one request between pending and applying; parallel does the same on one request per
// goroutine, on SQLite all contending for the single writer.
func BenchmarkTransition(b *testing.B) {
	forEachDriver(b, benchmarkTransition)
}

func benchmarkTransition(b *testing.B, d testDriver) {
	ctx := context.Background()
	flip := func(s Store, id string, i int) error {
		from, to := StatePending, StateApplying
		if i%2 == 1 {
			from, to = to, from
		}
		ok, err := s.Transition(ctx, id, from, to, "U_APP", EventApproved, "", base.Add(time.Duration(i)*time.Millisecond))
		if err != nil || !ok {
			return fmt.Errorf("transition %s %d = %v, %v", id, i, ok, err)
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) {
		s := d.newStore(b)
		mustCreate(b, s, newRequest("r1", "111111111111", base))
		i := 0
		for b.Loop() {
			if err := flip(s, "r1", i); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("parallel", func(b *testing.B) {
		s := d.newStore(b)
		var next, total atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			// No b.Fatal here: these goroutines are not the benchmark's own.
			id := fmt.Sprintf("r%d", next.Add(1))
			if err := s.CreateRequest(ctx, newRequest(id, "111111111111", base)); err != nil {
				b.Error(err)
				return
			}
			i := 0
			for pb.Next() {
				if err := flip(s, id, i); err != nil {
					b.Error(err)
					return
				}
				i++
			}
			total.Add(int64(i))
		})
		b.ReportMetric(float64(total.Load())/b.Elapsed().Seconds(), "ops/s")
	})
}

// BenchmarkOutboxClaim measures the relay's claim cycle, claiming one due item and releasing it
// (Retry, due again at once), from a queue of 1000: serially, and from goroutines on two handles
// at once (two replicas; on PostgreSQL two pools, whose claims skip each other's locked rows).
func BenchmarkOutboxClaim(b *testing.B) {
	forEachDriver(b, func(b *testing.B, d testDriver) {
		for _, handles := range []int{1, 2} {
			name := "serial"
			if handles == 2 {
				name = "parallel two handles"
			}
			b.Run(name, func(b *testing.B) { benchmarkOutboxClaim(b, d, handles) })
		}
	})
}

func benchmarkOutboxClaim(b *testing.B, d testDriver, handles int) {
	ctx := context.Background()
	db := d.newDB(b)
	var stores []Store
	for range handles {
		stores = append(stores, d.open(b, db))
	}
	for i := range 1000 {
		mustEnqueue(b, stores[0], newItem(fmt.Sprintf("m%04d", i), base))
	}
	at := base.Add(time.Hour)
	cycle := func(s Store, owner string) (int, error) {
		got, err := s.Claim(ctx, owner, at, time.Minute, 1)
		for _, it := range got {
			if ok, err := s.Retry(ctx, it.ID, owner, base, "again"); err != nil || !ok {
				return 0, fmt.Errorf("retry %s = %v, %v", it.ID, ok, err)
			}
		}
		return len(got), err
	}
	var claims, next atomic.Int64
	if handles == 1 {
		for b.Loop() {
			n, err := cycle(stores[0], "w")
			if err != nil || n != 1 {
				b.Fatalf("claimed %d, %v", n, err)
			}
			claims.Add(1)
		}
	} else {
		b.ResetTimer() // not the setup above
		b.RunParallel(func(pb *testing.PB) {
			g := next.Add(1)
			s, owner := stores[g%int64(len(stores))], fmt.Sprint("w", g)
			for pb.Next() {
				n, err := cycle(s, owner)
				if err != nil {
					b.Error(err)
					return
				}
				claims.Add(int64(n))
			}
		})
	}
	b.ReportMetric(float64(claims.Load())/b.Elapsed().Seconds(), "claims/s")
}
