package demo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/awsenv"
)

// The demo's AWS access ignores the user's AWS settings (a broken config file and profile, real
// keys, other endpoints, a proxy) and signs its calls with the dummy credentials, sending them
// to the emulator alone.
func TestFactoryUsesOnlyTheEmulator(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(garbage, []byte("[profile broken\nsource_profile = nowhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             garbage,
		"AWS_SHARED_CREDENTIALS_FILE": garbage,
		"AWS_PROFILE":                 "broken",
		"AWS_ACCESS_KEY_ID":           "AKIAUSERSREALKEY",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_REGION":                  "eu-west-3",
		"AWS_ENDPOINT_URL":            "https://example.com",
		"AWS_ENDPOINT_URL_STS":        "https://sts.amazonaws.com",
		"HTTP_PROXY":                  "http://127.0.0.1:9",
		"AWS_DEFAULTS_MODE":           "auto",
	} {
		t.Setenv(k, v)
	}
	var mu sync.Mutex
	var auth []string
	emulator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			`<Arn>arn:aws:iam::123456789012:user/demo</Arn><UserId>AIDADEMO</UserId><Account>123456789012</Account>` +
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	defer emulator.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := newFactory(ctx, emulator.URL)
	if err != nil {
		t.Fatalf("newFactory read the user's AWS settings: %v", err)
	}
	if f.Region() != Region {
		t.Errorf("region %q, want %q", f.Region(), Region)
	}
	id, err := f.Session(awsenv.Target{}).AccountID(ctx)
	if err != nil || id != "123456789012" {
		t.Fatalf("AccountID = %q, %v; want the emulator's answer", id, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) != 1 || !strings.Contains(auth[0], "Credential=demo/") || !strings.Contains(auth[0], "/"+Region+"/") {
		t.Errorf("the emulator saw Authorization %q; want the dummy credentials in %s", auth, Region)
	}
}

// Whatever the SDK asks for, the HTTP client dials the emulator alone.
func TestOnlyTo(t *testing.T) {
	client, err := onlyTo("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"https://sts.amazonaws.com/", "http://169.254.169.254/latest/api/token", "http://127.0.0.1:2/"} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Allowed != "127.0.0.1:1" {
			t.Errorf("GET %s: %v; want it refused", url, err)
		} else if refused.RetryableError() {
			t.Errorf("a refused call is retryable")
		}
	}
	if _, err := onlyTo("not a url"); err == nil {
		t.Error("onlyTo accepted a bad endpoint")
	}
}
