package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Post is one message the relay sends to a channel, as meaning rather than layout: the Slack
// adapter renders it.
type Post struct {
	Channel   string
	Kind      string // one of the Post* kinds
	TopicARN  string
	MessageID string    // the SNS MessageId, for support and dedup in logs
	Received  time.Time // when the endpoint stored it
	// Alarm and Context are set for alarm state changes; Context is nil when enrichment was not
	// attempted (OK, INSUFFICIENT_DATA) and carries Missing when it could not be fetched.
	Alarm   *Alarm
	Context *Context
	// Subject and Text are the SNS subject and message of anything that is not an alarm.
	Subject string
	Text    string
	// ThreadTS, when set, posts the message as a reply in the thread whose first message has
	// this timestamp (later state changes of an alarm whose first ALARM started the thread).
	ThreadTS string

	first []byte // the thread's first post as the relay kept it (not serialised)
}

// The kinds of Post.
const (
	PostAlarm        = "alarm"        // a CloudWatch alarm changed state
	PostMessage      = "message"      // any other notification, relayed as plain text
	PostSubscribed   = "subscribed"   // the endpoint confirmed a subscription
	PostUnsubscribed = "unsubscribed" // someone unsubscribed the endpoint: security-relevant
)

// Poster delivers posts; Slack's adapter implements it. ts is the transport's handle of the
// posted message (Slack's message timestamp), used to thread later posts under it; "" when the
// transport has none.
type Poster interface {
	Post(ctx context.Context, p Post) (ts string, err error)
}

// StatusUpdater is an optional interface of a Poster: it rewrites the first message of an
// alarm's thread (channel, ts) to show the alarm's current state and time, keeping what that
// message showed (first: the post that started the thread, with its CloudTrail context).
type StatusUpdater interface {
	UpdateStatus(ctx context.Context, channel, ts string, first Post, now *Alarm) error
}

// Finder is an optional interface of a Poster that makes delivery exactly-once: it finds a
// post already made for p.MessageID in p.Channel (in the thread p.ThreadTS when set) no
// earlier than since. The relay asks it before posting an item whose previous attempt may have
// gone out (a crash, a timeout or a server error after the request was sent).
type Finder interface {
	Find(ctx context.Context, p Post, since time.Time) (ts string, found bool, err error)
}

// ErrNotPosted marks a failed post that the transport knows did not go out (Slack answered with
// an error, or asked to retry later): the next attempt needs no lookup. Wrap it with NotPosted.
var ErrNotPosted = errors.New("not posted")

// NotPosted marks err as a post known not to have gone out; errors.Is(err, ErrNotPosted) holds
// for the result, and its text is err's. nil stays nil.
func NotPosted(err error) error {
	if err == nil {
		return nil
	}
	return notPosted{err}
}

type notPosted struct{ err error }

func (e notPosted) Error() string        { return e.err.Error() }
func (e notPosted) Unwrap() error        { return e.err }
func (e notPosted) Is(target error) bool { return target == ErrNotPosted }

// RetryAfterError is a delivery the transport asks to retry no earlier than After (Slack's
// HTTP 429 Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// Is makes a rate-limited post one that did not go out.
func (e *RetryAfterError) Is(target error) bool { return target == ErrNotPosted }
