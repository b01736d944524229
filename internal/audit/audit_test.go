package audit

// The audit against moto is tested in internal/app (audit_test.go); these tests cover the
// fan-out's own rules, which need no AWS.

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

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

// Every control is judged on one snapshot per account, and every failure to audit an account is
// an ERROR for each control.
func TestRunControls(t *testing.T) {
	var all []*cis.Control
	for i := range cis.Controls {
		all = append(all, &cis.Controls[i])
	}
	var collected atomic.Int64
	reached := Target{Name: "reached", Resolve: func(context.Context) (*accountreader.AccountAPI, error) {
		return &accountreader.AccountAPI{AccountID: func(context.Context) (string, error) {
			collected.Add(1)
			return "", errors.New("ExpiredToken: the security token included in the request is expired")
		}, CloudTrail: func(string) accountreader.TrailReader { return noTrails{} }}, nil
	}}
	denied := Target{Name: "denied", Resolve: func(context.Context) (*accountreader.AccountAPI, error) {
		return nil, errors.New("AccessDenied: not allowed to assume the role")
	}}
	panics := Target{Name: "panics", Resolve: func(context.Context) (*accountreader.AccountAPI, error) { panic("boom") }}
	tests := []struct {
		name     string
		controls []*cis.Control
		target   Target
		reason   string
		collects int64
	}{
		{"one control, collected", all[:1], reached, "ExpiredToken", 1},
		{"every control, collected once", all, reached, "ExpiredToken", 1},
		{"every control, assume role denied", all, denied, "sts:AssumeRole", 0},
		{"every control, panic", all, panics, "internal error: boom", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			collected.Store(0)
			r := &Runner{Controls: tc.controls, Collector: &accountreader.Collector{Region: "us-east-1"}}
			res := r.RunControls(context.Background(), []Target{tc.target, tc.target})
			if len(res) != 2 {
				t.Fatalf("%d accounts", len(res))
			}
			for _, rs := range res {
				if len(rs) != len(tc.controls) {
					t.Fatalf("%d results for %d controls", len(rs), len(tc.controls))
				}
				for _, x := range rs {
					if x.Account != tc.target.Name || x.Status != cis.StatusError || !strings.Contains(x.Reason, tc.reason) {
						t.Errorf("%s: %s %q, want ERROR with %q", x.Account, x.Status, x.Reason, tc.reason)
					}
				}
			}
			if got := collected.Load(); got != 2*tc.collects {
				t.Errorf("the accounts were collected %d times, want %d (once per account)", got, 2*tc.collects)
			}
		})
	}
}

// noTrails answers DescribeTrails with an error; the audit calls nothing else when it fails.
type noTrails struct{ accountreader.TrailReader }

func (noTrails) DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	return nil, errors.New("not reached")
}
