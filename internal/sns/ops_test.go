package sns

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// TestOpsRoutesOffThePublicListener: /healthz, /readyz and /metrics answer on the operations
// listener and 404 on the public one, which serves the SNS path alone; what a request to the
// public listener did shows up in the operations listener's /metrics.
func TestOpsRoutesOffThePublicListener(t *testing.T) {
	e := newTestEndpoint(t, &Verifier{}, &fakeDeps{added: true})
	ops := httptest.NewServer(OpsMux(func(context.Context) error { return nil }, e.reg, nil))
	defer ops.Close()

	body := readTestdata(t, "negative", "tampered-message.json")
	m, err := ParseMessage(body)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	e.h.Verifier = verifierAt(t, m, &calls)
	if status, _, _ := e.do(t, http.MethodPost, "/sns", body, nil); status != 400 {
		t.Fatalf("tampered: status %d", status)
	}

	for _, tc := range []struct {
		method, path string
		public, op   int    // status on the public and on the operations listener
		want         string // in the operations listener's body
	}{
		{http.MethodGet, "/healthz", 404, 200, "ok"},
		{http.MethodGet, "/readyz", 404, 200, "ready"},
		{http.MethodGet, "/metrics", 404, 200, `cisbot_sns_rejected_total{reason="signature"} 1`},
		{http.MethodPost, "/healthz", 404, 405, ""},
		{http.MethodPost, "/sns", 400, 404, ""},
		{http.MethodGet, "/nope", 404, 404, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			if status, _, _ := e.do(t, tc.method, tc.path, nil, nil); status != tc.public {
				t.Errorf("public listener: %d, want %d", status, tc.public)
			}
			status, text := opsDo(t, ops, tc.method, tc.path)
			if status != tc.op || !strings.Contains(text, tc.want) {
				t.Errorf("operations listener: %d %q, want %d with %q", status, text, tc.op, tc.want)
			}
		})
	}
}

// TestOpsReadyzHidesDetail: /readyz names the part that is not ready and nothing else; the
// error, which may hold a path or a Slack error, goes to the log.
func TestOpsReadyzHidesDetail(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		body string
	}{
		{"store", &NotReadyError{Part: "store", Err: errors.New("open /var/lib/cisbot/cisbot.db: database is locked")}, "not ready: store\n"},
		{"slack", &NotReadyError{Part: "slack", Err: errors.New("auth.test: invalid_auth (xoxb-…)")}, "not ready: slack\n"},
		{"unnamed", errors.New("dial tcp 10.0.0.7:5432: connection refused"), "not ready\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			ops := httptest.NewServer(OpsMux(func(context.Context) error { return tc.err }, nil, slog.New(slog.NewTextHandler(&logs, nil))))
			defer ops.Close()
			status, body := opsDo(t, ops, http.MethodGet, "/readyz")
			if status != http.StatusServiceUnavailable || body != tc.body {
				t.Errorf("/readyz = %d %q, want 503 %q", status, body, tc.body)
			}
			detail := tc.err.Error()
			if i := strings.LastIndex(detail, ": "); i >= 0 {
				detail = detail[i+2:]
			}
			if !strings.Contains(logs.String(), detail) {
				t.Errorf("the log lacks %q:\n%s", detail, logs.String())
			}
		})
	}
}

func opsDo(t *testing.T, srv *httptest.Server, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
