package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestReadiness: /readyz fails when the store or Slack does not answer, says which, and asks
// Slack again only once a success is older than the TTL.
func TestReadiness(t *testing.T) {
	storeDown := errors.New("database is locked")
	slackDown := errors.New("slack: auth.test: connection refused")
	type step struct {
		advance  time.Duration
		storeErr error
		slackErr error
		wantErr  string // "" for ready
		wantAsks int    // Slack checks so far
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"both up, then cached", []step{{wantAsks: 1}, {advance: 29 * time.Second, wantAsks: 1}, {advance: time.Second, wantAsks: 2}}},
		{"store down: Slack not asked", []step{{storeErr: storeDown, wantErr: "store: database is locked", wantAsks: 0}}},
		{"Slack down: asked every time", []step{{slackErr: slackDown, wantErr: "connection refused", wantAsks: 1}, {slackErr: slackDown, wantErr: "connection refused", wantAsks: 2}, {wantAsks: 3}}},
		{"a cached success hides a later outage until the TTL", []step{{wantAsks: 1}, {advance: 10 * time.Second, slackErr: slackDown, wantAsks: 1}, {advance: 20 * time.Second, slackErr: slackDown, wantErr: "connection refused", wantAsks: 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			var storeErr, slackErr error
			asks := 0
			ready := Readiness(func() time.Time { return now }, 30*time.Second,
				func(context.Context) error { return storeErr },
				func(context.Context) error { asks++; return slackErr })
			for i, s := range tc.steps {
				now = now.Add(s.advance)
				storeErr, slackErr = s.storeErr, s.slackErr
				err := ready(context.Background())
				if (err == nil) != (s.wantErr == "") || (err != nil && !strings.Contains(err.Error(), s.wantErr)) {
					t.Errorf("step %d: ready = %v, want %q", i, err, s.wantErr)
				}
				if asks != s.wantAsks {
					t.Errorf("step %d: Slack asked %d times, want %d", i, asks, s.wantAsks)
				}
			}
		})
	}
	if err := Readiness(time.Now, time.Second, func(context.Context) error { return nil }, nil)(context.Background()); err != nil {
		t.Errorf("without a Slack check: %v", err)
	}
}
