package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/accountchanger"
	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/iamspec"
)

// PolicySimulator asks IAM whether a role may make calls, without making them.
type PolicySimulator interface {
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

var _ PolicySimulator = (*iam.Client)(nil)

// Operations are doctor's own calls. The member role's remediation policy grants the
// simulation, so doctor can tell whether the role may fix without changing anything.
var Operations = []iamspec.Operation{
	// On the member role alone: simulating another principal would read its permissions.
	{Action: "iam:SimulatePrincipalPolicy", Feature: iamspec.Fix, On: iamspec.Member, Why: "cisbot doctor checks the remediation permissions without making changes",
		Resource: "arn:aws:iam::*:role/" + iamspec.RoleName},
}

// Account is one configured account's clients, reached through its role.
type Account struct {
	Name    string
	RoleARN string // empty: the base credentials
	Region  string
	API     *accountreader.AccountAPI
	// Simulator checks the remediation permissions; nil when remediation is not configured.
	Simulator PolicySimulator
}

// CheckAccounts checks every account concurrently and returns their checks in account order.
func CheckAccounts(ctx context.Context, accounts []Account) []Check {
	out := make([][]Check, len(accounts))
	var wg sync.WaitGroup
	for i := range accounts {
		wg.Go(func() { out[i] = accounts[i].check(ctx) })
	}
	wg.Wait()
	return slices.Concat(out...)
}

func (a *Account) check(ctx context.Context) []Check {
	name := "account " + a.Name
	id, err := a.API.AccountID(ctx)
	if err != nil {
		fix := "check the bot's own credentials (the standard AWS chain)"
		if a.RoleARN != "" {
			fix = fmt.Sprintf("deploy deploy/aws/member-role.yaml in the account, trusting the bot's principal, and check role_arn and external_id; the bot needs sts:AssumeRole on %s (deploy/aws/bot-policy.json)", a.RoleARN)
		}
		return []Check{fail(name+": role", err.Error(), fix)}
	}
	detail := "base credentials in " + id
	if a.RoleARN != "" {
		detail = "assumes " + a.RoleARN
	}
	return []Check{pass(name+": role", detail), a.reads(ctx, id), a.remediation(ctx, id)}
}

// probe makes one cheap call with an action's permission; a not-found answer shows the
// permission as well as a found one.
type probe func(ctx context.Context, a *Account, id string) error

var probes = map[string]probe{
	"cloudtrail:DescribeTrails": func(ctx context.Context, a *Account, _ string) error {
		_, err := a.API.CloudTrail(a.Region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
		return err
	},
	"cloudtrail:GetTrailStatus": func(ctx context.Context, a *Account, _ string) error {
		_, err := a.API.CloudTrail(a.Region).GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(probeName)})
		return err
	},
	"cloudtrail:GetEventSelectors": func(ctx context.Context, a *Account, _ string) error {
		_, err := a.API.CloudTrail(a.Region).GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(probeName)})
		return err
	},
	"logs:DescribeMetricFilters": func(ctx context.Context, a *Account, _ string) error {
		_, err := a.API.Logs(a.Region).DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{Limit: aws.Int32(1)})
		return err
	},
	"cloudwatch:DescribeAlarms": func(ctx context.Context, a *Account, _ string) error {
		_, err := a.API.CloudWatch(a.Region).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)})
		return err
	},
	"sns:ListSubscriptionsByTopic": func(ctx context.Context, a *Account, id string) error {
		arn := fmt.Sprintf("arn:%s:sns:%s:%s:%s", partition(a.Region), a.Region, id, probeName)
		_, err := a.API.SNS(a.Region).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
		return err
	},
}

// probeName names a trail or topic that does not exist: asking for it needs the permission
// and changes nothing.
const probeName = "cisbot-doctor-probe"

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// reads makes one call per declared audit operation and lists those denied.
func (a *Account) reads(ctx context.Context, id string) Check {
	name := "account " + a.Name + ": audit reads"
	var denied, failed, unprobed []string
	n := 0
	for _, op := range accountreader.Operations {
		p, ok := probes[op.Action]
		if !ok {
			unprobed = append(unprobed, op.Action)
			continue
		}
		n++
		switch err := p(ctx, a, id); {
		case err == nil || notFound(err):
		case isDenied(err):
			denied = append(denied, op.Action)
		default:
			failed = append(failed, fmt.Sprintf("%s: %v", op.Action, err))
		}
	}
	switch {
	case len(denied) > 0:
		return fail(name, "denied: "+strings.Join(denied, ", "),
			"grant the member role the audit policy: deploy/aws/member-role.yaml, or `cisbot iam-policy --feature audit`")
	case len(failed) > 0:
		return fail(name, strings.Join(failed, "; "), "see the error; the audit would record the same")
	case len(unprobed) > 0:
		return warn(name, fmt.Sprintf("%d answer; not checked: %s", n, strings.Join(unprobed, ", ")), "")
	}
	return pass(name, fmt.Sprintf("all %d answer", n))
}

// remediation simulates the remediation actions for the role; without the permission to
// simulate it can only warn.
func (a *Account) remediation(ctx context.Context, id string) Check {
	name := "account " + a.Name + ": remediation"
	if a.Simulator == nil {
		return skip(name, "remediation is not configured")
	}
	if a.RoleARN == "" {
		return warn(name, "the base credentials cannot be simulated; whether they may fix is unknown", "")
	}
	var actions []string
	for _, op := range accountchanger.Operations {
		if !slices.Contains(actions, op.Action) {
			actions = append(actions, op.Action)
		}
	}
	out, err := a.Simulator.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(a.RoleARN), ActionNames: actions})
	if err != nil {
		return warn(name, "could not tell: iam:SimulatePrincipalPolicy: "+shortError(err),
			"deploy the member role with EnableRemediation=true, which also allows the simulation")
	}
	var denied []string
	for _, r := range out.EvaluationResults {
		if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			denied = append(denied, aws.ToString(r.EvalActionName))
		}
	}
	if len(denied) > 0 {
		return fail(name, "the role may not "+strings.Join(denied, ", "),
			"deploy the member role with EnableRemediation=true, or `cisbot iam-policy --feature fix`")
	}
	return pass(name, fmt.Sprintf("the role may make all %d remediation calls in %s", len(actions), id))
}

func isDenied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	c := ae.ErrorCode()
	return strings.Contains(c, "AccessDenied") || strings.Contains(c, "Unauthorized") || c == "AuthorizationError"
}

func notFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "NotFound")
}

// shortError is an API error's code and message, without the SDK's request details.
func shortError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
