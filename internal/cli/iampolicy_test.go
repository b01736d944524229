package cli

import (
	"strings"
	"testing"
)

func TestIAMPolicyCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // substrings of stdout (or stderr when the command fails)
		not      []string
	}{
		{"member audit only", []string{"--feature", "audit"}, ExitOK,
			[]string{`"Sid": "CisbotAudit"`, `"cloudtrail:DescribeTrails"`}, []string{"CisbotFix", "PutMetricFilter"}},
		{"member fix", []string{"--feature", "fix", "--for", "member"}, ExitOK,
			[]string{`"Sid": "CisbotFix"`, `"logs:PutMetricFilter"`}, []string{"CisbotAudit"}},
		{"bot assumes the named role", []string{"--for", "bot", "--role-name", "auditor"}, ExitOK,
			[]string{`"arn:aws:iam::*:role/auditor"`, `"organizations:ListAccounts"`, `"sqs:ReceiveMessage"`}, []string{"cloudtrail:"}},
		{"GovCloud", []string{"--for", "bot", "--partition", "aws-us-gov"}, ExitOK,
			[]string{`"arn:aws-us-gov:iam::*:role/cisbot"`}, []string{`"arn:aws:`}},
		{"the member role in China", []string{"--feature", "fix", "--partition", "aws-cn"}, ExitOK,
			[]string{`"arn:aws-cn:iam::*:role/cisbot"`, `"Resource": "*"`}, []string{`"arn:aws:`}},
		{"unknown partition", []string{"--partition", "aws-eu"}, ExitError, []string{`--partition "aws-eu": use one of aws, aws-cn, aws-us-gov`}, nil},
		{"unknown feature", []string{"--feature", "audit,repair"}, ExitError, []string{`unknown feature "repair"`}, nil},
		{"unknown principal", []string{"--for", "admin"}, ExitError, []string{`--for "admin"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"iam-policy"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, errOut)
			}
			text := out
			if code != ExitOK {
				text = errOut
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %s:\n%s", w, text)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("output has %s:\n%s", n, text)
				}
			}
		})
	}
}
