package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/sns"
)

// TestReadiness: /readyz fails when the store or Slack does not answer, says which part, and
// asks Slack again only once its last answer, passed or failed, is older than the TTL.
func TestReadiness(t *testing.T) {
	storeDown := errors.New("database is locked")
	slackDown := errors.New("slack: auth.test: connection refused")
	type step struct {
		advance  time.Duration
		storeErr error
		slackErr error
		wantPart string // "" for ready
		wantAsks int    // Slack checks so far
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"both up, then cached", []step{{wantAsks: 1}, {advance: 29 * time.Second, wantAsks: 1}, {advance: time.Second, wantAsks: 2}}},
		{"store down: Slack not asked", []step{{storeErr: storeDown, wantPart: "store", wantAsks: 0}}},
		{"Slack down: the failure is cached until the TTL", []step{
			{slackErr: slackDown, wantPart: "slack", wantAsks: 1},
			{advance: 10 * time.Second, wantPart: "slack", wantAsks: 1},
			{advance: 19 * time.Second, wantPart: "slack", wantAsks: 1},
			{advance: time.Second, wantAsks: 2},
		}},
		{"a cached success hides a later outage until the TTL", []step{{wantAsks: 1}, {advance: 10 * time.Second, slackErr: slackDown, wantAsks: 1}, {advance: 20 * time.Second, slackErr: slackDown, wantPart: "slack", wantAsks: 2}}},
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
				nr, isNotReady := errors.AsType[*sns.NotReadyError](err)
				switch {
				case s.wantPart == "" && err != nil:
					t.Errorf("step %d: ready = %v, want ready", i, err)
				case s.wantPart != "" && (!isNotReady || nr.Part != s.wantPart):
					t.Errorf("step %d: ready = %v, want a NotReadyError of %q", i, err, s.wantPart)
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

// TestReadinessProbeGaveUp: a Slack check cut short by the probe's own deadline is not cached
// as Slack's answer.
func TestReadinessProbeGaveUp(t *testing.T) {
	asks := 0
	ready := Readiness(time.Now, time.Hour, func(context.Context) error { return nil },
		func(ctx context.Context) error { asks++; return ctx.Err() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ready(ctx); err == nil {
		t.Fatal("a check whose probe gave up passed")
	}
	if err := ready(context.Background()); err != nil || asks != 2 {
		t.Errorf("next probe: %v after %d Slack checks, want ready after 2", err, asks)
	}
}
