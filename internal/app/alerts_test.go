package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
