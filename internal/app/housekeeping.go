package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/cisbot/cisbot/internal/store"
)

// every runs job every interval (at once first when atStart) until ctx is done: the loop of each
// housekeeping task of cisbot run.
func every(ctx context.Context, interval time.Duration, atStart bool, job func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	if atStart {
		job()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			job()
		}
	}
}

// expireRequests marks fix requests past their TTL as expired, once a minute, so the history
// says so even when nobody clicks them again (a click also checks expiry).
func expireRequests(ctx context.Context, st store.Store, logger *slog.Logger) {
	every(ctx, time.Minute, false, func() {
		if n, err := st.ExpireBefore(ctx, time.Now()); err != nil && ctx.Err() == nil {
			logger.Warn("expiring fix requests failed", "err", err)
		} else if n > 0 {
			logger.Info("fix requests expired", "count", n)
		}
	})
}

// pruneInterval is how often the store is pruned after the prune at start.
const pruneInterval = time.Hour

// pruner is the part of the store that housekeeping prunes.
type pruner interface {
	Prune(ctx context.Context, cutoff time.Time) (store.Pruned, error)
}

// expirer is the part of the store whose rows have their own lifetime (store.Expiry).
type expirer interface {
	Expire(ctx context.Context, now time.Time) (store.Expired, error)
}

// pruneStore keeps the store within store.retention, and removes what expired when st is also
// an expirer: at start, then every pruneInterval.
func pruneStore(ctx context.Context, st pruner, retention time.Duration, logger *slog.Logger) {
	every(ctx, pruneInterval, true, func() {
		if ex, ok := st.(expirer); ok {
			e, err := ex.Expire(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("removing expired reports and delivery keys failed; it is tried again in an hour", "err", err)
			case e.Total() > 0:
				logger.Info("expired rows removed", "reports", e.Reports, "delivery_keys", e.Deliveries)
			}
		}
		p, err := st.Prune(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("pruning the store failed; it is tried again in an hour", "err", err, "retention", retention.String())
		case p.Total() > 0:
			logger.Info("store pruned", "retention", retention.String(), "outbox", p.Outbox, "request_plans", p.RequestBodies,
				"audit_results", p.AuditHistory, "summary_ticks", p.SummaryTicks)
		}
	})
}
