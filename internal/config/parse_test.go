package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestSchema: the walk takes its keys from the struct tags; this pins them to the documented
// file format, so renaming a tag is a visible change.
func TestSchema(t *testing.T) {
	for typ, want := range map[reflect.Type][]string{
		configType:                         {"aws", "accounts", "organization", "slack", "remediation", "store", "alerts", "summaries", "controls"},
		reflect.TypeFor[AWS]():             {"region", "cloudwatch_protocol"},
		reflect.TypeFor[Account]():         {"name", "role_arn", "external_id", "channel"},
		reflect.TypeFor[Organization]():    {"role_name", "external_id"},
		reflect.TypeFor[Slack]():           {"allowed_channels", "auditors"},
		reflect.TypeFor[Remediation]():     {"pattern", "topic_name", "subscribe", "approvers", "require_second_person", "request_ttl"},
		reflect.TypeFor[Store]():           {"driver", "path", "dsn", "retention"},
		reflect.TypeFor[SummarySchedule](): {"cron", "channel", "accounts", "controls"},
		reflect.TypeFor[Controls]():        {"benchmark"},
		reflect.TypeFor[Alerts]():          {"listen", "path", "public_url", "tls_cert_file", "tls_key_file", "topics", "default_channel", "max_message_age", "channel_interval", "ops_listen", "enrich_timeout", "queues"},
		reflect.TypeFor[Queue]():           {"url", "role_arn", "external_id", "format", "trust_unsigned"},
	} {
		if got := keysOf(typ); !reflect.DeepEqual(got, want) {
			t.Errorf("keys of %v = %v, want %v", typ, got, want)
		}
		if sectionNames[typ] == "" {
			t.Errorf("%v has no section name for messages", typ)
		}
	}
}

func TestClosestKey(t *testing.T) {
	account := keysOf(reflect.TypeFor[Account]())
	for key, want := range map[string]string{
		"rolearn":     "role_arn",
		"roleArn":     "role_arn",
		"role-arn":    "role_arn",
		"ROLE_ARN":    "role_arn",
		"arn":         "role_arn",
		"nmae":        "name",
		"chanel":      "channel",
		"channel_id":  "channel",
		"externalId":  "external_id",
		"external":    "external_id",
		"id":          "",
		"color":       "",
		"description": "",
	} {
		if got := closestKey(key, account); got != want {
			t.Errorf("closestKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestParentPath(t *testing.T) {
	for in, want := range map[string]string{
		"accounts[1].name": "accounts[1]",
		"accounts[1]":      "accounts",
		"accounts":         "",
		"aws.region":       "aws",
		"":                 "",
	} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAllValuesValid checks validate alone over values at the edges of each rule.
func TestAllValuesValid(t *testing.T) {
	good := []Config{
		{AWS: AWS{Region: "ap-southeast-4", CloudWatchProtocol: "cbor"}, Accounts: []Account{{Name: "a"}}},
		{AWS: AWS{Region: "us-isob-east-1"}, Accounts: []Account{{Name: "A.b_c-9"}}},
		{AWS: AWS{Region: "eusc-de-east-1"}, Accounts: []Account{{Name: strings.Repeat("x", 64)}}},
		{Accounts: []Account{{Name: "p", RoleARN: "arn:aws:iam::111111111111:role/r", ExternalID: "ab"}}},
		{Accounts: []Account{{Name: "p", RoleARN: "arn:aws:iam::111111111111:role/r", ExternalID: strings.Repeat("e", 1224)}}},
		{Accounts: []Account{{Name: "p", Channel: "C12345678"}}},
		{Organization: &Organization{RoleName: strings.Repeat("r", 64)}},
		{Organization: &Organization{RoleName: "a+b=c,d.e@f_g-h", ExternalID: "x:y/z"}},
	}
	for i, c := range good {
		if errs := validate(&c, newMeta()); len(errs) > 0 {
			t.Errorf("config %d: %v", i, errs)
		}
	}
	bad := []Config{
		{AWS: AWS{Region: "us-east-0"}, Accounts: []Account{{Name: "a"}}},
		{AWS: AWS{Region: "useast1"}, Accounts: []Account{{Name: "a"}}},
		{Accounts: []Account{{Name: "p", Channel: "C1234567"}}},  // 7 after the letter
		{Accounts: []Account{{Name: "p", Channel: "c12345678"}}}, // lower case
		{Accounts: []Account{{Name: "p", Channel: "U12345678"}}}, // a user, not a channel
		{Accounts: []Account{{Name: "p", RoleARN: "arn:aws:iam::111111111111:role/"}}},
		{Accounts: []Account{{Name: "p", RoleARN: "arn:aws:iam::1111111111111:role/r"}}},
		{Accounts: []Account{{Name: "p", RoleARN: "arn:aws:iam::111111111111:role/" + strings.Repeat("r", 64) + "x"}}},
		{Accounts: []Account{{Name: "p", RoleARN: "arn:aws:iam::111111111111:role/r", ExternalID: strings.Repeat("e", 1224) + "e"}}},
		{Organization: &Organization{RoleName: strings.Repeat("r", 64) + "r"}},
		{Organization: &Organization{}},
	}
	for i, c := range bad {
		if errs := validate(&c, newMeta()); len(errs) != 1 {
			t.Errorf("bad config %d: got %d problems, want 1: %v", i, len(errs), errs)
		}
	}
}
