package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// fakeDeps records the handler's calls to its dependencies.
type fakeDeps struct {
	mu         sync.Mutex
	enqueued   []*Message
	raws       [][]byte
	confirmed  []*Message
	added      bool
	enqueueErr error
	confirmErr error
	// known are the accounts whose topics may be subscribed to; nil: the test topics' account.
	known    map[string]bool
	knownErr error
}

// testAccount owns the topics of signedConfirmation.
const testAccount = "123456789012"

func (f *fakeDeps) knownAccount(_ context.Context, account string) (bool, error) {
	if f.known == nil {
		return account == testAccount, f.knownErr
	}
	return f.known[account], f.knownErr
}

func (f *fakeDeps) enqueue(_ context.Context, m *Message, raw []byte) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enqueued = append(f.enqueued, m)
	f.raws = append(f.raws, raw)
	return f.added, f.enqueueErr
}

func (f *fakeDeps) confirm(_ context.Context, m *Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.confirmed = append(f.confirmed, m)
	return f.confirmErr
}

func (f *fakeDeps) counts() (enqueued, confirmed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.enqueued), len(f.confirmed)
}

// testEndpoint is a handler with fake dependencies, served on loopback.
type testEndpoint struct {
	deps *fakeDeps
	reg  *prometheus.Registry
	logs *syncbuf.Buffer
	h    *Handler
	srv  *httptest.Server
}

func newTestEndpoint(t *testing.T, v *Verifier, deps *fakeDeps) *testEndpoint {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &syncbuf.Buffer{}
	h := &Handler{
		Verifier:     v,
		Enqueue:      deps.enqueue,
		Confirm:      deps.confirm,
		KnownAccount: deps.knownAccount,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:      NewMetrics(reg),
	}
	srv := httptest.NewServer(Mux("", h))
	t.Cleanup(srv.Close)
	return &testEndpoint{deps: deps, reg: reg, logs: logs, h: h, srv: srv}
}

func (e *testEndpoint) do(t *testing.T, method, path string, body []byte, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// counter reads a counter from the registry; 0 when absent.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func readTestdata(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata", "sns"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandlerNotifications(t *testing.T) {
	const good = "notification-v1-subject-2022.json"
	big := append([]byte(`{"Pad":"`), bytes.Repeat([]byte("x"), MaxMessageSize)...)
	tests := []struct {
		name        string
		method      string
		file        string // under testdata/sns
		body        []byte // instead of file
		header      map[string]string
		topics      []string
		fetchErr    error
		duplicate   bool
		enqueueErr  error
		wantStatus  int
		wantEnqueue int
		wantReason  string // rejected{reason} counted once
	}{
		{name: "valid notification", file: good, wantStatus: 200, wantEnqueue: 1},
		{name: "valid v2 notification with header", file: "notification-v2-nosubject-2022.json", header: map[string]string{"x-amz-sns-message-type": "Notification"}, wantStatus: 200, wantEnqueue: 1},
		{name: "duplicate", file: good, duplicate: true, wantStatus: 200, wantEnqueue: 1},
		{name: "enqueue error", file: good, enqueueErr: errors.New("disk full"), wantStatus: 500, wantEnqueue: 1},
		{name: "tampered", file: "negative/tampered-message.json", wantStatus: 400, wantReason: "signature"},
		{name: "subject removed", file: "negative/subject-removed.json", wantStatus: 400, wantReason: "signature"},
		{name: "cert URL http", file: "negative/certurl-http.json", wantStatus: 400, wantReason: "cert_url"},
		{name: "cert URL S3", file: "negative/certurl-s3-host.json", wantStatus: 400, wantReason: "cert_url"},
		{name: "signature version 3", file: "negative/signatureversion-3.json", wantStatus: 400, wantReason: "signature_version"},
		{name: "wrong topic", file: good, topics: []string{"arn:aws:sns:us-east-2:111111111111:*"}, wantStatus: 400, wantReason: "topic"},
		{name: "no topics", file: good, topics: []string{}, wantStatus: 400, wantReason: "topic"},
		{name: "cert fetch failure", file: good, fetchErr: errors.New("connection refused"), wantStatus: 503, wantReason: "cert_fetch"},
		{name: "GET", method: http.MethodGet, wantStatus: 405, wantReason: "method"},
		{name: "PUT", method: http.MethodPut, file: good, wantStatus: 405, wantReason: "method"},
		{name: "too large", body: big, wantStatus: 413, wantReason: "too_large"},
		{name: "raw delivery", file: good, header: map[string]string{"x-amz-sns-rawdelivery": "true", "x-amz-sns-message-id": "da41e39f-ea4d-435a-b922-c6aae3915ebe"}, wantStatus: 400, wantReason: "raw_delivery"},
		{name: "type mismatch", file: good, header: map[string]string{"x-amz-sns-message-type": "SubscriptionConfirmation"}, wantStatus: 400, wantReason: "type_mismatch"},
		{name: "empty type header", file: good, header: map[string]string{"x-amz-sns-message-type": ""}, wantStatus: 400, wantReason: "type_mismatch"},
		{name: "not JSON", body: []byte("hello"), wantStatus: 400, wantReason: "bad_json"},
		{name: "empty body", body: []byte{}, wantStatus: 400, wantReason: "bad_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.file != "" {
				body = readTestdata(t, strings.Split(tt.file, "/")...)
			}
			// The verifier's clock is the message's own time (the real
			// certificates have expired); a fixed one for unparsable bodies.
			var calls atomic.Int32
			v := &Verifier{Topics: []string{"arn:aws:sns:*"}, MaxAge: time.Hour, Fetch: localFetch(t, &calls)}
			if m, err := ParseMessage(body); err == nil {
				v = verifierAt(t, m, &calls)
			}
			if tt.topics != nil {
				v.Topics = tt.topics
			}
			if tt.fetchErr != nil {
				v.Fetch = func(context.Context, string) ([]byte, error) { return nil, tt.fetchErr }
			}
			deps := &fakeDeps{added: !tt.duplicate, enqueueErr: tt.enqueueErr}
			e := newTestEndpoint(t, v, deps)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			status, hdr, _ := e.do(t, method, "/sns", body, tt.header)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; log:\n%s", status, tt.wantStatus, e.logs.String())
			}
			if n, _ := deps.counts(); n != tt.wantEnqueue {
				t.Errorf("Enqueue called %d times, want %d", n, tt.wantEnqueue)
			}
			if tt.wantEnqueue > 0 && !bytes.Equal(deps.raws[0], body) {
				t.Errorf("Enqueue got a raw body different from the request's")
			}
			if status == http.StatusMethodNotAllowed && hdr.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", hdr.Get("Allow"))
			}
			if tt.wantReason != "" {
				if got := counter(t, e.reg, "cisbot_sns_rejected_total", map[string]string{"reason": tt.wantReason}); got != 1 {
					t.Errorf("rejected{reason=%q} = %v, want 1", tt.wantReason, got)
				}
				log := e.logs.String()
				if !strings.Contains(log, "reason="+tt.wantReason) {
					t.Errorf("log lacks the reason %q:\n%s", tt.wantReason, log)
				}
				if id := tt.header["x-amz-sns-message-id"]; id != "" && !strings.Contains(log, id) {
					t.Errorf("log lacks the header message id:\n%s", log)
				}
				if m, err := ParseMessage(body); err == nil && tt.wantReason != "method" && tt.wantReason != "raw_delivery" {
					if !strings.Contains(log, m.MessageId) || !strings.Contains(log, m.TopicArn) {
						t.Errorf("log lacks the message id or topic:\n%s", log)
					}
					if strings.Contains(log, m.Signature) || strings.Contains(log, m.Message) && len(m.Message) > 20 {
						t.Errorf("log contains the signature or the body:\n%s", log)
					}
				}
			}
			switch {
			case tt.wantStatus == 200 && tt.duplicate:
				if counter(t, e.reg, "cisbot_sns_duplicates_total", nil) != 1 || counter(t, e.reg, "cisbot_sns_enqueued_total", nil) != 0 {
					t.Error("duplicate not counted as such")
				}
			case tt.wantStatus == 200:
				if counter(t, e.reg, "cisbot_sns_enqueued_total", nil) != 1 {
					t.Error("enqueued not counted")
				}
				if counter(t, e.reg, "cisbot_sns_received_total", map[string]string{"type": TypeNotification}) != 1 {
					t.Error("received{type=Notification} not counted")
				}
			case tt.wantStatus == 500:
				if counter(t, e.reg, "cisbot_sns_failures_total", map[string]string{"stage": "enqueue"}) != 1 {
					t.Error("enqueue failure not counted")
				}
			}
		})
	}
}

func TestHandlerMaxBody(t *testing.T) {
	body := readTestdata(t, "notification-v1-subject-2022.json")
	m, err := ParseMessage(body)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	e := newTestEndpoint(t, verifierAt(t, m, &calls), &fakeDeps{added: true})
	e.h.MaxBody = int64(len(body) - 1)
	if status, _, _ := e.do(t, http.MethodPost, "/sns", body, nil); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", status)
	}
	if calls.Load() != 0 {
		t.Error("fetched a certificate for an oversized body")
	}
}

// signedConfirmation returns the JSON body of a confirmation message signed
// with a test key, and a Verifier that serves the matching self-made
// certificate (no real signed confirmations are public).
func signedConfirmation(t *testing.T, typ string) ([]byte, *Verifier) {
	t.Helper()
	signer := newTestSigner(t)
	certPEM := signer.certPEM
	const topic = "arn:aws:sns:eu-west-1:123456789012:cis-alarms"
	m := &Message{
		Type:             typ,
		MessageId:        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:            "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad",
		TopicArn:         topic,
		Message:          "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad",
		Timestamp:        "2024-06-01T12:00:00.000Z",
		SignatureVersion: "2",
		SigningCertURL:   "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem",
	}
	signer.sign(t, m)
	body, err := json.Marshal(map[string]string{
		"Type": m.Type, "MessageId": m.MessageId, "Token": m.Token, "TopicArn": m.TopicArn,
		"Message": m.Message, "SubscribeURL": m.SubscribeURL, "Timestamp": m.Timestamp,
		"SignatureVersion": m.SignatureVersion, "Signature": m.Signature, "SigningCertURL": m.SigningCertURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := m.Time()
	v := &Verifier{
		Topics: []string{topic},
		MaxAge: time.Hour,
		Now:    func() time.Time { return ts.Add(time.Second) },
		Fetch:  func(context.Context, string) ([]byte, error) { return certPEM, nil },
	}
	return body, v
}

func TestHandlerConfirmations(t *testing.T) {
	tests := []struct {
		name        string
		typ         string
		tamper      bool
		enqueueErr  error
		confirmErr  error
		wantStatus  int
		wantEnqueue int
		wantConfirm int
	}{
		{name: "subscription confirmed", typ: TypeSubscriptionConfirmation, wantStatus: 200, wantEnqueue: 1, wantConfirm: 1},
		{name: "confirm error", typ: TypeSubscriptionConfirmation, confirmErr: errors.New("AccessDenied"), wantStatus: 502, wantEnqueue: 1, wantConfirm: 1},
		{name: "enqueue error, not confirmed", typ: TypeSubscriptionConfirmation, enqueueErr: errors.New("disk full"), wantStatus: 500, wantEnqueue: 1},
		{name: "tampered token, not confirmed", typ: TypeSubscriptionConfirmation, tamper: true, wantStatus: 400},
		{name: "unsubscribe confirmation", typ: TypeUnsubscribeConfirmation, wantStatus: 200, wantEnqueue: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, v := signedConfirmation(t, tt.typ)
			if tt.tamper {
				body = bytes.Replace(body, []byte(`"Token":"2336`), []byte(`"Token":"9336`), 1)
			}
			deps := &fakeDeps{added: true, enqueueErr: tt.enqueueErr, confirmErr: tt.confirmErr}
			e := newTestEndpoint(t, v, deps)
			status, _, _ := e.do(t, http.MethodPost, "/sns", body, map[string]string{"x-amz-sns-message-type": tt.typ})
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; log:\n%s", status, tt.wantStatus, e.logs.String())
			}
			if n, c := deps.counts(); n != tt.wantEnqueue || c != tt.wantConfirm {
				t.Errorf("Enqueue %d, Confirm %d; want %d, %d", n, c, tt.wantEnqueue, tt.wantConfirm)
			}
			wantConfirmations := 0.0
			if tt.typ == TypeSubscriptionConfirmation && tt.wantStatus == 200 {
				wantConfirmations = 1
			}
			if got := counter(t, e.reg, "cisbot_sns_confirmations_total", nil); got != wantConfirmations {
				t.Errorf("confirmations = %v, want %v", got, wantConfirmations)
			}
			if tt.confirmErr != nil && counter(t, e.reg, "cisbot_sns_failures_total", map[string]string{"stage": "confirm"}) != 1 {
				t.Error("confirm failure not counted")
			}
			// Never log the token (it is also in the SubscribeURL) or the signature.
			log := e.logs.String()
			var m map[string]string
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{m["Token"], m["Signature"], m["SubscribeURL"]} {
				if strings.Contains(log, secret) {
					t.Errorf("log contains a secret:\n%s", log)
				}
			}
		})
	}
}

func TestMuxCustomPath(t *testing.T) {
	h := &Handler{}
	srv := httptest.NewServer(Mux("/hooks/sns", h))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/hooks/sns")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET /hooks/sns = %d, want 405 from the handler", resp.StatusCode)
	}
	resp, err = srv.Client().Post(srv.URL+"/sns", "text/plain", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("POST /sns with a custom path = %d, want 404", resp.StatusCode)
	}
}

func TestHandlerNilDeps(t *testing.T) {
	// A handler without Enqueue must not answer 200: nothing would be stored.
	body := readTestdata(t, "notification-v1-subject-2022.json")
	m, err := ParseMessage(body)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	rec := httptest.NewRecorder()
	h := &Handler{Verifier: verifierAt(t, m, &calls), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sns", bytes.NewReader(body)))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("no Enqueue: status %d, want 500", rec.Code)
	}
}

func TestNewServer(t *testing.T) {
	s := NewServer(":8080", http.NotFoundHandler())
	if s.Addr != ":8080" || s.ReadHeaderTimeout != 5*time.Second || s.ReadTimeout != 10*time.Second ||
		s.WriteTimeout != 15*time.Second || s.IdleTimeout != 60*time.Second || s.MaxHeaderBytes != MaxHeaderBytes || s.Handler == nil {
		t.Errorf("server = %+v", s)
	}
}
