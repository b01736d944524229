package sns

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SignatureVersion 1 is SHA1withRSA
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/cisbot/cisbot/internal/awsregion"
)

// RejectError is why an SNS message was refused. Reason is a short, stable
// code for metrics and logs: "too_large", "bad_json", "missing_field",
// "unknown_type", "bad_timestamp", "signature_version", "cert_url", "topic",
// "too_old", "too_new", "cert_fetch", "cert", "signature". The handler adds its
// own: "account_mismatch" (an alarm naming another account than its topic's) and
// "unknown_account" (a subscription to a topic of an account that is not ours).
type RejectError struct {
	Reason string
	Err    error
}

func (e *RejectError) Error() string {
	return "SNS message rejected (" + e.Reason + "): " + e.Err.Error()
}

func (e *RejectError) Unwrap() error { return e.Err }

// Retryable reports whether the rejection may be transient (the signing
// certificate could not be downloaded), so that the HTTP layer can answer 5xx
// and let SNS retry instead of dropping the message with a 4xx.
func (e *RejectError) Retryable() bool { return e.Reason == "cert_fetch" }

func reject(reason string, err error) *RejectError { return &RejectError{Reason: reason, Err: err} }

// DefaultCertHostPattern matches the SigningCertURL hosts of SNS in every partition of
// awsregion's table (sns.<region>.amazonaws.com, sns.<region>.amazonaws.com.cn,
// sns.<region>.c2s.ic.gov, …). It must match the whole host.
var DefaultCertHostPattern = awsregion.SNSHostPattern

// certPathPattern is the only path shape SNS has ever served certificates from.
var certPathPattern = regexp.MustCompile(`^/SimpleNotificationService-[0-9a-f]{32}\.pem$`)

// CheckCertURL checks a SigningCertURL before anything is fetched from it:
// https, no userinfo, no port, no query or fragment, a host that is exactly an
// SNS host (DefaultCertHostPattern) and a path /SimpleNotificationService-<hex>.pem.
func CheckCertURL(u string) error {
	return checkCertURL(u, DefaultCertHostPattern)
}

func checkCertURL(raw string, hosts *regexp.Regexp) error {
	if len(raw) > 2048 {
		return errors.New("SigningCertURL is too long")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("SigningCertURL does not parse: %w", err)
	}
	show := truncate(raw, 200)
	switch {
	case u.Scheme != "https" || !strings.HasPrefix(raw, "https://"):
		return fmt.Errorf("SigningCertURL %q is not https", show)
	case u.User != nil:
		return fmt.Errorf("SigningCertURL %q has userinfo", show)
	case u.Opaque != "":
		return fmt.Errorf("SigningCertURL %q is opaque", show)
	case u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "?"):
		return fmt.Errorf("SigningCertURL %q has a query", show)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("SigningCertURL %q has a fragment", show)
	case strings.Contains(u.Host, ":"):
		return fmt.Errorf("SigningCertURL %q has a port", show)
	case !fullMatch(hosts, u.Host):
		return fmt.Errorf("SigningCertURL host %q is not an SNS host", truncate(u.Host, 100))
	case u.RawPath != "" || !certPathPattern.MatchString(u.Path):
		return fmt.Errorf("SigningCertURL path %q is not /SimpleNotificationService-<hex>.pem", truncate(u.EscapedPath(), 100))
	}
	return nil
}

func fullMatch(re *regexp.Regexp, s string) bool {
	loc := re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

// checkCertRegion requires the cert host to be SNS's host in the TopicArn's region and
// partition, the region being one of the partition's in awsregion's table.
func checkCertRegion(certURL, topicArn string) error {
	u, err := url.Parse(certURL)
	if err != nil {
		return err
	}
	want, err := topicSNSHost(topicArn)
	if err != nil {
		return err
	}
	if u.Host != want {
		return fmt.Errorf("SigningCertURL host %q does not match the topic's region and partition (%s)", truncate(u.Host, 100), want)
	}
	return nil
}

// topicSNSHost is the SNS host of a topic's region and partition: an error when topicArn is not
// an SNS topic ARN or its region is not one of its partition's.
func topicSNSHost(topicArn string) (string, error) {
	topic, err := arn.Parse(topicArn)
	if err != nil || topic.Service != "sns" {
		return "", fmt.Errorf("TopicArn %q is not an SNS topic ARN", truncate(topicArn, 200))
	}
	host, ok := awsregion.ServiceHost("sns", topic.Partition, topic.Region)
	if !ok {
		return "", fmt.Errorf("TopicArn %q: %q is not a region of partition %q", truncate(topicArn, 200), truncate(topic.Region, 32), truncate(topic.Partition, 32))
	}
	return host, nil
}

// MatchTopic reports whether arn matches pattern, where * matches any run of
// characters (as in IAM resource ARNs) and everything else matches itself.
func MatchTopic(pattern, arn string) bool {
	// Classic greedy wildcard match with backtracking to the last star.
	p, s, star, mark := 0, 0, -1, 0
	for s < len(arn) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case p < len(pattern) && pattern[p] == arn[s]:
			p++
			s++
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// FutureSkew is how far in the future a Timestamp may be before it is
// rejected (clock skew between SNS and this host).
const FutureSkew = 5 * time.Minute

// maxCertSize bounds a downloaded certificate; real ones are about 2 KiB.
const maxCertSize = 16 * 1024

// certCacheSize bounds the certificate cache (SNS uses one certificate per
// region at a time).
const certCacheSize = 64

// certCacheTTL is how long a fetched certificate is reused (or until its
// NotAfter, if that comes first).
const certCacheTTL = 24 * time.Hour

// certFetchTimeout bounds one shared certificate download, retries included.
const certFetchTimeout = 10 * time.Second

// certFailTTL is how long a failed certificate download is remembered.
const certFailTTL = time.Minute

// Verifier checks SNS messages. The zero value rejects every topic; set
// Topics. It is safe for concurrent use once configured.
type Verifier struct {
	// Topics are the accepted TopicArn patterns (* matches any characters).
	// Empty accepts nothing.
	Topics []string
	// MaxAge rejects messages whose Timestamp is older (replays); 0 disables
	// the age and future checks.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Fetch downloads a certificate URL that passed the URL checks; nil means
	// an https GET that follows no redirects, uses HTTPS_PROXY/NO_PROXY and the
	// system trust store (SSL_CERT_FILE), times out after 5 s and reads at
	// most 16 KiB.
	Fetch func(ctx context.Context, url string) ([]byte, error)
	// CertHostPattern replaces DefaultCertHostPattern (e.g. for LocalStack or a
	// new partition); it must match the whole host. When set, the check that
	// the certificate host is in the topic's region is skipped.
	CertHostPattern *regexp.Regexp

	cacheOnce sync.Once
	cache     *expirable.LRU[string, cachedCert] // by URL
	// failed downloads by URL, expired by the Verifier's clock: a plain LRU, since an
	// expirable one starts a goroutine that never ends.
	failOnce sync.Once
	failed   *lru.Cache[string, failedFetch]
	flight   singleflight.Group // one fetch per certificate URL at a time
}

// cachedCert is a fetched key, used until expires by the Verifier's clock (the cache's own TTL
// is measured with the real one).
type cachedCert struct {
	pub     *rsa.PublicKey
	expires time.Time
}

func (v *Verifier) certs() *expirable.LRU[string, cachedCert] {
	v.cacheOnce.Do(func() { v.cache = expirable.NewLRU[string, cachedCert](certCacheSize, nil, certCacheTTL) })
	return v.cache
}

func (v *Verifier) failures() *lru.Cache[string, failedFetch] {
	v.failOnce.Do(func() { v.failed, _ = lru.New[string, failedFetch](certCacheSize) })
	return v.failed
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify checks m: the SignatureVersion ("1" SHA1withRSA or "2"
// SHA256withRSA), the SigningCertURL (before any fetch), the topic
// allowlist, the age, and the signature over StringToSign(m) with the
// certificate's RSA key. The certificate is trusted because it was fetched
// over TLS from an SNS host; its validity dates and chain are not checked
// (SNS serves only the leaf, and old messages are stopped by MaxAge).
// Errors are *RejectError.
func (v *Verifier) Verify(ctx context.Context, m *Message) error {
	if m == nil {
		return reject("bad_json", errors.New("no SNS message"))
	}
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return reject("signature_version", fmt.Errorf("SignatureVersion %q is not 1 or 2", truncate(m.SignatureVersion, 16)))
	}
	hosts := v.CertHostPattern
	if hosts == nil {
		hosts = DefaultCertHostPattern
	}
	if err := checkCertURL(m.SigningCertURL, hosts); err != nil {
		return reject("cert_url", err)
	}
	if v.CertHostPattern == nil {
		if err := checkCertRegion(m.SigningCertURL, m.TopicArn); err != nil {
			return reject("cert_url", err)
		}
	}
	if err := v.checkTopic(m.TopicArn); err != nil {
		return reject("topic", err)
	}
	if err := v.checkAge(m); err != nil {
		return err
	}
	sts, err := StringToSign(m)
	if err != nil {
		return reject("unknown_type", err)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return reject("signature", fmt.Errorf("the Signature is not base64: %w", err))
	}
	pub, err := v.publicKey(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum([]byte(sts)) //nolint:gosec // SignatureVersion 1
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(sts))
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(pub, hash, digest, sig); err != nil {
		return reject("signature", fmt.Errorf("signature (version %s) does not verify with %s: %w", m.SignatureVersion, m.SigningCertURL, err))
	}
	return nil
}

func (v *Verifier) checkTopic(arn string) error {
	if len(v.Topics) == 0 {
		return fmt.Errorf("topic %s is not allowed: no topics are allowed; set alerts.topics", truncate(arn, 300))
	}
	for _, p := range v.Topics {
		if MatchTopic(p, arn) {
			return nil
		}
	}
	return fmt.Errorf("topic %s is not in alerts.topics", truncate(arn, 300))
}

func (v *Verifier) checkAge(m *Message) error {
	ts, err := m.Time()
	if err != nil {
		return reject("bad_timestamp", fmt.Errorf("the Timestamp %q is not ISO-8601 UTC", truncate(m.Timestamp, 64)))
	}
	if v.MaxAge <= 0 {
		return nil
	}
	now := v.now()
	if age := now.Sub(ts); age > v.MaxAge {
		return reject("too_old", fmt.Errorf("message from %s is %s old, more than alerts.max_message_age %s (replay?)", m.Timestamp, age.Round(time.Second), v.MaxAge))
	}
	if ahead := ts.Sub(now); ahead > FutureSkew {
		return reject("too_new", fmt.Errorf("message Timestamp %s is %s in the future", m.Timestamp, ahead.Round(time.Second)))
	}
	return nil
}

// publicKey returns the RSA key of the certificate at certURL, from the cache or by fetching it.
// A burst of messages signed with a certificate not cached yet (at startup, or after a rotation)
// waits for one download instead of starting one each. The download belongs to no request: it
// runs on a context of its own (the values of ctx, not its end) bounded by certFetchTimeout, so
// a client that goes away fails only itself; each caller stops waiting when its own ctx ends. A
// failed download is remembered for certFailTTL: messages in that time are refused as
// cert_fetch (SNS retries them) without fetching again.
func (v *Verifier) publicKey(ctx context.Context, certURL string) (*rsa.PublicKey, error) {
	now := v.now()
	if c, ok := v.certs().Get(certURL); ok && now.Before(c.expires) {
		return c.pub, nil
	}
	if err := v.recentFailure(certURL, now); err != nil {
		return nil, err
	}
	done := v.flight.DoChan(certURL, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), certFetchTimeout)
		defer cancel()
		pub, err := v.fetchKey(fctx, certURL, now)
		if err != nil {
			v.rememberFailure(certURL, err)
		}
		return pub, err
	})
	select {
	case <-ctx.Done():
		return nil, reject("cert_fetch", fmt.Errorf("waiting for %s: %w", certURL, ctx.Err()))
	case res := <-done:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*rsa.PublicKey), nil
	}
}

// failedFetch is a download that failed, remembered until expires by the Verifier's clock.
type failedFetch struct {
	err     error
	expires time.Time
}

// recentFailure is the cert_fetch rejection of a download of certURL that failed less than
// certFailTTL ago, else nil.
func (v *Verifier) recentFailure(certURL string, now time.Time) error {
	f, ok := v.failures().Get(certURL)
	if !ok || !now.Before(f.expires) {
		return nil
	}
	return reject("cert_fetch", fmt.Errorf("%w (failed less than %s ago; not fetched again until %s)", f.err, certFailTTL, f.expires.UTC().Format(time.RFC3339)))
}

// rememberFailure records a failed download (not a certificate that did not parse, which a
// retry would not change).
func (v *Verifier) rememberFailure(certURL string, err error) {
	if re, ok := errors.AsType[*RejectError](err); ok && re.Retryable() {
		v.failures().Add(certURL, failedFetch{err: re.Err, expires: v.now().Add(certFailTTL)})
	}
}

// fetchKey downloads and caches the key of the certificate at certURL.
func (v *Verifier) fetchKey(ctx context.Context, certURL string, now time.Time) (*rsa.PublicKey, error) {
	fetch := v.Fetch
	if fetch == nil {
		fetch = defaultFetch
	}
	body, err := fetch(ctx, certURL)
	if err != nil {
		return nil, reject("cert_fetch", fmt.Errorf("fetching %s: %w", certURL, err))
	}
	cert, err := parseCertPEM(body)
	if err != nil {
		return nil, reject("cert", fmt.Errorf("certificate from %s: %w", certURL, err))
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, reject("cert", fmt.Errorf("certificate from %s has no RSA key", certURL))
	}
	expires := now.Add(certCacheTTL)
	if cert.NotAfter.After(now) && cert.NotAfter.Before(expires) {
		expires = cert.NotAfter
	}
	v.certs().Add(certURL, cachedCert{pub: pub, expires: expires})
	return pub, nil
}

// parseCertPEM accepts exactly one CERTIFICATE PEM block, surrounded by
// whitespace only.
func parseCertPEM(body []byte) (*x509.Certificate, error) {
	trimmed := bytes.TrimSpace(body)
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, errors.New("not a PEM certificate")
	}
	block, rest := pem.Decode(trimmed)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("extra data after the certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

var certClient = &http.Client{
	Timeout: 5 * time.Second,
	// Never follow redirects: the URL was checked, its redirect target was
	// not. The 3xx response is returned and refused as a non-200 status.
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
	// The default transport uses http.ProxyFromEnvironment (HTTPS_PROXY,
	// NO_PROXY) and the system roots (SSL_CERT_FILE, SSL_CERT_DIR).
	Transport: http.DefaultTransport.(*http.Transport).Clone(),
}

// defaultFetch GETs url, retrying network errors and 5xx twice.
func defaultFetch(ctx context.Context, u string) ([]byte, error) {
	var lastErr error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, errors.Join(lastErr, ctx.Err())
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		body, retry, err := fetchOnce(ctx, u)
		if err == nil {
			return body, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return nil, lastErr
}

func fetchOnce(ctx context.Context, u string) (body []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := certClient.Do(req)
	if err != nil {
		return nil, ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode >= 500, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxCertSize+1))
	if err != nil {
		return nil, true, err
	}
	if len(body) > maxCertSize {
		return nil, false, fmt.Errorf("certificate is larger than %d bytes", maxCertSize)
	}
	return body, false, nil
}
