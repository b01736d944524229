package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
)

// stallingLogs stands in for CloudWatch Logs on loopback: each metric feeds one filter on the
// log group named after it; FilterLogEvents on /slow answers only when the caller gives up
// (it reports that on abandoned), on any other group at once with one CloudTrail event.
type stallingLogs struct {
	stalled   chan struct{} // a FilterLogEvents on /slow arrived
	abandoned chan struct{} // and its caller closed it
}

func (s *stallingLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MetricName   string `json:"metricName"`
		LogGroupName string `json:"logGroupName"`
		StartTime    int64  `json:"startTime"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op := r.Header.Get("X-Amz-Target"); op {
	case "Logs_20140328.DescribeMetricFilters":
		group := "/fast"
		if in.MetricName == "SlowMetric" {
			group = "/slow"
		}
		fmt.Fprintf(w, `{"metricFilters":[{"filterName":"unauthorized-api-calls","logGroupName":%q,`+
			`"filterPattern":"{ $.errorCode = \"AccessDenied*\" }",`+
			`"metricTransformations":[{"metricNamespace":"CISBenchmark","metricName":%q,"metricValue":"1"}]}]}`, group, in.MetricName)
	case "Logs_20140328.FilterLogEvents":
		if in.LogGroupName == "/slow" {
			s.stalled <- struct{}{}
			<-r.Context().Done()
			s.abandoned <- struct{}{}
			return
		}
		at := time.UnixMilli(in.StartTime).Add(time.Minute)
		record := fmt.Sprintf(`{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::444455556666:user/alice"},`+
			`"eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1",`+
			`"errorCode":"AccessDenied","eventID":"e1"}`, at.UTC().Format(time.RFC3339))
		fmt.Fprintf(w, `{"events":[{"eventId":"1","logStreamName":"s","timestamp":%d,"message":%q}],"searchedLogStreams":[]}`,
			at.UnixMilli(), record)
	default:
		http.Error(w, "unexpected operation "+op, http.StatusBadRequest)
	}
}

// TestRelaySlowLookup: a FilterLogEvents that does not answer (a CloudWatch Logs on loopback
// reached by the SDK's own client) ends at the enrichment deadline: the alarm is posted with
// its filter and console link but no events, saying why, and the alerts behind it (a text, an
// alarm of another account whose lookup answers) are posted in the same pass, the second with
// its context. Without the deadline the pass waited for the lookup, and everything behind it.
func TestRelaySlowLookup(t *testing.T) {
	logs := &stallingLogs{stalled: make(chan struct{}, 1), abandoned: make(chan struct{}, 1)}
	srv := httptest.NewServer(logs)
	defer srv.Close()
	client := func(region string) *cloudwatchlogs.Client {
		return cloudwatchlogs.New(cloudwatchlogs.Options{
			Region:       region,
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
			HTTPClient:   srv.Client(),
		})
	}
	enricher := &enrich.Enricher{Logs: func(_ context.Context, _, region string) (enrich.LogsReader, error) { return client(region), nil }}

	st := openStore(t)
	changed := time.Now().UTC().Truncate(time.Second)
	const slowAccount, fastAccount = "111122223333", "444455556666"
	enqueue(t, st, "slow", slowAccount, alarmNotification("slow", slowAccount, "slow-alarm", "SlowMetric", changed), changed)
	enqueue(t, st, "text", slowAccount, notification("text", slowAccount, "hello", "a plain message"), changed)
	enqueue(t, st, "fast", fastAccount, alarmNotification("fast", fastAccount, "fast-alarm", "FastMetric", changed), changed)

	const deadline = 300 * time.Millisecond
	poster := &recordingPoster{}
	r := &relay.Relay{
		Outbox:        st,
		Poster:        poster,
		Enricher:      enricher,
		EnrichTimeout: deadline,
		Channel:       func(context.Context, string, *alarm.Alarm) (string, error) { return "C-ALERTS", nil },
		Owner:         "replica-1",
		PerChannel:    -1,
		Logger:        slog.New(slog.DiscardHandler),
	}
	// The bound only keeps a broken relay from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if n, err := r.RunOnce(ctx); err != nil || n != 3 {
		t.Fatalf("RunOnce = %d, %v; want 3 delivered", n, err)
	}
	select {
	case <-logs.stalled:
	default:
		t.Fatal("the slow FilterLogEvents was never asked")
	}
	<-logs.abandoned // the SDK call was ended, not left running

	posts := poster.sent()
	var order []string
	for _, p := range posts {
		order = append(order, p.MessageID)
	}
	if fmt.Sprint(order) != "[slow text fast]" {
		t.Fatalf("posted %v, want [slow text fast]", order)
	}
	slow, fast := posts[0].Findings, posts[2].Findings
	wantMissing := "the CloudTrail lookup took longer than 300ms"
	switch {
	case slow == nil:
		t.Fatal("the slow alarm was posted without Findings")
	case slow.Missing != wantMissing:
		t.Errorf("slow alarm: Missing %q, want %q", slow.Missing, wantMissing)
	case slow.Total != 0 || len(slow.Groups) != 0:
		t.Errorf("slow alarm: %d events in %d groups, want none", slow.Total, len(slow.Groups))
	case len(slow.Filters) != 1 || slow.Filters[0].LogGroup != "/slow" || !strings.Contains(slow.ConsoleURL, "log-group/$252Fslow"):
		t.Errorf("slow alarm: filters %+v, console %q; want the /slow filter and its link kept", slow.Filters, slow.ConsoleURL)
	}
	if fast == nil || fast.Missing != "" || fast.Total != 1 || len(fast.Groups) != 1 {
		t.Errorf("the alarm behind it: Findings %+v, want its one event", fast)
	}
}
