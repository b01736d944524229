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
				time.Sleep(2 * time.Millisecond) // past the shortest TTL (1 ms)
			}
			if got := g.asks.Load(); got != tt.wantAsks {
				t.Errorf("Slack asked %d times, want %d", got, tt.wantAsks)
			}
		})
	}
}
