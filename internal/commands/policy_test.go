package commands

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// countingGroups is a Groups that counts how often Slack would be asked.
type countingGroups struct {
	members map[string][]string
	asks    atomic.Int32
}

func (g *countingGroups) Members(_ context.Context, id string) ([]string, error) {
	g.asks.Add(1)
	return g.members[id], nil
}

// TestPolicyGroupCache: a group's membership is asked once per GroupTTL, not once per command.
func TestPolicyGroupCache(t *testing.T) {
	tests := []struct {
		name     string
		ttl      time.Duration
		checks   int
		wantAsks int32
	}{
		{"default TTL: asked once", 0, 5, 1},
		{"long TTL: asked once", time.Hour, 5, 1},
		{"short TTL: asked every time", time.Nanosecond, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &countingGroups{members: map[string][]string{"S1": {"U1"}}}
			p := &Policy{Auditors: []string{"S1"}, Groups: g, GroupTTL: tt.ttl}
			for range tt.checks {
				if ok, why := p.Allow(context.Background(), "U1", "C1", true); !ok {
					t.Fatalf("U1 is in S1 but was refused: %s", why)
				}
				time.Sleep(time.Millisecond) // past a nanosecond TTL whatever the clock's resolution
			}
			if got := g.asks.Load(); got != tt.wantAsks {
				t.Errorf("Slack asked %d times, want %d", got, tt.wantAsks)
			}
		})
	}
}

// TestApproveAsksAtClickTime: audits may trust the membership cache, approvals never do: a user
// removed from the approvers' group is refused at the next click, within the cache's TTL.
func TestApproveAsksAtClickTime(t *testing.T) {
	ctx := context.Background()
	g := &countingGroups{members: map[string][]string{"S1": {"U1", "U2"}}}
	p := &Policy{Auditors: []string{"S1"}, Approvers: []string{"S1"}, Groups: g, GroupTTL: time.Hour}
	steps := []struct {
		name     string
		members  []string
		approve  bool // AllowApprove, else Allow (an audit)
		want     bool
		wantAsks int32
	}{
		{"audit asks", []string{"U1", "U2"}, false, true, 1},
		{"audit is cached", []string{"U1", "U2"}, false, true, 1},
		{"approve asks although cached", []string{"U1", "U2"}, true, true, 2},
		{"U1 removed: approve refused at once", []string{"U2"}, true, false, 3},
		{"the fresh answer refreshed the cache for audits", []string{"U2"}, false, false, 3},
	}
	for _, st := range steps {
		g.members["S1"] = st.members
		var ok bool
		if st.approve {
			ok, _ = p.AllowApprove(ctx, "U1")
		} else {
			ok, _ = p.Allow(ctx, "U1", "C1", true)
		}
		if ok != st.want || g.asks.Load() != st.wantAsks {
			t.Errorf("%s: allowed %v with %d asks, want %v with %d", st.name, ok, g.asks.Load(), st.want, st.wantAsks)
		}
	}
}
