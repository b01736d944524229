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
	// PostingAt is when a relay last marked the item as being sent without learning whether it
	// went out (zero: never, or the last attempt is known to have failed). A relay that claims
	// an item with PostingAt set looks the message up before posting it again.
	PostingAt time.Time
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
	// Posting records, for an item claimed by owner, that it is being sent at at (a zero at
	// clears the mark after a send known to have failed). It keeps the claim. ok is false, and
	// an unknown id an error, as for Delivered.
	Posting(ctx context.Context, id, owner string, at time.Time) (ok bool, err error)
	// Renew extends a live claim of owner on an item to at+lease (lease positive), for a worker
	// still delivering it when a good part of the lease has gone (a long enrichment, a paced
	// channel): another worker cannot take an item whose claim keeps being renewed. ok is false,
	// with no error and no change, when the item is not held by owner with a lease that runs
	// past at (it expired, another owner took it, or it was delivered or released); an unknown id
	// is an error wrapping ErrNotFound.
	Renew(ctx context.Context, id, owner string, at time.Time, lease time.Duration) (ok bool, err error)
	// ReleaseClaims frees every undelivered item claimed by owner, whatever its lease, and says
	// how many. A relay calls it as it starts: an owner name that is stable across restarts
	// (the host name) holds no live claim in a process that has just started, so what it held
	// before a crash is due again at once instead of when the lease expires. Two processes
	// running at once must therefore never share an owner name.
	ReleaseClaims(ctx context.Context, owner string) (int, error)
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
