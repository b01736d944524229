// Package emulator runs a moto_server (the AWS emulator) on a loopback port, so that real
// aws-sdk-go-v2 clients can run without an AWS account or the network. It is part of the
// product: cisbot demo (internal/demo) runs on it, which is why it does not import package
// testing; the tests use it too.
//
// In tests, one server per test binary is the intended use: call Main from TestMain, isolate
// tests with Reset or with distinct account ids, and build clients from Env or URL.
package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotInstalled is returned by Start when moto_server is not on PATH.
var ErrNotInstalled = errors.New(`moto_server is not installed: pip install "moto[server]"`)

// Region is the region Env sets; moto accepts any.
const Region = "us-east-1"

// DefaultAccountID is the account moto acts in for credentials it did not issue.
const DefaultAccountID = "123456789012"

const (
	binary       = "moto_server"
	startTimeout = 20 * time.Second
	stopTimeout  = 5 * time.Second
	startTries   = 4       // fresh ports to try when another process takes ours first
	outputTail   = 2048    // bytes of moto_server's output quoted in errors
	keepOutput   = 1 << 16 // bytes of moto_server's output kept for Output
)

// Server is a moto_server process on a loopback port.
type Server struct {
	URL string // http://127.0.0.1:PORT

	cmd      *exec.Cmd
	out      *syncBuffer
	exited   chan struct{} // closed when the process has been reaped
	stopOnce sync.Once
}

// Start starts moto_server on a free loopback port and waits until GET /moto-api/ answers.
// If moto_server is not on PATH, the error is ErrNotInstalled.
func Start() (*Server, error) {
	path, err := exec.LookPath(binary)
	if err != nil {
		return nil, ErrNotInstalled
	}
	var lastErr error
	for range startTries {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("moto: find a free loopback port: %w", err)
		}
		s, err := start(path, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, lastErr
}

var errPortTaken = errors.New("port taken")

// start runs one attempt on port.
func start(path string, port int) (*Server, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{
		URL:    "http://" + addr,
		out:    &syncBuffer{},
		exited: make(chan struct{}),
	}
	s.cmd = exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("moto: start %s: %w", path, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.ready(ctx) {
			return s, nil
		}
		select {
		case <-s.exited:
			out := s.out.String()
			if strings.Contains(out, "Address already in use") || strings.Contains(out, "is in use by another program") {
				return nil, fmt.Errorf("moto: %s: %w:\n%s", addr, errPortTaken, tail(out))
			}
			return nil, fmt.Errorf("moto: moto_server exited before it answered on %s (%s):\n%s", addr, s.cmd.ProcessState, tail(out))
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("moto: moto_server did not answer GET %s/moto-api/ within %s:\n%s", s.URL, startTimeout, tail(s.out.String()))
		case <-tick.C:
		}
	}
}

// ready reports whether GET /moto-api/ answers 200.
func (s *Server) ready(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop ends the server (its process group, by id) and waits for it. It is safe to call twice.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		_ = terminate(s.cmd.Process)
		select {
		case <-s.exited:
			return
		case <-time.After(stopTimeout):
		}
		_ = kill(s.cmd.Process)
		<-s.exited
	})
}

// PID is the moto_server process id (also its process group id on Unix).
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Reset clears all state in the server (POST /moto-api/reset).
func (s *Server) Reset() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto: reset: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, outputTail))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto: reset: %s: %s", resp.Status, body)
	}
	return nil
}

// Env returns the environment settings that point the AWS SDK at the server with dummy
// credentials. It is a map so tests can apply it with t.Setenv or pass it to a fake getenv
// without touching the process environment.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      s.URL,
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_REGION":            Region,
	}
}

// Output returns what moto_server has printed so far (its request log), for test failures.
func (s *Server) Output() string { return s.out.String() }

// Hermetic removes the developer's or CI's AWS settings from this test process, so that tests
// reach AWS only through the emulator, with credentials they give themselves: every AWS_*
// variable goes, the shared config and credentials files are the null device, and instance
// metadata is never asked. Tests that need a variable set it with t.Setenv.
func Hermetic() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Main is for TestMain: it starts the server, stores it in *srv, runs the tests, stops the
// server and exits with the tests' code. When moto_server cannot be started (for example,
// it is not installed) it prints why and exits 1: the tests never skip silently.
// m is a *testing.M, or a wrapper whose Run does more set-up once the server is known.
func Main(m interface{ Run() int }, srv **Server) {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

// freePort asks the kernel for a free loopback port. Another process may take it before
// moto_server binds it; Start retries on a fresh port when that happens.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > outputTail {
		s = "…" + s[len(s)-outputTail:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for the process's writers and our readers; it keeps
// about the last keepOutput bytes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 2*keepOutput { // the request log of a long test run: keep its end
		rest := b.buf.Bytes()[b.buf.Len()-keepOutput:]
		b.buf = *bytes.NewBuffer(append([]byte(nil), rest...))
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
