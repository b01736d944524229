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
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// signedNotifications signs notifications of topic sent at sent, each with its own MessageId,
// and returns a Verifier that accepts them.
func signedNotifications(tb testing.TB, topic string, sent time.Time) (sign func(i int) []byte, v *Verifier) {
	signer := newTestSigner(tb)
	sign = func(i int) []byte {
		m := &Message{Type: "Notification", MessageId: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), TopicArn: topic,
			Message: `{"AlarmName":"unauthorized_api_calls_alarm","AWSAccountId":"123456789012","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:unauthorized_api_calls_alarm","NewStateValue":"ALARM"}`, Timestamp: sent.Format("2006-01-02T15:04:05.000Z"),
			SignatureVersion: "2", SigningCertURL: "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"}
		signer.sign(tb, m)
		body, _ := json.Marshal(map[string]string{"Type": m.Type, "MessageId": m.MessageId, "TopicArn": m.TopicArn, "Message": m.Message,
			"Timestamp": m.Timestamp, "SignatureVersion": m.SignatureVersion, "Signature": m.Signature, "SigningCertURL": m.SigningCertURL})
		return body
	}
	v = &Verifier{Topics: []string{topic}, MaxAge: time.Hour, Now: func() time.Time { return sent.Add(time.Second) },
		Fetch: func(context.Context, string) ([]byte, error) { return signer.certPEM, nil }}
	return sign, v
}

// TestStoreOutage: with the PostgreSQL server stopped under a running endpoint, every message is
// answered 503 (SNS retries) and /readyz fails, the outage is logged once; once the server is
// back both recover without a restart, and every message answered 200 is stored once.
func TestStoreOutage(t *testing.T) {
	ctx := context.Background()
	cluster, dsn := pgtest.OwnCluster(t) // a cluster of its own: the test stops its server
	// The test cluster commits without waiting for its WAL (synchronous_commit=off), so an
	// immediate stop would lose the last commits; a real server does not.
	st, err := store.OpenPostgres(ctx, dsn+"&synchronous_commit=on")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	const topic = "arn:aws:sns:eu-west-1:123456789012:cis-alarms"
	sign, verifier := signedNotifications(t, topic, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	h := &Handler{Verifier: verifier, Enqueue: Enqueuer(st, time.Now), StorePing: st.Ping, Logger: logger}
	srv := httptest.NewServer(Mux(DefaultPath, h))
	defer srv.Close()
	ops := httptest.NewServer(OpsMux(func(ctx context.Context) error {
		if err := st.Ping(ctx); err != nil {
			return &NotReadyError{Part: "store", Err: err}
		}
		return nil
	}, nil, logger))
	defer ops.Close()
	get := func(url string, body []byte) int {
		t.Helper()
		var resp *http.Response
		var err error
		if body == nil {
			resp, err = http.Get(url)
		} else {
			resp, err = http.Post(url, "text/plain", bytes.NewReader(body))
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	post := func(i int) int { return get(srv.URL+DefaultPath, sign(i)) }

	stored := 0
	if code := post(stored); code != http.StatusOK {
		t.Fatalf("before the outage: status %d", code)
	}
	stored++
	if err := cluster.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if code := post(100 + i); code != http.StatusServiceUnavailable {
			t.Errorf("during the outage, message %d: status %d, want 503", i, code)
		}
	}
	if code := get(ops.URL+"/readyz", nil); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d, want 503", code)
	}
	if n := strings.Count(logs.String(), "the store is unreachable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs)
	}

	if err := cluster.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	// SNS retries the messages answered 503; the first retry after the next probe is taken.
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; i < 20; {
		code := post(100 + i)
		switch {
		case code == http.StatusOK:
			stored++
			i++
		case time.Now().After(deadline):
			t.Fatalf("after the outage, message %d: still %d", i, code)
		default:
			time.Sleep(100 * time.Millisecond)
		}
	}
	if code := get(ops.URL+"/readyz", nil); code != http.StatusOK {
		t.Errorf("/readyz after the outage: %d, want 200", code)
	}
	if n := strings.Count(logs.String(), "the store answers again"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once:\n%s", n, logs)
	}
	if n, err := st.Pending(ctx); err != nil || n != stored {
		t.Errorf("outbox holds %d, %v; want the %d messages answered 200", n, err, stored)
	}
}
