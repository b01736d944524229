package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkLatestAudits reads the latest result of every account, as each summary and /cis
// status do, from a history of a year of daily summaries over 1000 accounts (365,000 rows). A
// daily summary records 1000 results in one transaction: BenchmarkRecordAudits.
func BenchmarkLatestAudits(b *testing.B) {
	forEachDriver(b, benchmarkLatestAudits)
}

func benchmarkLatestAudits(b *testing.B, d testDriver) {
	const accounts, days = 1000, 365
	s := d.newStore(b)
	ctx := context.Background()
	for d := range days {
		recs := make([]AuditRecord, accounts)
		for a := range recs {
			recs[a] = AuditRecord{Account: fmt.Sprintf("acct-%04d", a), AccountID: fmt.Sprintf("%012d", a), At: base.Add(time.Duration(d) * 24 * time.Hour),
				Status: AuditFail, FailedStep: "alarm", Reason: "alarm: no alarm would fire on one event", Verdict: AuditFail, Since: base}
		}
		if err := s.RecordAudits(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		got, err := s.LatestAudits(ctx, nil)
		if err != nil || len(got) != accounts {
			b.Fatalf("%d records, %v", len(got), err)
		}
	}
}

func BenchmarkRecordAudits(b *testing.B) {
	forEachDriver(b, benchmarkRecordAudits)
}

func benchmarkRecordAudits(b *testing.B, d testDriver) {
	s := d.newStore(b)
	ctx := context.Background()
	recs := make([]AuditRecord, 1000)
	i := 0
	for b.Loop() {
		for a := range recs {
			recs[a] = AuditRecord{Account: fmt.Sprintf("acct-%04d", a), At: base.Add(time.Duration(i) * time.Hour), Status: AuditPass, Verdict: AuditPass, Since: base}
		}
		i++
		if err := s.RecordAudits(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrune prunes a year of daily summaries over 1000 accounts down to 90 days, as the
// first prune of a store that never had retention does (each iteration starts from the full
// year). SQLite only: the year is written again for each iteration.
func BenchmarkPrune(b *testing.B) {
	const accounts, days = 1000, 365
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := newTestStore(b)
		for d := range days {
			recs := make([]AuditRecord, accounts)
			for a := range recs {
				recs[a] = AuditRecord{Account: fmt.Sprintf("acct-%04d", a), At: base.Add(time.Duration(d) * 24 * time.Hour), Status: AuditPass, Verdict: AuditPass, Since: base}
			}
			if err := s.RecordAudits(ctx, recs); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		p, err := s.Prune(ctx, base.Add((days-90)*24*time.Hour))
		if err != nil || p.AuditHistory != accounts*(days-90) {
			b.Fatalf("pruned %+v, %v", p, err)
		}
	}
}
