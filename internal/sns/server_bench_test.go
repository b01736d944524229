package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
)

// BenchmarkEndpoint posts signed notifications, each with its own MessageId, over loopback HTTP
// to the real handler, which verifies them (certificate cached) and stores each in a real SQLite
// outbox before answering. It reports verified notifications/s and the p99 latency.
func BenchmarkEndpoint(b *testing.B) {
	signer := newTestSigner(b)
	certPEM := signer.certPEM
	const topic = "arn:aws:sns:eu-west-1:123456789012:cis-alarms"
	sent := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	sign := func(i int) []byte {
		m := &Message{Type: "Notification", MessageId: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), TopicArn: topic,
			Message: `{"AlarmName":"unauthorized_api_calls_alarm","NewStateValue":"ALARM"}`, Timestamp: sent.Format("2006-01-02T15:04:05.000Z"),
			SignatureVersion: "2", SigningCertURL: "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"}
		signer.sign(b, m)
		body, _ := json.Marshal(map[string]string{"Type": m.Type, "MessageId": m.MessageId, "TopicArn": m.TopicArn, "Message": m.Message,
			"Timestamp": m.Timestamp, "SignatureVersion": m.SignatureVersion, "Signature": m.Signature, "SigningCertURL": m.SigningCertURL})
		return body
	}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = sign(i)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "cisbot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := &Handler{
		Verifier: &Verifier{Topics: []string{topic}, MaxAge: time.Hour, Now: func() time.Time { return sent.Add(time.Second) },
			Fetch: func(context.Context, string) ([]byte, error) { return certPEM, nil }},
		Enqueue: func(ctx context.Context, m *Message, raw []byte) (bool, error) {
			return st.Enqueue(ctx, store.OutboxItem{ID: m.MessageId, TopicARN: m.TopicArn, Kind: store.OutboxNotification, Body: raw, CreatedAt: sent, NextAt: sent})
		},
		Logger: slog.New(slog.DiscardHandler),
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
