// Package sqsintake reads alarms from SQS queues with long polling, so that alerts need no
// public endpoint: each message is told apart by shape (a signed SNS envelope, the alarm JSON of
// raw delivery, or an EventBridge event), verified or checked as its format requires, stored in
// the outbox and only then deleted from the queue. A message refused for good is left on the
// queue, for its redrive policy to move to a dead-letter queue.
package sqsintake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/store"
)

// Message formats, as alerts.queues[].format spells them.
const (
	FormatAuto        = "auto"
	FormatSNS         = "sns"
	FormatRaw         = "raw"
	FormatEventBridge = "eventbridge"
)

// Queue is one queue the intake reads and what it trusts from it.
type Queue struct {
	URL     string
	ARN     string
	Account string // the queue's account: an unsigned alarm of it is accepted
	Format  string // FormatAuto when empty
	// TrustUnsigned accepts raw and EventBridge alarms, whose trust rests on the queue's
	// policy alone.
	TrustUnsigned bool
}

// Outbox is where accepted alarms are stored (store.Outbox's method).
type Outbox interface {
	Enqueue(ctx context.Context, it store.OutboxItem) (added bool, err error)
}

// Intake turns one queue message into an outbox item.
type Intake struct {
	// SNS verifies, admits and stores a signed SNS envelope exactly as the HTTPS endpoint does
	// (sns.Handler.Accept).
	SNS func(ctx context.Context, body []byte) (*sns.Message, error)
	// Outbox stores unsigned alarms.
	Outbox Outbox
	// KnownAccount reports whether an account is one of the bot's: an unsigned alarm of an
	// account other than its queue's is accepted only then. nil: none is.
	KnownAccount func(ctx context.Context, account string) (bool, error)
	Now          func() time.Time // nil: time.Now
	Logger       *slog.Logger     // nil: slog.Default()
	Metrics      *Metrics         // nil: counted nowhere
}

// Rejection is a message refused for good: it is left on the queue (its redrive policy moves
// it to a dead-letter queue) and counted by Reason.
type Rejection struct {
	Reason string
	Err    error
}

func (e *Rejection) Error() string {
	return "queue message rejected (" + e.Reason + "): " + e.Err.Error()
}
func (e *Rejection) Unwrap() error { return e.Err }

func rejected(reason string, err error) *Rejection { return &Rejection{Reason: reason, Err: err} }

// Handle stores the message body (SQS message id sqsID) read from q. nil: it is in the outbox
// (or was already), and may be deleted from the queue. A *Rejection: refused for good. Any other
// error: it may be taken later (a store or certificate failure); it stays on the queue.
func (in *Intake) Handle(ctx context.Context, q *Queue, sqsID string, body []byte) error {
	format := q.Format
	if format == "" || format == FormatAuto {
		format = detect(body)
	}
	switch format {
	case FormatSNS:
		return in.sns(ctx, q, body)
	case FormatRaw:
		return in.raw(ctx, q, sqsID, body)
	case FormatEventBridge:
		return in.event(ctx, q, body)
	}
	return rejected("unknown_format", errors.New("the body is neither an SNS envelope, nor a CloudWatch alarm, nor an EventBridge event"))
}

// detect tells the formats apart by their keys: an SNS envelope has Type and TopicArn, an
// EventBridge event detail-type, source and detail, a CloudWatch alarm AlarmName and
// NewStateValue.
func detect(body []byte) string {
	var keys map[string]json.RawMessage
	if json.NewDecoder(bytes.NewReader(body)).Decode(&keys) != nil {
		return ""
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, ok := keys[n]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("Type", "TopicArn"):
		return FormatSNS
	case has("detail-type", "source", "detail"):
		return FormatEventBridge
	case has("AlarmName", "NewStateValue"):
		return FormatRaw
	}
	return ""
}

// sns verifies and stores a signed envelope as the endpoint does; its dedup key is its
// MessageId.
func (in *Intake) sns(ctx context.Context, q *Queue, body []byte) error {
	if in.SNS == nil {
		return errors.New("no SNS verifier configured")
	}
	_, err := in.SNS(ctx, body)
	rf, ok := errors.AsType[*sns.Refusal](err)
	switch {
	case err == nil:
		return nil
	case ok && !rf.Failed:
		return rejected(rf.Reason, rf.Err)
	}
	return fmt.Errorf("SNS message from %s: %w", q.URL, err)
}

// raw stores the alarm JSON of raw delivery under the SQS message id, when q trusts unsigned
// alarms and the alarm is its account's or one of the bot's.
func (in *Intake) raw(ctx context.Context, q *Queue, sqsID string, body []byte) error {
	if !q.TrustUnsigned {
		return rejected("unsigned", errors.New("an unsigned alarm (raw delivery) on a queue without trust_unsigned: turn raw delivery off, or set trust_unsigned once the queue's policy lets only your topic send"))
	}
	a, err := alarm.Parse(string(body))
	if err != nil {
		return rejected("bad_alarm", err)
	}
	return in.store(ctx, q, sqsID, a, body)
}

// event stores the alarm of a CloudWatch Alarm State Change event under the event's id, on the
// same conditions as raw.
func (in *Intake) event(ctx context.Context, q *Queue, body []byte) error {
	if !q.TrustUnsigned {
		return rejected("unsigned", errors.New("an EventBridge event (unsigned) on a queue without trust_unsigned: set trust_unsigned once the queue's policy lets only your EventBridge rule send"))
	}
	ev, err := alarm.ParseEvent(body)
	if err != nil {
		return rejected("bad_event", err)
	}
	return in.store(ctx, q, ev.ID, ev.Alarm, ev.Message)
}

// store checks that an unsigned alarm is its queue's account's or one of the bot's, then stores
// it under its own ARN (the relay routes it to that account's channel).
func (in *Intake) store(ctx context.Context, q *Queue, id string, a *alarm.Alarm, message []byte) error {
	if err := a.CheckTopic(a.AlarmArn); err != nil {
		return rejected("account_mismatch", err)
	}
	if a.AWSAccountID != q.Account {
		known := false
		if in.KnownAccount != nil {
			var err error
			if known, err = in.KnownAccount(ctx, a.AWSAccountID); err != nil && !known {
				return fmt.Errorf("is account %s one of ours: %w", a.AWSAccountID, err)
			}
		}
		if !known {
			return rejected("account_mismatch", fmt.Errorf("the alarm's account %s is neither the queue's (%s) nor a configured one", a.AWSAccountID, q.Account))
		}
	}
	if id == "" {
		return rejected("bad_alarm", errors.New("no message id"))
	}
	now := in.now()
	added, err := in.Outbox.Enqueue(ctx, store.OutboxItem{ID: id, TopicARN: a.AlarmArn, Kind: store.OutboxNotification, Body: message, CreatedAt: now, NextAt: now})
	if err != nil {
		return fmt.Errorf("store alarm %s from %s: %w", id, q.URL, err)
	}
	if !added {
		in.logger().Debug("queue duplicate message", "queue", q.URL, "message_id", id)
	}
	return nil
}

func (in *Intake) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

func (in *Intake) logger() *slog.Logger {
	if in.Logger != nil {
		return in.Logger
	}
	return slog.Default()
}
