package relay

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cisbot/cisbot/internal/testutil/fakeclock"
)

// The relay's metrics keep their names: two items, one posted and one failing, leave one
// delivery, one retry and an outbox depth of one.
func TestRelayMetrics(t *testing.T) {
	st := relayStore(t)
	enqueueFile(t, st, relayTextFile, relayStart)
	enqueueFile(t, st, "sns/notification-v1-subject-2017.json", relayStart)
	reg := prometheus.NewRegistry()
	poster := &fakePoster{}
	r := newTestRelay(st, poster, fakeclock.New(relayStart))
	r.Metrics = NewMetrics(reg)
	calls := 0
	r.Poster = posterFunc(func(ctx context.Context, p Post) (string, error) {
		if calls++; calls == 2 {
			return "", NotPosted(errors.New("slack: 500"))
		}
		return poster.Post(ctx, p)
	})
	if n, err := r.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v; want 1", n, err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			got[f.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{"cisbot_outbox_delivered_total": 1, "cisbot_outbox_retries_total": 1, "cisbot_outbox_depth": 1}
	if !maps.Equal(got, want) {
		t.Errorf("metrics = %v, want %v", got, want)
	}
}

type posterFunc func(ctx context.Context, p Post) (string, error)

func (f posterFunc) Post(ctx context.Context, p Post) (string, error) { return f(ctx, p) }
