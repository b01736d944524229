package sns

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadMessage parses a testdata file.
func loadMessage(t *testing.T, file string) *Message {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMessage(body)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

var certNameRE = regexp.MustCompile(`^SimpleNotificationService-([0-9a-f]{32})\.pem$`)

// localFetch stands in for the network download ONLY: it serves, for a
// SigningCertURL .../SimpleNotificationService-<hex>.pem, the real certificate
// testdata/sns/cert-<hex>-<year>.pem that AWS served at that URL. Everything
// else in Verify (URL checks, parsing, signature) runs as in production.
func localFetch(t *testing.T, calls *atomic.Int32) func(context.Context, string) ([]byte, error) {
	t.Helper()
	return func(_ context.Context, u string) ([]byte, error) {
		calls.Add(1)
		m := certNameRE.FindStringSubmatch(path.Base(u))
		if m == nil {
			return nil, fmt.Errorf("no local certificate for %s", u)
		}
		files, _ := filepath.Glob(filepath.Join("testdata", "sns", "cert-"+m[1]+"-*.pem"))
		if len(files) != 1 {
			return nil, fmt.Errorf("no local certificate for %s", u)
		}
		return os.ReadFile(files[0])
	}
}

// verifierAt returns a verifier whose clock is the message's own Timestamp
// (the certificates have long expired) and that allows the message's topic.
func verifierAt(t *testing.T, m *Message, calls *atomic.Int32) *Verifier {
	t.Helper()
	ts, err := m.Time()
	if err != nil {
		t.Fatal(err)
	}
	return &Verifier{
		Topics: []string{"arn:aws:sns:*"},
		MaxAge: time.Hour,
		Now:    func() time.Time { return ts.Add(time.Second) },
		Fetch:  localFetch(t, calls),
	}
}

func reasonOf(err error) string {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Reason
	}
	return ""
}

func TestVerifyRealMessages(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sns", "*.json"))
	if len(files) != 5 {
		t.Fatalf("want 5 real messages, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m := loadMessage(t, f)
			var calls atomic.Int32
			v := verifierAt(t, m, &calls)
			if err := v.Verify(context.Background(), m); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if calls.Load() != 1 {
				t.Errorf("fetches = %d, want 1", calls.Load())
			}
		})
	}
}

func TestVerifyNegative(t *testing.T) {
	tests := []struct {
		file      string
		reason    string
		wantFetch bool
	}{
		{"tampered-message.json", "signature", true},
		{"subject-removed.json", "signature", true},
		{"v2-signature-labelled-v1.json", "signature", true},
		{"certurl-http.json", "cert_url", false},
		{"certurl-s3-host.json", "cert_url", false},
		{"certurl-suffix-trick.json", "cert_url", false},
		{"signatureversion-3.json", "signature_version", false},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "sns", "negative", "*.json"))
	if len(files) != len(tests) {
		t.Fatalf("negative files = %d, table = %d", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := loadMessage(t, filepath.Join("testdata", "sns", "negative", tt.file))
			var calls atomic.Int32
			v := verifierAt(t, m, &calls)
			err := v.Verify(context.Background(), m)
			if got := reasonOf(err); got != tt.reason {
				t.Fatalf("reason = %q (%v), want %q", got, err, tt.reason)
			}
			if fetched := calls.Load() > 0; fetched != tt.wantFetch {
				t.Errorf("fetched = %v, want %v", fetched, tt.wantFetch)
			}
		})
	}
}

func TestVerifyTopics(t *testing.T) {
	m := loadMessage(t, filepath.Join("testdata", "sns", "notification-v1-subject-2022.json"))
	tests := []struct {
		topics []string
		ok     bool
	}{
		{nil, false},
		{[]string{}, false},
		{[]string{m.TopicArn}, true},
		{[]string{"arn:aws:sns:us-east-2:295079676684:publish-and-verify-*"}, true},
		{[]string{"arn:aws:sns:*:295079676684:*"}, true},
		{[]string{"arn:aws:sns:us-east-1:295079676684:*", "arn:aws:sns:us-east-2:*"}, true},
		{[]string{"arn:aws:sns:us-east-2:111111111111:*"}, false},
		{[]string{"arn:aws:sns:us-east-2:295079676684:publish-and-verify"}, false},
		{[]string{"arn:aws:sns:us-east-2:295079676684:other-*"}, false},
	}
	for _, tt := range tests {
		var calls atomic.Int32
		v := verifierAt(t, m, &calls)
		v.Topics = tt.topics
		err := v.Verify(context.Background(), m)
		if tt.ok != (err == nil) {
			t.Errorf("topics %q: err = %v, want ok=%v", tt.topics, err, tt.ok)
		}
		if !tt.ok {
			if reasonOf(err) != "topic" || calls.Load() != 0 {
				t.Errorf("topics %q: reason %q, fetches %d; want topic, 0", tt.topics, reasonOf(err), calls.Load())
			}
			if len(tt.topics) == 0 && !strings.Contains(err.Error(), "set alerts.topics") {
				t.Errorf("empty topics error %q does not say to set alerts.topics", err)
			}
		}
	}
}

func TestMatchTopic(t *testing.T) {
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:sns:us-east-1:123456789012:cis", "arn:aws:sns:us-east-1:123456789012:cis", true},
		{"arn:aws:sns:us-east-1:123456789012:cis", "arn:aws:sns:us-east-1:123456789012:cis2", false},
		{"arn:aws:sns:us-east-1:123456789012:cis", "arn:aws:sns:us-east-1:123456789012:ci", false},
		{"*", "anything", true},
		{"arn:aws:sns:*:123456789012:cis", "arn:aws:sns:eu-west-1:123456789012:cis", true},
		{"arn:aws:sns:*:123456789012:cis", "arn:aws:sns:eu-west-1:999999999999:cis", false},
		{"arn:aws:sns:*:*:cis-*", "arn:aws:sns:eu-west-1:1:cis-alarms", true},
		{"arn:aws:sns:*:*:cis-*", "arn:aws:sns:eu-west-1:1:other", false},
		{"a*b*c", "aXXbYYbZc", true},
		{"a*b*c", "aXXbYYbZ", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := MatchTopic(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("MatchTopic(%q, %q) = %v", tt.pattern, tt.arn, got)
		}
	}
}

func TestVerifyMaxAge(t *testing.T) {
	m := loadMessage(t, filepath.Join("testdata", "sns", "notification-v2-nosubject-2022.json"))
	ts, _ := m.Time()
	tests := []struct {
		name   string
		maxAge time.Duration
		now    time.Time
		reason string
	}{
		{"fresh", time.Hour, ts.Add(59 * time.Minute), ""},
		{"replay", time.Hour, ts.Add(61 * time.Minute), "too_old"},
		{"disabled", 0, ts.Add(1000 * time.Hour), ""},
		{"small skew", time.Hour, ts.Add(-time.Minute), ""},
		{"far future", time.Hour, ts.Add(-time.Hour), "too_new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			v := verifierAt(t, m, &calls)
			v.MaxAge = tt.maxAge
			v.Now = func() time.Time { return tt.now }
			err := v.Verify(context.Background(), m)
			if got := reasonOf(err); got != tt.reason || (tt.reason == "" && err != nil) {
				t.Fatalf("err = %v, want reason %q", err, tt.reason)
			}
			if tt.reason != "" && calls.Load() != 0 {
				t.Errorf("fetched before rejecting an old message")
			}
		})
	}
}

func TestVerifyCertCache(t *testing.T) {
	a := loadMessage(t, filepath.Join("testdata", "sns", "notification-v1-subject-2022.json"))
	b := loadMessage(t, filepath.Join("testdata", "sns", "notification-v1-nosubject-2022.json"))
	var calls atomic.Int32
	v := verifierAt(t, a, &calls)
	v.MaxAge = 0 // the two messages are 90 minutes apart
	for _, m := range []*Message{a, b, a} {
		if err := v.Verify(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("fetches = %d, want 1 (cached by URL)", calls.Load())
	}
	// After the cache TTL the certificate is fetched again.
	ts, _ := a.Time()
	v.Now = func() time.Time { return ts.Add(certCacheTTL + time.Minute) }
	if err := v.Verify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("fetches = %d after TTL, want 2", calls.Load())
	}
}

func TestCertCacheBounded(t *testing.T) {
	pemBytes, err := os.ReadFile(filepath.Join("testdata", "sns", "cert-7ff5318490ec183fbaddaa2a969abfda-2021.pem"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC)
	v := &Verifier{
		Now:   func() time.Time { return now },
		Fetch: func(context.Context, string) ([]byte, error) { return pemBytes, nil },
	}
	for i := range certCacheSize * 2 {
		now = now.Add(time.Second)
		if _, err := v.publicKey(context.Background(), fmt.Sprintf("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-%032x.pem", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.certs().Len(); n > certCacheSize {
		t.Errorf("cache holds %d entries, bound is %d", n, certCacheSize)
	}
}

func TestVerifyCertProblems(t *testing.T) {
	m := loadMessage(t, filepath.Join("testdata", "sns", "notification-v1-subject-2022.json"))
	good, err := os.ReadFile(filepath.Join("testdata", "sns", "cert-7ff5318490ec183fbaddaa2a969abfda-2021.pem"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(filepath.Join("testdata", "sns", "cert-b95095beb82e8f6a046b3aafc7f4149a-2016.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		body      []byte
		fetchErr  error
		reason    string
		retryable bool
	}{
		{"network error", nil, errors.New("connection refused"), "cert_fetch", true},
		{"not PEM", []byte("<html>hello</html>"), nil, "cert", false},
		{"two certificates", append(append([]byte{}, good...), good...), nil, "cert", false},
		{"trailing garbage", append(append([]byte{}, good...), "junk"...), nil, "cert", false},
		{"wrong certificate", other, nil, "signature", false},
		{"good with whitespace", append(append([]byte("\n"), good...), "\n\n"...), nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			v := verifierAt(t, m, &calls)
			v.Fetch = func(context.Context, string) ([]byte, error) { return tt.body, tt.fetchErr }
			err := v.Verify(context.Background(), m)
			if got := reasonOf(err); got != tt.reason || (tt.reason == "" && err != nil) {
				t.Fatalf("err = %v, want reason %q", err, tt.reason)
			}
			var re *RejectError
			if errors.As(err, &re) && re.Retryable() != tt.retryable {
				t.Errorf("Retryable = %v", re.Retryable())
			}
		})
	}
}

func TestVerifyCertRegionMustMatchTopic(t *testing.T) {
	m := loadMessage(t, filepath.Join("testdata", "sns", "notification-v1-subject-2022.json"))
	var calls atomic.Int32
	v := verifierAt(t, m, &calls)
	m.SigningCertURL = strings.Replace(m.SigningCertURL, "us-east-2", "us-west-2", 1)
	if err := v.Verify(context.Background(), m); reasonOf(err) != "cert_url" || calls.Load() != 0 {
		t.Fatalf("err = %v, fetches %d; want cert_url without fetch", err, calls.Load())
	}
	cn := *m
	cn.TopicArn = strings.Replace(m.TopicArn, "arn:aws:", "arn:aws-cn:", 1)
	cn.SigningCertURL = strings.Replace(m.SigningCertURL, "us-west-2", "us-east-2", 1)
	if err := v.Verify(context.Background(), &cn); reasonOf(err) != "cert_url" {
		t.Fatalf("aws-cn topic with .amazonaws.com cert: err = %v, want cert_url", err)
	}
}

// TestVerifyConfirmationTypes signs Subscription- and UnsubscribeConfirmation
// messages with a test key (no real ones are public) to check the type-specific
// string to sign end to end, with both signature versions.
func TestVerifyConfirmationTypes(t *testing.T) {
	signer := newTestSigner(t)
	certPEM := signer.certPEM
	for _, typ := range []string{TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation} {
		for _, ver := range []string{"1", "2"} {
			m := &Message{
				Type:             typ,
				MessageId:        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
				Token:            "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
				TopicArn:         "arn:aws:sns:eu-west-1:123456789012:cis-alarms",
				Message:          "You have chosen to subscribe to the topic arn:aws:sns:eu-west-1:123456789012:cis-alarms.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
				SubscribeURL:     "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:123456789012:cis-alarms&Token=2336412f37",
				Timestamp:        "2024-06-01T12:00:00.000Z",
				SignatureVersion: ver,
				SigningCertURL:   "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem",
			}
			signer.sign(t, m)
			ts, _ := m.Time()
			v := &Verifier{
				Topics: []string{"arn:aws:sns:eu-west-1:123456789012:cis-alarms"},
				MaxAge: time.Hour,
				Now:    func() time.Time { return ts },
				Fetch:  func(context.Context, string) ([]byte, error) { return certPEM, nil },
			}
			if err := v.Verify(context.Background(), m); err != nil {
				t.Errorf("%s v%s: %v", typ, ver, err)
			}
			// The Token is signed for confirmations.
			m.Token += "0"
			if err := v.Verify(context.Background(), m); reasonOf(err) != "signature" {
				t.Errorf("%s v%s with changed Token: err = %v, want signature", typ, ver, err)
			}
		}
	}
}

func TestStringToSign(t *testing.T) {
	subject := "Hello world"
	empty := ""
	base := Message{
		MessageId: "id", Token: "tok", TopicArn: "arn:aws:sns:us-east-1:1:t", Message: "line1\nline2 🍌",
		Timestamp: "2022-07-28T22:53:49.654Z", SubscribeURL: "https://sub", UnsubscribeURL: "https://unsub",
		SignatureVersion: "1", Signature: "sig", SigningCertURL: "https://cert",
	}
	with := func(typ string, subj *string) *Message {
		m := base
		m.Type, m.Subject = typ, subj
		return &m
	}
	tests := []struct {
		name string
		m    *Message
		want string
	}{
		{"notification with subject", with(TypeNotification, &subject),
			"Message\nline1\nline2 🍌\nMessageId\nid\nSubject\nHello world\nTimestamp\n2022-07-28T22:53:49.654Z\nTopicArn\narn:aws:sns:us-east-1:1:t\nType\nNotification\n"},
		{"notification without subject", with(TypeNotification, nil),
			"Message\nline1\nline2 🍌\nMessageId\nid\nTimestamp\n2022-07-28T22:53:49.654Z\nTopicArn\narn:aws:sns:us-east-1:1:t\nType\nNotification\n"},
		{"notification with empty subject", with(TypeNotification, &empty),
			"Message\nline1\nline2 🍌\nMessageId\nid\nSubject\n\nTimestamp\n2022-07-28T22:53:49.654Z\nTopicArn\narn:aws:sns:us-east-1:1:t\nType\nNotification\n"},
		{"subscription confirmation", with(TypeSubscriptionConfirmation, &subject),
			"Message\nline1\nline2 🍌\nMessageId\nid\nSubscribeURL\nhttps://sub\nTimestamp\n2022-07-28T22:53:49.654Z\nToken\ntok\nTopicArn\narn:aws:sns:us-east-1:1:t\nType\nSubscriptionConfirmation\n"},
		{"unsubscribe confirmation", with(TypeUnsubscribeConfirmation, nil),
			"Message\nline1\nline2 🍌\nMessageId\nid\nSubscribeURL\nhttps://sub\nTimestamp\n2022-07-28T22:53:49.654Z\nToken\ntok\nTopicArn\narn:aws:sns:us-east-1:1:t\nType\nUnsubscribeConfirmation\n"},
	}
	for _, tt := range tests {
		got, err := StringToSign(tt.m)
		if err != nil || got != tt.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := StringToSign(with("Other", nil)); err == nil {
		t.Error("unknown Type: want an error")
	}
	if _, err := StringToSign(nil); err == nil {
		t.Error("nil message: want an error")
	}
	// The reference's openssl reproduction, from the real file.
	m := loadMessage(t, filepath.Join("testdata", "sns", "notification-v1-subject-2022.json"))
	want := "Message\nHello world\nMessageId\n11405cc3-9ac7-56d5-b45d-079e8f7a8edf\nSubject\nHello world\nTimestamp\n2022-07-28T22:53:49.654Z\nTopicArn\narn:aws:sns:us-east-2:295079676684:publish-and-verify-6e11fed2-fcdf-4c52-9dc4-36ef43f37f84\nType\nNotification\n"
	if got, _ := StringToSign(m); got != want {
		t.Errorf("real message: got %q", got)
	}
}

func TestCheckCertURL(t *testing.T) {
	const p = "/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://sns.us-east-1.amazonaws.com" + p, true},
		{"https://sns.eu-central-2.amazonaws.com" + p, true},
		{"https://sns.us-gov-west-1.amazonaws.com" + p, true},
		{"https://sns.cn-north-1.amazonaws.com.cn" + p, true},
		{"https://sns.us-iso-east-1.c2s.ic.gov" + p, true},
		{"https://sns.us-isob-east-1.sc2s.sgov.gov" + p, true},
		{"http://sns.us-east-1.amazonaws.com" + p, false},
		{"HTTPS://sns.us-east-1.amazonaws.com" + p, false},
		{"//sns.us-east-1.amazonaws.com" + p, false},
		{"https://s3.amazonaws.com/bucket" + p, false},
		{"https://s3.us-east-1.amazonaws.com" + p, false},
		{"https://sns.us-east-1.amazonaws.com.evil.com" + p, false},
		{"https://evil.com/sns.us-east-1.amazonaws.com" + p, false},
		{"https://xsns.us-east-1.amazonaws.com" + p, false},
		{"https://sns.us-east-1.amazonaws.com@evil.com" + p, false},
		{"https://evil.com@sns.us-east-1.amazonaws.com" + p, false},
		{"https://user:pw@sns.us-east-1.amazonaws.com" + p, false},
		{"https://sns.us-east-1.amazonaws.com:8443" + p, false},
		{"https://sns.us-east-1.amazonaws.com:443" + p, false},
		{"https://SNS.US-EAST-1.AMAZONAWS.COM" + p, false},
		{"https://sns.us-east-1.amazonaws.com" + p + "?x=.pem", false},
		{"https://sns.us-east-1.amazonaws.com" + p + "?", false},
		{"https://sns.us-east-1.amazonaws.com" + p + "#frag", false},
		{"https://sns.us-east-1.amazonaws.com/cert.txt", false},
		{"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&x=.pem", false},
		{"https://sns.us-east-1.amazonaws.com/x" + p, false},
		{"https://sns.us-east-1.amazonaws.com/%2e%2e" + p, false},
		{"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7FF5318490EC183FBADDAA2A969ABFDA.pem", false},
		{"https://sns.us-east-1.amazonaws.com", false},
		{"", false},
		{"https://sns.us-east-1.amazonaws.com\\@evil.com" + p, false},
		{"https://sns.us-east-1.amazonaws.com%2eevil.com" + p, false},
	}
	for _, tt := range tests {
		if err := CheckCertURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckCertURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestCertHostPatternOverride(t *testing.T) {
	m := loadMessage(t, filepath.Join("testdata", "sns", "notification-v1-subject-2022.json"))
	var calls atomic.Int32
	v := verifierAt(t, m, &calls)
	v.CertHostPattern = regexp.MustCompile(`localhost\.localstack\.cloud`)
	if err := v.Verify(context.Background(), m); reasonOf(err) != "cert_url" {
		t.Fatalf("default host with override pattern: %v", err)
	}
	m.SigningCertURL = "https://localhost.localstack.cloud/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
	if err := v.Verify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	m.SigningCertURL = "https://x.localhost.localstack.cloud.evil/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
	if err := v.Verify(context.Background(), m); reasonOf(err) != "cert_url" {
		t.Fatalf("unanchored override must still match the whole host: %v", err)
	}
}

func TestParseMessage(t *testing.T) {
	good := `"Type":"Notification","MessageId":"id","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"m","Timestamp":"2022-07-28T22:53:49.654Z","SignatureVersion":"1","Signature":"c2ln","SigningCertURL":"https://x"`
	conf := `"Type":"SubscriptionConfirmation","MessageId":"id","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"m","Timestamp":"2022-07-28T22:53:49.654Z","SignatureVersion":"1","Signature":"c2ln","SigningCertUrl":"https://x"`
	tests := []struct {
		name, body, reason string
		check              func(*Message) bool
	}{
		{"minimal notification", "{" + good + "}", "", func(m *Message) bool { return m.Subject == nil && m.SigningCertURL == "https://x" }},
		{"null subject is absent", "{" + good + `,"Subject":null}`, "", func(m *Message) bool { return m.Subject == nil }},
		{"empty subject is present", "{" + good + `,"Subject":""}`, "", func(m *Message) bool { return m.Subject != nil && *m.Subject == "" }},
		{"unicode escapes decoded", "{" + good + `,"Subject":"A Test Banana:\uD83C\uDF4C"}`, "", func(m *Message) bool { return *m.Subject == "A Test Banana:🍌" }},
		{"attributes kept, unknown keys ignored", "{" + good + `,"MessageAttributes":{"a":{"Type":"String","Value":"v"}},"Extra":[1,2]}`, "", func(m *Message) bool { return len(m.MessageAttributes) > 0 }},
		{"lambda spellings", "{" + conf + `,"Token":"t","SubscribeUrl":"https://s","UnsubscribeUrl":"https://u"}`, "", func(m *Message) bool {
			return m.SubscribeURL == "https://s" && m.UnsubscribeURL == "https://u" && m.SigningCertURL == "https://x"
		}},
		{"empty", "", "bad_json", nil},
		{"array", "[" + "{" + good + "}" + "]", "bad_json", nil},
		{"string", `"x"`, "bad_json", nil},
		{"null", `null`, "bad_json", nil},
		{"truncated", "{" + good, "bad_json", nil},
		{"trailing data", "{" + good + "}{}", "bad_json", nil},
		{"duplicate key", "{" + good + `,"Message":"other"}`, "bad_json", nil},
		{"duplicate via alias", "{" + good + `,"SigningCertUrl":"https://y"}`, "bad_json", nil},
		{"number value", "{" + good + `,"Subject":5}`, "bad_json", nil},
		{"object value", `{"Type":{},"MessageId":"id"}`, "bad_json", nil},
		{"no type", `{"MessageId":"id"}`, "missing_field", nil},
		{"unknown type", `{"Type":"Other"}`, "unknown_type", nil},
		{"confirmation without token", "{" + conf + `,"SubscribeURL":"https://s"}`, "missing_field", nil},
		{"missing signature", strings.Replace("{"+good+"}", `"Signature":"c2ln",`, "", 1), "missing_field", nil},
		{"bad timestamp", strings.Replace("{"+good+"}", "2022-07-28T22:53:49.654Z", "yesterday", 1), "bad_timestamp", nil},
		{"too large", "{" + good + `,"Pad":"` + strings.Repeat("x", MaxMessageSize) + `"}`, "too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.body))
			if got := reasonOf(err); got != tt.reason || (tt.reason == "" && err != nil) {
				t.Fatalf("err = %v, want reason %q", err, tt.reason)
			}
			if tt.check != nil && !tt.check(m) {
				t.Errorf("parsed %+v", m)
			}
		})
	}
}

func TestCheckCertRegion(t *testing.T) {
	const p = "/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
	tests := []struct {
		url, arn string
		ok       bool
	}{
		{"https://sns.us-east-1.amazonaws.com" + p, "arn:aws:sns:us-east-1:1:t", true},
		{"https://sns.us-gov-west-1.amazonaws.com" + p, "arn:aws-us-gov:sns:us-gov-west-1:1:t", true},
		{"https://sns.cn-north-1.amazonaws.com.cn" + p, "arn:aws-cn:sns:cn-north-1:1:t", true},
		{"https://sns.us-iso-east-1.c2s.ic.gov" + p, "arn:aws-iso:sns:us-iso-east-1:1:t", true},
		{"https://sns.us-isob-east-1.sc2s.sgov.gov" + p, "arn:aws-iso-b:sns:us-isob-east-1:1:t", true},
		{"https://sns.us-east-1.amazonaws.com" + p, "arn:aws:sns:us-east-2:1:t", false},
		{"https://sns.cn-north-1.amazonaws.com" + p, "arn:aws-cn:sns:cn-north-1:1:t", false},
		{"https://sns.us-east-1.amazonaws.com" + p, "arn:aws-xx:sns:us-east-1:1:t", false},
		{"https://sns.us-east-1.amazonaws.com" + p, "arn:aws:sqs:us-east-1:1:t", false},
		{"https://sns.us-east-1.amazonaws.com" + p, "not-an-arn", false},
		// A region taken from the TopicArn must be one of its partition's.
		{"https://sns.s3-us-west-2.amazonaws.com" + p, "arn:aws:sns:s3-us-west-2:1:t", false},
		{"https://sns.evil-east-1.amazonaws.com" + p, "arn:aws:sns:evil-east-1:1:t", false},
		{"https://sns.cn-north-1.amazonaws.com" + p, "arn:aws:sns:cn-north-1:1:t", false},
		// The certificate host of another region or partition than the topic's.
		{"https://sns.eu-west-1.amazonaws.com" + p, "arn:aws:sns:us-east-1:1:t", false},
		{"https://sns.us-gov-west-1.amazonaws.com" + p, "arn:aws:sns:us-west-1:1:t", false},
		{"https://sns.cn-north-1.amazonaws.com.cn" + p, "arn:aws:sns:us-east-1:1:t", false},
	}
	for _, tt := range tests {
		if err := checkCertRegion(tt.url, tt.arn); (err == nil) != tt.ok {
			t.Errorf("checkCertRegion(%q, %q) = %v, want ok=%v", tt.url, tt.arn, err, tt.ok)
		}
	}
}

// TestDefaultFetch runs the default downloader against a local TLS server
// (its test CA swapped in for the system roots): no redirects, status 200
// only, bounded body, retries on 5xx only.
func TestDefaultFetch(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/ok.pem":
			_, _ = w.Write([]byte("cert"))
		case "/redirect.pem":
			http.Redirect(w, r, "/ok.pem", http.StatusFound)
		case "/big.pem":
			_, _ = w.Write(make([]byte, maxCertSize+1))
		case "/fail.pem":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	old := certClient.Transport
	certClient.Transport = srv.Client().Transport
	defer func() { certClient.Transport = old }()

	tests := []struct {
		path     string
		ok       bool
		wantHits int32
	}{
		{"/ok.pem", true, 1},
		{"/redirect.pem", false, 1},
		{"/big.pem", false, 1},
		{"/missing.pem", false, 1},
		{"/fail.pem", false, 3},
	}
	for _, tt := range tests {
		hits.Store(0)
		body, err := defaultFetch(context.Background(), srv.URL+tt.path)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.path, err, tt.ok)
		}
		if tt.ok && string(body) != "cert" {
			t.Errorf("%s: body %q", tt.path, body)
		}
		if hits.Load() != tt.wantHits {
			t.Errorf("%s: %d requests, want %d", tt.path, hits.Load(), tt.wantHits)
		}
	}
}

// TestVerifyOneFetchPerBurst: messages arriving together with a certificate not cached yet
// share one download, and all verify.
func TestVerifyOneFetchPerBurst(t *testing.T) {
	signer := newTestSigner(t)
	const topic = "arn:aws:sns:us-east-1:123456789012:cis-alarms"
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var fetches atomic.Int32
	release := make(chan struct{})
	v := &Verifier{
		Topics: []string{topic},
		MaxAge: time.Hour,
		Now:    func() time.Time { return at },
		Fetch: func(context.Context, string) ([]byte, error) {
			fetches.Add(1)
			<-release
			return signer.certPEM, nil
		},
	}
	const burst = 16
	errs := make(chan error, burst)
	var started sync.WaitGroup
	for i := range burst {
		subject := "s"
		m := &Message{
			Type: TypeNotification, MessageId: fmt.Sprintf("m-%d", i), TopicArn: topic, Subject: &subject,
			Message: "hello", Timestamp: at.Format("2006-01-02T15:04:05.000Z"), SignatureVersion: "2",
			SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem",
		}
		signer.sign(t, m)
		started.Add(1)
		go func() {
			started.Done()
			errs <- v.Verify(context.Background(), m)
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let the burst reach the fetch
	close(release)
	for range burst {
		if err := <-errs; err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d certificate fetches for a burst of %d messages, want 1", n, burst)
	}
}
