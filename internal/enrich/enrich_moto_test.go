package enrich_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

var srv *emulator.Server

func TestMain(m *testing.M) {
	emulator.Hermetic() // AWS only through moto, with the tests' own dummy credentials
	emulator.Main(m, &srv)
}

// factory builds the bot's real session factory, aimed at moto.
func factory(t testing.TB) *awsenv.Factory {
	t.Helper()
	f, err := awsenv.New(context.Background(), awsenv.Options{
		Region: "us-east-1",
		ConfigOptions: []func(*awsconfig.LoadOptions) error{
			awsconfig.WithBaseEndpoint(srv.URL),
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// cloudTrailRecord is a compact CloudTrail record as a trail delivers it to CloudWatch Logs.
func cloudTrailRecord(id, identity, action, errorCode string, at time.Time) string {
	service, name, _ := strings.Cut(action, ":")
	rec := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":%s,"eventTime":%q,"eventSource":"%s.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0"`,
		identity, at.UTC().Format(time.RFC3339), service, name)
	if errorCode != "" {
		rec += fmt.Sprintf(`,"errorCode":%q,"errorMessage":"User: someone is not authorized to perform: %s"`, errorCode, action)
	}
	return rec + fmt.Sprintf(`,"requestParameters":null,"responseElements":null,"eventID":%q,"readOnly":false,"eventType":"AwsApiCall"}`, id)
}

func TestEnrichMoto(t *testing.T) {
	ctx := context.Background()
	f := factory(t)
	account := awsaccount.NewID()
	logs := f.Session(awsenv.Target{RoleARN: awsaccount.RoleARN(account)}).Logs("us-east-1")
	const group, stream = "/aws/cloudtrail/enrich", "_CloudTrail_us-east-1"
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(account + stream)}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName:  aws.String(group),
		FilterName:    aws.String("unauthorized-api-calls"),
		FilterPattern: aws.String(cis.PatternSecurityHub),
		MetricTransformations: []cwltypes.MetricTransformation{{
			MetricNamespace: aws.String("CISBenchmark"), MetricName: aws.String("UnauthorizedAPICalls"), MetricValue: aws.String("1"),
		}},
	}); err != nil {
		t.Fatal(err)
	}

	changed := time.Now().UTC().Truncate(time.Second)
	a := &alarm.Alarm{
		AlarmName:       "unauthorized-api-calls",
		AWSAccountID:    account,
		RegionCode:      "us-east-1",
		NewState:        alarm.StateAlarm,
		StateChangeTime: changed,
		Trigger:         alarm.Trigger{Namespace: "CISBenchmark", MetricName: "UnauthorizedAPICalls", Period: 300, EvaluationPeriods: 1},
	}
	start, end := a.EvaluationWindow()
	alice := fmt.Sprintf(`{"type":"IAMUser","arn":"arn:aws:iam::%s:user/alice","userName":"alice"}`, account)
	ci := fmt.Sprintf(`{"type":"AssumedRole","arn":"arn:aws:sts::%[1]s:assumed-role/ci-deployer/run-42","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::%[1]s:role/ci-deployer","userName":"ci-deployer"}}}`, account)
	in := func(d time.Duration) time.Time { return start.Add(d) }
	records := []struct {
		at  time.Time
		msg string
	}{
		{start.Add(-time.Minute), cloudTrailRecord("before", alice, "iam:CreateUser", "AccessDenied", start.Add(-time.Minute))},
		{in(10 * time.Second), cloudTrailRecord("a1", alice, "s3:ListBuckets", "AccessDenied", in(10*time.Second))},
		{in(20 * time.Second), cloudTrailRecord("ok1", alice, "s3:ListBuckets", "", in(20*time.Second))},
		{in(30 * time.Second), cloudTrailRecord("a2", alice, "ec2:RunInstances", "Client.UnauthorizedOperation", in(30*time.Second))},
		{in(40 * time.Second), cloudTrailRecord("c1", ci, "kms:Decrypt", "AccessDeniedException", in(40*time.Second))},
		{in(50 * time.Second), cloudTrailRecord("ok2", ci, "sts:GetCallerIdentity", "", in(50*time.Second))},
		{in(60 * time.Second), cloudTrailRecord("a3", alice, "s3:GetObject", "AccessDenied", in(60*time.Second))},
		{in(61 * time.Second), cloudTrailRecord("a3", alice, "s3:GetObject", "AccessDenied", in(60*time.Second))}, // delivered twice
		{end.Add(time.Minute), cloudTrailRecord("after", ci, "kms:Decrypt", "AccessDenied", end.Add(time.Minute))},
	}
	var events []cwltypes.InputLogEvent
	for _, r := range records {
		events = append(events, cwltypes.InputLogEvent{Message: aws.String(r.msg), Timestamp: aws.Int64(r.at.UnixMilli())})
	}
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(account + stream), LogEvents: events,
	}); err != nil {
		t.Fatal(err)
	}

	// What the emulator answers for the filter's pattern and the window: moto ignores JSON
	// patterns, so the successful calls come back too and only our re-check drops them.
	raw, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(group), FilterPattern: aws.String(cis.PatternSecurityHub),
		StartTime: aws.Int64(start.UnixMilli()), EndTime: aws.Int64(end.UnixMilli()),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("moto returned %d events for the pattern in the window (5 match, 4 distinct)", len(raw.Events))

	var asked []string
	e := &enrich.Enricher{Logs: func(_ context.Context, acc, region string) (enrich.LogsReader, error) {
		asked = append(asked, acc+"/"+region)
		return f.Session(awsenv.Target{RoleARN: awsaccount.RoleARN(acc)}).Logs(region), nil
	}}

	t.Run("enriched", func(t *testing.T) {
		c := e.Enrich(ctx, a)
		if c.Missing != "" {
			t.Fatalf("missing: %s", c.Missing)
		}
		if len(c.Filters) != 1 || c.Filters[0].LogGroup != group || c.Filters[0].Pattern != cis.PatternSecurityHub {
			t.Errorf("filters: %+v", c.Filters)
		}
		if c.Control == nil || c.Control.Control != "4.1" || c.Control.Title != "Unauthorized API calls" {
			t.Errorf("control: %+v", c.Control)
		}
		if c.Total != 4 || c.Truncated || c.More != 0 {
			t.Errorf("total %d truncated %v more %d, want 4 false 0", c.Total, c.Truncated, c.More)
		}
		if len(c.Groups) != 2 {
			t.Fatalf("groups: %+v", c.Groups)
		}
		a, r := c.Groups[0], c.Groups[1]
		if a.Principal != "arn:aws:iam::"+account+":user/alice" || a.Count != 3 ||
			!slices.Equal(a.Actions, []string{"ec2:RunInstances", "s3:GetObject", "s3:ListBuckets"}) ||
			!slices.Equal(a.ErrorCodes, []string{"AccessDenied", "Client.UnauthorizedOperation"}) ||
			!slices.Equal(a.SourceIPs, []string{"198.51.100.7"}) || !slices.Equal(a.Regions, []string{"us-east-1"}) ||
			!a.First.Equal(in(10*time.Second)) || !a.Last.Equal(in(60*time.Second)) ||
			a.ErrorMessage != "User: someone is not authorized to perform: s3:ListBuckets" {
			t.Errorf("alice: %+v", a)
		}
		if r.Principal != "ci-deployer/run-42" || r.Count != 1 || !slices.Equal(r.Actions, []string{"kms:Decrypt"}) {
			t.Errorf("ci role: %+v", r)
		}
		if !strings.Contains(c.ConsoleURL, "region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Fcloudtrail$252Fenrich/log-events") {
			t.Errorf("console URL %s", c.ConsoleURL)
		}
		if len(asked) == 0 || asked[0] != account+"/us-east-1" {
			t.Errorf("asked for %v", asked)
		}
	})

	t.Run("no filter feeds the metric", func(t *testing.T) {
		other := *a
		other.Trigger.MetricName = "RootAccountUsage"
		c := e.Enrich(ctx, &other)
		want := "no metric filter feeds CISBenchmark/RootAccountUsage in us-east-1 (account " + account + ")"
		if c.Missing != want || c.Total != 0 || c.Control != nil {
			t.Errorf("missing %q total %d, want %q", c.Missing, c.Total, want)
		}
	})

	t.Run("another account", func(t *testing.T) {
		other := *a
		other.AWSAccountID = awsaccount.NewID()
		if c := e.Enrich(ctx, &other); !strings.HasPrefix(c.Missing, "no metric filter feeds") {
			t.Errorf("missing %q", c.Missing)
		}
	})
}

// An alarm is attributed by its filter's pattern, not its names: a root-usage filter and a
// security-group filter under made-up names, and a filter that satisfies no control.
func TestEnrichMotoControls(t *testing.T) {
	ctx := context.Background()
	f := factory(t)
	account := awsaccount.NewID()
	logs := f.Session(awsenv.Target{RoleARN: awsaccount.RoleARN(account)}).Logs("us-east-1")
	const group, stream = "/aws/cloudtrail/controls", "_CloudTrail_us-east-1"
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(account + stream)}); err != nil {
		t.Fatal(err)
	}
	filters := map[string]string{
		"metric-a": `{ $.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = "Root" }`,
		"metric-b": cis.Controls[9].Patterns["cis-v3"],
		"metric-c": `{ $.eventName = "RunInstances" }`,
	}
	for metric, pattern := range filters {
		if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
			LogGroupName: aws.String(group), FilterName: aws.String("filter-" + metric), FilterPattern: aws.String(pattern),
			MetricTransformations: []cwltypes.MetricTransformation{{MetricNamespace: aws.String("Custom"), MetricName: aws.String(metric), MetricValue: aws.String("1")}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	changed := time.Now().UTC().Truncate(time.Second)
	at := changed.Add(-time.Minute)
	root := fmt.Sprintf(`{"type":"Root","arn":"arn:aws:iam::%s:root"}`, account)
	sg := strings.Replace(cloudTrailRecord("sg1", root, "ec2:AuthorizeSecurityGroupIngress", "", at), `"requestParameters":null`,
		`"requestParameters":{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`, 1)
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(account + stream),
		LogEvents: []cwltypes.InputLogEvent{{Message: aws.String(sg), Timestamp: aws.Int64(at.UnixMilli())}},
	}); err != nil {
		t.Fatal(err)
	}
	e := &enrich.Enricher{Logs: func(_ context.Context, acc, region string) (enrich.LogsReader, error) {
		return f.Session(awsenv.Target{RoleARN: awsaccount.RoleARN(acc)}).Logs(region), nil
	}}
	for _, tc := range []struct {
		metric, control string
		details         []enrich.Detail
	}{
		{"metric-a", "4.3", []enrich.Detail{{Field: "userAgent", Values: []string{"aws-cli/2.15.0"}}}},
		{"metric-b", "4.10", []enrich.Detail{{Field: "groupId", Values: []string{"sg-0abc"}}, {Field: "rules", Values: []string{"tcp 3389 0.0.0.0/0"}}}},
		{"metric-c", "", nil},
	} {
		t.Run(tc.metric, func(t *testing.T) {
			a := &alarm.Alarm{AlarmName: "alarm", AWSAccountID: account, RegionCode: "us-east-1", NewState: alarm.StateAlarm, StateChangeTime: changed,
				Trigger: alarm.Trigger{Namespace: "Custom", MetricName: tc.metric, Period: 300, EvaluationPeriods: 1}}
			c := e.Enrich(ctx, a)
			if c.Missing != "" {
				t.Fatalf("missing: %s", c.Missing)
			}
			got := ""
			if c.Control != nil {
				got = c.Control.Control
			}
			if got != tc.control {
				t.Fatalf("control %q, want %q", got, tc.control)
			}
			if tc.control == "" {
				return
			}
			if len(c.Groups) != 1 || c.Groups[0].Principal != "Root" || !reflect.DeepEqual(c.Groups[0].Details, tc.details) {
				t.Errorf("groups: %+v", c.Groups)
			}
		})
	}
}
