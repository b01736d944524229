// Package awsproxy is a reverse proxy for tests, in front of an AWS emulator: it adds latency to
// every call (to measure the audit's fan-out against a known bound) and can rewrite response
// bodies where the emulator cannot represent a state AWS has (moto confirms every SNS
// subscription at once, so a pending one exists only by rewriting the listing).
package awsproxy

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards to an emulator.
type Proxy struct {
	URL   string
	srv   *httptest.Server
	calls atomic.Int64

	mu       sync.Mutex
	delay    time.Duration
	rewrites [][2][]byte
	replay   bool
	cache    map[[32]byte]*recorded
	watchers []*func(body string)
}

type recorded struct {
	status int
	header http.Header
	body   []byte
}

// New starts a proxy to target (http://127.0.0.1:PORT) on a loopback port.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{cache: map[[32]byte]*recorded{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}
	rp.ModifyResponse = p.rewrite
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		p.mu.Lock()
		d, watchers := p.delay, p.watchers
		p.mu.Unlock()
		if len(watchers) > 0 {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			for _, f := range watchers {
				(*f)(string(body))
			}
		}
		if d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		p.mu.Lock()
		replay := p.replay
		p.mu.Unlock()
		if !replay {
			rp.ServeHTTP(w, r)
			return
		}
		p.serveReplay(w, r, rp)
	}))
	p.URL = p.srv.URL
	return p, nil
}

// Watch calls f with the body of every request, before it is forwarded, until the returned
// function is called.
func (p *Proxy) Watch(f func(body string)) (stop func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := &f
	p.watchers = append(p.watchers, w)
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		// A copy: requests under way range over the slice they took.
		p.watchers = slices.DeleteFunc(slices.Clone(p.watchers), func(x *func(string)) bool { return x == w })
	}
}

// SetDelay makes every call take at least d longer.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Rewrite replaces old with new in every response body from now on.
func (p *Proxy) Rewrite(old, new string) {
	p.mu.Lock()
	p.rewrites = append(p.rewrites, [2][]byte{[]byte(old), []byte(new)})
	p.mu.Unlock()
}

// SetReplay(true) makes the proxy answer a request it has seen before (same method, path, X-Amz-Target
// and body) with the emulator's recorded answer, without asking the emulator again. A benchmark
// uses it so that the emulator's own CPU time does not hide the latency being measured.
func (p *Proxy) SetReplay(on bool) {
	p.mu.Lock()
	p.replay = on
	p.mu.Unlock()
}

func (p *Proxy) serveReplay(w http.ResponseWriter, r *http.Request, rp *httputil.ReverseProxy) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.Path+"\n"+r.Header.Get("X-Amz-Target")+"\n")
	h.Write(body)
	var key [32]byte
	copy(key[:], h.Sum(nil))
	p.mu.Lock()
	rec := p.cache[key]
	p.mu.Unlock()
	if rec == nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		cw := &captureWriter{header: http.Header{}, status: http.StatusOK}
		rp.ServeHTTP(cw, r)
		rec = &recorded{status: cw.status, header: cw.header, body: cw.buf.Bytes()}
		if rec.status < 300 {
			p.mu.Lock()
			p.cache[key] = rec
			p.mu.Unlock()
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body)
}

type captureWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) Header() http.Header         { return c.header }
func (c *captureWriter) WriteHeader(status int)      { c.status = status }
func (c *captureWriter) Write(b []byte) (int, error) { return c.buf.Write(b) }

// Calls is how many requests the proxy has served.
func (p *Proxy) Calls() int64 { return p.calls.Load() }

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

func (p *Proxy) rewrite(resp *http.Response) error {
	p.mu.Lock()
	rw := p.rewrites
	p.mu.Unlock()
	if len(rw) == 0 {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	for _, r := range rw {
		body = bytes.ReplaceAll(body, r[0], r[1])
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("Content-Encoding")
	return nil
}
