package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/cisbot/cisbot/internal/accountchanger"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// TestApplyQueueSubscription: the steps a plan makes of an sqs: remediation.subscribe entry,
// applied against moto through the bot's writers, merge the statement into the queue's policy
// (keeping the policy's own) and subscribe the queue; a message published to the topic then
// arrives on the queue; applying again changes nothing.
func TestApplyQueueSubscription(t *testing.T) {
	ctx := context.Background()
	id := awsaccount.NewID()
	s := factory(t).Session(awsenv.Target{RoleARN: awsaccount.RoleARN(id)})
	topic, err := s.SNS("us-east-1").CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("cis-alarms")})
	if err != nil {
		t.Fatal(err)
	}
	topicARN := aws.ToString(topic.TopicArn)
	queueARN := "arn:aws:sqs:us-east-1:" + id + ":cis-alarms"
	url := "https://sqs.us-east-1.amazonaws.com/" + id + "/cis-alarms"
	own := `{"Version":"2012-10-17","Statement":[{"Sid":"theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"sqs:*","Resource":"` + queueARN + `"}]}`
	q := sqs.NewFromConfig(s.Config(), func(o *sqs.Options) { o.Region = "us-east-1" })
	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cis-alarms"), Attributes: map[string]string{"Policy": own}}); err != nil {
		t.Fatal(err)
	}
	steps := cis.PlanSteps{
		cis.MergeQueuePolicy{StepInfo: cis.StepInfo{Region: "us-east-1", Resource: queueARN, Detail: "queue policy"}, QueueARN: queueARN, QueueURL: url,
			Send: cis.TopicSend{Sid: cis.QueuePolicySid, TopicARN: topicARN}},
		cis.Subscribe{StepInfo: cis.StepInfo{Region: "us-east-1", Resource: topicARN, Detail: "subscribe"}, TopicARN: topicARN, Protocol: "sqs", Endpoint: queueARN},
	}
	plan := cis.Plan{Account: "prod", AccountID: id, Steps: steps, Hash: cis.PlanHash(steps)}
	res := accountchanger.Apply(ctx, Writers(s), plan, nil)
	if !res.OK || !res.Steps[0].Outcome.Changed || !res.Steps[1].Outcome.Changed {
		t.Fatalf("first apply: %+v", res)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer // moto answers it indented
	if err := json.Compact(&compact, []byte(attrs.Attributes["Policy"])); err != nil {
		t.Fatal(err)
	}
	policy := compact.String()
	for _, want := range []string{`"Sid":"theirs"`, `"Sid":"` + cis.QueuePolicySid + `"`, `"aws:SourceArn":"` + topicARN + `"`, `"sqs:SendMessage"`} {
		if !strings.Contains(policy, want) {
			t.Errorf("queue policy lacks %s: %s", want, policy)
		}
	}
	if _, err := s.SNS("us-east-1").Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("hello queue")}); err != nil {
		t.Fatal(err)
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2})
	if err != nil || len(got.Messages) != 1 || !strings.Contains(aws.ToString(got.Messages[0].Body), "hello queue") {
		t.Errorf("published message on the queue: %+v, %v", got, err)
	}
	again := accountchanger.Apply(ctx, Writers(s), plan, nil)
	if !again.OK || again.Steps[0].Outcome.Changed || again.Steps[1].Outcome.Changed {
		t.Errorf("second apply changed something: %+v", again)
	}
}
