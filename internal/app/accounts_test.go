package app

import (
	"context"
	"testing"
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
		if got := a.AlertChannel(context.Background(), tc.account); got != tc.want {
			t.Errorf("AlertChannel(%s) = %q, want %q", tc.account, got, tc.want)
		}
	}
	if _, err := a.Enricher().Logs("999999999999", "us-east-1"); err == nil {
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
	for region, want := range map[string]string{"us-east-1": "aws", "us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn", "": "aws"} {
		if got := partition(region); got != want {
			t.Errorf("partition(%q) = %q, want %q", region, got, want)
		}
	}
}
