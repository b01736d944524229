package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/testutil/fakeclock"
)

// channelPoster is a Poster and Finder of our own interface (not Slack) that keeps what was
// posted, as a channel does, so a lookup can find an earlier attempt's post.
type channelPoster struct {
	mu    sync.Mutex
	msgs  map[string]string // MessageID -> ts of every message in the channel
	posts map[string]int    // MessageID -> messages posted
	calls map[string]int    // MessageID -> Post calls
	into  map[string]string // MessageID -> the thread it was posted into
	finds int
	// fail makes the nth Post call of a message (from 0) fail; posted says the message went
	// out all the same (the answer was lost).
	fail func(n int) (err error, posted bool)
	// findErr makes the nth Find call fail.
	findErr func(n int) error
}

func newChannelPoster() *channelPoster {
	return &channelPoster{msgs: map[string]string{}, posts: map[string]int{}, calls: map[string]int{}, into: map[string]string{}}
}

func (c *channelPoster) add(id string) string {
	c.posts[id]++
	ts := fmt.Sprintf("1700000000.%06d", len(c.msgs)+1)
	c.msgs[id] = ts
	return ts
}

func (c *channelPoster) Post(_ context.Context, p Post) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.calls[p.MessageID]
	c.calls[p.MessageID]++
	c.into[p.MessageID] = p.ThreadTS
	if c.fail != nil {
		if err, posted := c.fail(n); err != nil {
			if posted {
				c.add(p.MessageID)
			}
			return "", err
		}
	}
	return c.add(p.MessageID), nil
}

func (c *channelPoster) Find(_ context.Context, p Post, since time.Time) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.finds
	c.finds++
	if c.findErr != nil {
		if err := c.findErr(n); err != nil {
			return "", false, err
		}
	}
	if since.IsZero() {
		return "", false, errors.New("no lower bound for the lookup")
	}
	ts, ok := c.msgs[p.MessageID]
	return ts, ok, nil
}

// TestRelayExactlyOnce: whatever happened to an earlier attempt (a crash after or before the
// post, an error with or without the post going out, a failed lookup), the message is in the
// channel once after the item is delivered, and a lookup is made only when needed.
func TestRelayExactlyOnce(t *testing.T) {
	serverError := errors.New("slack server error: 500 Internal Server Error")
	tests := []struct {
		name string
		// crashed: a relay that died holding the item had marked it as being sent, and had
		// (true) or had not (false) posted it.
		crashed, crashPosted bool
		fail                 func(n int) (error, bool)
		findErr              func(n int) error
		passes               int // RunOnce passes, 31 s apart, until delivered
		wantFinds            int
		wantCalls            int
	}{
		{name: "crash after the post: found, not posted again", crashed: true, crashPosted: true, passes: 1, wantFinds: 1, wantCalls: 0},
		{name: "crash before the post: looked up, posted", crashed: true, passes: 1, wantFinds: 1, wantCalls: 1},
		{name: "no earlier attempt: no lookup", passes: 1, wantFinds: 0, wantCalls: 1},
		{
			name:   "known failure (Slack error): the retry needs no lookup",
			fail:   func(n int) (error, bool) { return errIf(n == 0, NotPosted(errors.New("slack: internal_error"))), false },
			passes: 2, wantFinds: 0, wantCalls: 2,
		},
		{
			name: "rate limited: the retry needs no lookup",
			fail: func(n int) (error, bool) {
				return errIf(n == 0, &RetryAfterError{After: time.Second, Err: errors.New("ratelimited")}), false
			},
			passes: 2, wantFinds: 0, wantCalls: 2,
		},
		{
			name:   "server error after the post went out: found, not posted again",
			fail:   func(n int) (error, bool) { return errIf(n == 0, serverError), true },
			passes: 2, wantFinds: 1, wantCalls: 1,
		},
		{
			name:   "server error, nothing posted: looked up, posted",
			fail:   func(n int) (error, bool) { return errIf(n == 0, serverError), false },
			passes: 2, wantFinds: 1, wantCalls: 2,
		},
		{
			name:    "lookup rate limited: retried, then found",
			crashed: true, crashPosted: true,
			findErr: func(n int) error {
				return errIf(n == 0, &RetryAfterError{After: time.Second, Err: errors.New("ratelimited")})
			},
			passes: 2, wantFinds: 2, wantCalls: 0,
		},
		{
			name:    "lookup impossible (missing scope): posted rather than held back",
			crashed: true,
			findErr: func(int) error { return errors.New("slack: missing_scope") },
			passes:  1, wantFinds: 1, wantCalls: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := relayStore(t)
			id := enqueueFile(t, st, relayTextFile, relayStart)
			poster := newChannelPoster()
			poster.fail, poster.findErr = tc.fail, tc.findErr
			clock := fakeclock.New(relayStart)
			r := newTestRelay(st, poster, clock)
			if tc.crashed {
				if got, err := st.Claim(ctx, "dead", relayStart, time.Minute, 1); err != nil || len(got) != 1 {
					t.Fatalf("claim by the dead relay = %v, %v", got, err)
				}
				if ok, err := st.Posting(ctx, id, "dead", relayStart); err != nil || !ok {
					t.Fatalf("Posting = %v, %v", ok, err)
				}
				if tc.crashPosted {
					poster.add(id)
				}
				clock.Advance(time.Minute) // the dead relay's lease expires
			}
			delivered := 0
			for range tc.passes {
				n, err := r.RunOnce(ctx)
				if err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
				delivered += n
				clock.Advance(31 * time.Second)
			}
			if delivered != 1 || pending(t, st) != 0 {
				t.Fatalf("delivered %d, pending %d after %d passes; want 1, 0", delivered, pending(t, st), tc.passes)
			}
			if poster.posts[id] != 1 {
				t.Errorf("the message is in the channel %d times, want once", poster.posts[id])
			}
			if poster.finds != tc.wantFinds || poster.calls[id] != tc.wantCalls {
				t.Errorf("lookups %d, post calls %d; want %d, %d", poster.finds, poster.calls[id], tc.wantFinds, tc.wantCalls)
			}
		})
	}
}

func errIf(cond bool, err error) error {
	if cond {
		return err
	}
	return nil
}

// TestRelayCrashBeforeThreadRecorded: a relay that posted an alarm's first ALARM and died before
// recording its thread: the next relay finds the post, records the thread under it, and the
// alarm's OK then goes into that thread.
func TestRelayCrashBeforeThreadRecorded(t *testing.T) {
	ctx := context.Background()
	st := relayStore(t)
	const arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:cis-unauthorized"
	alarmID := enqueueBody(t, st, alarmBody(t, "m-alarm", alarm.StateAlarm, "cis-unauthorized", arn), relayStart)
	poster := newChannelPoster()
	clock := fakeclock.New(relayStart)
	if got, err := st.Claim(ctx, "dead", relayStart, time.Minute, 1); err != nil || len(got) != 1 {
		t.Fatalf("claim by the dead relay = %v, %v", got, err)
	}
	if ok, err := st.Posting(ctx, alarmID, "dead", relayStart); err != nil || !ok {
		t.Fatalf("Posting = %v, %v", ok, err)
	}
	first := poster.add(alarmID)
	clock.Advance(time.Minute)
	r := newTestRelay(st, poster, clock)
	r.Threads = st
	if n, err := r.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	ts, _, found, err := st.Thread(ctx, arn, "C-ALERTS")
	if err != nil || !found || ts != first {
		t.Fatalf("thread = %q, %v, %v; want the earlier post %q", ts, found, err, first)
	}
	if poster.posts[alarmID] != 1 || poster.calls[alarmID] != 0 {
		t.Errorf("ALARM in the channel %d times after %d calls; want once, no call", poster.posts[alarmID], poster.calls[alarmID])
	}
	ok := enqueueBody(t, st, alarmBody(t, "m-ok", alarm.StateOK, "cis-unauthorized", arn), clock.Now())
	if n, err := r.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce(OK) = %d, %v", n, err)
	}
	if poster.into[ok] != first {
		t.Errorf("OK posted into thread %q, want %q", poster.into[ok], first)
	}
}

// TestRelayRunTakesBackItsClaims: a relay restarted under the same owner delivers what its
// previous life held at once, not when that claim's lease expires; another owner's claim waits,
// however many passes follow. In a synctest bubble the passes are counted, not guessed from a
// sleep.
func TestRelayRunTakesBackItsClaims(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := relayStore(t)
		mine := enqueueBody(t, st, confirmationBody(sns.TypeSubscriptionConfirmation, "mine"), relayStart)
		clock := fakeclock.New(relayStart.Add(time.Second))
		if got, err := st.Claim(ctx, "replica-1", clock.Now(), time.Hour, 1); err != nil || len(got) != 1 {
			t.Fatalf("claim = %v, %v", got, err)
		}
		theirs := enqueueBody(t, st, confirmationBody(sns.TypeSubscriptionConfirmation, "theirs"), relayStart)
		if got, err := st.Claim(ctx, "replica-2", clock.Now(), time.Hour, 1); err != nil || len(got) != 1 {
			t.Fatalf("claim = %v, %v", got, err)
		}
		poster := newChannelPoster()
		spy := &spyOutbox{Outbox: st}
		r := newTestRelay(spy, poster, clock) // owner replica-1
		r.Poll = 5 * time.Millisecond
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
		synctest.Wait() // the first pass is over
		if p := pending(t, st); p != 1 {
			t.Errorf("pending = %d after the first pass, want 1 (the other owner's)", p)
		}
		time.Sleep(22 * time.Millisecond) // four more passes, at 5, 10, 15 and 20 ms
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		spy.mu.Lock()
		if spy.claims != 5 {
			t.Errorf("%d passes, want 5", spy.claims)
		}
		spy.mu.Unlock()
		poster.mu.Lock()
		defer poster.mu.Unlock()
		if poster.posts[mine] != 1 || poster.posts[theirs] != 0 {
			t.Errorf("posts: mine %d, theirs %d; want 1, 0", poster.posts[mine], poster.posts[theirs])
		}
	})
}

// TestRelayRunDrainsBacklog: a full batch is followed by the next pass at once, so a backlog is
// not delivered one batch per Poll. In a synctest bubble a minute passes (the paced posts take
// 6 ms of it), far less than the Poll: a relay that waited a Poll after a full batch would still
// hold most of the backlog.
func TestRelayRunDrainsBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := relayStore(t)
		for i := range 7 {
			enqueueBody(t, st, confirmationBody(sns.TypeSubscriptionConfirmation, fmt.Sprint("m", i)), relayStart)
		}
		poster := newChannelPoster()
		r := newTestRelay(st, poster, fakeclock.New(relayStart.Add(time.Second)))
		r.Batch, r.Poll = 2, time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := pending(t, st); n != 0 {
			t.Errorf("%d items still pending: the relay waited a Poll after a full batch", n)
		}
		cancel()
		<-done
	})
}
