package config

import (
	"regexp"
	"strings"
)

// Credentials never come from the config file: a file is copied, committed and pasted into
// tickets, and the AWS SDK and the Slack client already read theirs from the environment. So a
// value shaped like a credential is rejected, and error messages never repeat it.

var (
	// accessKeyIDRE matches long-term (AKIA) and temporary (ASIA) AWS access key ids.
	accessKeyIDRE = regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}`)
	// slackTokenRE matches Slack bot (xoxb-), user (xoxp-), app-level (xapp-) and the other
	// xox?- token kinds.
	slackTokenRE = regexp.MustCompile(`(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]+`)
)

// credentialFix is the advice for any credential found in the file.
const credentialFix = "cisbot never reads credentials from its config file: delete the value (and rotate it if the file was shared), " +
	"then give AWS credentials through the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an instance or task role) " +
	"and Slack tokens as SLACK_BOT_TOKEN and SLACK_APP_TOKEN"

// secretKind says what kind of credential s looks like, or "" when it looks like none.
func secretKind(s string) string {
	switch {
	case accessKeyIDRE.MatchString(s):
		return "an AWS access key id"
	case slackTokenRE.MatchString(s):
		return "a Slack token"
	case len(secretKeyRuns(s)) > 0:
		return "an AWS secret access key"
	}
	return ""
}

// pathFields hold file paths, whose random-looking directory names (mktemp's, a volume id) can
// be 40 characters of the base64 alphabet with slashes: the secret access key shape is not
// checked there, the other credential shapes are.
var pathFields = map[string]bool{"store.path": true, "alerts.tls_cert_file": true, "alerts.tls_key_file": true}

// secretKindAt is secretKind for the value of field path.
func secretKindAt(path, s string) string {
	if pathFields[path] {
		switch kind := secretKind(s); kind {
		case "an AWS access key id", "a Slack token":
			return kind
		}
		return ""
	}
	return secretKind(s)
}

// secretKeyRuns returns the [start, end) bounds of every run in s that looks like an AWS secret
// access key: exactly 40 characters of the base64 alphabet (without padding) mixing upper case,
// lower case and digits. A run must be maximal, so it is not a slice of a longer token; the
// mixing rule keeps words, hex digests and account ids from matching.
func secretKeyRuns(s string) [][2]int {
	var runs [][2]int
	in := func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' || c == '+'
	}
	for i := 0; i < len(s); {
		if !in(s[i]) {
			i++
			continue
		}
		j := i
		var upper, lower, digit bool
		for j < len(s) && in(s[j]) {
			c := s[j]
			upper = upper || c >= 'A' && c <= 'Z'
			lower = lower || c >= 'a' && c <= 'z'
			digit = digit || c >= '0' && c <= '9'
			j++
		}
		if j-i == 40 && upper && lower && digit {
			runs = append(runs, [2]int{i, j})
		}
		i = j
	}
	return runs
}

// redact replaces everything credential-shaped in s with "[redacted]". It is the last line of
// defence for messages that quote text from the file.
func redact(s string) string {
	s = accessKeyIDRE.ReplaceAllString(s, "[redacted]")
	s = slackTokenRE.ReplaceAllString(s, "[redacted]")
	runs := secretKeyRuns(s)
	for i := len(runs) - 1; i >= 0; i-- {
		s = s[:runs[i][0]] + "[redacted]" + s[runs[i][1]:]
	}
	return s
}

// credentialKey reports whether a key's name says it holds a credential, so an unknown key
// such as aws_secret_access_key gets the credential advice rather than a spelling hint.
func credentialKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"secret", "token", "password", "passwd", "access_key", "accesskey", "credential", "session"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// sensitiveVar reports whether a variable's name says it holds a secret; messages never show
// the values of such variables, even values that do not look like credentials.
func sensitiveVar(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "TOKEN", "PASSWORD", "KEY"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
