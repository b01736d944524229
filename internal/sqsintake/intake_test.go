package sqsintake

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/snssign"
)

var srv *emulator.Server

func TestMain(m *testing.M) {
	emulator.Hermetic()
	emulator.Main(m, &srv)
}

// moto's account for the tests' static credentials.
const account = "123456789012"

var queueSeq sync.Mutex
var queueN int

// newQueue creates a queue in moto and returns the client and the queue as the config names it:
// by its AWS URL (moto reads the account and name from the path, the SDK sends it to moto).
func newQueue(t testing.TB) (*sqs.Client, Queue) {
	t.Helper()
	client := sqs.New(sqs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
	queueSeq.Lock()
	queueN++
	name := fmt.Sprintf("alerts-%d-%d", os.Getpid(), queueN)
	queueSeq.Unlock()
	if _, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	url := "https://sqs.us-east-1.amazonaws.com/" + account + "/" + name
	return client, Queue{URL: url, ARN: "arn:aws:sqs:us-east-1:" + account + ":" + name, Account: account, Format: FormatAuto}
}

// memOutbox is an outbox keyed by id, as the store's: a second Enqueue of an id is a duplicate.
type memOutbox struct {
	mu    sync.Mutex
	items map[string]store.OutboxItem
	fail  error
}

func (o *memOutbox) Enqueue(_ context.Context, it store.OutboxItem) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return false, o.fail
	}
	if o.items == nil {
		o.items = map[string]store.OutboxItem{}
	}
	if _, ok := o.items[it.ID]; ok {
		return false, nil
	}
	o.items[it.ID] = it
	return true, nil
}

func (o *memOutbox) ids() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ids []string
	for id := range o.items {
		ids = append(ids, id)
	}
	return ids
}

// fixture is an intake whose SNS side is the endpoint's handler: the verifier allows
// topicAllowed, fetches the test signer's certificate, and stores into the same outbox.
type fixture struct {
	signer  *snssign.Signer
	outbox  *memOutbox
	intake  *Intake
	metrics *Metrics
}

const topicAllowed = "arn:aws:sns:us-east-1:" + account + ":cis-alarms"

func newFixture(t testing.TB) *fixture {
	f := &fixture{signer: snssign.New(t), outbox: &memOutbox{}, metrics: NewMetrics(nil)}
	h := &sns.Handler{
		Verifier: &sns.Verifier{Topics: []string{topicAllowed}, MaxAge: time.Hour,
			Fetch: func(context.Context, string) ([]byte, error) { return f.signer.CertPEM, nil }},
		Enqueue: func(ctx context.Context, m *sns.Message, raw []byte) (bool, error) {
			return f.outbox.Enqueue(ctx, store.OutboxItem{ID: m.MessageId, TopicARN: m.TopicArn, Kind: store.OutboxNotification, Body: raw, CreatedAt: time.Now()})
		},
		Logger: discard,
	}
	f.intake = &Intake{SNS: h.Accept, Outbox: f.outbox, Logger: discard, Metrics: f.metrics,
		KnownAccount: func(_ context.Context, a string) (bool, error) { return a == "222222222222", nil }}
	return f
}

var discard = slog.New(slog.DiscardHandler)

// alarmJSON is a CloudWatch alarm of account acct, as raw delivery carries it.
func alarmJSON(acct, name string) string {
	return `{"AlarmName":"` + name + `","AWSAccountId":"` + acct + `","NewStateValue":"ALARM","OldStateValue":"OK",` +
		`"NewStateReason":"Threshold Crossed","StateChangeTime":"` + time.Now().UTC().Format("2006-01-02T15:04:05.000-0700") + `",` +
		`"Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:` + acct + `:alarm:` + name + `",` +
		`"Trigger":{"MetricName":"UnauthorizedAPICalls","Namespace":"CISBenchmark","Statistic":"SUM","Period":300,"EvaluationPeriods":1}}`
}

// envelope is a signed SNS notification of message on topic, as SNS delivers it to a queue.
func (f *fixture) envelope(t testing.TB, id, topic, message string) string {
	m := &sns.Message{Type: sns.TypeNotification, MessageId: id, TopicArn: topic, Message: message,
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), SignatureVersion: "2",
		SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"}
	sts, err := sns.StringToSign(m)
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = f.signer.Sign(t, "2", sts)
	b, err := json.Marshal(map[string]string{"Type": m.Type, "MessageId": m.MessageId, "TopicArn": m.TopicArn, "Message": m.Message,
		"Timestamp": m.Timestamp, "SignatureVersion": "2", "Signature": m.Signature, "SigningCertURL": m.SigningCertURL,
		"UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func eventJSON(t testing.TB, acct string) string {
	b, err := os.ReadFile("../alarm/testdata/eventbridge/alarm-state-change-unauthorized-ALARM.json")
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("111111111111", acct, "eu-west-1", "us-east-1").Replace(string(b))
}

func send(t testing.TB, c *sqs.Client, q Queue, body string) string {
	t.Helper()
	out, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.MessageId)
}

// left is how many messages the queue still holds, visible or not.
func left(t testing.TB, c *sqs.Client, q Queue) int {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
		var v int
		fmt.Sscan(out.Attributes[k], &v)
		n += v
	}
	return n
}

// runUntil polls q until cond holds (or 30 s pass), then stops the poller and waits for it.
func runUntil(t testing.TB, p *Poller, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the poller did not stop within 5 s of its context's end")
	}
	if !cond() {
		t.Fatal("condition not met within 30 s")
	}
}
