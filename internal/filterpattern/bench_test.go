package filterpattern

import "testing"

// BenchmarkMatchCloudTrail matches the CIS v1.4+ pattern against the 12 CloudTrail sample
// records; one operation is the whole sample.
func BenchmarkMatchCloudTrail(b *testing.B) {
	lines := loadCloudTrailSample(b).lines
	p := MustParse(cisV14)
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			if p.MatchBytes(l) {
				matched++
			}
		}
	}
	if elapsed := b.Elapsed().Seconds(); elapsed > 0 {
		b.ReportMetric(float64(b.N*len(lines))/elapsed, "events/s")
	}
	if want := 6 * b.N; matched != want {
		b.Fatalf("matched %d events, want %d (6 per pass)", matched, want)
	}
}

// BenchmarkParse parses the CIS v1.4+ pattern.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(cisV14); err != nil {
			b.Fatal(err)
		}
	}
}
