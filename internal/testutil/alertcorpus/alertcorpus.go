// Package alertcorpus builds, for tests, the alert of a CIS control from the control's corpus of
// CloudTrail events (internal/cis/testdata/events) run through the real enricher, so the Slack
// and terminal renderers' golden files show the same findings.
package alertcorpus

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/enrich"
)

// eventsDir is the corpus, found from this file so that any package's tests can use it.
func eventsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "cis", "testdata", "events")
}

// corpusLogs is CloudWatch Logs holding one metric filter (the control's default pattern) on
// the CloudTrail log group and, as its events, every event of the control's corpus
// (internal/cis/testdata/events) logged at its eventTime. Enrich keeps those the pattern matches.
type corpusLogs struct {
	filter cwltypes.MetricFilter
	events []cwltypes.FilteredLogEvent
}

func (l *corpusLogs) DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
	return &cloudwatchlogs.DescribeMetricFiltersOutput{MetricFilters: []cwltypes.MetricFilter{l.filter}}, nil
}

func (l *corpusLogs) FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	return &cloudwatchlogs.FilterLogEventsOutput{Events: l.events}, nil
}

// Alarm is control id's alarm in ALARM at 10:05 on the day of the corpus, and what the
// enrichment finds behind it in the control's corpus of CloudTrail events.
func Alarm(t testing.TB, id string) (*alarm.Alarm, *enrich.Findings) {
	t.Helper()
	ctl, err := cis.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(eventsDir(), id+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logs := &corpusLogs{filter: cwltypes.MetricFilter{
		LogGroupName:  aws.String("aws-cloudtrail-logs-111122223333"),
		FilterName:    aws.String(ctl.Defaults.FilterName),
		FilterPattern: aws.String(ctl.Patterns[ctl.DefaultPattern]),
		MetricTransformations: []cwltypes.MetricTransformation{{
			MetricNamespace: aws.String(ctl.Defaults.MetricNamespace), MetricName: aws.String(ctl.Defaults.MetricName), MetricValue: aws.String("1"),
		}},
	}}
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 1<<20)
	for i := 0; lines.Scan(); i++ {
		var c struct {
			Event json.RawMessage `json:"event"`
		}
		var rec struct {
			EventTime time.Time `json:"eventTime"`
		}
		if err := json.Unmarshal(lines.Bytes(), &c); err != nil || json.Unmarshal(c.Event, &rec) != nil {
			t.Fatalf("%s line %d: %v", id, i+1, err)
		}
		logs.events = append(logs.events, cwltypes.FilteredLogEvent{
			EventId: aws.String("log-" + strconv.Itoa(i)), Message: aws.String(string(c.Event)), Timestamp: aws.Int64(rec.EventTime.UnixMilli()),
		})
	}
	a := &alarm.Alarm{
		AlarmName: ctl.Defaults.AlarmName, AWSAccountID: "111122223333", Region: "US East (N. Virginia)", RegionCode: "us-east-1",
		RegionSource: alarm.RegionFromARN, AlarmArn: "arn:aws:cloudwatch:us-east-1:111122223333:alarm:" + ctl.Defaults.AlarmName,
		NewState: alarm.StateAlarm, OldState: alarm.StateOK, StateChangeTime: time.Date(2026, 1, 5, 10, 5, 0, 0, time.UTC),
		NewStateReason: "Threshold Crossed: 1 datapoint [3.0 (05/01/26 10:00:00)] was greater than or equal to the threshold (1.0).",
		Trigger:        alarm.Trigger{Namespace: ctl.Defaults.MetricNamespace, MetricName: ctl.Defaults.MetricName, Period: 300, EvaluationPeriods: 1},
	}
	e := &enrich.Enricher{Logs: func(context.Context, string, string) (enrich.LogsReader, error) { return logs, nil }}
	c := e.Enrich(context.Background(), a)
	if c.Missing != "" || c.Control == nil || c.Control.Control != id || c.Total == 0 {
		t.Fatalf("control %s: findings %+v", id, c)
	}
	return a, &c
}
