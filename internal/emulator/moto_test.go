package emulator

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// snsClient talks to s without reading the process environment.
func snsClient(s *Server) *sns.Client {
	env := s.Env()
	return sns.New(sns.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
}

func topicCount(t *testing.T, c *sns.Client) int {
	t.Helper()
	out, err := c.ListTopics(context.Background(), &sns.ListTopicsInput{})
	if err != nil {
		t.Fatalf("ListTopics: %v", err)
	}
	return len(out.Topics)
}

func TestStartResetStop(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want a loopback address", s.URL)
	}

	c := snsClient(s)
	out, err := c.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String("before-reset")})
	if err != nil {
		t.Fatalf("CreateTopic: %v\nmoto output:\n%s", err, s.Output())
	}
	if arn := aws.ToString(out.TopicArn); !strings.Contains(arn, ":"+DefaultAccountID+":") {
		t.Errorf("topic ARN %q is not in account %s", arn, DefaultAccountID)
	}
	if n := topicCount(t, c); n != 1 {
		t.Fatalf("topics before reset = %d, want 1", n)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if n := topicCount(t, c); n != 0 {
		t.Fatalf("topics after reset = %d, want 0", n)
	}

	s.Stop()
	s.Stop() // twice is fine
	if resp, err := http.Get(s.URL + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET after Stop answered %s", resp.Status)
	}
	if err := s.Reset(); err == nil {
		t.Fatal("Reset after Stop succeeded")
	}
}

func TestEnv(t *testing.T) {
	s := &Server{URL: "http://127.0.0.1:1"}
	want := map[string]string{
		"AWS_ENDPOINT_URL":      "http://127.0.0.1:1",
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_REGION":            "us-east-1",
	}
	got := s.Env()
	if len(got) != len(want) {
		t.Errorf("Env() has %d keys, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Env()[%s] = %q, want %q", k, got[k], v)
		}
	}
}

func TestStartNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s, err := Start()
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded without moto_server on PATH")
	}
	if got, want := err.Error(), `moto_server is not installed: pip install "moto[server]"`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrNotInstalled) {
		t.Errorf("error %v is not ErrNotInstalled", err)
	}
}

// fakeMoto puts a moto_server shell script with body first on PATH.
func fakeMoto(t *testing.T, body string) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "moto_server"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestStartReportsEarlyExit(t *testing.T) {
	fakeMoto(t, `echo "ModuleNotFoundError: No module named 'flask'" >&2; exit 3`)
	s, err := Start()
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded with a moto_server that exits")
	}
	for _, want := range []string{"exited before it answered", "No module named 'flask'", "exit status 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestStartRetriesWhenPortIsTaken(t *testing.T) {
	real, err := exec.LookPath(binary)
	if err != nil {
		t.Fatal(ErrNotInstalled)
	}
	marker := filepath.Join(t.TempDir(), "tried")
	// The first run fails the way moto_server does when another process bound the port
	// between freePort and its own bind; the second runs the real server.
	fakeMoto(t, `if [ ! -e '`+marker+`' ]; then
  : > '`+marker+`'
  echo "Address already in use" >&2
  exit 1
fi
exec '`+real+`' "$@"`)
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the first attempt did not run: %v", err)
	}
	if n := topicCount(t, snsClient(s)); n != 0 {
		t.Fatalf("topics on a fresh server = %d", n)
	}
}

func TestTail(t *testing.T) {
	long := strings.Repeat("x", outputTail+10) + "END"
	tests := []struct {
		name, in, want string
	}{
		{"empty", " \n", "(no output)"},
		{"short", "hello\n", "hello"},
		{"long", long, "…" + long[len(long)-outputTail:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tail(tt.in); got != tt.want {
				t.Errorf("tail() = %q, want %q", got, tt.want)
			}
		})
	}
}
