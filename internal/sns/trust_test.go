package sns

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The tests of this file stop the attacks on trust between the fields of a signed message: an
// alarm of one account published to a topic of another, a subscription to a topic of an account
// that is not ours, regions and hosts that are not SNS's, and a client that leaves during the
// shared certificate download.

const (
	prodAccount    = "111111111111"
	sandboxAccount = "222222222222"
	trustCertURL   = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
)

var trustAt = time.Date(2026, 3, 2, 10, 21, 0, 0, time.UTC)

// signedNotification is a Notification of topic carrying message, signed with s.
func signedNotification(t *testing.T, s *testSigner, id, topic, certURL, message string) []byte {
	t.Helper()
	subject := "ALARM: \"cis\" in US East (N. Virginia)"
	m := &Message{
		Type: TypeNotification, MessageId: id, TopicArn: topic, Subject: &subject, Message: message,
		Timestamp: trustAt.Format("2006-01-02T15:04:05.000Z"), SignatureVersion: "2", SigningCertURL: certURL,
	}
	s.sign(t, m)
	body, err := json.Marshal(map[string]string{
		"Type": m.Type, "MessageId": m.MessageId, "TopicArn": m.TopicArn, "Subject": subject, "Message": m.Message,
		"Timestamp": m.Timestamp, "SignatureVersion": m.SignatureVersion, "Signature": m.Signature, "SigningCertURL": m.SigningCertURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// alarmMessage is a CloudWatch alarm naming account and, unless arnAccount is "", an AlarmArn in
// arnAccount.
func alarmMessage(account, arnAccount string) string {
	m := map[string]any{
		"AlarmName": "unauthorized_api_calls_alarm", "AWSAccountId": account, "NewStateValue": "ALARM", "OldStateValue": "OK",
		"StateChangeTime": "2026-03-02T10:20:41.562+0000", "Region": "US East (N. Virginia)",
		"Trigger": map[string]any{"MetricName": "unauthorized_api_calls_metric", "Namespace": "CISBenchmark", "Period": 300, "EvaluationPeriods": 1},
	}
	if arnAccount != "" {
		m["AlarmArn"] = "arn:aws:cloudwatch:us-east-1:" + arnAccount + ":alarm:unauthorized_api_calls_alarm"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestHandlerAlarmAccount: a correctly signed notification from a sandbox account's topic whose
// alarm names prod (in AWSAccountId, in AlarmArn, or both) is refused before it is stored.
func TestHandlerAlarmAccount(t *testing.T) {
	signer := newTestSigner(t)
	topic := "arn:aws:sns:us-east-1:" + sandboxAccount + ":cis-alarms"
	tests := []struct {
		name, message string
		wantStatus    int
	}{
		{"alarm of the topic's account", alarmMessage(sandboxAccount, sandboxAccount), 200},
		{"alarm without AlarmArn: its account cannot be checked", alarmMessage(sandboxAccount, ""), 403},
		{"not an alarm: relayed as today", "Relay check: nothing to see", 200},
		{"AWSAccountId of prod", alarmMessage(prodAccount, sandboxAccount), 403},
		{"AlarmArn of prod", alarmMessage(sandboxAccount, prodAccount), 403},
		{"AWSAccountId and AlarmArn of prod", alarmMessage(prodAccount, prodAccount), 403},
		{"AWSAccountId of prod, no AlarmArn", alarmMessage(prodAccount, ""), 403},
		{"AWSAccountId not 12 digits", alarmMessage(sandboxAccount+"0", ""), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fetches atomic.Int32
			v := &Verifier{Topics: []string{topic}, MaxAge: time.Hour, Now: func() time.Time { return trustAt },
				Fetch: func(context.Context, string) ([]byte, error) { fetches.Add(1); return signer.certPEM, nil }}
			deps := &fakeDeps{added: true}
			e := newTestEndpoint(t, v, deps)
			status, _, _ := e.do(t, http.MethodPost, "/sns", signedNotification(t, signer, "m-1", topic, trustCertURL, tt.message), nil)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; log:\n%s", status, tt.wantStatus, e.logs.String())
			}
			enqueued, _ := deps.counts()
			if tt.wantStatus == 200 {
				if enqueued != 1 {
					t.Errorf("enqueued %d, want 1", enqueued)
				}
				return
			}
			if enqueued != 0 {
				t.Errorf("a forged alarm was stored (%d)", enqueued)
			}
			if got := counter(t, e.reg, "cisbot_sns_rejected_total", map[string]string{"reason": "account_mismatch"}); got != 1 {
				t.Errorf("rejected{reason=account_mismatch} = %v, want 1", got)
			}
			log := e.logs.String()
			if !strings.Contains(log, "topic_account="+sandboxAccount) || !strings.Contains(log, "alarm_") {
				t.Errorf("the log does not name both accounts:\n%s", log)
			}
		})
	}
}

// subscribeServer stands in for SNS's SubscribeURL: a TLS server on loopback that counts its
// requests, and a client that reaches it whatever host a URL names.
func subscribeServer(t *testing.T) (*http.Client, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("<ConfirmSubscriptionResponse/>"))
	}))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the test server's own certificate
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, &hits
}

// TestHandlerSubscriptionAccount: a SubscriptionConfirmation is confirmed only for a topic of a
// known account; any other is refused and its SubscribeURL never fetched.
func TestHandlerSubscriptionAccount(t *testing.T) {
	tests := []struct {
		name       string
		known      map[string]bool
		knownErr   error
		wantStatus int
		wantReason string // rejected{reason}
		wantFetch  int32
	}{
		{name: "configured account", known: map[string]bool{testAccount: true}, wantStatus: 200, wantFetch: 1},
		{name: "unknown account", known: map[string]bool{prodAccount: true}, wantStatus: 403, wantReason: "unknown_account"},
		{name: "no accounts", known: map[string]bool{}, wantStatus: 403, wantReason: "unknown_account"},
		{name: "accounts not resolved", known: map[string]bool{}, knownErr: errors.New("sts: expired token"), wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, v := signedConfirmation(t, TypeSubscriptionConfirmation)
			client, hits := subscribeServer(t)
			deps := &fakeDeps{added: true, known: tt.known, knownErr: tt.knownErr}
			e := newTestEndpoint(t, v, deps)
			e.h.Confirm = (&Confirmer{Client: client}).Confirm
			status, _, _ := e.do(t, http.MethodPost, "/sns", body, nil)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; log:\n%s", status, tt.wantStatus, e.logs.String())
			}
			if n := hits.Load(); n != tt.wantFetch {
				t.Errorf("SubscribeURL fetched %d times, want %d", n, tt.wantFetch)
			}
			enqueued, _ := deps.counts()
			if want := int(tt.wantFetch); enqueued != want {
				t.Errorf("enqueued %d, want %d", enqueued, want)
			}
			if tt.wantReason != "" {
				if got := counter(t, e.reg, "cisbot_sns_rejected_total", map[string]string{"reason": tt.wantReason}); got != 1 {
					t.Errorf("rejected{reason=%q} = %v, want 1", tt.wantReason, got)
				}
				if !strings.Contains(e.logs.String(), "reason="+tt.wantReason) {
					t.Errorf("no log line with the reason:\n%s", e.logs.String())
				}
			}
		})
	}
}

// TestVerifyRegionAttacks: a region taken from the TopicArn must be a region of its partition,
// and the certificate must come from SNS's host in that region; nothing else is fetched.
func TestVerifyRegionAttacks(t *testing.T) {
	signer := newTestSigner(t)
	const p = "/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
	tests := []struct{ name, topic, certURL string }{
		{"bogus region in TopicArn", "arn:aws:sns:evil-east-1:" + sandboxAccount + ":t", "https://sns.evil-east-1.amazonaws.com" + p},
		{"S3 endpoint as a region", "arn:aws:sns:s3-us-west-2:" + sandboxAccount + ":t", "https://sns.s3-us-west-2.amazonaws.com" + p},
		{"certificate host of another region", "arn:aws:sns:us-east-1:" + sandboxAccount + ":t", "https://sns.eu-west-1.amazonaws.com" + p},
		{"certificate host of another partition", "arn:aws:sns:us-east-1:" + sandboxAccount + ":t", "https://sns.cn-north-1.amazonaws.com.cn" + p},
		{"China's region in the commercial partition", "arn:aws:sns:cn-north-1:" + sandboxAccount + ":t", "https://sns.cn-north-1.amazonaws.com" + p},
		{"S3 host", "arn:aws:sns:us-west-2:" + sandboxAccount + ":t", "https://s3-us-west-2.amazonaws.com" + p},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fetches atomic.Int32
			v := &Verifier{Topics: []string{"arn:aws:sns:*"}, MaxAge: time.Hour, Now: func() time.Time { return trustAt },
				Fetch: func(context.Context, string) ([]byte, error) { fetches.Add(1); return signer.certPEM, nil }}
			m, err := ParseMessage(signedNotification(t, signer, "m-1", tt.topic, tt.certURL, "hello"))
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(context.Background(), m); reasonOf(err) != "cert_url" || fetches.Load() != 0 {
				t.Errorf("Verify = %v after %d fetches; want cert_url before any fetch", err, fetches.Load())
			}
		})
	}
}

// TestVerifyClientLeavesDuringDownload: the shared certificate download belongs to no request. A
// client that disconnects while it runs stops waiting at once; the others sharing the download
// still get the key, and it is fetched once.
func TestVerifyClientLeavesDuringDownload(t *testing.T) {
	signer := newTestSigner(t)
	var hits atomic.Int32
	arrived, release := make(chan struct{}, 4), make(chan struct{})
	certSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		arrived <- struct{}{}
		select {
		case <-release:
			_, _ = w.Write(signer.certPEM)
		case <-r.Context().Done():
		}
	}))
	defer certSrv.Close()
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseAll()
	topic := "arn:aws:sns:us-east-1:" + sandboxAccount + ":cis-alarms"
	v := &Verifier{Topics: []string{topic}, MaxAge: time.Hour, Now: func() time.Time { return trustAt },
		// The download itself, on the context it is given, from a server that holds it open.
		Fetch: func(ctx context.Context, _ string) ([]byte, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, certSrv.URL+"/cert.pem", nil)
			if err != nil {
				return nil, err
			}
			resp, err := certSrv.Client().Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return []byte(b.String()), nil
		},
	}
	deps := &fakeDeps{added: true}
	e := newTestEndpoint(t, v, deps)

	// The first client posts, the download starts, and a second client arrives.
	leaving, leave := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(leaving, http.MethodPost, e.srv.URL+"/sns",
			strings.NewReader(string(signedNotification(t, signer, "m-1", topic, trustCertURL, "first"))))
		resp, err := e.srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		first <- err
	}()
	<-arrived
	second := make(chan int, 1)
	go func() {
		status, _, _ := e.do(t, http.MethodPost, "/sns", signedNotification(t, signer, "m-2", topic, trustCertURL, "second"), nil)
		second <- status
	}()
	time.Sleep(50 * time.Millisecond) // let the second request reach the shared download

	// The first client disconnects; the endpoint stops waiting for it before the download ends.
	leave()
	<-first
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.logs.String(), "message_id=m-1") {
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint still waits for the download on the leaving client's behalf; log:\n%s", e.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	releaseAll()
	select {
	case status := <-second:
		if status != http.StatusOK {
			t.Fatalf("the other client got %d, want 200; log:\n%s", status, e.logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the other client got no answer")
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("certificate downloaded %d times, want 1", n)
	}
	if enqueued, _ := deps.counts(); enqueued != 1 {
		t.Errorf("enqueued %d, want the second message only", enqueued)
	}
}

// TestVerifyFailedDownloadRemembered: a certificate download that failed is not tried again for a
// minute; messages in that minute are refused as cert_fetch (retryable) at once.
func TestVerifyFailedDownloadRemembered(t *testing.T) {
	signer := newTestSigner(t)
	topic := "arn:aws:sns:us-east-1:" + sandboxAccount + ":cis-alarms"
	now := trustAt
	var fetches atomic.Int32
	failing := true
	v := &Verifier{Topics: []string{topic}, MaxAge: time.Hour, Now: func() time.Time { return now },
		Fetch: func(context.Context, string) ([]byte, error) {
			fetches.Add(1)
			if failing {
				return nil, errors.New("connection reset by peer")
			}
			return signer.certPEM, nil
		}}
	m, err := ParseMessage(signedNotification(t, signer, "m-1", topic, trustCertURL, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		after       time.Duration // since the previous step
		fail        bool
		wantReason  string
		wantFetches int32
	}{
		{"download fails", 0, true, "cert_fetch", 1},
		{"within the minute: refused without fetching", 30 * time.Second, false, "cert_fetch", 1},
		{"still within the minute", 29 * time.Second, false, "cert_fetch", 1},
		{"after the minute: fetched again", 2 * time.Second, false, "", 2},
		{"then cached", time.Second, false, "", 2},
	}
	for _, s := range steps {
		now, failing = now.Add(s.after), s.fail
		err := v.Verify(context.Background(), m)
		if reasonOf(err) != s.wantReason || fetches.Load() != s.wantFetches {
			t.Fatalf("%s: Verify = %v after %d fetches; want reason %q after %d", s.name, err, fetches.Load(), s.wantReason, s.wantFetches)
		}
		if err != nil {
			if re, _ := errors.AsType[*RejectError](err); !re.Retryable() {
				t.Errorf("%s: %v is not retryable", s.name, err)
			}
		}
	}
}
