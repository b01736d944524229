package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/fakeclock"
)

// fakePoster is a Poster of our own interface (not Slack): it records posts and can fail.
type fakePoster struct {
	mu    sync.Mutex
	posts []Post
	at    []time.Time               // real time of each Post call
	fail  func(p Post, n int) error // n: earlier calls for this MessageID; nil: succeed
	calls map[string]int
}

func (f *fakePoster) Post(_ context.Context, p Post) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = make(map[string]int)
	}
	n := f.calls[p.MessageID]
	f.calls[p.MessageID]++
	if f.fail != nil {
		if err := f.fail(p, n); err != nil {
			return "", err
		}
	}
	f.posts = append(f.posts, p)
	f.at = append(f.at, time.Now())
	return fmt.Sprintf("1700000000.%06d", len(f.posts)), nil
}

func (f *fakePoster) delivered() []Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Post(nil), f.posts...)
}

type fakeEnricher struct {
	mu     sync.Mutex
	alarms []string
}

func (e *fakeEnricher) Enrich(_ context.Context, a *alarm.Alarm) enrich.Findings {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.alarms = append(e.alarms, a.AlarmName)
	return enrich.Findings{Total: 3}
}

// spyOutbox records what was claimed (to see Attempts and LastError).
type spyOutbox struct {
	Outbox
	mu      sync.Mutex
	claimed []store.OutboxItem
	claims  int // Claim calls: one per pass
}

func (s *spyOutbox) Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, n int) ([]store.OutboxItem, error) {
	items, err := s.Outbox.Claim(ctx, owner, at, lease, n)
	s.mu.Lock()
	s.claimed = append(s.claimed, items...)
	s.claims++
	s.mu.Unlock()
	return items, err
}

const (
	relayAlarmFile = "cloudwatch-alarm/sns-notification-cis-unauthorized-ALARM.SYNTHETIC.json"
	relayOKFile    = "cloudwatch-alarm/sns-notification-2023-route53-OK.json"
	relayTextFile  = "sns/notification-v1-subject-2022.json"
)

// testdataFile finds a sample in the testdata of the package that owns it: SNS bodies (sns/…)
// under internal/sns, alarm notifications (cloudwatch-alarm/…) under internal/alarm.
func testdataFile(name string) string {
	if strings.HasPrefix(name, "sns/") {
		return filepath.Join("..", "sns", "testdata", name)
	}
	return filepath.Join("..", "alarm", "testdata", name)
}

var relayStart = time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)

func relayStore(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var relayKinds = map[string]string{
	sns.TypeNotification:             store.OutboxNotification,
	sns.TypeSubscriptionConfirmation: store.OutboxSubscriptionConfirmation,
	sns.TypeUnsubscribeConfirmation:  store.OutboxUnsubscribeConfirmation,
}

// enqueueBody stores body as the webhook would; it returns the MessageId.
func enqueueBody(t *testing.T, st *store.SQLite, body []byte, at time.Time) string {
	t.Helper()
	m, err := sns.ParseMessage(body)
	if err != nil {
		t.Fatal(err)
	}
	added, err := st.Enqueue(context.Background(), store.OutboxItem{
		ID: m.MessageId, TopicARN: m.TopicArn, Kind: relayKinds[m.Type], Body: body, CreatedAt: at,
	})
	if err != nil || !added {
		t.Fatalf("enqueue %s: added %v, %v", m.MessageId, added, err)
	}
	return m.MessageId
}

func enqueueFile(t *testing.T, st *store.SQLite, name string, at time.Time) string {
	t.Helper()
	body, err := os.ReadFile(testdataFile(name))
	if err != nil {
		t.Fatal(err)
	}
	return enqueueBody(t, st, body, at)
}

// confirmationBody is a (synthetic, unsigned) subscription or unsubscribe confirmation.
func confirmationBody(typ, id string) []byte {
	return []byte(`{"Type":"` + typ + `","MessageId":"` + id + `","Token":"tok",` +
		`"TopicArn":"arn:aws:sns:us-east-1:111122223333:cis-alarms","Message":"You have chosen to subscribe",` +
		`"SubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription","Timestamp":"2026-03-02T10:15:00.000Z",` +
		`"SignatureVersion":"1","Signature":"c2ln","SigningCertURL":"https://sns.us-east-1.amazonaws.com/x.pem"}`)
}

func newTestRelay(st Outbox, p Poster, clock *fakeclock.Clock) *Relay {
	return &Relay{
		Outbox:     st,
		Poster:     p,
		Channel:    func(context.Context, string, *alarm.Alarm) (string, error) { return "C-ALERTS", nil },
		Owner:      "replica-1",
		PerChannel: time.Millisecond,
		Backoff:    func(int) time.Duration { return 30 * time.Second },
		Now:        clock.Now,
	}
}

func pending(t *testing.T, st *store.SQLite) int {
	t.Helper()
	n, err := st.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRelayRunOnce(t *testing.T) {
	tests := []struct {
		name      string
		file      string // under testdata, or "" for body
		body      []byte
		kind      string
		alarm     string // expected AlarmName
		subject   string
		text      string
		enriched  bool
		noChannel bool
	}{
		{name: "alarm ALARM is enriched", file: relayAlarmFile, kind: PostAlarm, alarm: "unauthorized_api_calls_alarm", enriched: true},
		{name: "alarm OK is not enriched", file: relayOKFile, kind: PostAlarm, alarm: "api-jideola domain alarm"},
		{name: "text with subject", file: relayTextFile, kind: PostMessage, subject: "Hello world", text: "Hello world"},
		{name: "text without subject", file: "sns/notification-v1-nosubject-2017.json", kind: PostMessage, text: "A subject-less message"},
		{name: "v2 text", file: "sns/notification-v2-nosubject-2022.json", kind: PostMessage, text: "Hello world"},
		{name: "subscription confirmation", body: confirmationBody(sns.TypeSubscriptionConfirmation, "sub-1"), kind: PostSubscribed},
		{name: "unsubscribe confirmation", body: confirmationBody(sns.TypeUnsubscribeConfirmation, "unsub-1"), kind: PostUnsubscribed},
		{name: "no channel: delivered without posting", file: relayAlarmFile, noChannel: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := relayStore(t)
			var id string
			if tc.file != "" {
				id = enqueueFile(t, st, tc.file, relayStart)
			} else {
				id = enqueueBody(t, st, tc.body, relayStart)
			}
			poster := &fakePoster{}
			enricher := &fakeEnricher{}
			clock := fakeclock.New(relayStart)
			r := newTestRelay(st, poster, clock)
			r.Enricher = enricher
			r.Metrics = NewMetrics(nil)
			if tc.noChannel {
				r.Channel = func(context.Context, string, *alarm.Alarm) (string, error) { return "", nil }
			}
			n, err := r.RunOnce(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("RunOnce = %d, %v; want 1, nil", n, err)
			}
			if p := pending(t, st); p != 0 {
				t.Errorf("pending = %d, want 0", p)
			}
			// A second pass finds nothing.
			if n, err := r.RunOnce(context.Background()); err != nil || n != 0 {
				t.Errorf("second RunOnce = %d, %v; want 0, nil", n, err)
			}
			posts := poster.delivered()
			if tc.noChannel {
				if len(posts) != 0 || len(enricher.alarms) != 0 {
					t.Fatalf("posted %d, enriched %d; want none", len(posts), len(enricher.alarms))
				}
				return
			}
			if len(posts) != 1 {
				t.Fatalf("posted %d times, want 1", len(posts))
			}
			p := posts[0]
			if p.Kind != tc.kind || p.MessageID != id || p.Channel != "C-ALERTS" || !p.Received.Equal(relayStart) || p.TopicARN == "" {
				t.Errorf("post = %+v", p)
			}
			if p.Subject != tc.subject || p.Text != tc.text {
				t.Errorf("subject, text = %q, %q; want %q, %q", p.Subject, p.Text, tc.subject, tc.text)
			}
			switch {
			case tc.alarm == "" && p.Alarm != nil:
				t.Errorf("unexpected alarm %+v", p.Alarm)
			case tc.alarm != "" && (p.Alarm == nil || p.Alarm.AlarmName != tc.alarm):
				t.Errorf("alarm = %+v, want %s", p.Alarm, tc.alarm)
			}
			if tc.enriched {
				if p.Findings == nil || p.Findings.Total != 3 || len(enricher.alarms) != 1 {
					t.Errorf("context = %+v, enrich calls %v; want enriched once", p.Findings, enricher.alarms)
				}
			} else if p.Findings != nil || len(enricher.alarms) != 0 {
				t.Errorf("context = %+v, enrich calls %v; want no enrichment", p.Findings, enricher.alarms)
			}
		})
	}
}

func TestRelayRetries(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		notBefore time.Duration // not claimable before this
		dueBy     time.Duration // claimable by this
		reason    string
	}{
		{name: "error: backoff", err: errors.New("slack: internal_error"), notBefore: 29 * time.Second, dueBy: 30 * time.Second, reason: "slack: internal_error"},
		{name: "retry after", err: &RetryAfterError{After: 45 * time.Second, Err: errors.New("ratelimited")}, notBefore: 44 * time.Second, dueBy: 45 * time.Second, reason: "retry after 45s: ratelimited"},
		{name: "retry after below the channel spacing", err: &RetryAfterError{After: 0, Err: errors.New("ratelimited")}, notBefore: 0, dueBy: time.Millisecond, reason: "retry after 0s: ratelimited"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := relayStore(t)
			id := enqueueFile(t, st, relayTextFile, relayStart)
			poster := &fakePoster{fail: func(_ Post, n int) error {
				if n == 0 {
					return tc.err
				}
				return nil
			}}
			clock := fakeclock.New(relayStart)
			spy := &spyOutbox{Outbox: st}
			r := newTestRelay(spy, poster, clock)
			ctx := context.Background()
			if n, err := r.RunOnce(ctx); err != nil || n != 0 {
				t.Fatalf("first RunOnce = %d, %v; want 0, nil", n, err)
			}
			if p := pending(t, st); p != 1 {
				t.Fatalf("pending = %d, want 1", p)
			}
			if tc.notBefore > 0 {
				clock.Advance(tc.notBefore)
				if n, err := r.RunOnce(ctx); err != nil || n != 0 {
					t.Fatalf("RunOnce before NextAt = %d, %v; want 0, nil", n, err)
				}
				clock.Advance(-tc.notBefore)
			}
			clock.Advance(tc.dueBy)
			if n, err := r.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RunOnce after NextAt = %d, %v; want 1, nil", n, err)
			}
			if p := pending(t, st); p != 0 {
				t.Errorf("pending = %d, want 0", p)
			}
			if got := len(poster.delivered()); got != 1 {
				t.Errorf("delivered %d posts, want 1", got)
			}
			spy.mu.Lock()
			defer spy.mu.Unlock()
			if len(spy.claimed) != 2 {
				t.Fatalf("claimed %d times, want 2", len(spy.claimed))
			}
			if c := spy.claimed[1]; c.ID != id || c.Attempts != 1 || c.LastError != tc.reason {
				t.Errorf("retried item: attempts %d, last error %q; want 1, %q", c.Attempts, c.LastError, tc.reason)
			}
		})
	}
}

func TestRelayMaxAttemptsKeepsItemHourly(t *testing.T) {
	st := relayStore(t)
	enqueueFile(t, st, relayTextFile, relayStart)
	poster := &fakePoster{fail: func(Post, int) error { return errors.New("down") }}
	clock := fakeclock.New(relayStart)
	r := newTestRelay(st, poster, clock)
	r.MaxAttempts = 2
	r.Backoff = func(int) time.Duration { return time.Second }
	ctx := context.Background()
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if _, err := r.RunOnce(ctx); err != nil { // second failure: MaxAttempts reached
		t.Fatal(err)
	}
	clock.Advance(59 * time.Minute)
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	poster.mu.Lock()
	calls := poster.calls
	poster.mu.Unlock()
	for _, n := range calls {
		if n != 2 {
			t.Fatalf("posted %d times within the hour, want 2", n)
		}
	}
	clock.Advance(time.Minute)
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if p := pending(t, st); p != 1 {
		t.Errorf("pending = %d, want 1 (kept, never dropped)", p)
	}
	poster.mu.Lock()
	defer poster.mu.Unlock()
	for _, n := range poster.calls {
		if n != 3 {
			t.Errorf("posted %d times after the hour, want 3", n)
		}
	}
}

func TestRelayTwoOwnersPostOnce(t *testing.T) {
	st := relayStore(t)
	files := []string{relayAlarmFile, relayOKFile, relayTextFile,
		"sns/notification-v1-nosubject-2017.json", "sns/notification-v1-nosubject-2022.json",
		"sns/notification-v1-subject-2017.json", "sns/notification-v2-nosubject-2022.json"}
	for i, f := range files {
		enqueueFile(t, st, f, relayStart.Add(time.Duration(i)*time.Millisecond))
	}
	poster := &fakePoster{}
	clock := fakeclock.New(relayStart.Add(time.Second))
	var wg sync.WaitGroup
	for _, owner := range []string{"replica-a", "replica-b"} {
		r := newTestRelay(st, poster, clock)
		r.Owner, r.Batch = owner, 2
		wg.Go(func() {
			for range 20 {
				if _, err := r.RunOnce(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if p := pending(t, st); p != 0 {
		t.Errorf("pending = %d, want 0", p)
	}
	poster.mu.Lock()
	defer poster.mu.Unlock()
	if len(poster.calls) != len(files) {
		t.Errorf("posted %d messages, want %d", len(poster.calls), len(files))
	}
	for id, n := range poster.calls {
		if n != 1 {
			t.Errorf("%s posted %d times, want 1", id, n)
		}
	}
}

// TestRelayPacesChannel: posts to one channel keep PerChannel apart (DefaultPerChannel when
// zero); a negative PerChannel leaves pacing to Slack's 429s. It runs in a synctest bubble, whose
// clock (the one pacing reads) moves only while the relay waits: the store's work between the
// two posts takes no time there, so the spacing is exactly the pacing wait, not the wait plus
// however long the machine took to write the first item.
func TestRelayPacesChannel(t *testing.T) {
	tests := []struct {
		name string
		per  time.Duration
		gap  time.Duration // between the two posts
	}{
		{"configured", 50 * time.Millisecond, 50 * time.Millisecond},
		{"default", 0, DefaultPerChannel},
		{"off", -1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := relayStore(t)
				enqueueFile(t, st, relayTextFile, relayStart)
				enqueueFile(t, st, "sns/notification-v1-subject-2017.json", relayStart.Add(time.Millisecond))
				poster := &fakePoster{}
				clock := fakeclock.New(relayStart.Add(time.Second))
				r := newTestRelay(st, poster, clock)
				r.PerChannel = tc.per
				if n, err := r.RunOnce(context.Background()); err != nil || n != 2 {
					t.Fatalf("RunOnce = %d, %v; want 2, nil", n, err)
				}
				poster.mu.Lock()
				defer poster.mu.Unlock()
				if len(poster.at) != 2 {
					t.Fatalf("posted %d, want 2", len(poster.at))
				}
				if gap := poster.at[1].Sub(poster.at[0]); gap != tc.gap {
					t.Errorf("posts to one channel %v apart, want %v", gap, tc.gap)
				}
			})
		})
	}
}

// TestRelayRunStopsWithContext: Run delivers what is due, then returns nil as soon as its
// context ends, not at its next poll. In a synctest bubble, "the first pass is over" is
// synctest.Wait (Run waiting for its next poll), not a real-time polling loop.
func TestRelayRunStopsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := relayStore(t)
		enqueueFile(t, st, relayTextFile, relayStart)
		poster := &fakePoster{}
		r := newTestRelay(st, poster, fakeclock.New(relayStart.Add(time.Second)))
		r.Poll = time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		synctest.Wait()
		if p := pending(t, st); p != 0 {
			t.Errorf("pending = %d after the first pass, want 0", p)
		}
		cancel()
		synctest.Wait() // no time passes: Run must not wait for its next poll
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		default:
			t.Fatal("Run still running after its context ended")
		}
		if got := len(poster.delivered()); got != 1 {
			t.Errorf("posted %d, want 1", got)
		}
	})
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 2 * time.Second, 2500 * time.Millisecond},
		{2, 4 * time.Second, 5 * time.Second},
		{5, 32 * time.Second, 40 * time.Second},
		{20, 5 * time.Minute, 5 * time.Minute},
		{1000, 5 * time.Minute, 5 * time.Minute},
	} {
		for range 20 {
			if d := DefaultBackoff(tc.attempt); d < tc.min || d > tc.max {
				t.Errorf("DefaultBackoff(%d) = %v, want in [%v, %v]", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
}

// updatingPoster is a fakePoster that is also a StatusUpdater.
type updatingPoster struct {
	fakePoster
	umu     sync.Mutex
	updates []statusUpdate
	failUpd error
}

type statusUpdate struct {
	channel, ts, state string
	firstID            string // the MessageId of the post that started the thread, as kept
}

func (u *updatingPoster) UpdateStatus(_ context.Context, channel, ts string, first Post, a *alarm.Alarm) error {
	u.umu.Lock()
	defer u.umu.Unlock()
	u.updates = append(u.updates, statusUpdate{channel, ts, a.NewState, first.MessageID})
	return u.failUpd
}

// alarmBody is the synthetic ALARM notification with another MessageId, state, and (when arn
// is not "-") alarm ARN; an empty arn removes it, so the key falls back to account/region/name.
func alarmBody(t *testing.T, id, state, name, arn string) []byte {
	t.Helper()
	raw, err := os.ReadFile(testdataFile(relayAlarmFile))
	if err != nil {
		t.Fatal(err)
	}
	var n map[string]any
	if err := json.Unmarshal(raw, &n); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(n["Message"].(string)), &m); err != nil {
		t.Fatal(err)
	}
	m["NewStateValue"], m["AlarmName"] = state, name
	switch arn {
	case "-":
	case "":
		delete(m, "AlarmArn")
	default:
		m["AlarmArn"] = arn
	}
	msg, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	n["Message"], n["MessageId"] = string(msg), id
	body, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// runAll delivers everything due, one item per pass so that the order is the enqueue order.
func runAll(t *testing.T, r *Relay, want int) {
	t.Helper()
	r.Batch = 1
	for i := range want {
		if n, err := r.RunOnce(context.Background()); err != nil || n != 1 {
			t.Fatalf("RunOnce %d = %d, %v; want 1, nil", i, n, err)
		}
	}
}

func TestRelayThreads(t *testing.T) {
	st := relayStore(t)
	const arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:unauthorized_api_calls_alarm"
	steps := []struct{ id, state, name, arn string }{
		{"m1", alarm.StateAlarm, "unauthorized_api_calls_alarm", arn},
		{"m2", alarm.StateOK, "unauthorized_api_calls_alarm", arn},
		{"m3", alarm.StateAlarm, "unauthorized_api_calls_alarm", arn},
		{"m4", alarm.StateAlarm, "other", "arn:aws:cloudwatch:us-east-1:111122223333:alarm:other"},
		{"m5", alarm.StateOK, "other", "arn:aws:cloudwatch:us-east-1:111122223333:alarm:other"},
	}
	for i, s := range steps {
		enqueueBody(t, st, alarmBody(t, s.id, s.state, s.name, s.arn), relayStart.Add(time.Duration(i)*time.Second))
	}
	poster := &updatingPoster{}
	clock := fakeclock.New(relayStart.Add(time.Minute))
	r := newTestRelay(st, poster, clock)
	r.Threads = st
	runAll(t, r, len(steps))

	posts := poster.delivered()
	if len(posts) != len(steps) {
		t.Fatalf("posted %d, want %d", len(posts), len(steps))
	}
	// The fake answers the n-th post with ts 1700000000.00000n.
	wantThread := []string{"", "1700000000.000001", "1700000000.000001", "", "1700000000.000004"}
	for i, p := range posts {
		if p.MessageID != steps[i].id || p.ThreadTS != wantThread[i] {
			t.Errorf("post %d: %s in thread %q, want %s in %q", i, p.MessageID, p.ThreadTS, steps[i].id, wantThread[i])
		}
	}
	// Each update carries the first post of its thread, so the first message keeps its context.
	wantUpd := []statusUpdate{
		{"C-ALERTS", "1700000000.000001", alarm.StateOK, steps[0].id},
		{"C-ALERTS", "1700000000.000001", alarm.StateAlarm, steps[0].id},
		{"C-ALERTS", "1700000000.000004", alarm.StateOK, steps[3].id},
	}
	if !slices.Equal(poster.updates, wantUpd) {
		t.Errorf("updates = %+v, want %+v", poster.updates, wantUpd)
	}
	if ts, _, found, err := st.Thread(context.Background(), arn, "C-ALERTS"); err != nil || !found || ts != "1700000000.000001" {
		t.Errorf("stored thread = %q, %v, %v", ts, found, err)
	}
}

// TestRelayThreadsFailedUpdate: an OK goes into its ALARM's thread; a failed update of the first
// message is not retried, since the reply was posted.
func TestRelayThreadsFailedUpdate(t *testing.T) {
	st := relayStore(t)
	const arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:upd"
	enqueueBody(t, st, alarmBody(t, "m1", alarm.StateAlarm, "upd", arn), relayStart)
	enqueueBody(t, st, alarmBody(t, "m2", alarm.StateOK, "upd", arn), relayStart.Add(time.Second))
	poster := &updatingPoster{failUpd: errors.New("chat.update failed")}
	r := newTestRelay(st, poster, fakeclock.New(relayStart.Add(time.Minute)))
	r.Threads = st
	runAll(t, r, 2)
	posts := poster.delivered()
	if len(posts) != 2 || posts[0].ThreadTS != "" || posts[1].ThreadTS != "1700000000.000001" {
		t.Fatalf("posts = %+v", posts)
	}
	// A failed status update is not retried: the reply was posted, the item is delivered.
	if len(poster.updates) != 1 || pending(t, st) != 0 {
		t.Errorf("updates %+v, pending %d; want 1 update, nothing pending", poster.updates, pending(t, st))
	}
	if ts, _, found, err := st.Thread(context.Background(), arn, "C-ALERTS"); err != nil || !found || ts != "1700000000.000001" {
		t.Errorf("thread by alarm ARN = %q, %v, %v", ts, found, err)
	}
}

// TestRelayRefusesAlarmWithoutARN: an alarm stored without an AlarmArn (before the endpoint
// required one) cannot be bound to its topic's account, so it is settled and never posted.
func TestRelayRefusesAlarmWithoutARN(t *testing.T) {
	st := relayStore(t)
	enqueueBody(t, st, alarmBody(t, "m1", alarm.StateAlarm, "noarn", ""), relayStart)
	poster := &updatingPoster{}
	r := newTestRelay(st, poster, fakeclock.New(relayStart.Add(time.Minute)))
	runAll(t, r, 1)
	if posts := poster.delivered(); len(posts) != 0 || pending(t, st) != 0 {
		t.Errorf("posts %+v, pending %d; want nothing posted and the item settled", posts, pending(t, st))
	}
}

// TestRelayThreadsOKFirst: an OK (or INSUFFICIENT_DATA) without a thread is posted at the top
// level and starts no thread; without Threads nothing is threaded.
func TestRelayThreadsOKFirst(t *testing.T) {
	st := relayStore(t)
	const arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:a"
	enqueueBody(t, st, alarmBody(t, "m1", alarm.StateOK, "a", arn), relayStart)
	enqueueBody(t, st, alarmBody(t, "m2", alarm.StateInsufficientData, "a", arn), relayStart.Add(time.Second))
	enqueueBody(t, st, alarmBody(t, "m3", alarm.StateAlarm, "a", arn), relayStart.Add(2*time.Second))
	poster := &updatingPoster{}
	r := newTestRelay(st, poster, fakeclock.New(relayStart.Add(time.Minute)))
	r.Threads = st
	runAll(t, r, 3)
	for i, p := range poster.delivered() {
		if p.ThreadTS != "" {
			t.Errorf("post %d in thread %q, want top level", i, p.ThreadTS)
		}
	}
	if len(poster.updates) != 0 {
		t.Errorf("updates = %+v, want none", poster.updates)
	}
	if ts, _, found, _ := st.Thread(context.Background(), arn, "C-ALERTS"); !found || ts != "1700000000.000003" {
		t.Errorf("thread = %q, %v; want the ALARM's message", ts, found)
	}

	// No Threads: a later change of a threaded alarm is posted at the top level.
	enqueueBody(t, st, alarmBody(t, "m4", alarm.StateOK, "a", arn), relayStart.Add(3*time.Second))
	r.Threads = nil
	runAll(t, r, 1)
	if p := poster.delivered()[3]; p.ThreadTS != "" {
		t.Errorf("without Threads: posted in thread %q", p.ThreadTS)
	}
}
