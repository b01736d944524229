package config

import (
	"strings"
	"testing"
)

func TestSecretKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"AKIAIOSFODNN7EXAMPLE", "an AWS access key id"},
		{"ASIAIOSFODNN7EXAMPLE", "an AWS access key id"},
		{"id-AKIAIOSFODNN7EXAMPLE-x", "an AWS access key id"},
		{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS secret access key"},
		{"key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS secret access key"},
		{"xoxb-not-a-real-token", "a Slack token"},
		{"xoxp-123-456", "a Slack token"},
		{"xapp-1-A0-1-abc", "a Slack token"},
		{"xoxe-1-abc", "a Slack token"},

		// Lookalikes that are not credentials.
		{"", ""},
		{"prod", ""},
		{"AKIA", ""},
		{"AIDAIOSFODNN7EXAMPLE", ""}, // a user id, not a key
		{"akiaiosfodnn7example", ""},
		{"arn:aws:iam::111111111111:role/cisbot-audit", ""},
		{"arn:aws:iam::111111111111:role/security/audit/cisbot", ""},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},   // a SHA-1: no upper case
		{"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", ""},   // no lower case
		{"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYX", ""},    // 39: too short
		{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYxx", ""}, // 42: part of something longer
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", ""},       // a UUID external id
		{"C0123ABCDE", ""},
		{"xoxb", ""},
		{"cisbot-xoxb", ""},
	} {
		if got := secretKind(tc.in); got != tc.want {
			t.Errorf("secretKind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nothing here", "nothing here"},
		{`key "AKIAIOSFODNN7EXAMPLE" found`, `key "[redacted]" found`},
		{"a wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY b", "a [redacted] b"},
		{"t=xoxb-not-a-real-token;", "t=[redacted];"},
		{"AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "[redacted]:[redacted]"},
	} {
		if got := redact(tc.in); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// What redact leaves has nothing left to find.
	if s := redact(credentialFix); s != credentialFix {
		t.Errorf("redact changed the credential advice: %q", s)
	}
}

func TestSensitiveVar(t *testing.T) {
	for name, want := range map[string]bool{
		"AWS_SECRET_ACCESS_KEY": true, "SLACK_BOT_TOKEN": true, "DB_PASSWORD": true, "api_key": true,
		"PROD_ROLE_ARN": false, "EXTERNAL_ID": false, "REGION": false,
	} {
		if got := sensitiveVar(name); got != want {
			t.Errorf("sensitiveVar(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestSecretsAnywhere: a credential in any field is reported by field and never shown.
func TestSecretsAnywhere(t *testing.T) {
	const key = "AKIAIOSFODNN7EXAMPLE"
	fields := []string{
		"aws:\n  region: %s\naccounts: [{name: prod}]\n",
		"aws:\n  cloudwatch_protocol: %s\naccounts: [{name: prod}]\n",
		"accounts:\n  - name: %s\n",
		"accounts:\n  - name: prod\n    role_arn: arn:aws:iam::111111111111:role/%s\n",
		"accounts:\n  - name: prod\n    channel: %s\n",
		"organization:\n  role_name: %s\n",
		"organization:\n  role_name: r\n  external_id: %s\n",
		"accounts:\n  - name: prod\n    role_arn: |\n      %s\n",
		"%s: x\naccounts: [{name: prod}]\n", // as a key
	}
	for _, f := range fields {
		src := strings.Replace(f, "%s", key, 1)
		_, err := Parse("c.yml", []byte(src), nil)
		if err == nil {
			t.Errorf("accepted:\n%s", src)
			continue
		}
		if strings.Contains(err.Error(), "IOSFODNN7") {
			t.Errorf("shown:\n%s\n%v", src, err)
		}
	}
}

// TestSecretKindAt: file paths are not taken for secret access keys, other fields' values are,
// and a path holding a token is still refused.
func TestSecretKindAt(t *testing.T) {
	const tmpPath = "/tmp/TestDurability4193721409/003/cisbot.db" // 40-character run with slashes
	for _, tc := range []struct {
		path, in, want string
	}{
		{"store.path", tmpPath, ""},
		{"alerts.tls_cert_file", "/etc/ssl/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
		{"store.path", "/var/lib/xoxb-not-a-real-token.db", "a Slack token"},
		{"store.path", "/var/lib/AKIAIOSFODNN7EXAMPLE.db", "an AWS access key id"},
		{"accounts[0].external_id", tmpPath, "an AWS secret access key"},
	} {
		if got := secretKindAt(tc.path, tc.in); got != tc.want {
			t.Errorf("secretKindAt(%q, %q) = %q, want %q", tc.path, tc.in, got, tc.want)
		}
	}
}
