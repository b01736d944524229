package sns

// TestConfirmationFlowGoaws runs the SNS HTTP subscription flow end to end
// against goaws (github.com/Admiral-Piett/goaws), embedded in the test on
// loopback: the real AWS SDK SNS client creates a topic and subscribes our
// Mux, goaws POSTs a signed SubscriptionConfirmation, our Handler verifies it
// and confirms by GETting goaws's SubscribeURL, then a published Notification
// is verified and enqueued.
//
// Findings this test documents (it asserts them, so a change in goaws or in
// the verifier shows up here):
//
//  1. goaws's SigningCertURL is http://127.0.0.1:<port>/SimpleNotificationService/<uuid>.pem.
//     checkCertURL refuses it three times over, whatever CertHostPattern is:
//     the scheme is not https, the host has a port, and the path is not
//     /SimpleNotificationService-<32 hex>.pem. CertHostPattern only replaces
//     the host pattern. So the strict Verifier rejects every goaws delivery
//     with reason "cert_url"; verify.go is not changed for a test double.
//     To still check goaws's signatures under the otherwise strict rules, the
//     test puts a rewriting shim in front of the Mux that replaces only the
//     SigningCertURL (it is not part of the string to sign) with
//     https://127.0.0.1/SimpleNotificationService-<hex>.pem, sets
//     CertHostPattern to ^127\.0\.0\.1$ and injects a Fetch that downloads the
//     original certificate from goaws over plain HTTP on loopback. Plain HTTP
//     certificate fetching is acceptable in this test only.
//  2. goaws always sends "Subject":"" in a Notification (its JSON tags are
//     malformed, so omitempty does not apply) but signs without Subject when
//     it is empty. Our verifier follows AWS: a present Subject, even empty, is
//     in the string to sign. So a goaws Publish without Subject does not
//     verify (reason "signature"); with a non-empty Subject it does.
//  3. goaws has no pending-confirmation state: ConfirmSubscription with the
//     right token just answers the SubscriptionArn, and it delivers to
//     unconfirmed subscriptions. "Confirmed" is shown by that answer.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// goawsDelivery is one POST goaws made to our endpoint.
type goawsDelivery struct {
	typ       string
	strictErr error  // the strict Verifier on the body as goaws sent it
	status    int    // our Handler's answer to the rewritten body
	body      string // as goaws sent it
	sent      string // as handed to our Mux (SigningCertURL rewritten)
}

// goawsRecorder is the state shared by the shim, Enqueue and Confirm.
type goawsRecorder struct {
	mu         sync.Mutex
	certs      map[string]string // rewritten cert URL -> goaws cert URL
	deliveries []goawsDelivery
	enqueued   []*Message
	confirms   []string // ConfirmSubscription answers from goaws
	confirmErr []error
}

func (r *goawsRecorder) snapshot() ([]goawsDelivery, []*Message, []string, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]goawsDelivery(nil), r.deliveries...), append([]*Message(nil), r.enqueued...),
		append([]string(nil), r.confirms...), append([]error(nil), r.confirmErr...)
}

// statusWriter records the status our Handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func TestConfirmationFlowGoaws(t *testing.T) {
	if testing.Short() {
		t.Skip("goaws flow sleeps about a second per subscription")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// goaws, embedded, on loopback only.
	goaws := httptest.NewServer(router.New())
	t.Cleanup(goaws.Close)
	gu, err := url.Parse(goaws.URL)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(gu.Host)
	if err != nil {
		t.Fatal(err)
	}
	if host != "127.0.0.1" {
		t.Fatalf("goaws is not on loopback: %s", gu.Host)
	}
	const region, account = "us-east-1", "100010001000"
	app.CurrentEnvironment = app.Environment{Host: host, Port: port, Region: region, AccountID: account}
	topicName := fmt.Sprintf("cisbot-goaws-%d", time.Now().UnixNano())
	topicArn := "arn:aws:sns:" + region + ":" + account + ":" + topicName

	rec := &goawsRecorder{certs: map[string]string{}}
	certClient := &http.Client{Timeout: 5 * time.Second}

	topics := []string{"arn:aws:sns:" + region + ":" + account + ":cisbot-goaws-*"}
	// strict is the production configuration: default cert host pattern,
	// default fetch (never reached: the URL check fails first).
	strict := &Verifier{Topics: topics, MaxAge: time.Hour}
	// pattern alone is not enough either: the scheme, port and path checks
	// are independent of CertHostPattern.
	pattern := &Verifier{Topics: topics, MaxAge: time.Hour, CertHostPattern: regexp.MustCompile(`^127\.0\.0\.1$`)}

	verifier := &Verifier{
		Topics:          topics,
		MaxAge:          time.Hour,
		CertHostPattern: regexp.MustCompile(`^127\.0\.0\.1$`),
		// Test only: fetch goaws's certificate over plain HTTP on loopback.
		Fetch: func(ctx context.Context, u string) ([]byte, error) {
			rec.mu.Lock()
			orig, ok := rec.certs[u]
			rec.mu.Unlock()
			if !ok || !strings.HasPrefix(orig, goaws.URL+"/SimpleNotificationService/") {
				return nil, fmt.Errorf("unexpected certificate URL %s", u)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, orig, nil)
			if err != nil {
				return nil, err
			}
			resp, err := certClient.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("HTTP %s", resp.Status)
			}
			return io.ReadAll(io.LimitReader(resp.Body, maxCertSize))
		},
	}

	h := &Handler{
		Verifier: verifier,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics:  NewMetrics(nil),
		// goaws's topics are in its one account.
		KnownAccount: func(_ context.Context, account string) (bool, error) { return account == "100010001000", nil },
		Enqueue: func(_ context.Context, m *Message, _ []byte) (bool, error) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.enqueued = append(rec.enqueued, m)
			return true, nil
		},
		// What the real confirmer's fallback does: GET the SubscribeURL. Here
		// it points at goaws on loopback, so it is called directly.
		Confirm: func(ctx context.Context, m *Message) error {
			err := func() error {
				if !strings.HasPrefix(m.SubscribeURL, goaws.URL+"/?Action=ConfirmSubscription&") {
					return fmt.Errorf("SubscribeURL %q is not goaws's", m.SubscribeURL)
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.SubscribeURL, nil)
				if err != nil {
					return err
				}
				resp, err := certClient.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
				if err != nil {
					return err
				}
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("ConfirmSubscription: HTTP %s: %s", resp.Status, body)
				}
				rec.mu.Lock()
				rec.confirms = append(rec.confirms, string(body))
				rec.mu.Unlock()
				return nil
			}()
			if err != nil {
				rec.mu.Lock()
				rec.confirmErr = append(rec.confirmErr, err)
				rec.mu.Unlock()
			}
			return err
		},
	}
	mux := Mux(DefaultPath, h)

	// The shim: check the body as goaws sent it with the strict verifiers,
	// then replace only the SigningCertURL and hand it to our Mux.
	shim := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, MaxMessageSize+1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d := goawsDelivery{body: string(raw)}
		m, perr := ParseMessage(raw)
		if perr == nil {
			d.typ = m.Type
			d.strictErr = strict.Verify(r.Context(), m)
			if err := pattern.Verify(r.Context(), m); !hasReason(err, "cert_url") {
				d.strictErr = errors.Join(d.strictErr, fmt.Errorf("CertHostPattern-only verifier: want cert_url, got %v", err))
			}
			sum := sha256.Sum256([]byte(m.SigningCertURL))
			rewritten := "https://127.0.0.1/SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"
			oldJSON, _ := json.Marshal(m.SigningCertURL)
			newJSON, _ := json.Marshal(rewritten)
			key := `"SigningCertURL":`
			raw = []byte(strings.Replace(string(raw), key+string(oldJSON), key+string(newJSON), 1))
			rec.mu.Lock()
			rec.certs[rewritten] = m.SigningCertURL
			rec.mu.Unlock()
		}
		d.sent = string(raw)
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(strings.NewReader(string(raw)))
		r2.ContentLength = int64(len(raw))
		sw := &statusWriter{ResponseWriter: w}
		mux.ServeHTTP(sw, r2)
		d.status = sw.status
		rec.mu.Lock()
		rec.deliveries = append(rec.deliveries, d)
		rec.mu.Unlock()
	})
	ours := httptest.NewServer(shim)
	t.Cleanup(ours.Close)

	client := sns.New(sns.Options{
		Region:       region,
		BaseEndpoint: aws.String(goaws.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})

	ct, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topicName)})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if got := aws.ToString(ct.TopicArn); got != topicArn {
		t.Fatalf("TopicArn = %q, want %q", got, topicArn)
	}

	// goaws POSTs the SubscriptionConfirmation from inside the Subscribe
	// call, about a second after answering it.
	sub, err := client.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: ct.TopicArn,
		Protocol: aws.String("http"),
		Endpoint: aws.String(ours.URL + DefaultPath),
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	subArn := aws.ToString(sub.SubscriptionArn)
	if !strings.HasPrefix(subArn, topicArn+":") {
		t.Fatalf("SubscriptionArn = %q", subArn)
	}

	deliveries := waitDeliveries(ctx, t, rec, 1)
	d := deliveries[0]
	if d.typ != TypeSubscriptionConfirmation {
		t.Fatalf("first delivery is %q, want SubscriptionConfirmation: %s", d.typ, d.body)
	}
	// Finding 1: the strict verifier refuses goaws's certificate URL.
	if !hasReason(d.strictErr, "cert_url") || !strings.Contains(d.strictErr.Error(), "is not https") {
		t.Errorf("strict verifier on goaws's SubscriptionConfirmation: got %v, want cert_url (not https)", d.strictErr)
	}
	t.Logf("finding 1, strict verifier on goaws's delivery: %v", d.strictErr)
	// With only the certificate URL rewritten, goaws's SignatureVersion 1
	// signature verifies and the confirmation goes through.
	if d.status != http.StatusOK {
		t.Fatalf("our handler answered %d to the SubscriptionConfirmation", d.status)
	}
	_, enq, confirms, confirmErrs := rec.snapshot()
	if len(confirmErrs) != 0 {
		t.Fatalf("Confirm failed: %v", confirmErrs)
	}
	if len(confirms) != 1 || !strings.Contains(confirms[0], "<SubscriptionArn>"+subArn+"</SubscriptionArn>") {
		t.Fatalf("goaws's ConfirmSubscription answer does not name %s: %q", subArn, confirms)
	}
	if len(enq) != 1 || enq[0].Type != TypeSubscriptionConfirmation || enq[0].SignatureVersion != "1" || enq[0].TopicArn != topicArn {
		t.Fatalf("enqueued %+v, want the SubscriptionConfirmation", enq)
	}

	ls, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: ct.TopicArn})
	if err != nil {
		t.Fatalf("ListSubscriptionsByTopic: %v", err)
	}
	if len(ls.Subscriptions) != 1 || aws.ToString(ls.Subscriptions[0].SubscriptionArn) != subArn ||
		aws.ToString(ls.Subscriptions[0].Endpoint) != ours.URL+DefaultPath {
		t.Fatalf("goaws subscriptions: %+v", ls.Subscriptions)
	}

	// A Notification with a Subject verifies and is enqueued (its alarm is of goaws's account,
	// which owns the topic).
	pub, err := client.Publish(ctx, &sns.PublishInput{
		TopicArn: ct.TopicArn,
		Subject:  aws.String("ALARM: cisbot goaws test"),
		Message: aws.String(`{"AlarmName":"goaws-test","NewStateValue":"ALARM","AWSAccountId":"100010001000",` +
			`"AlarmArn":"arn:aws:cloudwatch:us-east-1:100010001000:alarm:goaws-test"}`),
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if aws.ToString(pub.MessageId) == "" {
		t.Error("Publish returned no MessageId")
	}
	deliveries = waitDeliveries(ctx, t, rec, 2)
	d = deliveries[1]
	if d.typ != TypeNotification {
		t.Fatalf("second delivery is %q, want Notification: %s", d.typ, d.body)
	}
	if !hasReason(d.strictErr, "cert_url") {
		t.Errorf("strict verifier on goaws's Notification: got %v, want cert_url", d.strictErr)
	}
	if d.status != http.StatusOK {
		t.Fatalf("our handler answered %d to the Notification with a Subject", d.status)
	}
	_, enq, _, _ = rec.snapshot()
	if len(enq) != 2 {
		t.Fatalf("enqueued %d messages, want 2", len(enq))
	}
	n := enq[1]
	if n.Type != TypeNotification || n.TopicArn != topicArn || n.Subject == nil ||
		*n.Subject != "ALARM: cisbot goaws test" || !strings.Contains(n.Message, "goaws-test") {
		t.Fatalf("enqueued notification %+v", n)
	}

	// Finding 2: without a Subject goaws sends "Subject":"" but signs without
	// it, so the signature does not verify under our (AWS's) rule.
	if _, err := client.Publish(ctx, &sns.PublishInput{
		TopicArn: ct.TopicArn,
		Message:  aws.String("no subject"),
	}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	deliveries = waitDeliveries(ctx, t, rec, 3)
	d = deliveries[2]
	if !strings.Contains(d.body, `"Subject":""`) {
		t.Errorf("goaws no longer sends an empty Subject: %s", d.body)
	}
	if d.status != http.StatusBadRequest {
		t.Errorf("our handler answered %d to goaws's Notification without Subject; want 400 (signature)", d.status)
	}
	m, err := ParseMessage([]byte(d.sent))
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.Verify(ctx, m); !hasReason(err, "signature") {
		t.Errorf("Notification without Subject: got %v, want reason signature", err)
	} else {
		t.Logf("finding 2, goaws Notification without Subject: %v", err)
	}
	if _, enq, _, _ = rec.snapshot(); len(enq) != 2 {
		t.Errorf("the unverifiable Notification was enqueued")
	}
}

func hasReason(err error, reason string) bool {
	var re *RejectError
	return errors.As(err, &re) && re.Reason == reason
}

// waitDeliveries waits until goaws has made n POSTs to our endpoint.
func waitDeliveries(ctx context.Context, t *testing.T, rec *goawsRecorder, n int) []goawsDelivery {
	t.Helper()
	for {
		d, _, _, _ := rec.snapshot()
		if len(d) >= n {
			return d
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waited for %d deliveries from goaws, got %d", n, len(d))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
