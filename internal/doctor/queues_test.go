package doctor

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/goldenfile"
)

// receiveDenied answers ReceiveMessage as AWS does when the identity lacks the permission.
type receiveDenied struct{ QueueReader }

func (receiveDenied) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sqs:receivemessage"}
}

// TestQueues: against moto, a queue subscribed to a configured topic with a dead-letter queue
// passes; a missing queue and a denied receive fail naming the queue and the permission; a
// queue without a redrive policy or subscription warns; a queue fed by EventBridge is not
// looked for among the topics. The lines are compared with a golden file, the account id
// replaced.
func TestQueues(t *testing.T) {
	ctx := context.Background()
	id := awsaccount.NewID()
	s := factory(t).Session(awsenv.Target{Name: "queues", RoleARN: awsaccount.RoleARN(id)})
	client := sqs.NewFromConfig(s.Config(), func(o *sqs.Options) { o.Region = "us-east-1" })
	url := func(name string) string { return "https://sqs.us-east-1.amazonaws.com/" + id + "/" + name }
	arn := func(name string) string { return "arn:aws:sqs:us-east-1:" + id + ":" + name }
	mk := func(name string, attrs map[string]string) Queue {
		if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
		return Queue{URL: url(name), ARN: arn(name), API: client}
	}
	mk("alarms-dlq", nil)
	good := mk("alarms", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + arn("alarms-dlq") + `","maxReceiveCount":"5"}`})
	bare := mk("bare", nil)
	impatient := mk("impatient", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + arn("alarms-dlq") + `","maxReceiveCount":1}`})
	impatient.Format = "eventbridge"
	denied := mk("denied", nil)
	denied.API = receiveDenied{client}
	missing := Queue{URL: url("missing"), ARN: arn("missing"), API: client}

	topic, err := s.SNS("us-east-1").CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("cis-alarms")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SNS("us-east-1").Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(good.ARN)}); err != nil {
		t.Fatal(err)
	}
	q := &Queues{
		Queues: []Queue{good, missing, bare, impatient, denied},
		Topics: []string{aws.ToString(topic.TopicArn), "arn:aws:sns:*:" + id + ":cis-*"},
		Topic: func(_ context.Context, account, region string) (accountreader.TopicsReader, bool) {
			return s.SNS(region), account == id
		},
	}
	got := q.Check(ctx)
	name := func(qu Queue, what string) string { return strings.TrimSuffix("alerts: queue "+qu.URL+": "+what, ": ") }
	assertStatuses(t, got, map[string]Status{
		name(good, ""): Pass, name(good, "dead-letter queue"): Pass, name(good, "subscription"): Pass,
		name(missing, ""): Fail,
		name(bare, ""):    Pass, name(bare, "dead-letter queue"): Warn, name(bare, "subscription"): Warn,
		name(impatient, "dead-letter queue"): Warn,
		name(denied, ""):                     Fail,
	})
	if _, ok := statuses(got)[name(impatient, "subscription")]; ok {
		t.Error("an eventbridge queue was looked for among the topics' subscriptions")
	}
	if _, ok := statuses(got)[name(missing, "dead-letter queue")]; ok {
		t.Error("a missing queue was checked further")
	}
	var text bytes.Buffer
	if err := (Report{Checks: got}).WriteText(&text); err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, "queues.txt", bytes.ReplaceAll(text.Bytes(), []byte(id), []byte("ACCOUNT")))
}
