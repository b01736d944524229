package app

import (
	"context"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cisbot/cisbot/internal/awsenv"
)

func TestAlertChannel(t *testing.T) {
	cfg := parseConfig(t, `accounts:
  - name: prod
    role_arn: arn:aws:iam::111111111111:role/cisbot
    channel: C0PRODALERT
  - name: dev
    role_arn: arn:aws:iam::222222222222:role/cisbot
alerts:
  default_channel: C0DEFAULTAL
`)
	a := NewAccounts(cfg, factory(t))
	tests := []struct{ account, want string }{
		{"111111111111", "C0PRODALERT"}, // the account's own channel
		{"222222222222", "C0DEFAULTAL"}, // configured without a channel: the default
		{"999999999999", "C0DEFAULTAL"}, // not configured: the default
	}
	for _, tc := range tests {
		if got, err := a.AlertChannel(context.Background(), tc.account); got != tc.want || err != nil {
			t.Errorf("AlertChannel(%s) = %q, %v; want %q", tc.account, got, err, tc.want)
		}
	}
	// An account with a channel and no role ARN is the base credentials' account: when STS
	// cannot say which that is, the alarm is not sent to the default channel's audience.
	unreachable := parseConfig(t, `accounts:
  - name: base
    channel: C0BASEALERT
alerts:
  default_channel: C0DEFAULTAL
`)
	dead, err := awsenv.New(context.Background(), awsenv.Options{Region: "us-east-1", ConfigOptions: []func(*awsconfig.LoadOptions) error{
		awsconfig.WithBaseEndpoint("http://127.0.0.1:1"), awsconfig.WithRetryMaxAttempts(1),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := NewAccounts(unreachable, dead).AlertChannel(context.Background(), "999999999999"); err == nil || !strings.Contains(err.Error(), "accounts[0]") {
		t.Errorf("AlertChannel with STS unreachable = %q, %v; want an error naming accounts[0]", got, err)
	}
	if _, err := a.Enricher().Logs(context.Background(), "999999999999", "us-east-1"); err == nil {
		t.Error("an unconfigured account without an organization role must not get a log reader")
	}
}

func TestRoleARNs(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::111122223333:role/cisbot":            "111122223333",
		"arn:aws-us-gov:iam::111122223333:role/ops/cisbot": "111122223333",
		"":                          "",
		"cisbot":                    "",
		"arn:aws:iam::111122223333": "",
	} {
		if got := roleAccount(arn); got != want {
			t.Errorf("roleAccount(%q) = %q, want %q", arn, got, want)
		}
	}
	cfg := parseConfig(t, `organization:
  role_name: OrganizationAccountAccessRole
`)
	a := NewAccounts(cfg, factory(t))
	if got, want := a.orgRole("444455556666"), "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole"; got != want {
		t.Errorf("orgRole = %q, want %q", got, want)
	}
	for region, want := range map[string]string{"us-east-1": "aws", "us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn", "us-iso-east-1": "aws-iso", "eusc-de-east-1": "aws-eusc", "": "aws"} {
		if got := partition(region); got != want {
			t.Errorf("partition(%q) = %q, want %q", region, got, want)
		}
	}
}
