package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

func TestFixCommand(t *testing.T) {
	f, err := awsenv.New(context.Background(), awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	broken, good, bare := awsaccount.NewID(), awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, broken, awsaccount.Scenario{Pattern: `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`, NotLogging: true}, nil)
	awsaccount.Build(t, f, good, awsaccount.Scenario{}, nil)
	awsaccount.Build(t, f, bare, awsaccount.Scenario{Pattern: `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`, NotLogging: true}, nil)
	cfg := writeConfig(t, fmt.Sprintf("accounts:\n  - name: dev\n    role_arn: %s\n  - name: prod\n    role_arn: %s\n  - name: test\n    role_arn: %s\nremediation:\n  subscribe: [secops@example.com]\n",
		awsaccount.RoleARN(broken), awsaccount.RoleARN(good), awsaccount.RoleARN(bare)))

	// Without --yes and without a terminal, the plan is shown and nothing is applied.
	code, out, errOut := run(t, "", "fix", "--config", cfg, "--control", "4.1", "dev")
	if code != ExitFail || !strings.Contains(out, "Plan (") || !strings.Contains(out, "Not applied: run again with --yes") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run(t, "", "audit", "--config", cfg, "--control", "4.1", "dev"); code != ExitFail || !strings.Contains(out, "FAIL") {
		t.Fatalf("dev changed without --yes: exit %d\n%s", code, out)
	}

	// With --yes: applied, audited again, passing.
	code, out, errOut = run(t, "", "fix", "--config", cfg, "--control", "4.1", "--yes", "--format", "json", "dev")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var doc struct {
		Before  struct{ Status string }                 `json:"before"`
		Plan    struct{ Steps []struct{ Kind string } } `json:"plan"`
		Applied struct{ OK bool }                       `json:"applied"`
		After   struct{ Status string }                 `json:"after"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	kinds := []string{}
	for _, s := range doc.Plan.Steps {
		kinds = append(kinds, s.Kind)
	}
	if doc.Before.Status != "FAIL" || !doc.Applied.OK || doc.After.Status != "PASS" || strings.Join(kinds, ",") != "start_logging,put_metric_filter,merge_topic_policy,put_metric_alarm" {
		t.Errorf("fix: before %s, steps %v, applied %v, after %s", doc.Before.Status, kinds, doc.Applied.OK, doc.After.Status)
	}

	if strings.Contains(out, `"controls"`) || strings.Contains(out, `"control"`) {
		t.Errorf("the document of one control names controls:\n%s", out)
	}

	// A passing account has nothing to do.
	if code, out, _ := run(t, "", "fix", "--config", cfg, "--control", "4.1", "prod"); code != ExitOK || !strings.Contains(out, "Nothing to do") {
		t.Errorf("prod: exit %d\n%s", code, out)
	}
	// Every control by default: prod has 4.1 only, so the other fourteen are planned, each
	// under its heading, after the shared steps.
	code, out, _ = run(t, "", "fix", "--config", cfg, "prod")
	if code != ExitFail || !strings.Contains(out, "1/15 controls pass; fail 4.2, 4.3") || !strings.Contains(out, "  Shared:\n") ||
		!strings.Contains(out, "  4.3 Ensure usage of the 'root' account is monitored:\n    ") || !strings.Contains(out, "Plan (29 change(s)") {
		t.Errorf("prod, every control: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", "fix", "--config", cfg, "--control", "4.1,4.99", "prod"); code != ExitError || !strings.Contains(errOut, `unknown control "4.99": known controls are 4.1, 4.2`) {
		t.Errorf("unknown control: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run(t, "", "fix", "--config", cfg, "prdo"); code != ExitError || !strings.Contains(errOut, `did you mean "prod"`) {
		t.Errorf("unknown account: exit %d, %s", code, errOut)
	}

	// Two controls at once: one plan, both pass afterwards.
	code, out, errOut = run(t, "", "fix", "--config", cfg, "--control", "4.1,4.3", "--yes", "--format", "json", "test")
	if code != ExitOK {
		t.Fatalf("4.1 and 4.3: exit %d\n%s\n%s", code, out, errOut)
	}
	var multi struct {
		Controls []string `json:"controls"`
		Before   []struct{ Control, Status string }
		Plan     struct {
			Controls []string
			Steps    []struct{ Control, Kind string }
		}
		After []struct{ Control, Status string }
	}
	if err := json.Unmarshal([]byte(out), &multi); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var steps []string
	for _, s := range multi.Plan.Steps {
		steps = append(steps, s.Control+":"+s.Kind)
	}
	if fmt.Sprint(multi.Controls, multi.Plan.Controls) != "[4.1 4.3] [4.1 4.3]" || fmt.Sprint(multi.Before) != "[{4.1 FAIL} {4.3 FAIL}]" || fmt.Sprint(multi.After) != "[{4.1 PASS} {4.3 PASS}]" ||
		strings.Join(steps, " ") != ":start_logging :merge_topic_policy 4.1:put_metric_filter 4.1:put_metric_alarm 4.3:put_metric_filter 4.3:put_metric_alarm" {
		t.Errorf("4.1 and 4.3: controls %v, before %v, steps %v, after %v", multi.Controls, multi.Before, steps, multi.After)
	}
	if code, out, _ := run(t, "", "audit", "--config", cfg, "--control", "4.1,4.3", "test"); code != ExitOK {
		t.Errorf("audit of 4.1 and 4.3 after the fix: exit %d\n%s", code, out)
	}
}
