package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/cisbot/cisbot/internal/store"
)

// expireRequests marks fix requests past their TTL as expired, once a minute, so the history
// says so even when nobody clicks them again (a click also checks expiry).
func expireRequests(ctx context.Context, st store.Store, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := st.ExpireBefore(ctx, now); err != nil && ctx.Err() == nil {
				logger.Warn("expiring fix requests failed", "err", err)
			} else if n > 0 {
				logger.Info("fix requests expired", "count", n)
			}
		}
	}
}
