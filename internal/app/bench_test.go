package app

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// criticalPath is the number of AWS calls one account's audit must make one after another:
// sts:AssumeRole; then cloudtrail:DescribeTrails (beside sts:GetCallerIdentity); then, per
// trail, logs:DescribeMetricFilters and cloudwatch:DescribeAlarms (beside GetTrailStatus and
// GetEventSelectors); then sns:ListSubscriptionsByTopic.
const criticalPath = 4

var benchOnce sync.Once
var benchAccount string

// BenchmarkAuditFanOut audits 200 accounts with 20 ms added to every AWS call and reports the
// wall time against the bound ceil(N/C) x criticalPath x latency. The proxy replays moto's
// recorded answers (every account is built alike), so moto's own CPU time, not what is being
// measured, does not dominate; each call still crosses HTTP and waits the 20 ms.
func BenchmarkAuditFanOut(b *testing.B) {
	const (
		accounts = 200
		latency  = 20 * time.Millisecond
	)
	f := factory(b)
	benchOnce.Do(func() {
		benchAccount = awsaccount.NewID()
		awsaccount.Build(b, f, benchAccount, awsaccount.Scenario{}, proxy)
	})
	var yaml strings.Builder
	yaml.WriteString("aws:\n  region: us-east-1\naccounts:\n")
	for i := range accounts {
		// Each name is a session of its own, with an AssumeRole of its own.
		fmt.Fprintf(&yaml, "  - name: acct-%03d\n    role_arn: %s\n", i, awsaccount.RoleARN(benchAccount))
	}
	cfg := parseConfig(b, yaml.String())
	ctl, _ := cis.Lookup("4.1")
	for _, conc := range []int{audit.DefaultConcurrency, 50} {
		b.Run(fmt.Sprintf("accounts=%d/concurrency=%d/latency=%s", accounts, conc, latency), func(b *testing.B) {
			proxy.SetReplay(true)
			proxy.SetDelay(latency)
			defer func() { proxy.SetDelay(0); proxy.SetReplay(false) }()
			bound := time.Duration(math.Ceil(float64(accounts)/float64(conc))) * criticalPath * latency
			var total time.Duration
			var calls int64
			for b.Loop() {
				accts := NewAccounts(cfg, factory(b)) // fresh sessions: every AssumeRole is made again
				targets, err := accts.Targets(context.Background(), []string{"all"}, false)
				if err != nil {
					b.Fatal(err)
				}
				before := proxy.Calls()
				start := time.Now()
				results := (&audit.Runner{Control: ctl, Collector: accts.Collector(), Concurrency: conc}).Run(context.Background(), targets)
				total += time.Since(start)
				calls += proxy.Calls() - before
				for _, r := range results {
					if r.Status != cis.StatusPass {
						b.Fatalf("%s: %s %s", r.Account, r.Status, r.Reason)
					}
				}
			}
			wall := total / time.Duration(b.N)
			b.ReportMetric(wall.Seconds(), "wall-s")
			b.ReportMetric(bound.Seconds(), "bound-s")
			b.ReportMetric(wall.Seconds()/bound.Seconds(), "x-bound")
			b.ReportMetric(float64(calls)/float64(b.N*accounts), "calls/account")
		})
	}
}
