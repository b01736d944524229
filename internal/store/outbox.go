package store

import (
	"context"
	"time"
)

// The kinds of OutboxItem: the SNS message types the webhook accepts.
const (
	OutboxNotification             = "notification"
	OutboxSubscriptionConfirmation = "subscription_confirmation"
	OutboxUnsubscribeConfirmation  = "unsubscribe_confirmation"
)

// OutboxKinds lists every valid OutboxItem Kind.
var OutboxKinds = []string{OutboxNotification, OutboxSubscriptionConfirmation, OutboxUnsubscribeConfirmation}

// OutboxItem is one SNS message accepted by the webhook, waiting for (or past) delivery.
type OutboxItem struct {
	ID        string // the SNS MessageId: the dedup key
	TopicARN  string
	Kind      string    // one of OutboxKinds
	Body      []byte    // the raw SNS message
	Attempts  int       // failed delivery attempts so far
	NextAt    time.Time // when it may be tried next
	CreatedAt time.Time
	LastError string // the reason given to the last Retry
	Delivered bool
}

// Outbox is the durable queue between the SNS webhook and the delivery worker. The webhook
// answers 200 only after Enqueue returns; a worker Claims due items for a lease, delivers them,
// and marks each Delivered or schedules a Retry. A worker that dies holding a claim loses
// nothing: when the lease expires another worker (or the same one after a restart) claims the
// item again. Every change is a conditional UPDATE in one write transaction, so two workers,
// handles or replicas never hold a live claim on the same item.
type Outbox interface {
	// Enqueue stores a message unless one with the same ID exists; added is false, and the stored
	// item unchanged, for a duplicate. ID, a valid Kind and CreatedAt are required; a zero NextAt
	// means CreatedAt. Attempts, LastError and Delivered are ignored: a new item starts fresh.
	Enqueue(ctx context.Context, it OutboxItem) (added bool, err error)
	// Claim takes up to n (positive) items due at at (NextAt <= at, not delivered, not held by a
	// live claim), oldest NextAt first then oldest CreatedAt, and marks them claimed by owner
	// until at+lease (lease positive), atomically. A claim is live while its lease has not
	// expired; an expired claim lets any owner claim the item again (crash recovery).
	Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, n int) ([]OutboxItem, error)
	// Delivered marks an item delivered at at and releases its claim. ok is false, with no error
	// and no change, when the item is not claimed by owner (another owner took it after the
	// lease expired, or it was already delivered or released). An unknown id is an error
	// wrapping ErrNotFound.
	Delivered(ctx context.Context, id, owner string, at time.Time) (ok bool, err error)
	// Retry releases an item claimed by owner for a later attempt: Attempts+1, NextAt = next,
	// LastError = reason. ok is false, and an unknown id an error, as for Delivered.
	Retry(ctx context.Context, id, owner string, next time.Time, reason string) (ok bool, err error)
	// Pending counts undelivered items, claimed or not (the outbox depth metric).
	Pending(ctx context.Context) (int, error)
}

func validOutboxKind(k string) bool {
	for _, v := range OutboxKinds {
		if k == v {
			return true
		}
	}
	return false
}
