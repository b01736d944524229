// Package snsproxy stands in for a corporate HTTPS proxy in tests of a process that fetches SNS
// signing certificates: it answers CONNECT to an SNS host by terminating TLS itself, with a
// certificate its own CA issues for that host, and serves a given signing certificate at any
// SimpleNotificationService-*.pem path. The process reaches it through HTTPS_PROXY and trusts
// it through SSL_CERT_FILE, so its real fetch path (proxy settings, system trust store) runs
// unchanged, with no network but loopback.
//
// It is ours because SNS itself cannot run in a test.
package snsproxy

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?:443$`)
	pemPath = regexp.MustCompile(`^/SimpleNotificationService-[0-9a-f]+\.pem$`)
)

// Proxy is a running proxy.
type Proxy struct {
	// URL is the proxy's address, for HTTPS_PROXY.
	URL string
	// CAFile holds the proxy CA's certificate (PEM), for SSL_CERT_FILE.
	CAFile string

	cert    []byte
	ca      *x509.Certificate
	caKey   *ecdsa.PrivateKey
	fetches atomic.Int64
	refused atomic.Int64

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// New starts a proxy serving certPEM and stops it when the test ends.
func New(tb testing.TB, certPEM []byte) *Proxy {
	tb.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "snsproxy test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	caFile := filepath.Join(tb.TempDir(), "proxy-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{CAFile: caFile, cert: certPEM, ca: ca, caKey: caKey, leaves: map[string]*tls.Certificate{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p.URL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(p.connect), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return p
}

// Fetches is how many certificate requests were answered with the certificate.
func (p *Proxy) Fetches() int { return int(p.fetches.Load()) }

// Refused is how many CONNECTs (to a host that is no SNS host) or requests were refused.
func (p *Proxy) Refused() int { return int(p.refused.Load()) }

func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect || !snsHost.MatchString(r.Host) {
		p.refused.Add(1)
		http.Error(w, "this proxy only tunnels to SNS hosts", http.StatusForbidden)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		return
	}
	tc := tls.Server(conn, &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: p.leaf})
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(tc)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		resp := &http.Response{ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Request: req}
		if req.Method == http.MethodGet && pemPath.MatchString(req.URL.Path) {
			p.fetches.Add(1)
			resp.StatusCode = http.StatusOK
			resp.Header.Set("Content-Type", "application/x-x509-ca-cert")
			resp.ContentLength = int64(len(p.cert))
			resp.Body = io.NopCloser(bytes.NewReader(p.cert))
		} else {
			p.refused.Add(1)
			resp.StatusCode = http.StatusNotFound
		}
		if err := resp.Write(tc); err != nil {
			return
		}
	}
}

// leaf issues (once per host) a server certificate for the host the client asks for.
func (p *Proxy) leaf(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.leaves[hello.ServerName]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(p.leaves) + 2)),
		Subject:      pkix.Name{CommonName: hello.ServerName},
		DNSNames:     []string{hello.ServerName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	p.leaves[hello.ServerName] = c
	return c, nil
}
