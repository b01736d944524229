package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/sqsintake"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/snssign"
)

// queuePoster records what the relay posts.
type queuePoster struct {
	mu    sync.Mutex
	posts []relay.Post
}

func (p *queuePoster) Post(_ context.Context, post relay.Post) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, post)
	return fmt.Sprintf("1700000000.%06d", len(p.posts)), nil
}

func (p *queuePoster) all() []relay.Post {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]relay.Post(nil), p.posts...)
}

// TestQueueAlertsReachTheirChannel: an alarm through each format (a signed SNS envelope, raw
// delivery, an EventBridge event) SendMessage'd to a queue in moto, read by the pollers
// cisbot run builds from alerts.queues, reaches the account's channel once, with its CloudTrail
// lookup attempted; the same envelope sent again is not posted twice.
func TestQueueAlertsReachTheirChannel(t *testing.T) {
	ctx := context.Background()
	id := awsaccount.NewID()
	f := factory(t)
	client := sqs.NewFromConfig(f.Session(awsenv.Target{RoleARN: awsaccount.RoleARN(id)}).Config(), func(o *sqs.Options) { o.Region = "us-east-1" })
	if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cis-alarms")}); err != nil {
		t.Fatal(err)
	}
	url := "https://sqs.us-east-1.amazonaws.com/" + id + "/cis-alarms"
	topic := "arn:aws:sns:us-east-1:" + id + ":cis-alarms"
	cfg := parseConfig(t, fmt.Sprintf(`accounts:
  - name: prod
    role_arn: %s
    channel: C0QUEUEPROD
alerts:
  topics: [%s]
  queues:
    - url: %s
      role_arn: %s
      trust_unsigned: true
`, awsaccount.RoleARN(id), topic, url, awsaccount.RoleARN(id)))
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logger := slog.New(slog.DiscardHandler)
	accounts := NewAccounts(cfg, f)
	signer := snssign.New(t)
	handler := AlertHandler(cfg, accounts, st, nil, nil, logger)
	handler.Verifier.Fetch = func(context.Context, string) ([]byte, error) { return signer.CertPEM, nil }
	metrics := sqsintake.NewMetrics(nil)
	pollers, err := QueuePollers(cfg, accounts, handler, st, metrics, logger)
	if err != nil || len(pollers) != 1 {
		t.Fatalf("QueuePollers = %d, %v", len(pollers), err)
	}
	if err := checkQueues(ctx, pollers); err != nil {
		t.Fatalf("checkQueues: %v", err)
	}
	pollers[0].Wait = time.Second

	envelope := signedEnvelope(t, signer, "queue-sns-1", topic, queueAlarm(id, "via-sns"))
	event, err := os.ReadFile("../alarm/testdata/eventbridge/alarm-state-change-unauthorized-ALARM.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{envelope, queueAlarm(id, "via-raw"),
		strings.NewReplacer("111111111111", id, "eu-west-1", "us-east-1").Replace(string(event)), envelope} {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}

	poster := &queuePoster{}
	r := &relay.Relay{Outbox: st, Threads: st, Poster: poster, Enricher: accounts.Enricher(), Owner: "test", PerChannel: -1,
		EnrichTimeout: 5 * time.Second, Logger: logger,
		Channel: func(ctx context.Context, topicARN string, _ *alarm.Alarm) (string, error) {
			return accounts.AlertChannel(ctx, topicAccount(topicARN))
		}}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = pollers[0].Run(runCtx) })
	wg.Go(func() { _ = r.Run(runCtx) })
	deadline := time.Now().Add(30 * time.Second)
	for len(poster.all()) < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // the duplicate envelope has had its chance to be posted
	cancel()
	wg.Wait()

	names := map[string]int{}
	for _, p := range poster.all() {
		if p.Channel != "C0QUEUEPROD" || p.Kind != relay.PostAlarm || p.Alarm == nil || p.Findings == nil {
			t.Errorf("post %+v: want an alarm in C0QUEUEPROD with its CloudTrail lookup", p)
			continue
		}
		names[p.Alarm.AlarmName]++
	}
	want := map[string]int{"via-sns": 1, "via-raw": 1, "cis-4.1-unauthorized-api-calls": 1}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("posted %v, want each alarm once: %v", names, want)
	}
}

func queueAlarm(acct, name string) string {
	return `{"AlarmName":"` + name + `","AWSAccountId":"` + acct + `","NewStateValue":"ALARM","OldStateValue":"OK",` +
		`"NewStateReason":"Threshold Crossed","StateChangeTime":"` + time.Now().UTC().Format("2006-01-02T15:04:05.000-0700") + `",` +
		`"Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:` + acct + `:alarm:` + name + `",` +
		`"Trigger":{"MetricName":"UnauthorizedAPICalls","Namespace":"CISBenchmark","Statistic":"SUM","Period":300,"EvaluationPeriods":1}}`
}

// signedEnvelope is a notification signed with the test key, as SNS delivers it to a queue
// without raw delivery (moto's own envelopes carry a placeholder signature).
func signedEnvelope(t testing.TB, signer *snssign.Signer, id, topic, message string) string {
	t.Helper()
	m := &sns.Message{Type: sns.TypeNotification, MessageId: id, TopicArn: topic, Message: message,
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), SignatureVersion: "2",
		SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"}
	sts, err := sns.StringToSign(m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]string{"Type": m.Type, "MessageId": id, "TopicArn": topic, "Message": message,
		"Timestamp": m.Timestamp, "SignatureVersion": "2", "Signature": signer.Sign(t, "2", sts), "SigningCertURL": m.SigningCertURL})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestQueueStartErrors: a queue that does not exist stops the start, naming it.
func TestQueueStartErrors(t *testing.T) {
	id := awsaccount.NewID()
	url := "https://sqs.us-east-1.amazonaws.com/" + id + "/missing"
	cfg := parseConfig(t, fmt.Sprintf("accounts:\n  - name: prod\n    role_arn: %s\nalerts:\n  queues:\n    - url: %s\n      role_arn: %s\n", awsaccount.RoleARN(id), url, awsaccount.RoleARN(id)))
	pollers, err := QueuePollers(cfg, NewAccounts(cfg, factory(t)), &sns.Handler{}, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	err = checkQueues(context.Background(), pollers)
	if err == nil || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("checkQueues = %v; want an error naming %s", err, url)
	}
}

// TestQueueRoleExternalID: a queue read through a role assumes it with the queue's
// external_id, as its trust policy may require (moto does not check it; the proxy in front of
// it sees the call).
func TestQueueRoleExternalID(t *testing.T) {
	id := awsaccount.NewID()
	awsaccount.Build(t, factory(t), id, awsaccount.Scenario{}, proxy)
	var mu sync.Mutex
	var assumed []string
	stop := proxy.Watch(func(body string) {
		if strings.Contains(body, "Action=AssumeRole") && strings.Contains(body, id) {
			mu.Lock()
			assumed = append(assumed, body)
			mu.Unlock()
		}
	})
	t.Cleanup(stop)
	url := "https://sqs.us-east-1.amazonaws.com/" + id + "/cis-alarms-" + id
	cfg := parseConfig(t, fmt.Sprintf("accounts:\n  - name: prod\n    role_arn: %s\nalerts:\n  queues:\n    - url: %s\n      role_arn: %s\n      external_id: reader-%s\n",
		awsaccount.RoleARN(id), url, awsaccount.RoleARN(id), id))
	pollers, err := QueuePollers(cfg, NewAccounts(cfg, factory(t)), &sns.Handler{}, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_ = checkQueues(context.Background(), pollers) // the queue need not exist: the role is assumed first
	mu.Lock()
	defer mu.Unlock()
	if len(assumed) == 0 {
		t.Fatal("the queue's role was not assumed")
	}
	for _, body := range assumed {
		if !strings.Contains(body, "ExternalId=reader-"+id) {
			t.Errorf("AssumeRole without the queue's external id: %s", body)
		}
	}
}

func TestQueuesOnly(t *testing.T) {
	for yaml, want := range map[string]bool{
		"alerts:\n  queues:\n    - url: https://sqs.us-east-1.amazonaws.com/111111111111/q\n":                                           true,
		"alerts:\n  topics: [arn:aws:sns:*:111111111111:t]\n  queues:\n    - url: https://sqs.us-east-1.amazonaws.com/111111111111/q\n": false,
		"alerts:\n  listen: \":8443\"\n  queues:\n    - url: https://sqs.us-east-1.amazonaws.com/111111111111/q\n":                      false,
		"alerts:\n  topics: [arn:aws:sns:*:111111111111:t]\n":                                                                           false,
	} {
		if got := queuesOnly(parseConfig(t, "accounts:\n  - name: prod\n"+yaml)); got != want {
			t.Errorf("queuesOnly(%q) = %v, want %v", yaml, got, want)
		}
	}
}
