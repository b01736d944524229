package relay

import (
	"context"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
)

// Post is one message the relay sends to a channel, as meaning rather than layout: the Slack
// adapter renders it.
type Post struct {
	Channel   string
	Kind      string // one of the Post* kinds
	TopicARN  string
	MessageID string    // the SNS MessageId, for support and dedup in logs
	Received  time.Time // when the endpoint stored it
	// Alarm and Findings are set for alarm state changes; Findings is nil when enrichment was
	// not attempted (OK, INSUFFICIENT_DATA) and carries Missing when it could not be fetched.
	// (Its JSON key is the one stored with the threads' first posts.)
	Alarm    *alarm.Alarm
	Findings *enrich.Findings `json:"Context"`
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
	UpdateStatus(ctx context.Context, channel, ts string, first Post, now *alarm.Alarm) error
}

// Finder is an optional interface of a Poster that makes delivery exactly-once: it finds a
// post already made for p.MessageID in p.Channel (in the thread p.ThreadTS when set) no
// earlier than since. The relay asks it before posting an item whose previous attempt may have
// gone out (a crash, a timeout or a server error after the request was sent).
type Finder interface {
	Find(ctx context.Context, p Post, since time.Time) (ts string, found bool, err error)
}
