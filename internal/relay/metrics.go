package relay

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the relay's Prometheus metrics.
type Metrics struct {
	Delivered   prometheus.Counter
	Retries     prometheus.Counter
	OutboxDepth prometheus.Gauge // set after each pass
}

// NewMetrics creates the relay's metrics registered with reg; a nil reg registers them in a
// registry of their own, which nothing reads.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	return &Metrics{
		Delivered: f.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "outbox", Name: "delivered_total",
			Help: "Outbox messages delivered (or settled without a post).",
		}),
		Retries: f.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "outbox", Name: "retries_total",
			Help: "Outbox deliveries that failed and were scheduled again.",
		}),
		OutboxDepth: f.NewGauge(prometheus.GaugeOpts{
			Namespace: "cisbot", Name: "outbox_depth",
			Help: "Messages waiting in the outbox for delivery.",
		}),
	}
}
