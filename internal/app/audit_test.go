package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/awsproxy"
)

var (
	srv *emulator.Server
	// proxy stands in front of moto: it adds latency for the fan-out benchmark and shows one
	// subscription as pending, a state moto cannot hold (it confirms every subscription).
	proxy *awsproxy.Proxy
)

func TestMain(m *testing.M) {
	emulator.Hermetic() // AWS only through moto, with the tests' own dummy credentials
	emulator.Main(m, &srv)
}

var proxyOnce sync.Once

// factory builds the bot's real session factory, aimed at the proxy in front of moto.
func factory(t testing.TB) *awsenv.Factory {
	t.Helper()
	proxyOnce.Do(func() {
		var err error
		if proxy, err = awsproxy.New(srv.URL); err != nil {
			panic(err)
		}
	})
	f, err := awsenv.New(context.Background(), awsenv.Options{
		Region: "us-east-1",
		ConfigOptions: []func(*awsconfig.LoadOptions) error{
			awsconfig.WithBaseEndpoint(proxy.URL),
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func parseConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg
}

func TestAuditScenarios(t *testing.T) {
	exact := `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`
	type want struct {
		status cis.Status
		step   cis.Step
		reason string
	}
	type sc = awsaccount.Scenario
	scenarios := map[string]struct {
		sc   sc
		want want
	}{
		"passing":                              {sc{}, want{cis.StatusPass, "", ""}},
		"single-region trail":                  {sc{SingleRegion: true}, want{cis.StatusFail, cis.StepTrail, "single-region"}},
		"trail not logging":                    {sc{NotLogging: true}, want{cis.StatusFail, cis.StepLogging, "not logging"}},
		"write-only selectors":                 {sc{WriteOnly: true}, want{cis.StatusFail, cis.StepManagementEvents, "write management events only"}},
		"advanced selectors":                   {sc{Advanced: true}, want{cis.StatusPass, "", ""}},
		"CIS v3 pattern":                       {sc{Pattern: cis.PatternCISv3}, want{cis.StatusPass, "", ""}},
		"exact-code pattern":                   {sc{Pattern: exact}, want{cis.StatusFail, cis.StepMetricFilter, "AccessDeniedException"}},
		"alarm in the wrong namespace":         {sc{AlarmNamespace: "LogMetrics"}, want{cis.StatusFail, cis.StepAlarm, "namespace"}},
		"2-of-3 alarm":                         {sc{Datapoints: 2}, want{cis.StatusFail, cis.StepAlarm, "2 breaching datapoints out of 3"}},
		"alarm without actions":                {sc{NoActions: true}, want{cis.StatusFail, cis.StepAlarmAction, "no actions"}},
		"pending subscription only":            {sc{PendingOnly: true}, want{cis.StatusFail, cis.StepSubscriber, "pending confirmation"}},
		"no subscription":                      {sc{NoSubscription: true}, want{cis.StatusFail, cis.StepSubscriber, "no confirmed subscription"}},
		"log group in an unconfigured account": {sc{LogGroupAccount: "999999999999"}, want{cis.StatusError, cis.StepMetricFilter, "999999999999, which is not configured"}},
	}
	f := factory(t)
	var yaml strings.Builder
	yaml.WriteString("aws:\n  region: us-east-1\naccounts:\n")
	ids := map[string]string{}
	var names []string
	i := 0
	for name, s := range scenarios {
		id := awsaccount.NewID()
		ids[name] = id
		awsaccount.Build(t, f, id, s.sc, proxy)
		acc := fmt.Sprintf("s%02d", i)
		i++
		names = append(names, acc)
		fmt.Fprintf(&yaml, "  - name: %s\n    role_arn: %s\n", acc, awsaccount.RoleARN(id))
		ids[acc] = name
	}
	cfg := parseConfig(t, yaml.String())
	accounts := NewAccounts(cfg, f)
	targets, err := accounts.Targets(context.Background(), names, false)
	if err != nil {
		t.Fatal(err)
	}
	ctl, _ := cis.Lookup("4.1")
	runner := &audit.Runner{Control: ctl, Collector: accounts.Collector(), Concurrency: 4}
	var progress atomic.Int64
	runner.Progress = func(done, total int, _ cis.Result) { progress.Store(int64(done)) }
	results := runner.Run(context.Background(), targets)
	if len(results) != len(scenarios) || progress.Load() != int64(len(scenarios)) {
		t.Fatalf("%d results, progress %d, for %d scenarios", len(results), progress.Load(), len(scenarios))
	}
	for k, r := range results {
		name := ids[names[k]]
		w := scenarios[name].want
		t.Run(name, func(t *testing.T) {
			if r.Account != names[k] {
				t.Fatalf("result %d is for %s, want %s: results must keep the targets' order", k, r.Account, names[k])
			}
			if r.AccountID != ids[name] {
				t.Errorf("account_id %q, want %q", r.AccountID, ids[name])
			}
			if r.Status != w.status {
				t.Fatalf("status %s, want %s: %s\nchecks: %+v", r.Status, w.status, r.Reason, r.Checks)
			}
			if w.step != "" && (r.FailedStep == nil || *r.FailedStep != w.step) {
				t.Errorf("failed_step %v, want %s (%s)", r.FailedStep, w.step, r.Reason)
			}
			if !strings.Contains(r.Reason, w.reason) {
				t.Errorf("reason %q lacks %q", r.Reason, w.reason)
			}
			for _, c := range r.Checks {
				if c.Detail == "" || (c.Status != cis.StatusError && c.Resource == "" && c.Step != cis.StepTrail) {
					t.Errorf("check without evidence: %+v", c)
				}
			}
		})
	}
}

// The organization: --all audits the configured accounts and every ACTIVE member account,
// assuming organization.role_name in each; a member that is also configured is audited once.
func TestAuditOrganization(t *testing.T) {
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	f := factory(t)
	ctx := context.Background()
	orgs := f.Session(awsenv.Target{}).Organizations()
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	var memberIDs []string
	for _, n := range []string{"dev", "staging"} {
		out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(n), Email: aws.String(n + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		memberIDs = append(memberIDs, *out.CreateAccountStatus.AccountId)
	}
	// dev passes; staging has nothing; the management account (base credentials) is configured.
	awsaccount.Build(t, f, memberIDs[0], awsaccount.Scenario{}, proxy)
	cfg := parseConfig(t, fmt.Sprintf("accounts:\n  - name: mgmt\n  - name: dev-configured\n    role_arn: arn:aws:iam::%s:role/cisbot\norganization:\n  role_name: cisbot\n", memberIDs[0]))
	accounts := NewAccounts(cfg, f)
	targets, err := accounts.Targets(ctx, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range targets {
		got = append(got, tg.Name)
	}
	want := []string{"mgmt", "dev-configured", "staging"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("targets %v, want %v (configured first, then members not already configured)", got, want)
	}
	ctl, _ := cis.Lookup("4.1")
	results := (&audit.Runner{Control: ctl, Collector: accounts.Collector()}).Run(ctx, targets)
	wantStatus := []cis.Status{cis.StatusFail, cis.StatusPass, cis.StatusFail}
	for i, r := range results {
		if r.Status != wantStatus[i] {
			t.Errorf("%s: %s, want %s (%s)", r.Account, r.Status, wantStatus[i], r.Reason)
		}
	}
	if results[2].AccountID != memberIDs[1] {
		t.Errorf("staging audited in account %s, want %s", results[2].AccountID, memberIDs[1])
	}

	// A member account is named by its name or its id, in an audit and in a fix, and planned
	// under its name either way (one request and one lock per account).
	for _, name := range []string{"staging", memberIDs[1]} {
		targets, err := accounts.Targets(ctx, []string{name}, false)
		if err != nil || len(targets) != 1 || targets[0].Name != "staging" {
			t.Errorf("Targets(%s) = %v, %v; want staging", name, targets, err)
		}
		plan, before, err := (&Remediator{Accounts: accounts}).Plan(ctx, name, []*cis.Control{ctl}, "req-"+name)
		if err != nil {
			t.Fatalf("Plan(%s): %v", name, err)
		}
		if plan.Account != "staging" || plan.AccountID != memberIDs[1] || plan.Passes || len(plan.Steps)+len(plan.Manual) == 0 || before[0].Status != cis.StatusFail {
			t.Errorf("Plan(%s) = account %q (%s), passes %v, %d steps; want staging, failing, with what to do", name, plan.Account, plan.AccountID, plan.Passes, len(plan.Steps)+len(plan.Manual))
		}
	}
	_, err = accounts.Targets(ctx, []string{"stagng"}, false)
	if err == nil || !strings.Contains(err.Error(), `did you mean "staging"`) || !strings.Contains(err.Error(), "organization") {
		t.Errorf("an unknown name: %v; want the closest member and that the organization was searched", err)
	}
	// A configured account is found by its role's account id too, under its configured name.
	if name, err := accounts.Resolve(ctx, memberIDs[0]); err != nil || name != "dev-configured" {
		t.Errorf("Resolve(%s) = %q, %v; want dev-configured", memberIDs[0], name, err)
	}
	// The management account, configured on the base credentials, by its id (asked of STS).
	if name, err := accounts.Resolve(ctx, emulator.DefaultAccountID); err != nil || name != "mgmt" {
		t.Errorf("Resolve(%s) = %q, %v; want mgmt", emulator.DefaultAccountID, name, err)
	}
	// An id typed finds that account, even when another member is named with those 12 digits.
	named, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(memberIDs[1]), Email: aws.String("digits@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	accounts.mu.Lock()
	accounts.memberList = nil
	accounts.mu.Unlock()
	if name, err := accounts.Resolve(ctx, memberIDs[1]); err != nil || name != "staging" {
		t.Errorf("Resolve(%s) = %q, %v; want staging, not the member named %s (%s)", memberIDs[1], name, err, memberIDs[1], *named.CreateAccountStatus.AccountId)
	}
	// A plan applies only in the account it was made in, whatever the name now names.
	_, err = (&Remediator{Accounts: accounts}).Apply(ctx, "staging", cis.Plan{Account: "staging", AccountID: "999999999999"}, nil)
	if err == nil || !strings.Contains(err.Error(), "not 999999999999 that the fix was planned in") {
		t.Errorf("Apply of a plan made in another account: %v", err)
	}
	// A member created after the list was kept is found by listing again, once the list is
	// more than a few seconds old.
	out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("qa"), Email: aws.String("qa@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	accounts.mu.Lock()
	accounts.memberListAt = accounts.memberListAt.Add(-time.Minute)
	accounts.mu.Unlock()
	if name, err := accounts.Resolve(ctx, *out.CreateAccountStatus.AccountId); err != nil || name != "qa" {
		t.Errorf("Resolve of a member created since the list = %q, %v; want qa", name, err)
	}
}

func TestTargetsUnknownAccount(t *testing.T) {
	cfg := parseConfig(t, "accounts:\n  - name: prod\n  - name: staging\n")
	_, err := NewAccounts(cfg, factory(t)).Targets(context.Background(), []string{"prdo"}, false)
	if err == nil || !strings.Contains(err.Error(), `did you mean "prod"`) || !strings.Contains(err.Error(), "prod, staging") {
		t.Fatalf("error %v; want the closest match and the configured names", err)
	}
}

// A cancelled run still returns one result per account, each an ERROR saying so.
func TestAuditCancelled(t *testing.T) {
	cfg := parseConfig(t, "accounts:\n  - name: a\n  - name: b\n")
	accounts := NewAccounts(cfg, factory(t))
	targets, err := accounts.Targets(context.Background(), []string{"all"}, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ctl, _ := cis.Lookup("4.1")
	results := (&audit.Runner{Control: ctl, Collector: accounts.Collector(), Concurrency: 1}).Run(ctx, targets)
	if len(results) != 2 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.Status != cis.StatusError || !strings.Contains(r.Reason, "cancelled") {
			t.Errorf("%s: %s %q, want ERROR cancelled", r.Account, r.Status, r.Reason)
		}
	}
}

// A trail that delivers to a log group in another configured account (an organization trail's
// usual shape) is followed there: filters, alarms and topic are read in that account.
func TestAuditFollowsLogGroupIntoConfiguredAccount(t *testing.T) {
	f := factory(t)
	member, logging := awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, logging, awsaccount.Scenario{}, proxy)
	awsaccount.Build(t, f, member, awsaccount.Scenario{LogGroupAccount: logging}, proxy)
	cfg := parseConfig(t, fmt.Sprintf("accounts:\n  - name: member\n    role_arn: %s\n  - name: log-archive\n    role_arn: %s\n",
		awsaccount.RoleARN(member), awsaccount.RoleARN(logging)))
	accounts := NewAccounts(cfg, f)
	targets, err := accounts.Targets(context.Background(), []string{"member"}, false)
	if err != nil {
		t.Fatal(err)
	}
	ctl, _ := cis.Lookup("4.1")
	r := (&audit.Runner{Control: ctl, Collector: accounts.Collector()}).Run(context.Background(), targets)[0]
	if r.Status != cis.StatusPass {
		t.Fatalf("%s: %s", r.Status, r.Reason)
	}
	if r.AccountID != member || !strings.Contains(r.Checks[3].Resource, ":"+logging+":") {
		t.Errorf("account %s, metric filter evidence %q: want the member audited through the log group in %s", r.AccountID, r.Checks[3].Resource, logging)
	}
}
