package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

var srv *emulator.Server

func TestMain(m *testing.M) {
	awsaccount.Main(m, &srv)
}

func factory(t *testing.T) *awsenv.Factory {
	t.Helper()
	f, err := awsenv.New(context.Background(), awsenv.Options{CloudWatchProtocol: awsenv.ProtocolQuery})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// deniedTrails answers DescribeTrails as AWS does when the role lacks the permission.
type deniedTrails struct{ accountreader.TrailReader }

func (deniedTrails) DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: cloudtrail:DescribeTrails"}
}

func TestCheckAccounts(t *testing.T) {
	f := factory(t)
	id := awsaccount.NewID()
	awsaccount.Build(t, f, id, awsaccount.Scenario{}, nil)
	account := func(name string, remediation bool, change func(*accountreader.AccountAPI)) Account {
		s := f.Session(awsenv.Target{Name: name, RoleARN: awsaccount.RoleARN(id)})
		api := app.API(s)
		if change != nil {
			change(api)
		}
		a := Account{Name: name, RoleARN: awsaccount.RoleARN(id), Region: "us-east-1", API: api}
		if remediation {
			a.Simulator = iam.NewFromConfig(s.Config())
		}
		return a
	}
	got := CheckAccounts(context.Background(), []Account{
		account("good", false, nil),
		account("fixer", true, nil),
		account("locked", false, func(api *accountreader.AccountAPI) {
			api.AccountID = func(context.Context) (string, error) {
				return "", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"}
			}
		}),
		account("denied", false, func(api *accountreader.AccountAPI) {
			real := api.CloudTrail
			api.CloudTrail = func(region string) accountreader.TrailReader { return deniedTrails{real(region)} }
		}),
	})
	assertStatuses(t, got, map[string]Status{
		"account good: role": Pass, "account good: audit reads": Pass, "account good: remediation": Skip,
		"account fixer: remediation": Warn, // moto does not simulate policies: doctor cannot tell
		"account locked: role":       Fail, "account denied: audit reads": Fail,
	})
	if _, ok := statuses(got)["account locked: audit reads"]; ok {
		t.Error("an account whose role does not assume was read anyway")
	}
	for _, c := range got {
		if c.Name == "account denied: audit reads" && c.Detail != "denied: cloudtrail:DescribeTrails" {
			t.Errorf("detail %q, want the denied action", c.Detail)
		}
	}
}

func TestEveryAuditOperationHasAProbe(t *testing.T) {
	for _, op := range accountreader.Operations {
		if _, ok := probes[op.Action]; !ok {
			t.Errorf("%s: doctor has no probe for it", op.Action)
		}
	}
}

func TestAlertsTopics(t *testing.T) {
	ctx := context.Background()
	f := factory(t)
	id := awsaccount.NewID()
	s := f.Session(awsenv.Target{Name: "alerts", RoleARN: awsaccount.RoleARN(id)})
	mk := func(name, endpoint string) string {
		out, err := s.SNS("us-east-1").CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if endpoint != "" {
			if _, err := s.SNS("us-east-1").Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("https"), Endpoint: aws.String(endpoint)}); err != nil {
				t.Fatal(err)
			}
		}
		return aws.ToString(out.TopicArn)
	}
	ours := mk("ours", "https://cisbot.example.com/sns")
	other := mk("other", "https://elsewhere.example.com/hook")
	missing := "arn:aws:sns:us-east-1:" + id + ":missing"
	unknown := "arn:aws:sns:us-east-1:999999999999:elsewhere"
	a := &Alerts{Listen: "127.0.0.1:0", Path: "/sns", Topics: []string{ours, other, missing, unknown}, Now: time.Now,
		Topic: func(_ context.Context, account, region string) (accountreader.TopicsReader, bool) {
			return s.SNS(region), account == id
		}}
	assertStatuses(t, a.Check(ctx), map[string]Status{
		"alerts: tls": Skip, "alerts: listen": Pass,
		"alerts: topic " + ours: Pass, "alerts: topic " + other: Fail, "alerts: topic " + missing: Fail, "alerts: topic " + unknown: Warn,
	})
	// With alerts.public_url the subscription must be to exactly it: a URL with the same path
	// elsewhere is not the bot's.
	for public, want := range map[string]Status{"https://cisbot.example.com/sns": Pass, "https://cisbot-old.example.com/sns": Fail} {
		a.PublicURL, a.Topics = public, []string{ours}
		assertStatuses(t, a.Check(ctx), map[string]Status{"alerts: topic " + ours: want})
	}
}

// writeCert writes a self-signed certificate valid until notAfter and its key.
func writeCert(t *testing.T, notAfter time.Time) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cisbot.example.com"},
		DNSNames: []string{"cisbot.example.com"}, NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestAlertsTLS(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		notAfter time.Time
		badKey   bool
		want     Status
	}{
		{"valid for a year", now.AddDate(1, 0, 0), false, Pass},
		{"expires in a week", now.AddDate(0, 0, 7), false, Fail},
		{"expired", now.AddDate(0, 0, -1), false, Fail},
		{"key file missing", now.AddDate(1, 0, 0), true, Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, key := writeCert(t, tt.notAfter)
			if tt.badKey {
				key += ".missing"
			}
			a := &Alerts{CertFile: cert, KeyFile: key, Now: func() time.Time { return now }}
			if got := a.tls(); got.Status != tt.want {
				t.Errorf("%+v, want %s", got, tt.want)
			}
		})
	}
}

func TestClock(t *testing.T) {
	aws := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		local  time.Time
		maxAge time.Duration
		want   Status
	}{
		{"in sync", aws.Add(300 * time.Millisecond), time.Hour, Pass},
		{"five minutes fast", aws.Add(5 * time.Minute), time.Hour, Warn},
		{"two hours slow", aws.Add(-2 * time.Hour), time.Hour, Fail},
		{"age check off", aws.Add(-2 * time.Hour), 0, Warn},
	}
	for _, tt := range tests {
		c := &Clock{AWSTime: func(context.Context) (time.Time, error) { return aws, nil }, Now: func() time.Time { return tt.local }, MaxAge: tt.maxAge}
		if got := c.Check(context.Background()); got.Status != tt.want {
			t.Errorf("%s: %+v, want %s", tt.name, got, tt.want)
		}
	}
}
