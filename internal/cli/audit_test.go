package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

var srv *emulator.Server

func TestMain(m *testing.M) {
	// The CLI reads AWS settings from the environment as users set them; here they point at
	// moto with dummy credentials, and nothing of the developer's own setup leaks in.
	os.Unsetenv("CISBOT_CONFIG")
	awsaccount.Main(m, &srv)
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cisbot.yml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuditCommand(t *testing.T) {
	f, err := awsenv.New(context.Background(), awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, good, awsaccount.Scenario{}, nil)
	awsaccount.Build(t, f, bad, awsaccount.Scenario{NotLogging: true}, nil)
	cfg := writeConfig(t, fmt.Sprintf("accounts:\n  - name: prod\n    role_arn: %s\n  - name: dev\n    role_arn: %s\n",
		awsaccount.RoleARN(good), awsaccount.RoleARN(bad)))

	t.Run("json contract", func(t *testing.T) {
		code, out, errOut := run(t, "", "audit", "--config", cfg, "--control", "4.1", "--format", "json", "prod", "dev")
		if code != ExitFail {
			t.Fatalf("exit %d, want 1 (one account fails); stderr %s", code, errOut)
		}
		var doc struct {
			Control string `json:"control"`
			Results []struct {
				Account    string          `json:"account"`
				AccountID  string          `json:"account_id"`
				Status     string          `json:"status"`
				FailedStep *string         `json:"failed_step"`
				Reason     string          `json:"reason"`
				Checks     []cis.Check     `json:"checks"`
				Warnings   []string        `json:"warnings"`
				Raw        json.RawMessage `json:"-"`
			} `json:"results"`
			Summary map[string]int `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if doc.Control != "4.1" || len(doc.Results) != 2 || doc.Summary["pass"] != 1 || doc.Summary["fail"] != 1 || doc.Summary["error"] != 0 {
			t.Fatalf("unexpected report: %s", out)
		}
		p, d := doc.Results[0], doc.Results[1]
		if p.Account != "prod" || p.AccountID != good || p.Status != "PASS" || p.FailedStep != nil || len(p.Checks) != 7 || p.Warnings == nil {
			t.Errorf("prod: %+v", p)
		}
		if d.Account != "dev" || d.Status != "FAIL" || d.FailedStep == nil || *d.FailedStep != "logging" {
			t.Errorf("dev: %+v", d)
		}
		// failed_step must be present as null on a pass, not left out.
		if !strings.Contains(out, `"failed_step": null`) {
			t.Error(`a passing result must carry "failed_step": null`)
		}
	})
	t.Run("text", func(t *testing.T) {
		code, out, _ := run(t, "", "audit", "--config", cfg, "--control", "4.1", "prod", "dev")
		if code != ExitFail {
			t.Fatalf("exit %d", code)
		}
		for _, want := range []string{"PASS  prod", "FAIL  dev", "logging: the trail is not logging", "fix: Start logging: aws cloudtrail start-logging", "1 pass, 1 fail, 0 error"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("all pass", func(t *testing.T) {
		if code, _, errOut := run(t, "", "audit", "--config", cfg, "--control", "4.1", "prod"); code != ExitOK {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
	t.Run("config from CISBOT_CONFIG", func(t *testing.T) {
		t.Setenv("CISBOT_CONFIG", cfg)
		if code, _, errOut := run(t, "", "audit", "--control", "4.1", "prod"); code != ExitOK {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
	t.Run("unknown account", func(t *testing.T) {
		code, _, errOut := run(t, "", "audit", "--config", cfg, "prdo")
		if code != ExitError || !strings.Contains(errOut, `did you mean "prod"`) {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		bad := writeConfig(t, "accounts:\n  - name: prod\n    rolearn: x\n")
		code, _, errOut := run(t, "", "audit", "--config", bad, "prod")
		if code != ExitError || !strings.Contains(errOut, "rolearn") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		for _, args := range [][]string{{"audit", "--format", "xml", "prod"}, {"audit", "--concurrency", "0", "prod"}, {"audit"}} {
			if code, _, _ := run(t, "", append(args, "--config", cfg)...); code != ExitError {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
	})
	t.Run("config check", func(t *testing.T) {
		code, out, _ := run(t, "", "config", "check", "--config", cfg)
		if code != ExitOK || !strings.Contains(out, "2 account(s): prod, dev") {
			t.Errorf("exit %d: %s", code, out)
		}
		bad := writeConfig(t, "accounts:\n  - name: all\n")
		code, _, errOut := run(t, "", "config", "check", "--config", bad)
		if code != ExitError || !strings.Contains(errOut, "accounts[0].name") {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
}

// The text report is for people; its layout is pinned by a golden file.
func TestWriteReport(t *testing.T) {
	logging := cis.StepLogging
	subscriber := cis.StepSubscriber
	report := cis.NewReport("4.1", []cis.Result{
		{Account: "prod", AccountID: "111111111111", Status: cis.StatusPass, Reason: "every step of the CIS chain passes: topic has a confirmed email subscription (secops@example.com)",
			Checks:   []cis.Check{{Step: cis.StepTrail, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:111111111111:trail/main", Detail: "multi-region trail main"}},
			Warnings: []string{"metric filter f satisfies control 4.1, but Security Hub CloudWatch.2 compares the text and will still report it as failed"}},
		{Account: "dev", AccountID: "222222222222", Status: cis.StatusFail, FailedStep: &logging, Reason: "logging: the trail is not logging",
			Fix: "Start logging: aws cloudtrail start-logging --name arn:aws:cloudtrail:us-east-1:222222222222:trail/main", Warnings: []string{}},
		{Account: "stage", Status: cis.StatusError, FailedStep: &subscriber, Reason: "subscriber: sns:ListSubscriptionsByTopic on arn:aws:sns:us-east-1:333333333333:cis-alarms: AuthorizationError: not authorized",
			Fix: "Allow sns:ListSubscriptionsByTopic to the role the bot uses in this account (the SecurityAudit managed policy covers the audit).", Warnings: []string{}},
	})
	for _, verbose := range []bool{false, true} {
		var b strings.Builder
		writeReport(&b, report, verbose)
		golden(t, fmt.Sprintf("audit-report-verbose-%v.txt", verbose), b.String())
	}
}
