package app

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
)

// fixDrainTimeout bounds how long a stopping bot waits for the approved fixes under way: their
// apply timeout (commands.Options.ApplyTimeout, 5 minutes) and the records made after it.
const fixDrainTimeout = 6 * time.Minute

// processOwner names this process in the account locks it takes: the host name, stable across
// restarts, so that a restarted bot knows the fixes it was applying when it stopped (replicas
// need distinct host names).
func processOwner() string {
	host, _ := os.Hostname()
	return cmp.Or(host, "cisbot")
}

// RecoverInterrupted ends the fixes a previous run of the bot left applying (it was killed
// while applying them): each becomes interrupted, its plan message shows the steps recorded,
// and an audit of its account is posted to its channel through out. Call it once at start.
func RecoverInterrupted(ctx context.Context, d *commands.Dispatcher, out commands.Channels, logger *slog.Logger) {
	n, err := d.RecoverInterrupted(ctx, out)
	if err != nil && ctx.Err() != nil {
		logger.Info("stopped before the fixes interrupted by the last stop were recovered; the next start recovers them", "recovered", n)
		return
	}
	if err != nil {
		logger.Error("could not recover every fix interrupted by the last stop", "recovered", n, "err", err)
		return
	}
	if n > 0 {
		logger.Warn("fixes interrupted by the last stop are marked interrupted; their accounts were audited again", "requests", n)
	}
}

// DrainFixes waits for the approved fixes under way to end and be recorded, for a bot that has
// stopped taking requests; it gives up after fixDrainTimeout, whatever ctx.
func DrainFixes(ctx context.Context, d *commands.Dispatcher, logger *slog.Logger) {
	wait, cancel := context.WithTimeout(context.WithoutCancel(ctx), fixDrainTimeout)
	defer cancel()
	if err := d.WaitFixes(wait); err != nil {
		logger.Error("stopped before the fixes under way ended; they will be marked interrupted at the next start", "err", err)
	}
}

// abandonedSweep is how often fixes left applying by a process that is gone are looked for.
const abandonedSweep = time.Minute

// SweepAbandonedFixes ends, every minute, the fixes left applying whose account lock has lapsed
// (their process died and did not come back under the same name, so no start recovers them).
func SweepAbandonedFixes(ctx context.Context, d *commands.Dispatcher, out commands.Channels, logger *slog.Logger) {
	every(ctx, abandonedSweep, false, func() {
		n, err := d.RecoverAbandoned(ctx, out)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("could not end every fix abandoned by a stopped process", "recovered", n, "err", err)
		case n > 0:
			logger.Warn("fixes abandoned by a stopped process are marked interrupted; their accounts were audited again", "requests", n)
		}
	})
}
