package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// recordingPruner records the cutoffs it is asked to prune before; a fake, since the point is
// when pruning happens (the SQLite driver's Prune has its own tests in internal/store).
type recordingPruner struct {
	mu       sync.Mutex
	cutoffs  []time.Time
	expiries []time.Time
	err      error
}

func (p *recordingPruner) Prune(_ context.Context, cutoff time.Time) (store.Pruned, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutoffs = append(p.cutoffs, cutoff)
	return store.Pruned{Outbox: 3}, p.err
}

func (p *recordingPruner) Expire(_ context.Context, now time.Time) (store.Expired, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expiries = append(p.expiries, now)
	return store.Expired{Reports: 1}, p.err
}

// TestPruneStore: the store is pruned at start and then hourly, each time of what is older than
// the retention, and what expired is removed as of each time; a failure is logged and tried
// again; cancelling stops it.
func TestPruneStore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		wantLog string
	}{
		{"prunes", nil, `msg="store pruned"`},
		{"failure is logged", errors.New("disk I/O error"), "pruning the store failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &recordingPruner{err: tc.err}
				logs := &syncbuf.Buffer{}
				ctx, cancel := context.WithCancel(context.Background())
				start := time.Now()
				done := make(chan struct{})
				go func() {
					defer close(done)
					pruneStore(ctx, p, 90*24*time.Hour, slog.New(slog.NewTextHandler(logs, nil)))
				}()
				time.Sleep(2*pruneInterval + time.Minute)
				cancel()
				<-done
				want := []time.Time{start, start.Add(pruneInterval), start.Add(2 * pruneInterval)}
				if len(p.cutoffs) != len(want) {
					t.Fatalf("pruned %d times in two hours, want 3 (at start, then hourly)", len(p.cutoffs))
				}
				for i, c := range p.cutoffs {
					if w := want[i].Add(-90 * 24 * time.Hour); !c.Equal(w) {
						t.Errorf("prune %d: cutoff %v, want %v", i, c, w)
					}
				}
				if len(p.expiries) != len(want) {
					t.Fatalf("expired %d times in two hours, want 3", len(p.expiries))
				}
				for i, e := range p.expiries {
					if !e.Equal(want[i]) {
						t.Errorf("expiry %d: now %v, want %v", i, e, want[i])
					}
				}
				if !strings.Contains(logs.String(), tc.wantLog) {
					t.Errorf("log lacks %q:\n%s", tc.wantLog, logs.String())
				}
			})
		})
	}
}
