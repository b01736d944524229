package relay

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cisbot/cisbot/internal/store"
)

// errClaimLost ends the delivery of an item whose claim could not be renewed.
var errClaimLost = errors.New("the outbox claim was lost")

// claims keeps the claims of one pass alive. Every lease/3 it renews the claim on each item
// of the pass not yet settled (the one being delivered, and those waiting their turn behind a
// long enrichment or a paced channel), so that another replica never takes an item this one
// is still working on. An item whose claim is found lost (it expired, or another owner holds
// it) has its delivery cancelled, and is left to its new owner.
type claims struct {
	r    *Relay
	ctxs map[string]context.Context // each item's delivery context (written by hold only)
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu   sync.Mutex
	held map[string]context.CancelCauseFunc // unsettled items -> cancels its delivery
}

// hold starts renewing the claims on items until release.
func (r *Relay) hold(ctx context.Context, items []store.OutboxItem) *claims {
	c := &claims{r: r, held: make(map[string]context.CancelCauseFunc, len(items)), ctxs: make(map[string]context.Context, len(items))}
	for _, it := range items {
		c.ctxs[it.ID], c.held[it.ID] = context.WithCancelCause(ctx)
	}
	renewCtx, stop := context.WithCancel(ctx)
	c.stop = stop
	if len(items) > 0 {
		c.wg.Go(func() { c.renew(renewCtx) })
	}
	return c
}

// delivery is the context an item is delivered under: done when the pass's is, or when the
// item's claim is lost (context.Cause is then errClaimLost).
func (c *claims) delivery(id string) context.Context { return c.ctxs[id] }

// settled stops renewing id's claim.
func (c *claims) settled(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel, ok := c.held[id]; ok {
		cancel(nil)
		delete(c.held, id)
	}
}

// release stops renewing and waits for a renewal under way.
func (c *claims) release() {
	c.stop()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, cancel := range c.held {
		cancel(nil)
		delete(c.held, id)
	}
}

func (c *claims) renew(ctx context.Context) {
	lease := c.r.lease()
	t := time.NewTicker(max(lease/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, id := range c.unsettled() {
			ok, err := c.r.Outbox.Renew(ctx, id, c.r.Owner, c.r.now(), lease)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				// The lease may still hold; the next renewal tries again.
				c.r.logger().Warn("could not renew the outbox claim", "message_id", id, "error", err)
			case !ok:
				c.lost(id)
			}
		}
	}
}

func (c *claims) unsettled() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.held))
	for id := range c.held {
		ids = append(ids, id)
	}
	return ids
}

// lost cancels the delivery of id, whose claim expired or went to another owner.
func (c *claims) lost(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel, ok := c.held[id]; ok {
		c.r.logger().Warn("outbox claim lost while the item was being delivered; leaving it to its new owner", "message_id", id)
		cancel(errClaimLost)
		delete(c.held, id)
	}
}
