package audit

// The audit against moto is tested in internal/app (audit_test.go); these tests cover the
// fan-out's own rules, which need no AWS.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/cis"
)

func TestRunnerTurnsFailuresIntoErrorResults(t *testing.T) {
	ctl, err := cis.Lookup("4.1")
	if err != nil {
		t.Fatal(err)
	}
	targets := []Target{
		{Name: "denied", Resolve: func(context.Context) (*accountreader.AccountAPI, error) {
			return nil, errors.New("AccessDenied: not allowed to assume the role")
		}},
		{Name: "panics", Resolve: func(context.Context) (*accountreader.AccountAPI, error) { panic("boom") }},
	}
	var progress []int
	r := &Runner{Control: ctl, Collector: &accountreader.Collector{Region: "us-east-1"}, Concurrency: 1,
		Progress: func(done, total int, _ cis.Result) { progress = append(progress, done*10+total) }}
	res := r.Run(context.Background(), targets)
	if len(res) != 2 || res[0].Account != "denied" || res[1].Account != "panics" {
		t.Fatalf("results %+v", res)
	}
	for i, want := range []string{"sts:AssumeRole", "internal error: boom"} {
		if res[i].Status != cis.StatusError || !strings.Contains(res[i].Reason, want) {
			t.Errorf("%s: %s %q, want ERROR with %q", res[i].Account, res[i].Status, res[i].Reason, want)
		}
	}
	if len(progress) != 2 || progress[0] != 12 || progress[1] != 22 {
		t.Errorf("progress %v", progress)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = r.Run(ctx, targets[:1])
	if res[0].Status != cis.StatusError || !strings.Contains(res[0].Reason, "cancelled before this account started") {
		t.Errorf("cancelled: %+v", res[0])
	}
}
