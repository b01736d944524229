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
		`(?m)^cis> /cis help\nCommands`,
		`(?m)^cis> /cis accounts\n2 accounts:\n  prod  role arn:aws:iam::111111111111:role/cisbot\n  dev   role arn:aws:iam::222222222222:role/cisbot`,
		`(?m)^cis> /cis audit prod dev\nAuditing prod, dev… 0 of 2 done`,
		`(?m)^FAIL +prod +111111111111 +14/15 pass  fail 4\.10\n`,
		`(?m)^FAIL +dev +222222222222 +0/15 pass  fail 4\.1–4\.15\n`,
		`(?m)^Controls 4\.1–4\.15: 2 accounts audited in .*: 14 pass, 16 fail, 0 error \(account × control\)\.\n\[1\] Evidence: prod\n\[2\] Evidence: dev\n\[3\] Fix: prod\n\[4\] Fix: dev`,
		`(?m)^cis> 2\nEvidence for dev \(222222222222\): FAIL, 0/15 pass  fail 4\.1–4\.15\n4\.1 Ensure unauthorized API calls are monitored: FAIL at metric_filter\n(  PASS .*\n){3}  FAIL   metric_filter .*AccessDeniedException`,
		`(?m)^cis> /cis fix dev 4\.1\nFix dev \(222222222222\), requested by console: 3 change\(s\)`,
		`(?m)^\[1\] Approve\n\[2\] Reject`,
		`(?m)^Fix of dev applied \(request [0-9a-f]+, decided by console\)\.`,
		`(?m)^Audit after the fix: PASS`,
		`(?m)^FAIL +dev +222222222222 +1/15 pass  fail 4\.2–4\.15\n`,
		`(?m)^Controls 4\.1–4\.15: 2 accounts audited in .*: 15 pass, 15 fail, 0 error \(account × control\)\.`,
		`(?m)^  [0-9a-f]{12}  .*  applied +3 step\(s\)  by console, decided by console`,
		`(?m)^# .*delivered to the relay as SNS would, without a signature`,
		`(?m)^ALARM  unauthorized_api_calls_alarm\n  account 222222222222, us-east-1, .*\n(.*\n)?  1 unauthorized call in .*\n    arn:aws:iam::222222222222:user/mallory  1  s3:ListBuckets  AccessDenied  from 203\.0\.113\.7\n  Logs: https://us-east-1\.console\.aws\.amazon\.com/`,
		`(?m)^cis> /cis status\nLatest results from the scheduled summaries .*\n  prod   1/15  audited .* · failing 4\.2, .*\n(      .*\n){14}  dev    0/15  audited .* · failing 4\.1, 4\.2, .*\n      4\.1   FAIL at metric_filter: `,
		`(?m)^CIS summary for C0SECURITY: 0 of 2 accounts pass all 15 controls; 2 of 30 checks pass, 1 more than at \d\d:\d\d\nNewly passing \(1\):\n  dev \(222222222222\) 4\.1\nStill failing \(28\):\n  prod \(111111111111\) 4\.2, .*, 4\.15 at metric_filter, .*\n  dev \(222222222222\) 4\.2, .*, 4\.15 at metric_filter, .*\nBy account:\n  prod  1/15  still failing 4\.2, .*\n  dev   1/15  newly passing 4\.1 · still failing 4\.2, .*\nAudited .*\.\n\[1\] Fix: prod\n\[2\] Fix: dev\n.*\n\n# moto_server stopped\.`,
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
