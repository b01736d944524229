package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// A topic in a configured account is confirmed with sns:ConfirmSubscription (here against moto,
// which accepts the call); one elsewhere falls back to the SubscribeURL, which must point at SNS.
func TestConfirmer(t *testing.T) {
	f := factory(t)
	id := awsaccount.NewID()
	cfg := parseConfig(t, fmt.Sprintf("accounts:\n  - name: prod\n    role_arn: %s\n", awsaccount.RoleARN(id)))
	s := f.Session(awsenv.Target{Name: "setup", RoleARN: awsaccount.RoleARN(id)})
	topic, err := s.SNS("us-east-1").CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String("cis-alarms")})
	if err != nil {
		t.Fatal(err)
	}
	fetched := 0
	c := &sns.Confirmer{Clients: NewAccounts(cfg, f), Client: &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) {
		fetched++
		return nil, fmt.Errorf("no network in tests")
	})}}
	m := &sns.Message{Type: "SubscriptionConfirmation", TopicArn: *topic.TopicArn, Token: "token-1",
		SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + *topic.TopicArn + "&Token=token-1"}
	if err := c.Confirm(context.Background(), m); err != nil || fetched != 0 {
		t.Fatalf("configured account: %v, %d fetches; want sns:ConfirmSubscription and no fetch", err, fetched)
	}
	other := *m
	other.TopicArn = "arn:aws:sns:us-east-1:999999999999:cis-alarms"
	other.SubscribeURL = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + other.TopicArn + "&Token=token-1"
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

// TestAccountsKnows: the accounts whose topics the endpoint subscribes to are the configured ones
// (by role ARN, or resolved from the base credentials) and, with organization set, the
// organization's members; no other.
func TestAccountsKnows(t *testing.T) {
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := factory(t)
	orgs := f.Session(awsenv.Target{}).Organizations()
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("member"), Email: aws.String("member@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	member := aws.ToString(out.CreateAccountStatus.AccountId)
	base, err := f.Session(awsenv.Target{}).AccountID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const accounts = "accounts:\n  - name: prod\n    role_arn: arn:aws:iam::111111111111:role/cisbot\n  - name: mgmt\n"
	tests := []struct {
		name, config, account string
		want                  bool
	}{
		{"role ARN's account", accounts, "111111111111", true},
		{"base credentials' account", accounts, base, true},
		{"unconfigured account", accounts, "222222222222", false},
		{"member without organization", accounts, member, false},
		{"member of the organization", accounts + "organization:\n  role_name: cisbot\n", member, true},
		{"not a member of the organization", accounts + "organization:\n  role_name: cisbot\n", "222222222222", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewAccounts(parseConfig(t, tt.config), f).Knows(ctx, tt.account)
			if got != tt.want || err != nil {
				t.Errorf("Knows(%s) = %v, %v; want %v, nil", tt.account, got, err, tt.want)
			}
		})
	}
}

// TestTopicAccount: a message's channel is its topic's account's, whatever account it names.
func TestTopicAccount(t *testing.T) {
	for _, tt := range []struct {
		topic string
		want  string
	}{
		{"arn:aws:sns:us-east-1:222222222222:cis-alarms", "222222222222"},
		{"not-an-arn", ""},
	} {
		if got := topicAccount(tt.topic); got != tt.want {
			t.Errorf("topicAccount(%q) = %q, want %q", tt.topic, got, tt.want)
		}
	}
}
