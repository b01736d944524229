package cis

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	sourceARN = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"
	// defaultPolicy is the policy SNS gives a new topic (as moto 5.2.1 and AWS write it).
	defaultPolicy = `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Effect":"Allow","Sid":"__default_statement_ID","Principal":{"AWS":"*"},` +
		`"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + topicARN + `","Condition":{"StringEquals":{"AWS:SourceOwner":"111111111111"}}}]}`
)

func TestAllowsAlarms(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	tests := []struct {
		name   string
		policy string
		want   bool
	}{
		{"the default policy of a new topic", defaultPolicy, true},
		{"cisbot's Sid on a statement that allows nothing", stmt(`{"Sid":"` + PolicySid + `","Effect":"Allow"}`), false},
		{"CloudWatch by service principal, conditions on this account's alarms",
			stmt(`{"Effect":"Allow","Principal":{"Service":["cloudwatch.amazonaws.com"]},"Action":"sns:Publish","Resource":"` + topicARN + `",` +
				`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"},"StringEquals":{"aws:SourceAccount":"111111111111"}}}`), true},
		{"everyone, unconditionally, on any resource", stmt(`{"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"}`), true},
		{"a statement object instead of a list",
			`{"Statement":{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"SNS:Publish","Resource":"` + topicARN + `"}}`, true},
		{"one alarm only", stmt(`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicARN + `",` +
			`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing"}}}`), false},
		{"another account's owner", strings.ReplaceAll(defaultPolicy, `"AWS:SourceOwner":"111111111111"`, `"AWS:SourceOwner":"222222222222"`), false},
		{"a role only", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/publisher"},"Action":"sns:Publish","Resource":"` + topicARN + `"}`), false},
		{"another topic", stmt(`{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111111111111:other"}`), false},
		{"publish not among the actions", stmt(`{"Effect":"Allow","Principal":"*","Action":["sns:Subscribe"],"Resource":"*"}`), false},
		{"a condition it cannot judge", stmt(`{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), false},
		{"NotAction", stmt(`{"Effect":"Allow","Principal":"*","NotAction":"sns:DeleteTopic","Resource":"*"}`), false},
		{"a Deny", stmt(`{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*"}`), false},
		{"empty", "", false},
		{"not JSON", "{", false},
	}
	for _, tc := range tests {
		if got := allowsAlarms(tc.policy, topicARN, "111111111111", sourceARN); got != tc.want {
			t.Errorf("%s: allowsAlarms = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMergeStatement(t *testing.T) {
	custom := `{"Version":"2012-10-17","Id":"custom","Statement":{"Sid":"ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/ops"},"Action":"sns:Publish","Resource":"` + topicARN + `","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}}`
	stmt := map[string]any{"Sid": PolicySid, "Effect": "Allow", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": topicARN}
	merged, err := mergeStatement(custom, stmt)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version, Id string
		Statement   []map[string]any
	}
	if err := json.Unmarshal([]byte(merged), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" || doc.Id != "custom" || len(doc.Statement) != 2 || doc.Statement[0]["Sid"] != "ops" || doc.Statement[1]["Sid"] != PolicySid {
		t.Errorf("merged policy lost something: %s", merged)
	}
	if !strings.Contains(merged, `"aws:MultiFactorAuthAge":3600`) {
		t.Errorf("a number in the policy changed: %s", merged)
	}
	if !allowsAlarms(merged, topicARN, "111111111111", sourceARN) {
		t.Error("the merged policy is not recognised, so a second run would merge again")
	}
	// The last: cisbot's statement changed so that it no longer allows the alarms; AWS refuses a
	// second statement with its Sid.
	for _, bad := range []string{"[]", `{"Statement":"x"}`, "{", `{"Statement":[{"Sid":"` + PolicySid + `","Effect":"Deny"}]}`} {
		if _, err := mergeStatement(bad, stmt); err == nil {
			t.Errorf("mergeStatement(%s) did not fail", bad)
		}
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"arn:aws:cloudwatch:*:111111111111:alarm:*", sourceARN, true},
		{"arn:aws:cloudwatch:us-east-1:111111111111:alarm:b?lling", "arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing", true},
		{"arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing", sourceARN, false},
		{"sns:*", "sns:publish", true},
		{"sns:p*h", "sns:publish", true},
		{"sns:p*x", "sns:publish", false},
	}
	for _, tc := range tests {
		if got := wildcard(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcard(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}
