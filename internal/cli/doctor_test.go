package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/doctor"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

func TestDoctorCommand(t *testing.T) {
	f, err := awsenv.New(t.Context(), awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := awsaccount.NewID()
	awsaccount.Build(t, f, id, awsaccount.Scenario{}, nil)
	ws := slackfake.New(t, "xoxb-doctor")
	ws.SetScopes(doctor.ManifestBotScopes...)
	ws.AddChannel("C0123ABCD", "security", true)
	ws.AddChannel("C0456WXYZ", "elsewhere", false)
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-doctor")
	t.Setenv("SLACK_APP_TOKEN", "xapp-doctor")
	t.Setenv("SLACK_API_URL", ws.APIURL())

	cfg := func(channel string) string {
		return writeConfig(t, fmt.Sprintf(`aws:
  cloudwatch_protocol: query
accounts:
  - name: prod
    role_arn: %s
    channel: %s
store:
  path: %s
alerts:
  listen: 127.0.0.1:0
`, awsaccount.RoleARN(id), channel, filepath.Join(t.TempDir(), "cisbot.db")))
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"passing set-up", []string{"--config", cfg("C0123ABCD")}, doctor.ExitOK, []string{
			"PASS  config:", "PASS  store:", "PASS  slack: scopes", "PASS  slack: channel C0123ABCD", "PASS  account prod: role: assumes " + awsaccount.RoleARN(id),
			"PASS  account prod: audit reads: all 6 answer", "SKIP  account prod: remediation", "WARN  alerts: topics", "PASS  clock"}},
		{"a channel the bot is not in", []string{"--config", cfg("C0456WXYZ")}, doctor.ExitFail, []string{
			"FAIL  slack: channel C0456WXYZ: the bot is not a member of #elsewhere", "fix: in #elsewhere: /invite @cisbot"}},
		{"an organization", []string{"--config", writeConfig(t, "aws:\n  cloudwatch_protocol: query\norganization:\n  role_name: cisbot\nstore:\n  path: "+filepath.Join(t.TempDir(), "org.db")+"\nalerts:\n  listen: 127.0.0.1:0\n")},
			doctor.ExitOK, []string{"PASS  organization: lists "}},
		{"a queue that does not exist, read through its role_arn", []string{"--config", writeConfig(t, fmt.Sprintf(
			"aws:\n  cloudwatch_protocol: query\naccounts:\n  - name: prod\n    role_arn: %s\nstore:\n  path: %s\nalerts:\n  listen: 127.0.0.1:0\n  queues:\n    - url: https://sqs.us-east-1.amazonaws.com/%s/missing\n      role_arn: %s\n",
			awsaccount.RoleARN(id), filepath.Join(t.TempDir(), "queue.db"), id, awsaccount.RoleARN(id)))},
			doctor.ExitFail, []string{"FAIL  alerts: queue https://sqs.us-east-1.amazonaws.com/" + id + "/missing: the queue does not exist"}},
		{"queues alone: no endpoint to check", []string{"--config", writeConfig(t, fmt.Sprintf(
			"aws:\n  cloudwatch_protocol: query\naccounts:\n  - name: prod\n    role_arn: %s\nstore:\n  path: %s\nalerts:\n  queues:\n    - url: https://sqs.us-east-1.amazonaws.com/%s/missing\n",
			awsaccount.RoleARN(id), filepath.Join(t.TempDir(), "queues-only.db"), id))},
			doctor.ExitFail, []string{"SKIP  alerts endpoint: alerts come through alerts.queues alone: cisbot run opens no public port"}},
		{"an invalid config", []string{"--config", writeConfig(t, "accounts:\n  - name: all\n")}, doctor.ExitFail, []string{"FAIL  config:"}},
		{"a bad format", []string{"--format", "yaml"}, ExitError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"doctor"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		code, out, _ := run(t, "", "doctor", "--config", cfg("C0123ABCD"), "--format", "json")
		var doc struct {
			OK     bool
			Exit   int
			Checks []doctor.Check
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if code != 0 || !doc.OK || doc.Exit != 0 || len(doc.Checks) < 8 {
			t.Errorf("exit %d, document %+v", code, doc)
		}
	})
}
