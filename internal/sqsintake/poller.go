package sqsintake

// This file is the long-polling loop of one queue: receive, hand each message to the Intake,
// delete what was stored, back off on errors, stop with its context.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// Receiver is the SQS API a Poller calls, with the SDK's signatures.
type Receiver interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ Receiver = (*sqs.Client)(nil)

// Long-polling settings. A receive waits up to WaitTime for messages; the HTTP client's
// timeout (HTTPTimeout, for the caller's SQS client) must exceed it. A received message is
// invisible to other receivers for VisibilityTimeout, far longer than verifying (a certificate
// download is bounded by 10 s) and storing it take.
const (
	WaitTime          = 20 * time.Second
	MaxMessages       = 10
	VisibilityTimeout = 60 * time.Second
	HTTPTimeout       = WaitTime + 10*time.Second
)

// Back-off after a failed receive: doubling from minBackoff up to maxBackoff, with jitter.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// deleteTimeout bounds a batch delete, which runs even when the poller is stopping: the message is
// in the outbox, and deleting it saves a duplicate delivery.
const deleteTimeout = 5 * time.Second

// Poller reads one queue until its context ends. One per queue per replica.
type Poller struct {
	Queue   Queue
	Client  Receiver
	Intake  *Intake
	Logger  *slog.Logger // nil: slog.Default()
	Metrics *Metrics     // nil: counted nowhere
	// Wait and Visibility replace WaitTime and VisibilityTimeout (tests); zero: the defaults.
	Wait, Visibility time.Duration
}

// Check asks for the queue's attributes before polling starts, so that a queue that does not
// exist or may not be read is an error at start naming the queue and the permission. A queue
// without a redrive policy is logged: its poison messages would come back forever.
func (p *Poller) Check(ctx context.Context) error {
	out, err := p.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(p.Queue.URL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn, types.QueueAttributeNameRedrivePolicy},
	})
	if err != nil {
		return queueError(p.Queue.URL, "GetQueueAttributes", err)
	}
	if out.Attributes[string(types.QueueAttributeNameRedrivePolicy)] == "" {
		p.logger().Warn("alert queue has no redrive policy: refused messages come back until they expire; give it a dead-letter queue",
			"queue", p.Queue.URL)
	}
	return nil
}

// queueError says what a failed call on queue url means and what to do.
func queueError(url, op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist":
			return fmt.Errorf("alert queue %s does not exist: create it or fix alerts.queues[].url: %w", url, err)
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
			return fmt.Errorf("alert queue %s: not allowed sqs:%s: grant the bot sqs:GetQueueAttributes, sqs:ReceiveMessage and sqs:DeleteMessage on it (or set alerts.queues[].role_arn): %w", url, op, err)
		}
	}
	return fmt.Errorf("alert queue %s: sqs:%s: %w", url, op, err)
}

// Run polls until ctx ends, then returns nil once the messages under way are stored.
func (p *Poller) Run(ctx context.Context) error {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		msgs, err := p.receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			p.metrics().Failures.WithLabelValues("receive").Inc()
			p.logger().Warn("alert queue receive failed; retrying", "queue", p.Queue.URL, "retry_in", backoff, "error", queueError(p.Queue.URL, "ReceiveMessage", err))
			sleep(ctx, backoff/2+rand.N(backoff/2+1))
			continue
		}
		stored, failed := p.handleAll(ctx, msgs)
		p.delete(ctx, msgs, stored)
		if !failed {
			backoff = 0
			continue
		}
		// The store (or a certificate download) failed: receiving more now would only bring
		// back the same messages, counting each receive towards the dead-letter queue.
		backoff = min(max(2*backoff, minBackoff), maxBackoff)
		p.logger().Warn("alert queue messages could not be stored; receiving again later", "queue", p.Queue.URL, "retry_in", backoff)
		sleep(ctx, backoff/2+rand.N(backoff/2+1))
	}
	return nil
}

// handleTimeout bounds the work on one message (verifying, a certificate download, storing),
// under the visibility timeout so that a message is not received twice while it is handled.
const handleTimeout = 30 * time.Second

// handleAll handles one receive's messages at once. The work runs to its end (bounded by
// handleTimeout) even when ctx ends, so that stopping the bot does not throw away messages
// it holds; failed says whether any failed for a reason other than its own content.
func (p *Poller) handleAll(ctx context.Context, msgs []types.Message) (stored []bool, failed bool) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()
	stored = make([]bool, len(msgs))
	fails := make([]bool, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() { stored[i], fails[i] = p.handle(hctx, m) })
	}
	wg.Wait()
	return stored, slices.Contains(fails, true)
}

func (p *Poller) receive(ctx context.Context) ([]types.Message, error) {
	out, err := p.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.Queue.URL),
		MaxNumberOfMessages:         MaxMessages,
		WaitTimeSeconds:             int32(cmp.Or(p.Wait, WaitTime) / time.Second),
		VisibilityTimeout:           int32(cmp.Or(p.Visibility, VisibilityTimeout) / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		return nil, err
	}
	return out.Messages, nil
}

// handle stores one message and reports whether it may be deleted; a refused or failed one
// stays. failed is set when it was not refused for its content but could not be stored.
func (p *Poller) handle(ctx context.Context, m types.Message) (stored, failed bool) {
	p.metrics().Received.Inc()
	id := aws.ToString(m.MessageId)
	log := p.logger().With("queue", p.Queue.URL, "sqs_message_id", id, "receive_count", m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	err := p.Intake.Handle(ctx, &p.Queue, id, []byte(aws.ToString(m.Body)))
	if rj, ok := errors.AsType[*Rejection](err); ok {
		p.metrics().Rejected.WithLabelValues(rj.Reason).Inc()
		log.Warn("alert queue message rejected; left for the dead-letter queue", "reason", rj.Reason, "error", rj.Err)
		return false, false
	}
	if err != nil {
		p.metrics().Failures.WithLabelValues("store").Inc()
		log.Error("alert queue message not stored; it comes back after the visibility timeout", "error", err)
		return false, true
	}
	return true, false
}

// delete deletes the stored messages of one receive in one DeleteMessageBatch call (its
// permission is sqs:DeleteMessage's).
func (p *Poller) delete(ctx context.Context, msgs []types.Message, stored []bool) {
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if stored[i] {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(entries) == 0 {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
	defer cancel()
	out, err := p.Client.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.Queue.URL), Entries: entries})
	if err != nil {
		p.metrics().Failures.WithLabelValues("delete").Add(float64(len(entries)))
		p.logger().Warn("alert queue messages stored but not deleted; their redelivery is a duplicate the outbox absorbs",
			"queue", p.Queue.URL, "messages", len(entries), "error", queueError(p.Queue.URL, "DeleteMessage", err))
		return
	}
	for _, f := range out.Failed {
		p.metrics().Failures.WithLabelValues("delete").Inc()
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		p.logger().Warn("alert queue message stored but not deleted; its redelivery is a duplicate the outbox absorbs",
			"queue", p.Queue.URL, "sqs_message_id", aws.ToString(msgs[i].MessageId), "code", aws.ToString(f.Code), "error", aws.ToString(f.Message))
	}
	p.metrics().Stored.Add(float64(len(out.Successful)))
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

func (p *Poller) metrics() *Metrics {
	if p.Metrics != nil {
		return p.Metrics
	}
	return unread()
}
