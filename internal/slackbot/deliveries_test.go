package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/store"
)

// countingHandler counts the requests it runs.
type countingHandler struct{ commands, actions atomic.Int32 }

func (h *countingHandler) Handle(context.Context, commands.Request, commands.Replier) {
	h.commands.Add(1)
}

func (h *countingHandler) HandleAction(context.Context, commands.ActionRequest, commands.Replier) {
	h.actions.Add(1)
}

// runBot runs a bot on f with h and opts until the test ends, and returns its connection.
func runBot(t *testing.T, f *fakeSlack, h Handler, opts ...Option) *wsConn {
	t.Helper()
	log, _ := newLogger(t)
	b, err := New(f.config(), h, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return f.waitConn(t)
}

// envelope is env with its envelope id, trigger id and retry_attempt set.
func envelope(t *testing.T, env []byte, id, trigger string, retry int) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	m["envelope_id"], m["retry_attempt"] = id, retry
	m["payload"].(map[string]any)["trigger_id"] = trigger
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRedeliveryAcrossReplicas: two bots sharing a store, as two replicas; whatever replica
// Slack delivers an envelope to again, or under another envelope id with the same trigger id,
// every delivery is acknowledged and the request runs once.
func TestRedeliveryAcrossReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cisbot.db")
	f, rec := newFakeSlack(t), newRecorder(t)
	slash := slashEnvelope("x", "/cis", "help", "U1", "C1", rec.url("1"))
	press := actionEnvelope("x", "U1", "C1", rec.url("2"), button(commands.ActionEvidence, "r/prod"))
	type delivery struct {
		replica  int
		envelope string
		trigger  string
		retry    int
	}
	for _, tc := range []struct {
		name       string
		env        []byte
		deliveries []delivery
		runs       int32
	}{
		{"slash command to each replica", slash, []delivery{{0, "e1", "t1", 0}, {1, "e1", "t1", 1}}, 1},
		{"slash command again to the same replica", slash, []delivery{{0, "e2", "t2", 0}, {0, "e2", "t2", 1}}, 1},
		{"slash command under a new envelope id", slash, []delivery{{1, "e3", "t3", 0}, {0, "e4", "t3", 1}}, 1},
		{"two slash commands", slash, []delivery{{0, "e5", "t5", 0}, {1, "e6", "t6", 0}}, 2},
		{"button to each replica", press, []delivery{{1, "e7", "t7", 0}, {0, "e7", "t7", 2}}, 1},
		{"button under a new envelope id", press, []delivery{{0, "e8", "t8", 0}, {1, "e9", "t8", 0}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHandler{}
			var conns []*wsConn
			for range 2 {
				st, err := store.OpenSQLite(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				conns = append(conns, runBot(t, f, h, WithDeliveries(st)))
			}
			for _, d := range tc.deliveries {
				conns[d.replica].send <- envelope(t, tc.env, d.envelope, d.trigger, d.retry)
				f.waitAck(t, d.envelope, ackDeadline)
			}
			time.Sleep(200 * time.Millisecond) // for a second run, were there one
			if n := h.commands.Load() + h.actions.Load(); n != tc.runs {
				t.Errorf("ran %d times, want %d", n, tc.runs)
			}
		})
	}
}

// failingDeliveries is a store that cannot be reached.
type failingDeliveries struct{}

func (failingDeliveries) ClaimDelivery(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("connection refused")
}

// TestRedeliveryWithoutStore: while the store cannot be reached a first delivery still runs, and
// a retry (most likely run already) does not.
func TestRedeliveryWithoutStore(t *testing.T) {
	f, rec := newFakeSlack(t), newRecorder(t)
	h := &countingHandler{}
	conn := runBot(t, f, h, WithDeliveries(failingDeliveries{}))
	slash := slashEnvelope("x", "/cis", "help", "U1", "C1", rec.url("1"))
	for _, d := range []struct {
		id    string
		retry int
	}{{"e1", 0}, {"e2", 1}} {
		conn.send <- envelope(t, slash, d.id, "t-"+d.id, d.retry)
		f.waitAck(t, d.id, ackDeadline)
	}
	time.Sleep(200 * time.Millisecond)
	if n := h.commands.Load(); n != 1 {
		t.Errorf("ran %d times, want 1 (the first delivery only)", n)
	}
}
