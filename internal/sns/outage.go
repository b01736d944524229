package sns

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Store outages. While the store is unreachable nothing can be stored, so the endpoint answers
// 503 at once (SNS retries later, per its delivery policy) instead of spending each request's
// time on a database that does not answer, and checks the store again at most once per
// outageProbeEvery.
const (
	outageProbeEvery = time.Second
	storePingTimeout = 2 * time.Second
)

// reasonStoreUnreachable is the Refusal of a message that could not be stored because the store
// does not answer: 503 on the endpoint, left on a queue.
const reasonStoreUnreachable = "store_unreachable"

// outage is the state of a store outage, shared by the handler's requests.
type outage struct {
	mu      sync.Mutex
	down    bool
	since   time.Time
	next    time.Time // when the store may be pinged again
	probing bool
}

// storeDown reports whether a message must be answered 503 because the store is unreachable.
// During an outage one request at a time, once per outageProbeEvery, pings the store; the one
// that finds it answering ends the outage and is served.
func (h *Handler) storeDown(ctx context.Context) bool {
	o := &h.outage
	o.mu.Lock()
	if !o.down {
		o.mu.Unlock()
		return false
	}
	now := time.Now()
	if o.probing || now.Before(o.next) {
		o.mu.Unlock()
		return true
	}
	o.probing = true
	o.mu.Unlock()

	err := h.pingStore(ctx)

	o.mu.Lock()
	defer o.mu.Unlock()
	o.probing = false
	if err != nil {
		o.next = time.Now().Add(outageProbeEvery)
		return true
	}
	if o.down {
		o.down = false
		h.logger().Info("the store answers again: taking SNS messages", "down_for", time.Since(o.since).Round(time.Millisecond).String())
	}
	return false
}

// unreachable reports, after a failed write, whether the store is unreachable (its ping fails
// too), and if so begins an outage, logged once with why.
func (h *Handler) unreachable(ctx context.Context, writeErr error) bool {
	if h.StorePing == nil {
		return false
	}
	err := h.pingStore(ctx)
	if err == nil {
		return false
	}
	o := &h.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down {
		o.down, o.since, o.next = true, time.Now(), time.Now().Add(outageProbeEvery)
		h.logger().Error("the store is unreachable: answering SNS 503 until it answers (SNS retries)", "error", writeErr, "ping", err)
	}
	return true
}

func (h *Handler) pingStore(ctx context.Context) error {
	// The ping outlives a client that gave up: it says whether the store answers, not whether
	// this request still waits.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storePingTimeout)
	defer cancel()
	return h.StorePing(ctx)
}

// unavailable answers 503 during an outage, counted but not logged (the outage was).
func (h *Handler) unavailable(w http.ResponseWriter) {
	h.metrics().Failures.WithLabelValues(reasonStoreUnreachable).Inc()
	w.Header().Set("Retry-After", "1")
	http.Error(w, "store unreachable", http.StatusServiceUnavailable)
}
