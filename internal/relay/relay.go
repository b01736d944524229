// Package relay delivers the outbox to the channels: a worker claims the notifications the
// SNS endpoint stored, turns each into a Post (an alarm, enriched with its CloudTrail events,
// or plain text) and hands it to a Poster exactly once, pacing each channel, retrying with
// backoff and threading an alarm's later state changes under its first post. It also defines
// the delivery errors a Poster returns (ErrNotPosted, NotPosted, RetryAfterError).
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/store"
)

// Outbox is what the relay needs of the store's outbox (store.Store satisfies it).
type Outbox interface {
	Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, n int) ([]store.OutboxItem, error)
	Delivered(ctx context.Context, id, owner string, at time.Time) (bool, error)
	Retry(ctx context.Context, id, owner string, next time.Time, reason string) (bool, error)
	Posting(ctx context.Context, id, owner string, at time.Time) (bool, error)
	Renew(ctx context.Context, id, owner string, at time.Time, lease time.Duration) (bool, error)
	ReleaseClaims(ctx context.Context, owner string) (int, error)
	Pending(ctx context.Context) (int, error)
}

var _ Outbox = (store.Store)(nil)

// Threads is what the relay needs to thread an alarm's state changes (store.Store satisfies
// it): per alarm key and channel, the timestamp of the message its first ALARM started.
type Threads interface {
	Thread(ctx context.Context, key, channel string) (ts string, first []byte, found bool, err error)
	SetThread(ctx context.Context, key, channel, ts, state string, first []byte, at time.Time) error
}

var _ Threads = (store.Store)(nil)

// ThreadKey is the identity of an alarm for threading: its ARN (every relayed alarm has one of
// its topic's account); "" for no alarm.
func ThreadKey(a *alarm.Alarm) string {
	if a == nil {
		return ""
	}
	return a.AlarmArn
}

// Relay defaults.
const (
	DefaultLease       = 2 * time.Minute
	DefaultPoll        = time.Second
	DefaultBatch       = 10
	DefaultMaxAttempts = 20
	DefaultPerChannel  = time.Second // Slack's ~1 message/s per channel
	// DefaultEnrichTimeout bounds the CloudTrail lookup of one alarm (alerts.enrich_timeout).
	DefaultEnrichTimeout = 20 * time.Second
	// After MaxAttempts failures an item is kept but tried at most this often.
	relayGiveUpInterval = time.Hour
	backoffMin          = 2 * time.Second
	backoffMax          = 5 * time.Minute
	// findSkew widens the lookup of an earlier attempt's post, for clock skew between this host
	// and the transport's message timestamps.
	findSkew = 5 * time.Minute
)

// Relay delivers the outbox to the channels: it claims due items, turns each into a Post and
// hands it to the Poster, then marks it delivered or schedules a retry.
//
// Delivery semantics: the store deduplicates by MessageId and a claim gives one owner the item
// for a lease, so each message is delivered by one relay at a time. Before each post the relay
// marks the item as being sent (Outbox.Posting); a post known to have failed clears the mark.
// An item claimed with the mark set (its last attempt crashed, timed out or met a server error
// after sending) is first looked up with the Poster's Finder, and a post found there is not
// made again. So a crash between the post and marking it delivered posts nothing twice. A
// Poster without a Finder, or a lookup that fails for another reason than a rate limit, falls
// back to posting again: a message may then appear twice, but is never lost.
//
// While a pass works, it renews the claims on the items it holds every Lease/3, so a delivery
// longer than the lease (a slow CloudTrail lookup, a paced channel, a batch waiting behind
// them) is not taken and posted again by another replica. An alarm's lookup ends after
// EnrichTimeout: the alarm is then posted without its CloudTrail events, saying so, and the
// items behind it wait no longer.
type Relay struct {
	Outbox Outbox
	Poster Poster
	// Threads threads an alarm's state changes: the first ALARM of an alarm starts a message,
	// and later changes (OK, ALARM again) are posted into its thread and update the first
	// message's status (when the Poster is also a StatusUpdater). nil: no threading.
	Threads Threads
	// Enricher fetches the CloudTrail context of an ALARM; nil: no enrichment. Enrich must
	// return soon after its ctx is done (the SDK's calls do), with what it could read.
	Enricher interface {
		Enrich(ctx context.Context, a *alarm.Alarm) enrich.Findings
	}
	// EnrichTimeout bounds an alarm's enrichment (default DefaultEnrichTimeout); past it the
	// alarm is posted without its CloudTrail events and says why.
	EnrichTimeout time.Duration
	// Channel says where a post goes (the wiring maps the topic's account to
	// accounts[].channel, else a default); a is nil for anything but an alarm. "" means
	// nowhere: the item is marked delivered with a log warning. An error (the account could
	// not be resolved) retries the item rather than post it to another audience. Required.
	Channel func(ctx context.Context, topicARN string, a *alarm.Alarm) (string, error)
	Owner   string        // this replica's id; required
	Lease   time.Duration // claim lease (default DefaultLease)
	Poll    time.Duration // wait between passes (default DefaultPoll)
	Batch   int           // items claimed per pass (default DefaultBatch)
	// MaxAttempts failed attempts (default DefaultMaxAttempts) after which an item is
	// kept, never dropped, but retried at most hourly and logged at error level.
	MaxAttempts int
	// Backoff is the wait before attempt number attempt (1 for the first retry); default
	// exponential from 2s to 5m with jitter.
	Backoff func(attempt int) time.Duration
	// PerChannel is the least spacing between posts to one channel (default
	// DefaultPerChannel; negative: no pacing, Slack's Retry-After alone). It is measured with
	// the real clock, not Now.
	PerChannel time.Duration
	Now        func() time.Time // the clock for claims and schedules; default time.Now
	Logger     *slog.Logger
	Metrics    *Metrics // outbox depth, deliveries and retries; nil: counted nowhere

	once    sync.Once
	metrics *Metrics // Metrics, or a throwaway set
	stages  []stage  // the delivery pipeline (pipeline.go)

	mu   sync.Mutex
	last map[string]time.Time // channel -> time of the last post to it
}

func (r *Relay) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Relay) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (r *Relay) lease() time.Duration { return orDuration(r.Lease, DefaultLease) }
func (r *Relay) poll() time.Duration  { return orDuration(r.Poll, DefaultPoll) }
func (r *Relay) enrichTimeout() time.Duration {
	return orDuration(r.EnrichTimeout, DefaultEnrichTimeout)
}
func (r *Relay) perChannel() time.Duration {
	if r.PerChannel < 0 {
		return 0
	}
	return orDuration(r.PerChannel, DefaultPerChannel)
}

func (r *Relay) batch() int {
	if r.Batch > 0 {
		return r.Batch
	}
	return DefaultBatch
}

func (r *Relay) maxAttempts() int {
	if r.MaxAttempts > 0 {
		return r.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (r *Relay) backoff(attempt int) time.Duration {
	if r.Backoff != nil {
		return r.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

// DefaultBackoff is exponential from 2s (attempt 1) doubling to at most 5m, with jitter: up to
// a quarter more, still at most 5m.
func DefaultBackoff(attempt int) time.Duration {
	d := backoffMin
	for i := 1; i < attempt && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return min(d+rand.N(d/4+1), backoffMax)
}

// Run delivers until ctx is done: a pass (RunOnce), then a wait of Poll, or none when the pass
// claimed a full batch (a backlog drains at Slack's pace, not a batch per Poll). Errors of a
// pass are logged and the loop goes on. It returns nil when ctx is done.
func (r *Relay) Run(ctx context.Context) error {
	if err := r.start(); err != nil {
		return err
	}
	// A process that just started holds no claim: whatever is claimed under its owner name was
	// held by its previous life, and is due again now rather than when the lease expires.
	if n, err := r.Outbox.ReleaseClaims(ctx, r.Owner); err != nil && ctx.Err() != nil {
		return nil // stopped as it started
	} else if err != nil {
		r.logger().Error("could not take back the outbox items held before a restart; they are delivered when their lease expires", "owner", r.Owner, "error", err)
	} else if n > 0 {
		r.logger().Info("took back outbox items held before a restart", "owner", r.Owner, "items", n)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	// unsettled: a pass failed with items claimed, some of which it may not have settled (the
	// store stopped answering). Between passes this relay works on nothing, so whatever is
	// still claimed under its owner is such an item: released once the store answers again, it
	// is due at once rather than when its lease expires, minutes after the outage.
	unsettled := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if unsettled {
			if n, err := r.Outbox.ReleaseClaims(ctx, r.Owner); err == nil {
				unsettled = false
				if n > 0 {
					r.logger().Info("took back outbox items a failed pass left claimed", "owner", r.Owner, "items", n)
				}
			}
		}
		claimed, _, err := r.pass(ctx)
		if err != nil && ctx.Err() == nil {
			r.logger().Error("outbox relay pass failed", "error", err)
			unsettled = unsettled || claimed > 0
		}
		if claimed == r.batch() && err == nil {
			t.Reset(0)
		} else {
			t.Reset(r.poll())
		}
	}
}

// start checks the configuration and, the first time, builds the pipeline.
func (r *Relay) start() error {
	if err := r.check(); err != nil {
		return err
	}
	r.once.Do(func() {
		r.metrics = r.Metrics
		if r.metrics == nil {
			r.metrics = NewMetrics(nil)
		}
		r.stages = r.pipeline()
	})
	return nil
}

func (r *Relay) check() error {
	switch {
	case r.Outbox == nil:
		return errors.New("relay: no Outbox")
	case r.Poster == nil:
		return errors.New("relay: no Poster")
	case r.Channel == nil:
		return errors.New("relay: no Channel")
	case r.Owner == "":
		return errors.New("relay: empty Owner")
	}
	return nil
}

// RunOnce claims a batch of due items, delivers each, and returns how many were marked
// delivered (posted, or settled without a post: no channel, or a bad stored body). Items it
// could not finish because ctx ended stay claimed until their lease expires, then are due again.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	if err := r.start(); err != nil {
		return 0, err
	}
	_, delivered, err := r.pass(ctx)
	return delivered, err
}

// pass is RunOnce, also saying how many items it claimed.
func (r *Relay) pass(ctx context.Context) (claimed, delivered int, err error) {
	items, err := r.Outbox.Claim(ctx, r.Owner, r.now(), r.lease(), r.batch())
	if err != nil {
		return 0, 0, fmt.Errorf("relay: %w", err)
	}
	held := r.hold(ctx, items)
	defer held.release()
	var errs []error
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		dctx := held.delivery(it.ID)
		if dctx.Err() != nil {
			continue // its claim was lost while it waited
		}
		ok, err := r.deliver(dctx, it)
		held.settled(it.ID)
		if ok {
			delivered++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if n, err := r.Outbox.Pending(ctx); err != nil {
		errs = append(errs, fmt.Errorf("relay: outbox depth: %w", err))
	} else {
		r.metrics.OutboxDepth.Set(float64(n))
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return len(items), delivered, errors.Join(errs...)
}

// retry schedules another attempt after the post failed with perr.
func (r *Relay) retry(ctx context.Context, it store.OutboxItem, channel string, perr error, log *slog.Logger) error {
	now := r.now()
	attempts := it.Attempts + 1
	var wait time.Duration
	var ra *RetryAfterError
	if errors.As(perr, &ra) {
		wait = max(ra.After, r.perChannel())
	} else {
		wait = r.backoff(attempts)
	}
	level := slog.LevelWarn
	if attempts >= r.maxAttempts() {
		wait = max(wait, relayGiveUpInterval)
		level = slog.LevelError
	}
	next := now.Add(wait)
	// The reason is the error text only, never the message body.
	reason := perr.Error()
	log.Log(ctx, level, "outbox delivery failed; will retry", "channel", channel,
		"attempts", attempts, "next", next, "error", reason)
	ok, err := r.Outbox.Retry(ctx, it.ID, r.Owner, next, reason)
	if err != nil {
		return fmt.Errorf("relay: schedule retry of %s: %w", it.ID, err)
	}
	if !ok {
		log.Warn("outbox claim lost before the retry was scheduled")
		return nil
	}
	r.metrics.Retries.Inc()
	return nil
}
