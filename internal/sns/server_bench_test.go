package sns

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
)

// BenchmarkEndpoint posts signed notifications, each with its own MessageId, over loopback HTTP
// to the real handler, which verifies them (certificate cached) and stores each in a real outbox,
// SQLite or PostgreSQL (a throwaway cluster on loopback), before answering. It reports verified
// and stored notifications/s and the p99 latency.
func BenchmarkEndpoint(b *testing.B) {
	b.Run(store.DriverSQLite, func(b *testing.B) {
		benchmarkEndpoint(b, func(b *testing.B) string { return filepath.Join(b.TempDir(), "cisbot.db") }, store.DriverSQLite)
	})
	b.Run(store.DriverPostgres, func(b *testing.B) {
		benchmarkEndpoint(b, func(b *testing.B) string { return pgtest.NewDatabase(b) }, store.DriverPostgres)
	})
}

func benchmarkEndpoint(b *testing.B, newDB func(*testing.B) string, driver string) {
	const topic = "arn:aws:sns:eu-west-1:123456789012:cis-alarms"
	sent := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	sign, verifier := signedNotifications(b, topic, sent)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = sign(i)
	}
	st, err := store.Open(context.Background(), driver, newDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := &Handler{
		Verifier:  verifier,
		Enqueue:   Enqueuer(st, func() time.Time { return sent }),
		StorePing: st.Ping,
		Logger:    slog.New(slog.DiscardHandler),
	}
	srv := httptest.NewServer(Mux(DefaultPath, h))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)-1]
			t0 := time.Now()
			resp, err := client.Post(srv.URL+DefaultPath, "text/plain", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n, err := st.Pending(context.Background()); err != nil || n != b.N {
		b.Fatalf("outbox holds %d, %v; want %d", n, err, b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "notifications/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
