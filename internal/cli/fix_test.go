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
	broken, good := awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, broken, awsaccount.Scenario{Pattern: `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`, NotLogging: true}, nil)
	awsaccount.Build(t, f, good, awsaccount.Scenario{}, nil)
	cfg := writeConfig(t, fmt.Sprintf("accounts:\n  - name: dev\n    role_arn: %s\n  - name: prod\n    role_arn: %s\nremediation:\n  subscribe: [secops@example.com]\n",
		awsaccount.RoleARN(broken), awsaccount.RoleARN(good)))

	// Without --yes and without a terminal, the plan is shown and nothing is applied.
	code, out, errOut := run(t, "", "fix", "--config", cfg, "dev")
	if code != ExitFail || !strings.Contains(out, "Plan (") || !strings.Contains(out, "Not applied: run again with --yes") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run(t, "", "audit", "--config", cfg, "--control", "4.1", "dev"); code != ExitFail || !strings.Contains(out, "FAIL") {
		t.Fatalf("dev changed without --yes: exit %d\n%s", code, out)
	}

	// With --yes: applied, audited again, passing.
	code, out, errOut = run(t, "", "fix", "--config", cfg, "--yes", "--format", "json", "dev")
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

	// A passing account has nothing to do.
	if code, out, _ := run(t, "", "fix", "--config", cfg, "prod"); code != ExitOK || !strings.Contains(out, "Nothing to do") {
		t.Errorf("prod: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", "fix", "--config", cfg, "prdo"); code != ExitError || !strings.Contains(errOut, `did you mean "prod"`) {
		t.Errorf("unknown account: exit %d, %s", code, errOut)
	}
}
