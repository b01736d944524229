package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTransition measures conditional state changes (each an IMMEDIATE transaction with an
// UPDATE and an event INSERT, committed to the WAL) on a real file. Serial flips one request
// between pending and applying; parallel does the same on one request per goroutine, all
// contending for the single writer.
func BenchmarkTransition(b *testing.B) {
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
		s := newTestStore(b)
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
		s := newTestStore(b)
		var next, total atomic.Int64
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
