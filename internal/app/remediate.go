package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cisbot/cisbot/internal/accountchanger"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/remediate"
)

// Writers adapts a session to what remediation changes; the audit never gets these.
func Writers(s *awsenv.Session) accountchanger.Writers {
	return accountchanger.Writers{
		Logs:       func(region string) accountchanger.LogsWriter { return s.Logs(region) },
		CloudWatch: func(region string) accountchanger.AlarmsWriter { return s.CloudWatch(region) },
		SNS:        func(region string) accountchanger.TopicsWriter { return s.SNS(region) },
		CloudTrail: func(region string) accountchanger.TrailWriter { return s.CloudTrail(region) },
		SQS: func(region string) accountchanger.QueuesWriter {
			return sqs.NewFromConfig(s.Config(), func(o *sqs.Options) { o.Region = region })
		},
	}
}

// Remediator audits one configured account, plans the fix of its controls and applies a plan: the AWS side of
// remediate.Run, for cisbot fix and the Slack approval alike.
type Remediator struct {
	Accounts *Accounts
	Options  cis.PlanOptions
	Now      func() time.Time
}

var _ remediate.Remediator = (*Remediator)(nil)

// Plan audits the account (a configured one, or an organization account by name or id) for the
// controls (every control when none) and plans what would make it pass them all, in one plan;
// the account is read once for all of them. What the plan creates is tagged with requestID.
func (r *Remediator) Plan(ctx context.Context, name string, controls []*cis.Control, requestID string) (cis.Plan, []cis.ControlResult, error) {
	if len(controls) == 0 {
		for i := range cis.Controls {
			controls = append(controls, &cis.Controls[i])
		}
	}
	if r.Accounts == nil {
		return cis.Plan{}, nil, errors.New("no accounts are configured: add the account under accounts: in the config")
	}
	// The plan names the account as audits do: an organization account given by its id is
	// planned under its name, so that its requests and lock are the same whichever was typed.
	found, s, err := r.Accounts.resolve(ctx, name)
	if err != nil {
		return cis.Plan{}, nil, err
	}
	name = found.name
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	snap := r.Accounts.Collector().Collect(ctx, name, API(s))
	at := now()
	results := make([]cis.Result, len(controls))
	before := make([]cis.ControlResult, len(controls))
	for i, ctl := range controls {
		results[i] = cis.EvaluateAt(ctl, snap, at, r.Options.Benchmark)
		before[i] = cis.ControlResult{Control: ctl.ID, Result: results[i]}
	}
	opts := r.Options
	opts.RequestID = requestID
	return cis.NewPlanControls(controls, snap, results, opts), before, nil
}

// Apply executes a plan in the account, reporting each step as it ends.
func (r *Remediator) Apply(ctx context.Context, name string, p cis.Plan, record func(cis.PlanStep, cis.StepOutcome)) (cis.ApplyResult, error) {
	found, s, err := r.Accounts.resolve(ctx, name)
	if err != nil {
		return cis.ApplyResult{}, err
	}
	// An organization account's name can pass to another account (a rename, or a new account
	// taking a shared name): a plan applies only to the account it was made in.
	if found.id != "" && p.AccountID != "" && found.id != p.AccountID {
		return cis.ApplyResult{}, fmt.Errorf("account %s is now account %s, not %s that the fix was planned in: ask for the fix again", name, found.id, p.AccountID)
	}
	return accountchanger.Apply(ctx, Writers(s), p, record), nil
}

// PlanOptions are the remediation settings of a config.
func PlanOptions(cfg *config.Config) cis.PlanOptions {
	return cis.PlanOptions{Benchmark: cfg.Controls.Benchmark, Pattern: cfg.Remediation.Pattern, TopicName: cfg.Remediation.TopicName, Subscribe: cfg.Remediation.Subscribe}
}
