package store

import (
	"context"
	"time"
)

// Pruned counts what one Prune removed.
type Pruned struct {
	Outbox        int // delivered alert messages
	RequestBodies int // plans of finished fix requests, reduced to their steps' kinds and resources
	AuditHistory  int // audit results that are neither recent nor an (account, control)'s latest
	SummaryTicks  int // claims of past summary ticks
}

// Total is the number of rows removed or reduced.
func (p Pruned) Total() int { return p.Outbox + p.RequestBodies + p.AuditHistory + p.SummaryTicks }

// Retention bounds the store: without it, every alert body and audit result would be kept for
// ever.
type Retention interface {
	// Prune removes what was finished before cutoff, in small transactions so that writers are
	// never held up for long: delivered outbox items (an undelivered one is never removed);
	// the plan bodies of finished fix requests
	// (FinishedStates), of which the request, its events and
	// each step's kind and resource stay, so history still shows who did what; audit history
	// except each (account, control)'s latest record, which the next summary compares with; and the
	// claims of summary ticks before each schedule's latest posted one.
	Prune(ctx context.Context, cutoff time.Time) (Pruned, error)
}
