package alerts

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
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
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	const topic = "arn:aws:sns:eu-west-1:123456789012:cis-alarms"
	sent := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	sign := func(i int) []byte {
		m := &Message{Type: "Notification", MessageId: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), TopicArn: topic,
			Message: `{"AlarmName":"unauthorized_api_calls_alarm","NewStateValue":"ALARM"}`, Timestamp: sent.Format("2006-01-02T15:04:05.000Z"),
			SignatureVersion: "2", SigningCertURL: "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"}
		sts, err := StringToSign(m)
		if err != nil {
			b.Fatal(err)
		}
		digest := sha256.Sum256([]byte(sts))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"Type": m.Type, "MessageId": m.MessageId, "TopicArn": m.TopicArn, "Message": m.Message,
			"Timestamp": m.Timestamp, "SignatureVersion": m.SignatureVersion, "Signature": base64.StdEncoding.EncodeToString(sig), "SigningCertURL": m.SigningCertURL})
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
	srv := httptest.NewServer(Mux(DefaultPath, h, nil))
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
