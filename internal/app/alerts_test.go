package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cisbot/cisbot/internal/alerts"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

func TestCheckSubscribeURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=x", true},
		{"https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&Token=x", true},
		{"http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", false},
		{"https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription", false},
		{"https://evil.example/?Action=ConfirmSubscription&host=sns.us-east-1.amazonaws.com", false},
		{"https://user@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", false},
		{"https://sns.us-east-1.amazonaws.com:8443/?Action=ConfirmSubscription", false},
		{"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe", false},
		{"", false},
	}
	for _, tc := range tests {
		if err := CheckSubscribeURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckSubscribeURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

// The outbox keeps one copy of a message SNS delivers twice.
func TestEnqueuer(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	enqueue := Enqueuer(st, func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) })
	m := &alerts.Message{Type: "Notification", MessageId: "m-1", TopicArn: "arn:aws:sns:us-east-1:111111111111:cis-alarms"}
	for i, want := range []bool{true, false} {
		added, err := enqueue(context.Background(), m, []byte(`{"Type":"Notification"}`))
		if err != nil || added != want {
			t.Fatalf("delivery %d: added %v, %v; want %v", i+1, added, err, want)
		}
	}
	if n, err := st.Pending(context.Background()); err != nil || n != 1 {
		t.Errorf("pending %d, %v; want 1", n, err)
	}
}

// A topic in a configured account is confirmed with sns:ConfirmSubscription (here against moto,
// which accepts the call); one elsewhere falls back to the SubscribeURL, which must point at SNS.
func TestConfirmer(t *testing.T) {
	f := factory(t)
	id := awsaccount.NewID()
	cfg := parseConfig(t, fmt.Sprintf("accounts:\n  - name: prod\n    role_arn: %s\n", awsaccount.RoleARN(id)))
	s := f.Session(awsenv.Target{Name: "setup", RoleARN: awsaccount.RoleARN(id)})
	topic, err := s.SNS("us-east-1").CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String("cis-alarms")})
	if err != nil {
		t.Fatal(err)
	}
	fetched := 0
	c := &Confirmer{Accounts: NewAccounts(cfg, f), Client: &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) {
		fetched++
		return nil, fmt.Errorf("no network in tests")
	})}}
	m := &alerts.Message{Type: "SubscriptionConfirmation", TopicArn: *topic.TopicArn, Token: "token-1",
		SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=token-1"}
	if err := c.Confirm(context.Background(), m); err != nil || fetched != 0 {
		t.Fatalf("configured account: %v, %d fetches; want sns:ConfirmSubscription and no fetch", err, fetched)
	}
	other := *m
	other.TopicArn = "arn:aws:sns:us-east-1:999999999999:cis-alarms"
	if err := c.Confirm(context.Background(), &other); err == nil || fetched != 1 || strings.Contains(err.Error(), "token-1") {
		t.Errorf("unconfigured account: %v, %d fetches; want one fetch of the SubscribeURL, and no token in the error", err, fetched)
	}
	other.SubscribeURL = "https://evil.example/?Action=ConfirmSubscription"
	if err := c.Confirm(context.Background(), &other); err == nil || fetched != 1 {
		t.Errorf("bad SubscribeURL: %v, %d fetches; want a refusal before any fetch", err, fetched)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
