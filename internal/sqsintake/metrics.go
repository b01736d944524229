package sqsintake

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the queue intake's Prometheus metrics.
type Metrics struct {
	Received prometheus.Counter
	Stored   prometheus.Counter     // stored (or already stored) and deleted from the queue
	Rejected *prometheus.CounterVec // by reason: left for the dead-letter queue
	Failures *prometheus.CounterVec // by stage: receive, store, delete
}

// NewMetrics creates the metrics registered with reg; a nil reg registers them in a registry
// of their own, which nothing reads.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	return &Metrics{
		Received: f.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "queue", Name: "received_total",
			Help: "Messages received from the alert queues.",
		}),
		Stored: f.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "queue", Name: "stored_total",
			Help: "Queue messages in the outbox (duplicates included) and deleted from their queue.",
		}),
		Rejected: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "queue", Name: "rejected_total",
			Help: "Queue messages refused and left for the dead-letter queue, by reason.",
		}, []string{"reason"}),
		Failures: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "queue", Name: "failures_total",
			Help: "Queue calls or stores that failed and are retried, by stage (receive, store, delete).",
		}, []string{"stage"}),
	}
}

var unread = sync.OnceValue(func() *Metrics { return NewMetrics(nil) })
