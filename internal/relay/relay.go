// Package relay delivers the outbox to the channels: a worker claims the notifications the
// SNS endpoint stored, turns each into a Post (an alarm, enriched with its CloudTrail events,
// or plain text) and hands it to a Poster exactly once, pacing each channel, retrying with
// backoff and threading an alarm's later state changes under its first post. It also defines
// the delivery errors a Poster returns (ErrNotPosted, NotPosted, RetryAfterError).
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/store"
)

// Outbox is what the relay needs of the store's outbox (store.Store satisfies it).
type Outbox interface {
	Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, n int) ([]store.OutboxItem, error)
	Delivered(ctx context.Context, id, owner string, at time.Time) (bool, error)
	Retry(ctx context.Context, id, owner string, next time.Time, reason string) (bool, error)
	Posting(ctx context.Context, id, owner string, at time.Time) (bool, error)
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

// ThreadKey is the identity of an alarm for threading: its ARN, else account/region/name; ""
// when the alarm has neither an ARN nor a name.
func ThreadKey(a *alarm.Alarm) string {
	if a == nil {
		return ""
	}
	if a.AlarmArn != "" {
		return a.AlarmArn
	}
	if a.AlarmName == "" {
		return ""
	}
	return a.AWSAccountID + "/" + a.RegionCode + "/" + a.AlarmName
}

// Relay defaults.
const (
	DefaultLease       = 2 * time.Minute
	DefaultPoll        = time.Second
	DefaultBatch       = 10
	DefaultMaxAttempts = 20
	DefaultPerChannel  = time.Second // Slack's ~1 message/s per channel
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
type Relay struct {
	Outbox Outbox
	Poster Poster
	// Threads threads an alarm's state changes: the first ALARM of an alarm starts a message,
	// and later changes (OK, ALARM again) are posted into its thread and update the first
	// message's status (when the Poster is also a StatusUpdater). nil: no threading.
	Threads Threads
	// Enricher fetches the CloudTrail context of an ALARM; nil: no enrichment.
	Enricher interface {
		Enrich(ctx context.Context, a *alarm.Alarm) enrich.Findings
	}
	// Channel says where a post goes (the wiring maps the alarm's account to
	// accounts[].channel, else a default); a is nil for anything but an alarm. "" means
	// nowhere: the item is marked delivered with a log warning. Required.
	Channel func(topicARN string, a *alarm.Alarm) string
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
	Metrics    *sns.Metrics  // outbox depth, set after each pass; nil: none
	Counters   *RelayMetrics // delivered and retries; nil: none

	mu   sync.Mutex
	last map[string]time.Time // channel -> time of the last post to it
}

// RelayMetrics are the relay's counters. A nil *RelayMetrics counts nothing.
type RelayMetrics struct {
	Delivered prometheus.Counter
	Retries   prometheus.Counter
}

// NewRelayMetrics creates the relay's counters and registers them with reg (unless nil).
func NewRelayMetrics(reg prometheus.Registerer) *RelayMetrics {
	m := &RelayMetrics{
		Delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "outbox", Name: "delivered_total",
			Help: "Outbox messages delivered (or settled without a post).",
		}),
		Retries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "outbox", Name: "retries_total",
			Help: "Outbox deliveries that failed and were scheduled again.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Delivered, m.Retries)
	}
	return m
}

func (m *RelayMetrics) delivered() {
	if m != nil {
		m.Delivered.Inc()
	}
}

func (m *RelayMetrics) retried() {
	if m != nil {
		m.Retries.Inc()
	}
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
	if err := r.check(); err != nil {
		return err
	}
	// A process that just started holds no claim: whatever is claimed under its owner name was
	// held by its previous life, and is due again now rather than when the lease expires.
	if n, err := r.Outbox.ReleaseClaims(ctx, r.Owner); err != nil {
		r.logger().Error("could not take back the outbox items held before a restart; they are delivered when their lease expires", "owner", r.Owner, "error", err)
	} else if n > 0 {
		r.logger().Info("took back outbox items held before a restart", "owner", r.Owner, "items", n)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		claimed, _, err := r.pass(ctx)
		if err != nil && ctx.Err() == nil {
			r.logger().Error("outbox relay pass failed", "error", err)
		}
		if claimed == r.batch() && err == nil {
			t.Reset(0)
		} else {
			t.Reset(r.poll())
		}
	}
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
	if err := r.check(); err != nil {
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
	var errs []error
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		ok, err := r.deliver(ctx, it)
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
		r.Metrics.SetOutboxDepth(n)
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return len(items), delivered, errors.Join(errs...)
}

// deliver posts one item and settles it; ok is true when it was marked delivered.
func (r *Relay) deliver(ctx context.Context, it store.OutboxItem) (bool, error) {
	log := r.logger().With("message_id", it.ID, "topic", it.TopicARN, "kind", it.Kind)
	m, err := sns.ParseMessage(it.Body)
	if err != nil {
		// It was verified when stored: a bug, not a reason to retry forever.
		log.Error("outbox item has an unparsable body; dropping it", "error", err)
		return r.settle(ctx, it, log)
	}
	p := Post{MessageID: it.ID, TopicARN: it.TopicARN, Received: it.CreatedAt}
	if p.TopicARN == "" {
		p.TopicARN = m.TopicArn
	}
	switch it.Kind {
	case store.OutboxSubscriptionConfirmation:
		p.Kind = PostSubscribed
	case store.OutboxUnsubscribeConfirmation:
		p.Kind = PostUnsubscribed
	case store.OutboxNotification:
		a, err := alarm.Parse(m.Message)
		switch {
		case err == nil:
			p.Kind, p.Alarm = PostAlarm, a
		case errors.Is(err, alarm.ErrNotAlarm):
			p.Kind, p.Text = PostMessage, m.Message
			if m.Subject != nil {
				p.Subject = *m.Subject
			}
		default:
			// An alarm-shaped message we cannot read: relay it as text rather than lose it.
			log.Warn("alarm message unparsable; relaying it as text", "error", err)
			p.Kind, p.Text = PostMessage, m.Message
			if m.Subject != nil {
				p.Subject = *m.Subject
			}
		}
	default:
		log.Error("outbox item of unknown kind; dropping it")
		return r.settle(ctx, it, log)
	}
	p.Channel = r.Channel(p.TopicARN, p.Alarm)
	if p.Channel == "" {
		log.Warn("no channel for this message; not posting it")
		return r.settle(ctx, it, log)
	}
	if p.Alarm != nil && p.Alarm.NewState == alarm.StateAlarm && r.Enricher != nil {
		f := r.Enricher.Enrich(ctx, p.Alarm)
		p.Findings = &f
	}
	key := ""
	if r.Threads != nil && p.Kind == PostAlarm {
		key = ThreadKey(p.Alarm)
	}
	if key != "" {
		ts, firstPost, found, err := r.Threads.Thread(ctx, key, p.Channel)
		if err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			return false, r.retry(ctx, it, p.Channel, fmt.Errorf("look up the alarm's thread: %w", err), log)
		}
		if found {
			p.ThreadTS = ts
			p.first = firstPost
		}
	}
	if !it.PostingAt.IsZero() {
		ts, found, err := r.find(ctx, p, it.PostingAt, log)
		if err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			return false, r.retry(ctx, it, p.Channel, err, log)
		}
		if found {
			log.Info("an earlier attempt had posted it; not posting it again", "channel", p.Channel, "ts", ts)
			return r.posted(ctx, it, key, p, ts, log)
		}
	}
	if err := r.pace(ctx, p.Channel); err != nil {
		return false, nil // ctx ended; the lease brings the item back
	}
	if ok, err := r.Outbox.Posting(ctx, it.ID, r.Owner, r.now()); err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return false, r.retry(ctx, it, p.Channel, fmt.Errorf("record the attempt: %w", err), log)
	} else if !ok {
		log.Warn("outbox claim lost before posting; leaving the item to its new owner")
		return false, nil
	}
	ts, err := r.Poster.Post(ctx, p)
	if err != nil {
		if ctx.Err() != nil {
			return false, nil // the outcome is unknown: the mark stays, the next attempt looks first
		}
		if errors.Is(err, ErrNotPosted) {
			if _, cerr := r.Outbox.Posting(ctx, it.ID, r.Owner, time.Time{}); cerr != nil {
				log.Warn("could not clear the attempt mark; the next attempt looks the message up first", "error", cerr)
			}
		}
		return false, r.retry(ctx, it, p.Channel, err, log)
	}
	return r.posted(ctx, it, key, p, ts, log)
}

// posted finishes an item whose post is in the channel as ts: threads it, marks it delivered.
func (r *Relay) posted(ctx context.Context, it store.OutboxItem, key string, p Post, ts string, log *slog.Logger) (bool, error) {
	if key != "" {
		r.thread(ctx, key, p, ts, log)
	}
	return r.settle(ctx, it, log)
}

// find looks for the post an earlier attempt at sent may have made. A rate limit is returned
// (the item is retried later); any other failure to look is logged and reported as not found,
// so the item is posted again rather than held back: a message may appear twice, never lost.
func (r *Relay) find(ctx context.Context, p Post, sent time.Time, log *slog.Logger) (ts string, found bool, err error) {
	f, ok := r.Poster.(Finder)
	if !ok {
		return "", false, nil
	}
	ts, found, err = f.Find(ctx, p, sent.Add(-findSkew))
	if err == nil || ctx.Err() != nil {
		return ts, found, err
	}
	if _, limited := errors.AsType[*RetryAfterError](err); limited {
		return "", false, fmt.Errorf("look up whether an earlier attempt posted it: %w", err)
	}
	log.Warn("could not look up whether an earlier attempt posted this message; posting it again, so it may appear twice",
		"channel", p.Channel, "error", err)
	return "", false, nil
}

// thread records an alarm's thread after p was posted (ts is the posted message): a first
// ALARM starts one; a post into a thread updates the first message's status and the recorded
// state. It is done once the post went out, so failures are logged, never retried (a retry
// would post again).
func (r *Relay) thread(ctx context.Context, key string, p Post, ts string, log *slog.Logger) {
	first := p.ThreadTS
	var keep []byte // what the first message shows, kept so that its status update shows it still
	if first == "" {
		if p.Alarm.NewState != alarm.StateAlarm {
			return // OK or INSUFFICIENT_DATA without a thread: no thread is started
		}
		if ts == "" {
			log.Warn("the alarm was posted without a message timestamp; its later changes will not be threaded")
			return
		}
		first = ts
		if b, err := json.Marshal(p); err == nil {
			keep = b
		}
	} else if u, ok := r.Poster.(StatusUpdater); ok {
		var original Post
		if len(p.first) == 0 || json.Unmarshal(p.first, &original) != nil {
			original = Post{Kind: PostAlarm, Channel: p.Channel, Alarm: p.Alarm}
		}
		if err := u.UpdateStatus(ctx, p.Channel, first, original, p.Alarm); err != nil {
			log.Warn("could not update the status of the alarm's first message", "channel", p.Channel, "ts", first, "error", err)
		}
	}
	if err := r.Threads.SetThread(ctx, key, p.Channel, first, p.Alarm.NewState, keep, r.now()); err != nil {
		log.Error("could not record the alarm's thread", "channel", p.Channel, "ts", first, "error", err)
	}
}

// settle marks it delivered.
func (r *Relay) settle(ctx context.Context, it store.OutboxItem, log *slog.Logger) (bool, error) {
	ok, err := r.Outbox.Delivered(ctx, it.ID, r.Owner, r.now())
	if err != nil {
		return false, fmt.Errorf("relay: mark %s delivered: %w", it.ID, err)
	}
	if !ok {
		log.Warn("outbox claim lost before the item was marked delivered; it may be posted again")
		return false, nil
	}
	r.Counters.delivered()
	return true, nil
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
	r.Counters.retried()
	return nil
}

// pace waits (respecting ctx) until a post to channel keeps PerChannel from the last one, and
// records the post's time.
func (r *Relay) pace(ctx context.Context, channel string) error {
	per := r.perChannel()
	for {
		r.mu.Lock()
		if r.last == nil {
			r.last = make(map[string]time.Time)
		}
		now := time.Now()
		next := r.last[channel].Add(per)
		if !now.Before(next) {
			r.last[channel] = now
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
