package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/accountreader"
)

// QueueReader is the SQS API doctor reads a queue through: the intake's own calls, with the
// credentials the intake would use (role_arn included).
type QueueReader interface {
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
}

var _ QueueReader = (*sqs.Client)(nil)

// MinReceiveCount is the least maxReceiveCount of a redrive policy that does not move an alarm
// to the dead-letter queue after a short store outage: the intake leaves a message it could
// not store on the queue, and each attempt counts as a receive.
const MinReceiveCount = 3

// Queue is one alerts.queues entry.
type Queue struct {
	URL, ARN string
	Format   string // alerts.queues[].format; empty is auto
	API      QueueReader
}

// Queues checks the alert queues. The queue's own visibility timeout is not checked: the
// intake sets its own (sqsintake.VisibilityTimeout) on every receive.
type Queues struct {
	Queues []Queue
	// Topics are alerts.topics; a topic with a wildcard is not looked up.
	Topics []string
	// Topic gives SNS in a topic's account and region; ok is false when the bot holds no
	// credentials there.
	Topic func(ctx context.Context, account, region string) (api accountreader.TopicsReader, ok bool)
}

// Check runs each queue's checks in the configured order.
func (q *Queues) Check(ctx context.Context) []Check {
	var out []Check
	for i := range q.Queues {
		out = append(out, q.check(ctx, &q.Queues[i])...)
	}
	return out
}

func (q *Queues) check(ctx context.Context, qu *Queue) []Check {
	name := "alerts: queue " + qu.URL
	attrs, err := qu.API.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(qu.URL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy,
			sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return []Check{queueFailure(name, "GetQueueAttributes", err)}
	}
	out := []Check{q.readable(ctx, name, qu, attrs.Attributes), deadLetter(name, qu.URL, attrs.Attributes[string(sqstypes.QueueAttributeNameRedrivePolicy)])}
	switch qu.Format {
	case "", "auto", "sns":
		out = append(out, q.subscription(ctx, name, qu))
	}
	return out
}

// readable probes sqs:ReceiveMessage only on an empty queue: a receive of a waiting message
// would count against its redrive policy.
func (q *Queues) readable(ctx context.Context, name string, qu *Queue, attrs map[string]string) Check {
	waiting := attrs[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]
	if waiting != "0" {
		return pass(name, fmt.Sprintf("readable (sqs:GetQueueAttributes); %s message(s) waiting, so sqs:ReceiveMessage was not tried", waiting))
	}
	_, err := qu.API.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(qu.URL), MaxNumberOfMessages: 1, WaitTimeSeconds: 0, VisibilityTimeout: 0})
	if err != nil {
		return queueFailure(name, "ReceiveMessage", err)
	}
	return pass(name, "readable (sqs:GetQueueAttributes, sqs:ReceiveMessage); empty")
}

// queueFailure names the queue and the permission a failed call lacked.
func queueFailure(name, op string, err error) Check {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch c := api.ErrorCode(); {
		case c == "AWS.SimpleQueueService.NonExistentQueue" || c == "QueueDoesNotExist":
			return fail(name, "the queue does not exist", "create it or fix alerts.queues[].url")
		case isDenied(err):
			return fail(name, "not allowed sqs:"+op,
				"grant the bot sqs:GetQueueAttributes, sqs:ReceiveMessage and sqs:DeleteMessage on the queue (`cisbot iam-policy --feature queues --for bot`), or set alerts.queues[].role_arn to a role that may")
		}
	}
	return fail(name, "sqs:"+op+": "+shortError(err), "see the error; cisbot run would stop on the same")
}

// deadLetter warns about a queue whose refused messages would come back forever, or whose
// alarms would be dead-lettered after a short store outage.
func deadLetter(name, url, policy string) Check {
	name += ": dead-letter queue"
	if policy == "" {
		return warn(name, "no redrive policy: a refused message comes back until it expires",
			"give it a dead-letter queue: aws sqs set-queue-attributes --queue-url "+url+` --attributes '{"RedrivePolicy":"{\"deadLetterTargetArn\":\"DLQ-ARN\",\"maxReceiveCount\":\"5\"}"}'`)
	}
	var p struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return warn(name, "unreadable redrive policy: "+err.Error(), "set the redrive policy again")
	}
	n, _ := strconv.Atoi(strings.Trim(string(p.Max), `"`))
	if n < MinReceiveCount {
		return warn(name, fmt.Sprintf("%s after %d receive(s): an alarm the bot fails to store once is dead-lettered", p.Target, n),
			fmt.Sprintf("raise maxReceiveCount to %d or more", MinReceiveCount))
	}
	return pass(name, fmt.Sprintf("%s after %d receives", p.Target, n))
}

// subscription looks for a confirmed sqs subscription of the queue among alerts.topics.
func (q *Queues) subscription(ctx context.Context, name string, qu *Queue) Check {
	name += ": subscription"
	looked := 0
	for _, topic := range q.Topics {
		arn, err := awsarn.Parse(topic)
		if err != nil || strings.ContainsAny(topic, "*?") {
			continue
		}
		api, ok := q.Topic(ctx, arn.AccountID, arn.Region)
		if !ok {
			continue
		}
		looked++
		if subscribed(ctx, api, topic, qu.ARN) {
			return pass(name, "confirmed sqs subscription from "+topic)
		}
	}
	if looked == 0 {
		return warn(name, "no topic under alerts.topics could be read, so no subscription was found",
			"list the topic's ARN under alerts.topics and its account under accounts; or, if EventBridge feeds the queue, set format: eventbridge")
	}
	return warn(name, fmt.Sprintf("none of the %d readable topic(s) under alerts.topics has a confirmed sqs subscription to %s", looked, qu.ARN),
		"subscribe it: aws sns subscribe --protocol sqs --notification-endpoint "+qu.ARN+" --topic-arn TOPIC-ARN (cisbot fix does, with remediation.subscribe: sqs:"+qu.ARN+"); or, if EventBridge feeds the queue, set format: eventbridge")
}

// subscribed reports whether topic has a confirmed sqs subscription to queueARN; a topic that
// cannot be read has none.
func subscribed(ctx context.Context, api accountreader.TopicsReader, topic, queueARN string) bool {
	in := &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)}
	for {
		out, err := api.ListSubscriptionsByTopic(ctx, in)
		if err != nil {
			return false
		}
		for _, s := range out.Subscriptions {
			if aws.ToString(s.Protocol) == "sqs" && aws.ToString(s.Endpoint) == queueARN && aws.ToString(s.SubscriptionArn) != "PendingConfirmation" {
				return true
			}
		}
		if out.NextToken == nil {
			return false
		}
		in.NextToken = out.NextToken
	}
}
