package slackbot

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkAckLatency measures, over loopback, the time from a slash command envelope handed to
// the fake Slack's WebSocket to its acknowledgement read back, while every audit it starts is
// still running (the fake auditor blocks until the end): the acknowledgement must not wait for
// the work. It reports p50 and p99 in milliseconds; Slack allows 3 s, the target is p99 < 50 ms.
func BenchmarkAckLatency(b *testing.B) {
	r := start(b, setup{})
	defer close(r.auditor.release) // let the audits finish so that Run can drain them
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("bench-%d", i)
		t0 := time.Now()
		r.conn.send <- slashEnvelope(id, "/cis", "audit prod", "U0AUDITOR", "C0SECOPS01", r.rec.url(id))
		a := r.slack.waitAck(b, id, 3*time.Second)
		lat = append(lat, a.at.Sub(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}
