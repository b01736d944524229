package relay

import (
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

// A delivery is one outbox item on its way through the pipeline.
type delivery struct {
	item   store.OutboxItem
	log    *slog.Logger
	post   Post
	key    string // the alarm's thread key; "" when the post is not threaded
	posted bool   // the post is in the channel (posted now, or found from an earlier attempt)
	ts     string // the posted message's timestamp
}

// flow is what a stage says comes next.
type flow int

const (
	next   flow = iota // the next stage
	finish             // settle the item now: nothing (more) to post
	leave              // leave the item claimed: ctx ended or the claim was lost
)

// A stage is one step of a delivery. An error schedules a retry, unless ctx ended: then the
// item is left to its lease.
type stage func(ctx context.Context, d *delivery) (flow, error)

// pipeline is a delivery's stages, in order; settle follows them.
func (r *Relay) pipeline() []stage {
	return []stage{
		r.decode,      // the stored SNS body into a Post: an alarm, a text or a (un)subscription
		r.route,       // the channel it goes to
		r.enrich,      // an ALARM's CloudTrail events
		r.thread,      // the thread an alarm's earlier ALARM started
		r.findEarlier, // the post an interrupted attempt may have made
		r.paceChannel, // the channel's spacing
		r.markAndPost, // the attempt recorded, then the post
	}
}

// deliver runs an item through the pipeline and settles it; ok is true when it was marked
// delivered.
func (r *Relay) deliver(ctx context.Context, it store.OutboxItem) (bool, error) {
	d := &delivery{item: it, log: r.logger().With("message_id", it.ID, "topic", it.TopicARN, "kind", it.Kind)}
	for _, s := range r.stages {
		f, err := s(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				// The lease brings the item back; a post whose outcome is unknown keeps its
				// attempt mark, so the next attempt looks for it first.
				return false, nil
			}
			return false, r.retry(ctx, it, d.post.Channel, err, d.log)
		}
		switch f {
		case leave:
			return false, nil
		case finish:
			return r.settle(ctx, d)
		}
	}
	return r.settle(ctx, d)
}

// decode reads the stored body, verified when it was stored: an SNS message, or the alarm
// JSON a queue delivered unsigned. A body that does not parse, or
// an unknown kind, is a bug, not a reason to retry forever: it is settled without a post.
func (r *Relay) decode(_ context.Context, d *delivery) (flow, error) {
	it := d.item
	m, err := sns.ParseMessage(it.Body)
	if err != nil {
		if a, aerr := alarm.Parse(string(it.Body)); aerr == nil && it.Kind == store.OutboxNotification {
			// An unsigned alarm from a queue (raw delivery, or an EventBridge event read as an
			// alarm), stored under its own ARN once the intake checked its account.
			d.post = Post{MessageID: it.ID, TopicARN: it.TopicARN, Received: it.CreatedAt, Kind: PostAlarm, Alarm: a}
			return next, nil
		}
		d.log.Error("outbox item has an unparsable body; dropping it", "error", err)
		return finish, nil
	}
	d.post = Post{MessageID: it.ID, TopicARN: it.TopicARN, Received: it.CreatedAt}
	if d.post.TopicARN == "" {
		d.post.TopicARN = m.TopicArn
	}
	switch it.Kind {
	case store.OutboxSubscriptionConfirmation:
		d.post.Kind = PostSubscribed
	case store.OutboxUnsubscribeConfirmation:
		d.post.Kind = PostUnsubscribed
	case store.OutboxNotification:
		readNotification(&d.post, m, d.log)
	default:
		d.log.Error("outbox item of unknown kind; dropping it")
		return finish, nil
	}
	return next, nil
}

// readNotification makes p an alarm, or else the message as text: an alarm-shaped message that
// cannot be read is relayed as text rather than lost.
func readNotification(p *Post, m *sns.Message, log *slog.Logger) {
	a, err := alarm.Parse(m.Message)
	if err == nil {
		p.Kind, p.Alarm = PostAlarm, a
		return
	}
	if !errors.Is(err, alarm.ErrNotAlarm) {
		log.Warn("alarm message unparsable; relaying it as text", "error", err)
	}
	p.Kind, p.Text = PostMessage, m.Message
	if m.Subject != nil {
		p.Subject = *m.Subject
	}
}

// route picks the channel; an item with none is settled without a post. An alarm belongs to
// the account that owns its topic: one naming another account (stored before the endpoint
// refused such alarms) is settled without a post, and the channel, the thread key and the
// enrichment of any other alarm derive from the topic's account.
func (r *Relay) route(ctx context.Context, d *delivery) (flow, error) {
	if a := d.post.Alarm; a != nil {
		if err := a.CheckTopic(d.post.TopicARN); err != nil {
			d.log.Error("the alarm names another account than its topic's; not posting it", "error", err)
			return finish, nil
		}
	}
	ch, err := r.Channel(ctx, d.post.TopicARN, d.post.Alarm)
	if err != nil {
		return next, fmt.Errorf("the channel of %s: %w", d.post.TopicARN, err)
	}
	d.post.Channel = ch
	if d.post.Channel == "" {
		d.log.Warn("no channel for this message; not posting it")
		return finish, nil
	}
	return next, nil
}

// enrich adds the CloudTrail events behind an ALARM (not an OK or INSUFFICIENT_DATA), within
// EnrichTimeout: a lookup cut short by it posts the alarm without them, saying so.
func (r *Relay) enrich(ctx context.Context, d *delivery) (flow, error) {
	a := d.post.Alarm
	if a == nil || a.NewState != alarm.StateAlarm || r.Enricher == nil {
		return next, nil
	}
	limit := r.enrichTimeout()
	lookup, cancel := context.WithTimeout(ctx, limit)
	f := r.Enricher.Enrich(lookup, a)
	late := lookup.Err() != nil
	cancel()
	if err := ctx.Err(); err != nil {
		return leave, err
	}
	if late && f.Missing != "" { // a lookup complete at the deadline keeps what it read
		d.log.Warn("the CloudTrail lookup took longer than its deadline; posting the alarm without it",
			"enrich_timeout", limit, "missing", f.Missing)
		f.TimedOut(limit)
	}
	d.post.Findings = &f
	return next, nil
}

// thread looks up the thread of the alarm's first ALARM in the channel, to post into it.
func (r *Relay) thread(ctx context.Context, d *delivery) (flow, error) {
	if r.Threads == nil || d.post.Kind != PostAlarm {
		return next, nil
	}
	if d.key = ThreadKey(d.post.Alarm); d.key == "" {
		return next, nil
	}
	ts, first, found, err := r.Threads.Thread(ctx, d.key, d.post.Channel)
	if err != nil {
		return leave, fmt.Errorf("look up the alarm's thread: %w", err)
	}
	if found {
		d.post.ThreadTS, d.post.first = ts, first
	}
	return next, nil
}

// findEarlier looks for the post of an earlier attempt that may have gone out (the item still
// carries its attempt mark); one found is not posted again.
func (r *Relay) findEarlier(ctx context.Context, d *delivery) (flow, error) {
	if d.item.PostingAt.IsZero() {
		return next, nil
	}
	ts, found, err := r.find(ctx, d.post, d.item.PostingAt, d.log)
	if err != nil {
		return leave, err
	}
	if !found {
		return next, nil
	}
	d.log.Info("an earlier attempt had posted it; not posting it again", "channel", d.post.Channel, "ts", ts)
	d.posted, d.ts = true, ts
	return finish, nil
}

// paceChannel waits for the channel's spacing from the last post to it.
func (r *Relay) paceChannel(ctx context.Context, d *delivery) (flow, error) {
	return next, r.pace(ctx, d.post.Channel)
}

// markAndPost marks the item as being sent (so that a crash from here on is looked up, not
// posted again), then posts it. A post the transport knows did not go out clears the mark.
func (r *Relay) markAndPost(ctx context.Context, d *delivery) (flow, error) {
	it := d.item
	if ok, err := r.Outbox.Posting(ctx, it.ID, r.Owner, r.now()); err != nil {
		return leave, fmt.Errorf("record the attempt: %w", err)
	} else if !ok {
		d.log.Warn("outbox claim lost before posting; leaving the item to its new owner")
		return leave, nil
	}
	ts, err := r.Poster.Post(ctx, d.post)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, ErrNotPosted) {
			if _, cerr := r.Outbox.Posting(ctx, it.ID, r.Owner, time.Time{}); cerr != nil {
				d.log.Warn("could not clear the attempt mark; the next attempt looks the message up first", "error", cerr)
			}
		}
		return leave, err
	}
	d.posted, d.ts = true, ts
	return next, nil
}

// settle finishes an item: records the thread of a post now in the channel, and marks the item
// delivered.
func (r *Relay) settle(ctx context.Context, d *delivery) (bool, error) {
	if d.posted && d.key != "" {
		r.recordThread(ctx, d)
	}
	ok, err := r.Outbox.Delivered(ctx, d.item.ID, r.Owner, r.now())
	if err != nil {
		return false, fmt.Errorf("relay: mark %s delivered: %w", d.item.ID, err)
	}
	if !ok {
		d.log.Warn("outbox claim lost before the item was marked delivered; it may be posted again")
		return false, nil
	}
	r.metrics.Delivered.Inc()
	return true, nil
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

// recordThread records an alarm's thread once d's post is in the channel: a first ALARM starts
// one; a post into a thread updates the first message's status and the recorded state.
// Failures are logged, never retried (a retry would post again).
func (r *Relay) recordThread(ctx context.Context, d *delivery) {
	p, log := d.post, d.log
	first := p.ThreadTS
	var keep []byte // what the first message shows, kept so that its status update shows it still
	if first == "" {
		if p.Alarm.NewState != alarm.StateAlarm {
			return // OK or INSUFFICIENT_DATA without a thread: no thread is started
		}
		if d.ts == "" {
			log.Warn("the alarm was posted without a message timestamp; its later changes will not be threaded")
			return
		}
		first = d.ts
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
	if err := r.Threads.SetThread(ctx, d.key, p.Channel, first, p.Alarm.NewState, keep, r.now()); err != nil {
		log.Error("could not record the alarm's thread", "channel", p.Channel, "ts", first, "error", err)
	}
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
		due := r.last[channel].Add(per)
		if !now.Before(due) {
			r.last[channel] = now
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		t := time.NewTimer(due.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
