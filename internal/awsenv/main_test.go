package awsenv

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cisbot/cisbot/internal/emulator"
)

// srv is the moto server shared by this package's tests. Tests that need an empty server
// call srv.Reset, so they do not run in parallel.
var srv *emulator.Server

func TestMain(m *testing.M) {
	hermeticEnv()
	emulator.Main(m, &srv)
}

// hermeticEnv removes the developer's or CI's AWS settings from this test process, so that
// no test depends on them: every AWS_* variable goes, the shared config files point
// nowhere, and instance metadata (169.254.169.254) is never asked for credentials. Tests
// that need a variable set it with t.Setenv.
func hermeticEnv() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	none := filepath.Join(os.TempDir(), "cisbot-awsenv-test-no-such-dir")
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(none, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(none, "credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Dummy credentials; tests check that the secret never appears in an error.
const (
	testAccessKey = "AKIDCISBOTTEST"
	testSecretKey = "cisbot-test-secret-do-not-print"
)

// mockOpts points the SDK at moto with dummy credentials through config options alone.
func mockOpts(endpoint string, rec *recorder) []func(*config.LoadOptions) error {
	opts := []func(*config.LoadOptions) error{
		config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "")),
	}
	if rec != nil {
		opts = append(opts, config.WithHTTPClient(&http.Client{Transport: rec}))
	}
	return opts
}

// newFactory builds a factory that talks to srv, recording requests when rec is not nil.
func newFactory(t *testing.T, opts Options, rec *recorder) *Factory {
	t.Helper()
	opts.ConfigOptions = append(mockOpts(srv.URL, rec), opts.ConfigOptions...)
	f, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

// recorder is an http.RoundTripper that notes the Query-protocol actions sent through it.
type recorder struct {
	mu    sync.Mutex
	forms []url.Values
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			r.mu.Lock()
			r.forms = append(r.forms, form)
			r.mu.Unlock()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// calls returns the forms of the requests for action.
func (r *recorder) calls(action string) []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []url.Values
	for _, f := range r.forms {
		if f.Get("Action") == action {
			out = append(out, f)
		}
	}
	return out
}

// closedURL is a loopback URL on which nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// setEnv applies env with t.Setenv.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// fakeGetenv reads env only.
func fakeGetenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// newFakeAWS serves every request with status and body, on loopback, and returns its URL:
// for AWS behaviour moto does not emulate.
func newFakeAWS(t *testing.T, status int, contentType, body string) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s.URL
}
