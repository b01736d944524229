package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/goldenfile"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

// goldenAccount is this test's own account in the shared emulator, fixed so that the golden
// file is stable (the other tests draw fresh ids from 3000…).
const goldenAccount = "135792468013"

// goldenEpoch is the hour the events of testdata/enrich and the golden alert are dated in.
var goldenEpoch = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// TestEnrichedAlertGolden is the alert as a channel receives it when the CIS alarm fires: the
// CloudTrail events of testdata/enrich are written to the account's log group in moto, the
// bot's own enricher reads them through its assumed-role session, and the Slack adapter posts
// the result with the real slack-go client. The posted blocks are the golden file.
//
// CloudWatch Logs (and moto) refuse events older than 14 days, so the events are written, and
// the alarm fires, two hours ago; the context found is then moved back by the same shift before
// it is rendered, so the golden file keeps the dates of the testdata.
func TestEnrichedAlertGolden(t *testing.T) {
	ctx := context.Background()
	cfg := parseConfig(t, `accounts:
  - name: prod
    role_arn: arn:aws:iam::`+goldenAccount+`:role/cisbot
    channel: C0PRODALERT
`)
	f := factory(t)
	accounts := NewAccounts(cfg, f)
	shift := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour).Sub(goldenEpoch)
	writeTrailEvents(t, f.Session(awsenv.Target{RoleARN: awsaccount.RoleARN(goldenAccount)}).Logs("us-east-1"),
		"aws-cloudtrail-logs-"+goldenAccount, filepath.Join("testdata", "enrich", "cloudtrail-events.jsonl"), shift)

	al := goldenAlarm()
	shifted := *al
	shifted.StateChangeTime = al.StateChangeTime.Add(shift)
	c := accounts.Enricher().Enrich(ctx, &shifted)
	if c.Missing != "" {
		t.Fatalf("enrichment: %s", c.Missing)
	}
	c = shiftContext(c, -shift)
	// The events outside the evaluation window, the successful calls and the record delivered
	// twice are not counted: mallory 3 (two regions, two IPs), ci-deployer 1.
	if c.Total != 4 || len(c.Groups) != 2 || c.Groups[0].Count != 3 {
		t.Fatalf("context: total %d, groups %+v", c.Total, c.Groups)
	}

	channel, err := accounts.AlertChannel(ctx, goldenAccount)
	if err != nil || channel != "C0PRODALERT" {
		t.Fatalf("AlertChannel = %q, %v; want the account's channel C0PRODALERT", channel, err)
	}
	checkPostedAlert(t, relay.Post{
		Channel: channel, Kind: relay.PostAlarm,
		TopicARN: "arn:aws:sns:us-east-1:" + goldenAccount + ":cis-alarms", MessageID: "b3c7c1b0-9d7e-5a43-8f3e-0c1d2e3f4a5b",
		Received: al.StateChangeTime.Add(2 * time.Second), Alarm: al, Findings: &c,
	}, "enriched-alert.json")
}

// checkPostedAlert posts p through the Slack adapter to a Slack fake and compares the blocks
// its channel received with the golden file.
func checkPostedAlert(t *testing.T, p relay.Post, golden string) {
	t.Helper()
	ws := slackfake.New(t, "xoxb-0000-0000-goldensecret")
	poster := slackbot.NewAlertPoster(slackbot.Config{BotToken: "xoxb-0000-0000-goldensecret", APIURL: ws.APIURL()}, nil)
	if _, err := poster.Post(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	msgs := ws.Messages(p.Channel)
	if len(msgs) != 1 {
		t.Fatalf("%d messages in channel %s, want 1", len(msgs), p.Channel)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, msgs[0].Blocks, "", "  "); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	got.WriteString("\n")
	goldenfile.Check(t, golden, got.Bytes())
}

var eventTimeRE = regexp.MustCompile(`"eventTime":"([^"]+)"`)

// shiftContext moves every time of c by d.
func shiftContext(c enrich.Findings, d time.Duration) enrich.Findings {
	for i, at := range c.Window {
		c.ConsoleURL = strings.ReplaceAll(c.ConsoleURL, strconv.FormatInt(at.UnixMilli(), 10), strconv.FormatInt(at.Add(d).UnixMilli(), 10))
		c.Window[i] = at.Add(d)
	}
	c.Groups = slices.Clone(c.Groups)
	for i := range c.Groups {
		c.Groups[i].First, c.Groups[i].Last = c.Groups[i].First.Add(d), c.Groups[i].Last.Add(d)
	}
	return c
}

// writeTrailEvents creates group with the CIS metric filter (unless group exists), and writes the events
// of a JSON-lines file ({"timestamp": RFC 3339, "message": the CloudTrail record}) to it, with
// their timestamps and eventTimes moved by shift.
func writeTrailEvents(t *testing.T, logs *cloudwatchlogs.Client, group, file string, shift time.Duration) {
	t.Helper()
	ctx := context.Background()
	stream := goldenAccount + "_CloudTrail_us-east-1"
	var exists *cwltypes.ResourceAlreadyExistsException
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); errors.As(err, &exists) {
		return // written by an earlier run against the same emulator (go test -count=N)
	} else if err != nil {
		t.Fatal(err)
	}
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(group), FilterName: aws.String("cis-4.1-unauthorized-api-calls"),
		FilterPattern: aws.String(cis.PatternSecurityHub),
		MetricTransformations: []cwltypes.MetricTransformation{{
			MetricNamespace: aws.String("CISBenchmark"), MetricName: aws.String("UnauthorizedAPICalls"), MetricValue: aws.String("1"),
		}},
	}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var events []cwltypes.InputLogEvent
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var e struct {
			Timestamp time.Time `json:"timestamp"`
			Message   string    `json:"message"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		msg := eventTimeRE.ReplaceAllStringFunc(e.Message, func(m string) string {
			at, err := time.Parse(time.RFC3339, eventTimeRE.FindStringSubmatch(m)[1])
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return `"eventTime":"` + at.Add(shift).Format(time.RFC3339) + `"`
		})
		events = append(events, cwltypes.InputLogEvent{Message: aws.String(msg), Timestamp: aws.Int64(e.Timestamp.Add(shift).UnixMilli())})
	}
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events,
	}); err != nil {
		t.Fatal(err)
	}
}

// goldenAlarm is the CIS 4.1 alarm of the golden account going to ALARM, as both alert golden
// files show it.
func goldenAlarm() *alarm.Alarm {
	return &alarm.Alarm{
		AlarmName:        "cis-4.1-unauthorized-api-calls",
		AlarmDescription: "CIS 4.1: unauthorized API calls",
		AWSAccountID:     goldenAccount,
		Region:           "US East (N. Virginia)",
		RegionCode:       "us-east-1",
		RegionSource:     alarm.RegionFromARN,
		AlarmArn:         "arn:aws:cloudwatch:us-east-1:" + goldenAccount + ":alarm:cis-4.1-unauthorized-api-calls",
		NewState:         alarm.StateAlarm,
		OldState:         alarm.StateOK,
		NewStateReason:   "Threshold Crossed: 1 out of the last 1 datapoints [4.0 (02/03/26 10:20:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
		StateChangeTime:  time.Date(2026, 3, 2, 10, 25, 30, 0, time.UTC),
		Trigger: alarm.Trigger{
			Namespace: "CISBenchmark", MetricName: "UnauthorizedAPICalls", Statistic: "SUM",
			Period: 300, EvaluationPeriods: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: aws.Float64(1),
		},
	}
}
