package enrich

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/alarm"
)

const securityHubPattern = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`

func TestRecordPrincipal(t *testing.T) {
	for _, tc := range []struct{ record, want string }{
		{`{"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}`, "Root"},
		{`{"userIdentity":{"type":"AWSService","invokedBy":"delivery.logs.amazonaws.com"}}`, "AWSService"},
		{`{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","userName":"bob"}}`, "arn:aws:iam::111122223333:user/bob"},
		{`{"userIdentity":{"type":"IAMUser","userName":"alice"}}`, "alice"},
		{`{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/deployer/ci-run-7","sessionContext":{"sessionIssuer":{"userName":"deployer"}}}}`, "deployer/ci-run-7"},
		{`{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/deployer/s"}}`, "arn:aws:sts::111122223333:assumed-role/deployer/s"},
		{`{"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"userName":"deployer"}}}}`, "deployer"},
		{`{"userIdentity":{"type":"FederatedUser","arn":"arn:aws:sts::111122223333:federated-user/carol"}}`, "arn:aws:sts::111122223333:federated-user/carol"},
		{`{"userIdentity":{"type":"AWSAccount"}}`, "AWSAccount"},
		{`{}`, "unknown"},
	} {
		var r Record
		if err := json.Unmarshal([]byte(tc.record), &r); err != nil {
			t.Fatal(err)
		}
		if got := r.Principal(); got != tc.want {
			t.Errorf("%s: principal %q, want %q", tc.record, got, tc.want)
		}
	}
}

func TestRecordAction(t *testing.T) {
	for _, tc := range []struct{ source, name, want string }{
		{"ec2.amazonaws.com", "RunInstances", "ec2:RunInstances"},
		{"monitoring.amazonaws.com", "PutMetricAlarm", "monitoring:PutMetricAlarm"},
		{"", "", ""},
	} {
		r := Record{EventSource: tc.source, EventName: tc.name}
		if got := r.Action(); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.source, tc.name, got, tc.want)
		}
	}
}

func TestTrimMessage(t *testing.T) {
	long := strings.Repeat("word ", 100)
	got := trimMessage(long, maxErrorMessage)
	if n := len([]rune(got)); n > maxErrorMessage+1 || !strings.HasSuffix(got, "…") {
		t.Errorf("trimmed to %d runes: %q", n, got)
	}
	if got := trimMessage(" short ", maxErrorMessage); got != "short" {
		t.Errorf("short message: %q", got)
	}
}

func TestConsoleURL(t *testing.T) {
	start := time.Unix(1700000000, 0)
	end := start.Add(5 * time.Minute)
	for _, tc := range []struct{ region, prefix string }{
		{"us-east-1", "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Fcloudtrail/log-events$3Fstart$3D1700000000000$26end$3D1700000300000$26filterPattern$3D"},
		{"cn-north-1", "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:"},
		{"us-gov-west-1", "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:"},
	} {
		got := ConsoleURL(tc.region, "/aws/cloudtrail", securityHubPattern, start, end)
		if !strings.HasPrefix(got, tc.prefix) {
			t.Errorf("%s:\n got %s\nwant %s…", tc.region, got, tc.prefix)
		}
		if strings.ContainsAny(got[strings.Index(got, "#"):], "%?&= \"") {
			t.Errorf("%s: fragment not console-escaped: %s", tc.region, got)
		}
	}
	if got := ConsoleURL("us-iso-east-1", "g", "", start, end); got != "" {
		t.Errorf("isolated partition: %q", got)
	}
}

// fakeLogs answers like moto: DescribeMetricFilters honours the metric input filters, and
// FilterLogEvents returns every event of the group (no pattern, no time range), in pages.
type fakeLogs struct {
	filters   []cwltypes.MetricFilter
	events    map[string][]cwltypes.FilteredLogEvent
	pageSize  int
	filterErr error
	eventsErr error
	calls     int
}

func (f *fakeLogs) DescribeMetricFilters(_ context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
	if f.filterErr != nil {
		return nil, f.filterErr
	}
	var out cloudwatchlogs.DescribeMetricFiltersOutput
	for _, mf := range f.filters {
		for _, tr := range mf.MetricTransformations {
			if aws.ToString(tr.MetricName) == aws.ToString(in.MetricName) && aws.ToString(tr.MetricNamespace) == aws.ToString(in.MetricNamespace) {
				out.MetricFilters = append(out.MetricFilters, mf)
				break
			}
		}
	}
	return &out, nil
}

func (f *fakeLogs) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	f.calls++
	if f.eventsErr != nil {
		return nil, f.eventsErr
	}
	all := f.events[aws.ToString(in.LogGroupName)]
	from := 0
	if in.NextToken != nil {
		from, _ = strconv.Atoi(*in.NextToken)
	}
	to := min(from+f.pageSize, len(all))
	out := &cloudwatchlogs.FilterLogEventsOutput{Events: all[from:to]}
	if to < len(all) {
		out.NextToken = aws.String(strconv.Itoa(to))
	}
	return out, nil
}

func metricFilter(group, name, pattern, namespace, metric string) cwltypes.MetricFilter {
	return cwltypes.MetricFilter{
		LogGroupName:  aws.String(group),
		FilterName:    aws.String(name),
		FilterPattern: aws.String(pattern),
		MetricTransformations: []cwltypes.MetricTransformation{{
			MetricNamespace: aws.String(namespace), MetricName: aws.String(metric), MetricValue: aws.String("1"),
		}},
	}
}

// sampleEvents reads testdata/cloudtrail-sample.jsonl as log events one second apart from at.
func sampleEvents(t *testing.T, at time.Time) []cwltypes.FilteredLogEvent {
	t.Helper()
	data, err := os.ReadFile("testdata/cloudtrail-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var evs []cwltypes.FilteredLogEvent
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		evs = append(evs, cwltypes.FilteredLogEvent{
			EventId:   aws.String("log-" + strconv.Itoa(i)),
			Message:   aws.String(string(line)),
			Timestamp: aws.Int64(at.Add(time.Duration(i) * time.Second).UnixMilli()),
		})
	}
	return evs
}

func testAlarm(changed time.Time) *alarm.Alarm {
	return &alarm.Alarm{
		AlarmName:       "unauthorized-api-calls",
		AWSAccountID:    "111122223333",
		RegionCode:      "us-east-1",
		NewState:        alarm.StateAlarm,
		StateChangeTime: changed,
		Trigger:         alarm.Trigger{Namespace: "CISBenchmark", MetricName: "UnauthorizedAPICalls", Period: 300, EvaluationPeriods: 1},
	}
}

func TestEnrichGroupsSample(t *testing.T) {
	changed := time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)
	a := testAlarm(changed)
	start, end := a.EvaluationWindow()
	evs := sampleEvents(t, start.Add(time.Minute))
	// One more AccessDenied event before the window: it must not count.
	evs = append(evs, cwltypes.FilteredLogEvent{
		EventId:   aws.String("early"),
		Message:   aws.String(`{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/early"},"errorCode":"AccessDenied","eventID":"early"}`),
		Timestamp: aws.Int64(start.Add(-time.Second).UnixMilli()),
	})
	logs := &fakeLogs{
		filters: []cwltypes.MetricFilter{
			metricFilter("/aws/cloudtrail", "unauthorized", securityHubPattern, "CISBenchmark", "UnauthorizedAPICalls"),
			metricFilter("/aws/cloudtrail", "other", `{ $.eventName = "ConsoleLogin" }`, "CISBenchmark", "ConsoleLogins"),
		},
		events:   map[string][]cwltypes.FilteredLogEvent{"/aws/cloudtrail": evs},
		pageSize: 4,
	}
	var gotAccount, gotRegion string
	e := &Enricher{Top: 3, Logs: func(_ context.Context, account, region string) (LogsReader, error) {
		gotAccount, gotRegion = account, region
		return logs, nil
	}}
	c := e.Enrich(context.Background(), a)
	if c.Missing != "" {
		t.Fatalf("missing: %s", c.Missing)
	}
	if gotAccount != "111122223333" || gotRegion != "us-east-1" {
		t.Errorf("logs of %s/%s", gotAccount, gotRegion)
	}
	if len(c.Filters) != 1 || c.Filters[0].Name != "unauthorized" || c.Filters[0].Pattern != securityHubPattern {
		t.Errorf("filters: %+v", c.Filters)
	}
	if c.Window != [2]time.Time{start, end} {
		t.Errorf("window %v, want %v–%v", c.Window, start, end)
	}
	if !strings.HasPrefix(c.ConsoleURL, "https://us-east-1.console.aws.amazon.com/") {
		t.Errorf("console URL %s", c.ConsoleURL)
	}
	// Matching: sample lines 1, 2, 3 and 4 (one eventID: deduplicated), 7, 8, 9, 10.
	if c.Total != 7 || c.Truncated {
		t.Errorf("total %d truncated %v, want 7 false", c.Total, c.Truncated)
	}
	var names []string
	for _, g := range c.Groups {
		names = append(names, g.Principal+"="+strconv.Itoa(g.Count))
	}
	want := []string{
		"ci-deployer/ci-runner=3",
		"AWSService=1",
		"arn:aws:iam::111122223333:user/iam-demo-user=1",
	}
	if !reflect.DeepEqual(names, want) || c.More != 2 {
		t.Errorf("groups %q more %d, want %q more 2", names, c.More, want)
	}
	g := c.Groups[0]
	if !reflect.DeepEqual(g.Actions, []string{"kms:Decrypt", "s3:HeadBucket", "sts:AssumeRole"}) ||
		!reflect.DeepEqual(g.ErrorCodes, []string{"AccessDenied", "AccessDeniedException"}) ||
		!reflect.DeepEqual(g.SourceIPs, []string{"198.51.100.23"}) ||
		!reflect.DeepEqual(g.Regions, []string{"us-east-1"}) {
		t.Errorf("group: %+v", g)
	}
	wantTime := time.Date(2026, 3, 2, 10, 15, 7, 0, time.UTC)
	if !g.First.Equal(wantTime) || !g.Last.Equal(wantTime) {
		t.Errorf("first %v last %v", g.First, g.Last)
	}
	if g.ErrorMessage == "" || len([]rune(g.ErrorMessage)) > maxErrorMessage+1 {
		t.Errorf("error message %q", g.ErrorMessage)
	}
}

func TestEnrichTruncates(t *testing.T) {
	a := testAlarm(time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC))
	start, _ := a.EvaluationWindow()
	logs := &fakeLogs{
		filters:  []cwltypes.MetricFilter{metricFilter("g", "f", securityHubPattern, "CISBenchmark", "UnauthorizedAPICalls")},
		events:   map[string][]cwltypes.FilteredLogEvent{"g": sampleEvents(t, start)},
		pageSize: 2,
	}
	e := &Enricher{MaxEvents: 3, Logs: func(context.Context, string, string) (LogsReader, error) { return logs, nil }}
	c := e.Enrich(context.Background(), a)
	// The first three lines: 1, 2 and 3 match.
	if !c.Truncated || c.Total != 3 || logs.calls != 2 {
		t.Errorf("truncated %v total %d calls %d, want true 3 2", c.Truncated, c.Total, logs.calls)
	}
}

func TestEnrichMissing(t *testing.T) {
	changed := time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	okFilters := []cwltypes.MetricFilter{metricFilter("g", "f", securityHubPattern, "CISBenchmark", "UnauthorizedAPICalls")}
	for name, tc := range map[string]struct {
		alarm func(*alarm.Alarm)
		logs  *fakeLogs
		err   error
		want  string
	}{
		"composite":        {alarm: func(a *alarm.Alarm) { a.Composite = true; a.Trigger = alarm.Trigger{} }, want: "composite alarm"},
		"metric math":      {alarm: func(a *alarm.Alarm) { a.Trigger = alarm.Trigger{Metrics: []alarm.MetricQuery{{ID: "e1"}}} }, want: "metric-math alarm"},
		"no region":        {alarm: func(a *alarm.Alarm) { a.RegionCode = "" }, want: "region is unknown"},
		"no time":          {alarm: func(a *alarm.Alarm) { a.StateChangeTime = time.Time{} }, want: "no state change time"},
		"account":          {err: errors.New("account 999 is not configured"), want: "no access to account 111122223333: account 999 is not configured"},
		"no filter":        {logs: &fakeLogs{filters: []cwltypes.MetricFilter{metricFilter("g", "f", "x", "CISBenchmark", "Other")}}, want: "no metric filter feeds CISBenchmark/UnauthorizedAPICalls in us-east-1"},
		"describe denied":  {logs: &fakeLogs{filterErr: denied}, want: "access denied: logs:DescribeMetricFilters"},
		"events denied":    {logs: &fakeLogs{filters: okFilters, eventsErr: denied}, want: "access denied: logs:FilterLogEvents (log group g)"},
		"bad pattern":      {logs: &fakeLogs{filters: []cwltypes.MetricFilter{metricFilter("g", "f", "{ $.x = ", "CISBenchmark", "UnauthorizedAPICalls")}}, want: `pattern of filter "f" not understood`},
		"events throttled": {logs: &fakeLogs{filters: okFilters, eventsErr: errors.New("boom")}, want: "logs:FilterLogEvents: boom"},
	} {
		t.Run(name, func(t *testing.T) {
			a := testAlarm(changed)
			if tc.alarm != nil {
				tc.alarm(a)
			}
			e := &Enricher{Logs: func(context.Context, string, string) (LogsReader, error) {
				if tc.err != nil {
					return nil, tc.err
				}
				if tc.logs == nil {
					return &fakeLogs{}, nil
				}
				return tc.logs, nil
			}}
			c := e.Enrich(context.Background(), a)
			if !strings.Contains(c.Missing, tc.want) {
				t.Errorf("missing %q, want it to contain %q", c.Missing, tc.want)
			}
			if c.Total != 0 || len(c.Groups) != 0 {
				t.Errorf("total %d groups %v", c.Total, c.Groups)
			}
		})
	}
}

func TestGroupUnparsed(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	groups := group([]event{
		parseEvent("a", []byte("ERROR AccessDenied plain text"), at),
		parseEvent("b", []byte(`{"userIdentity":{"type":"Root"},"eventSource":"iam.amazonaws.com","eventName":"CreateUser","errorCode":"AccessDenied","eventTime":"2026-01-01T00:00:05Z"}`), at),
		parseEvent("c", []byte(`{"userIdentity":{"type":"Root"},"eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":"2026-01-01T00:00:01Z"}`), at),
	}, nil)
	if len(groups) != 2 || groups[0].Principal != "Root" || groups[0].Count != 2 || groups[1].Principal != unparsedPrincipal {
		t.Fatalf("groups: %+v", groups)
	}
	r := groups[0]
	if !r.First.Equal(at.Add(time.Second)) || !r.Last.Equal(at.Add(5*time.Second)) || !reflect.DeepEqual(r.Actions, []string{"iam:CreateUser"}) {
		t.Errorf("root group: %+v", r)
	}
}
