package relay_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/store"
)

// recordingPoster is a Poster of our own interface (not Slack) that keeps every post.
type recordingPoster struct {
	mu    sync.Mutex
	posts []relay.Post
}

func (p *recordingPoster) Post(_ context.Context, post relay.Post) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, post)
	return fmt.Sprintf("1700000000.%06d", len(p.posts)), nil
}

func (p *recordingPoster) sent() []relay.Post {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]relay.Post(nil), p.posts...)
}

// timesPosted counts the posts of each message.
func timesPosted(posts []relay.Post) map[string]int {
	n := map[string]int{}
	for _, p := range posts {
		n[p.MessageID]++
	}
	return n
}

func openStore(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// alarmNotification is an (unsigned) SNS notification of an ALARM of account's metric
// CISBenchmark/metric in us-east-1, changed at changed, from a topic of the same account.
func alarmNotification(id, account, name, metric string, changed time.Time) []byte {
	msg := fmt.Sprintf(`{"AlarmName":%q,"AWSAccountId":%q,"NewStateValue":"ALARM","OldStateValue":"OK",`+
		`"NewStateReason":"Threshold Crossed","StateChangeTime":%q,"Region":"US East (N. Virginia)",`+
		`"AlarmArn":"arn:aws:cloudwatch:us-east-1:%s:alarm:%s",`+
		`"Trigger":{"MetricName":%q,"Namespace":"CISBenchmark","StatisticType":"Statistic","Statistic":"SUM",`+
		`"Dimensions":[],"Period":300,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Threshold":1.0}}`,
		name, account, changed.UTC().Format("2006-01-02T15:04:05.000-0700"), account, name, metric)
	return notification(id, account, "ALARM: "+name, msg)
}

// notification is an (unsigned) SNS notification of a topic of account.
func notification(id, account, subject, message string) []byte {
	return fmt.Appendf(nil, `{"Type":"Notification","MessageId":%q,"TopicArn":"arn:aws:sns:us-east-1:%s:cis-alarms",`+
		`"Subject":%q,"Message":%q,"Timestamp":"2026-03-02T10:20:41.601Z","SignatureVersion":"1","Signature":"c2ln",`+
		`"SigningCertURL":"https://sns.us-east-1.amazonaws.com/x.pem"}`, id, account, subject, message)
}

func enqueue(t *testing.T, st *store.SQLite, id, account string, body []byte, at time.Time) {
	t.Helper()
	added, err := st.Enqueue(context.Background(), store.OutboxItem{
		ID: id, TopicARN: "arn:aws:sns:us-east-1:" + account + ":cis-alarms", Kind: store.OutboxNotification, Body: body, CreatedAt: at,
	})
	if err != nil || !added {
		t.Fatalf("enqueue %s: added %v, %v", id, added, err)
	}
}

// slowEnricher takes d to look an alarm up (less when its ctx ends first).
type slowEnricher struct{ d time.Duration }

func (e slowEnricher) Enrich(ctx context.Context, _ *alarm.Alarm) enrich.Findings {
	t := time.NewTimer(e.d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return enrich.Findings{Missing: "logs:FilterLogEvents: " + ctx.Err().Error()}
	case <-t.C:
		return enrich.Findings{Total: 1}
	}
}

// TestRelayRenewsClaims: a second replica on the same store, passing every three minutes
// during a ten-minute enrichment (five times the two-minute lease), takes neither the item
// being enriched nor the one waiting behind it, and each is posted once. Without the renewal
// it took both when the lease expired and the alarm was posted twice.
func TestRelayRenewsClaims(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := openStore(t)
		const account = "111122223333"
		start := time.Now()
		enqueue(t, st, "alarm-1", account, alarmNotification("alarm-1", account, "unauthorized-api-calls", "UnauthorizedAPICalls", start), start)
		enqueue(t, st, "text-1", account, notification("text-1", account, "hello", "a plain message"), start)

		poster := &recordingPoster{}
		replica := func(owner string) *relay.Relay {
			return &relay.Relay{
				Outbox:        st,
				Poster:        poster,
				Enricher:      slowEnricher{d: 10 * time.Minute},
				EnrichTimeout: time.Hour,
				Channel:       func(context.Context, string, *alarm.Alarm) (string, error) { return "C-ALERTS", nil },
				Owner:         owner,
				PerChannel:    -1,
				Logger:        slog.New(slog.DiscardHandler),
			}
		}
		a, b := replica("replica-a"), replica("replica-b")
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := a.RunOnce(ctx)
			done <- result{n, err}
		}()
		synctest.Wait() // a holds both items and is enriching the alarm
		for i := 1; i <= 3; i++ {
			time.Sleep(3 * time.Minute)
			if n, err := b.RunOnce(ctx); err != nil || n != 0 {
				t.Errorf("replica b at %v: delivered %d, %v; want 0 (a's claims are live)", time.Since(start), n, err)
			}
		}
		r := <-done
		if r.err != nil || r.n != 2 {
			t.Errorf("replica a delivered %d, %v; want 2", r.n, r.err)
		}
		if n, err := b.RunOnce(ctx); err != nil || n != 0 {
			t.Errorf("replica b after a finished: delivered %d, %v; want 0", n, err)
		}
		if got := timesPosted(poster.sent()); len(got) != 2 || got["alarm-1"] != 1 || got["text-1"] != 1 {
			t.Errorf("posts per message = %v, want alarm-1 and text-1 once each", got)
		}
		if n, err := st.Pending(ctx); err != nil || n != 0 {
			t.Errorf("pending = %d, %v; want 0", n, err)
		}
	})
}

// TestRelayLostClaimStopsDelivery: when the claim cannot be renewed (another replica took the
// item after the lease, as when this one stalled), the delivery under way stops at once rather
// than when its lookup ends, posts nothing, and the item is the new owner's.
func TestRelayLostClaimStopsDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := openStore(t)
		const account = "111122223333"
		start := time.Now()
		enqueue(t, st, "alarm-1", account, alarmNotification("alarm-1", account, "unauthorized-api-calls", "UnauthorizedAPICalls", start), start)
		poster := &recordingPoster{}
		// b claims at a time past a's first lease, as when a stalled past it before renewing.
		a := &relay.Relay{
			Outbox: st, Poster: poster, Enricher: slowEnricher{d: 10 * time.Minute}, EnrichTimeout: time.Hour,
			Channel: func(context.Context, string, *alarm.Alarm) (string, error) { return "C-ALERTS", nil },
			Owner:   "replica-a", PerChannel: -1, Lease: 3 * time.Minute,
			Logger: slog.New(slog.DiscardHandler),
		}
		done := make(chan int, 1)
		go func() {
			n, _ := a.RunOnce(ctx)
			done <- n
		}()
		synctest.Wait()
		items, err := st.Claim(ctx, "replica-b", start.Add(3*time.Minute), time.Hour, 10)
		if err != nil || len(items) != 1 {
			t.Fatalf("replica b's claim after a's lease = %d items, %v; want the alarm", len(items), err)
		}
		if n := <-done; n != 0 {
			t.Errorf("replica a delivered %d after losing its claim, want 0", n)
		}
		// The first renewal (lease/3) finds the claim lost and ends the enrichment there.
		if took := time.Since(start); took != time.Minute {
			t.Errorf("replica a gave up after %v, want 1m (its first renewal), not when the lookup ended", took)
		}
		if got := len(poster.sent()); got != 0 {
			t.Errorf("replica a posted %d messages after losing its claim, want 0", got)
		}
		if ok, err := st.Delivered(ctx, "alarm-1", "replica-b", start.Add(4*time.Minute)); err != nil || !ok {
			t.Errorf("replica b marking it delivered = %v, %v; want true", ok, err)
		}
	})
}
