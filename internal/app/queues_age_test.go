package app

import (
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/sns"
)

// A queued envelope may be as old as a queue keeps messages: the endpoint's replay guard
// (alerts.max_message_age) would send every alert that waited out an outage to the dead-letter
// queue. Everything else about verification stays the endpoint's.
func TestQueueHandlerAge(t *testing.T) {
	for _, tc := range []struct {
		endpoint, queued time.Duration
	}{
		{time.Hour, QueuedMaxAge},
		{30 * 24 * time.Hour, 30 * 24 * time.Hour}, // a longer limit is kept
		{0, 0}, // the check is off for both
	} {
		h := &sns.Handler{Verifier: &sns.Verifier{Topics: []string{"arn:aws:sns:*:111111111111:cis-alarms"}, MaxAge: tc.endpoint}}
		q := queueHandler(h)
		if q.Verifier.MaxAge != tc.queued {
			t.Errorf("endpoint max age %s: queued %s, want %s", tc.endpoint, q.Verifier.MaxAge, tc.queued)
		}
		if len(q.Verifier.Topics) != 1 || q.Verifier.Topics[0] != h.Verifier.Topics[0] {
			t.Errorf("the queue's verifier accepts %v, want the endpoint's topics", q.Verifier.Topics)
		}
		if h.Verifier.MaxAge != tc.endpoint {
			t.Errorf("the endpoint's max age changed to %s", h.Verifier.MaxAge)
		}
	}
}
