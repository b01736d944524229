package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// cisbot demo with stdin not a terminal plays the scripted tour against its own moto_server,
// which is gone when it returns.
func TestDemo(t *testing.T) {
	code, out, errOut := run(t, "", "demo")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\nstderr: %s\nstdout: %s", code, errOut, out)
	}
	for _, want := range []string{
		`(?m)^  FAIL  the all-\|\| reprint`,
		`(?m)^  FAIL  exact codes, no wildcards .*\n +the pattern misses an unauthorized API call: an event with errorCode="AccessDeniedException"`,
		`(?m)^# cisbot doctor checks the set-up first`,
		`(?m)^SKIP  slack: the demo has no Slack workspace`,
		`(?m)^PASS  account prod: role: assumes arn:aws:iam::111111111111:role/cisbot\nPASS  account prod: audit reads: all 6 answer`,
		`(?m)^PASS  account dev: role: .*\nPASS  account dev: audit reads: all 6 answer`,
		`(?m)^\d+ checks: \d+ pass, \d+ warn, 0 fail, \d+ skipped\n`,
		`(?m)^cis> /cis help\nCommands`,
		`(?m)^cis> /cis accounts\n2 accounts:\n  prod  role arn:aws:iam::111111111111:role/cisbot\n  dev   role arn:aws:iam::222222222222:role/cisbot`,
		`(?m)^cis> /cis audit prod dev\nAuditing prod, dev… 0 of 2 done`,
		`(?m)^FAIL +prod +111111111111 +14/15 pass  fail 4\.10\n`,
		`(?m)^FAIL +dev +222222222222 +0/15 pass  fail 4\.1–4\.15\n`,
		`(?m)^Controls 4\.1–4\.15: 2 accounts audited in .*: 14 pass, 16 fail, 0 error \(account × control\)\.\n\[1\] Evidence: prod\n\[2\] Evidence: dev\n\[3\] Fix: prod\n\[4\] Fix: dev`,
		"(?m)^cis> 1\nEvidence for prod \\(111111111111\\): FAIL, 14/15 pass  fail 4\\.10\n4\\.10 Ensure security group changes are monitored: FAIL at metric_filter\n(  PASS .*\n){3}  FAIL   metric_filter .*misses ModifySecurityGroupRules.*; it satisfies CIS v1\\.2\\.0, CIS v1\\.3\\.0–v4\\.0\\.1, Security Hub; Security Hub CloudWatch\\.10 accepts the exact text",
		`(?m)^  4\.3 warning: metric filter root_usage_metric satisfies control 4\.3, but Security Hub CloudWatch\.1 compares the text`,
		`(?m)^cis> /cis fix prod 4\.10\nFix prod \(111111111111\), requested by console: 3 change\(s\)`,
		`(?m)^  2\. Create metric filter security_group_changes_metric-cisbot on log group cloudtrail-logs with the cis-v5 pattern`,
		`(?m)^Fix of prod applied \(request [0-9a-f]+, decided by console\)\.`,
		`(?m)^cis> /cis fix dev\nFix dev \(222222222222\), requested by console: 31 change\(s\)`,
		`(?m)^  Shared:\n    1\. Make sure CloudWatch alarms of account 222222222222 may publish to topic cis-alarms`,
		`(?m)^  4\.15 Ensure AWS Organizations changes are monitored:\n    30\. Create metric filter organizations_changes_metric .*\n    31\. Create alarm organizations_changes_alarm`,
		`(?m)^\[1\] Approve\n\[2\] Reject`,
		`(?m)^Fix of dev applied \(request [0-9a-f]+, decided by console\)\.`,
		`(?m)^  31 of 31 steps done \(30 changed something\)\nAudit after the fix: 15/15 controls pass`,
		`(?m)^PASS +prod +111111111111 +15/15 pass\nPASS +dev +222222222222 +15/15 pass\nControls 4\.1–4\.15: 2 accounts audited in .*: 30 pass, 0 fail, 0 error \(account × control\)\.`,
		`(?m)^  [0-9a-f]{12}  .*  applied +31 step\(s\)  by console, decided by console`,
		`(?m)^# .*delivered to the relay as SNS would, without a signature`,
		`(?m)^ALARM  unauthorized_api_calls_alarm\n  account 222222222222, us-east-1, .*\n(.*\n)?  1 unauthorized call in .*\n    arn:aws:iam::222222222222:user/mallory  1  s3:ListBuckets  AccessDenied  from 203\.0\.113\.7\n  Logs: https://us-east-1\.console\.aws\.amazon\.com/`,
		`(?m)^ALARM  root_usage_alarm\n  account 222222222222, us-east-1, .*\n(.*\n)?  Root user used: 1 event in .*\n    Root  1  iam:CreateAccessKey  from 198\.51\.100\.20\n      userAgent: console\.amazonaws\.com\n  Logs: https://`,
		`(?m)^cis> /cis status\nLatest results from the scheduled summaries .*\n  prod  14/15  audited .* · failing 4\.10 since .*\n      4\.10  FAIL at metric_filter: .*\n  dev    0/15  audited .* · failing 4\.1, 4\.2, .*\n      4\.1   FAIL at metric_filter: `,
		`(?m)^CIS summary for C0SECURITY: 2 of 2 accounts pass all 15 controls; 30 of 30 checks pass, 16 more than at \d\d:\d\d\nNewly passing \(16\):\n  prod \(111111111111\) 4\.10\n  dev \(222222222222\) 4\.1, .*, 4\.15\nBy account:\n  prod  15/15  newly passing 4\.10\n  dev   15/15  newly passing 4\.1, .*, 4\.15\nAudited .*\.\n\n# moto_server stopped\.`,
		`(?m)^# moto_server stopped\.`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}

	m := regexp.MustCompile(`moto_server, the AWS emulator, at (http://127\.0\.0\.1:\d+) \(pid (\d+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatal("the demo did not say where moto_server ran")
	}
	pid, _ := strconv.Atoi(m[2])
	if pid == srv.PID() {
		t.Fatal("the demo used the tests' moto_server")
	}
	if emulator.Running(pid) {
		t.Errorf("moto_server (pid %d) or a process it started is still running after the demo", pid)
	}
	if resp, err := http.Get(m[1] + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Errorf("%s still answers after the demo", m[1])
	}
}

func TestConsoleCommand(t *testing.T) {
	f, err := awsenv.New(context.Background(), awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, good, awsaccount.Scenario{}, nil)
	awsaccount.Build(t, f, bad, awsaccount.Scenario{Datapoints: 2}, nil)
	cfg := writeConfig(t, fmt.Sprintf("accounts:\n  - name: prod\n    role_arn: %s\n  - name: dev\n    role_arn: %s\n",
		awsaccount.RoleARN(good), awsaccount.RoleARN(bad)))

	code, out, errOut := runConsole(t, "accounts\n/cis audit prod dev 4.1\n1\nquit\n", "--config", cfg)
	if code != ExitOK {
		t.Fatalf("exit %d\nstderr: %s", code, errOut)
	}
	for _, want := range []string{
		"cis> accounts\n2 accounts:",
		"cis> /cis audit prod dev 4.1\n",
		"PASS   prod  " + good + "  1/1 pass\n",
		"FAIL   dev   " + bad + "  0/1 pass  fail 4.1\n",
		"[1] Evidence: dev",
		"cis> 1\nEvidence for dev (" + bad + "): FAIL, 0/1 pass  fail 4.1\n4.1 Ensure unauthorized API calls are monitored: FAIL at alarm",
		"cis> quit\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", out, errOut)
	}

	bad2 := writeConfig(t, "accounts:\n  - name: prod\n    rolearn: x\n")
	if code, _, errOut := runConsole(t, "", "--config", bad2); code != ExitError || !strings.Contains(errOut, "rolearn") {
		t.Errorf("bad config: exit %d, stderr %q", code, errOut)
	}
}

// runConsole runs the console command by itself, as Run would run cisbot console.
func runConsole(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newConsoleCmd(IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
		if ee.err != nil {
			fmt.Fprintf(&errb, "cisbot: %v\n", ee.err)
		}
	default:
		t.Fatalf("console: %v", err)
	}
	return code, out.String(), errb.String()
}

func TestDemoWithoutMoto(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	code, _, errOut := run(t, "", "demo")
	if code != ExitError || !strings.Contains(errOut, `pip install "moto[server]"`) {
		t.Errorf("exit %d, stderr %q; want 2 and the install command", code, errOut)
	}
}
