package iampolicy_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

var srv *emulator.Server

func TestMain(m *testing.M) {
	awsaccount.Main(m, &srv)
}

// deployMemberRole creates deploy/aws/member-role.yaml as a stack in account id, as a StackSet
// instance would, and returns the role ARN it outputs.
func deployMemberRole(t *testing.T, f *awsenv.Factory, id string, params map[string]string) string {
	t.Helper()
	body, err := os.ReadFile("../../deploy/aws/member-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := f.Session(awsenv.Target{Name: "stackset-" + id, RoleARN: "arn:aws:iam::" + id + ":role/AWSCloudFormationStackSetExecutionRole"})
	cfn := cloudformation.NewFromConfig(s.Config(), func(o *cloudformation.Options) { o.RetryMaxAttempts = 1 })
	in := &cloudformation.CreateStackInput{StackName: aws.String("cisbot-member-role"), TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam}}
	for k, v := range params {
		in.Parameters = append(in.Parameters, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	ctx := context.Background()
	if _, err := cfn.CreateStack(ctx, in); err != nil {
		t.Fatalf("create stack: %v\n%s", err, srv.Output())
	}
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: in.StackName})
	if err != nil {
		t.Fatalf("describe stack: %v", err)
	}
	st := out.Stacks[0]
	if st.StackStatus != cfntypes.StackStatusCreateComplete {
		t.Fatalf("stack %s: %s", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	for _, o := range st.Outputs {
		if aws.ToString(o.OutputKey) == "RoleArn" {
			return aws.ToString(o.OutputValue)
		}
	}
	t.Fatalf("stack has no RoleArn output: %+v", st.Outputs)
	return ""
}

// TestMemberRoleTemplateDeploysAndAudits deploys the template into moto's CloudFormation, checks
// the role it creates (trust, external id, which policies the parameters turn on), and audits
// the account through it.
func TestMemberRoleTemplateDeploysAndAudits(t *testing.T) {
	ctx := context.Background()
	f, err := awsenv.New(ctx, awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const bot = "arn:aws:iam::123456789012:role/cisbot-bot"
	tests := []struct {
		name         string
		remediation  string // EnableRemediation; empty: the default
		wantPolicies []string
	}{
		{"audit and alerts by default", "", []string{"cisbot-alerts", "cisbot-audit"}},
		{"remediation turned on", "true", []string{"cisbot-alerts", "cisbot-audit", "cisbot-fix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := awsaccount.NewID()
			awsaccount.Build(t, f, id, awsaccount.Scenario{}, nil)
			params := map[string]string{"BotPrincipalArn": bot, "ExternalId": "ext-" + id, "RoleName": "cisbot-member"}
			if tt.remediation != "" {
				params["EnableRemediation"] = tt.remediation
			}
			roleARN := deployMemberRole(t, f, id, params)
			if want := "arn:aws:iam::" + id + ":role/cisbot-member"; roleARN != want {
				t.Fatalf("RoleArn output %q, want %q", roleARN, want)
			}

			admin := iam.NewFromConfig(f.Session(awsenv.Target{Name: "admin", RoleARN: "arn:aws:iam::" + id + ":role/admin"}).Config())
			role, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("cisbot-member")})
			if err != nil {
				t.Fatal(err)
			}
			trust := aws.ToString(role.Role.AssumeRolePolicyDocument)
			for _, want := range []string{bot, "sts:ExternalId", "ext-" + id} {
				if !strings.Contains(trust, want) && !strings.Contains(trust, strings.ReplaceAll(want, ":", "%3A")) {
					t.Errorf("trust policy lacks %q: %s", want, trust)
				}
			}
			pols, err := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("cisbot-member")})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(slices.Values(pols.PolicyNames)); !slices.Equal(got, tt.wantPolicies) {
				t.Errorf("role policies %v, want %v", got, tt.wantPolicies)
			}

			auditThrough(t, f, id, roleARN, "ext-"+id)
		})
	}
}

// auditThrough audits control 4.1 of account id through roleARN, as the bot configured with it.
func auditThrough(t *testing.T, f *awsenv.Factory, id, roleARN, externalID string) {
	t.Helper()
	cfg, err := config.Parse("cisbot.yml", fmt.Appendf(nil, "accounts:\n  - name: member\n    role_arn: %s\n    external_id: %s\n", roleARN, externalID), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cis.Lookup("4.1")
	if err != nil {
		t.Fatal(err)
	}
	auditor := &app.Auditor{Accounts: app.NewAccounts(cfg, f), Concurrency: 1}
	rep, err := auditor.Audit(context.Background(), []string{"member"}, []*cis.Control{c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Status != cis.StatusPass || rep.Results[0].AccountID != id {
		t.Errorf("audit through %s: %+v, want 4.1 passing in %s", roleARN, rep.Results, id)
	}
}
