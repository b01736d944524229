package store

import (
	"context"
	"time"
)

// Reports keeps the audit reports behind the buttons of a posted report, so that a click reaching
// any replica finds the report another one rendered.
type Reports interface {
	// PutReport stores body under id until expires, replacing any report stored under id.
	PutReport(ctx context.Context, id string, body []byte, expires time.Time) error
	// GetReport returns the report stored under id; one missing or expired at now is an error
	// wrapping ErrNotFound.
	GetReport(ctx context.Context, id string, now time.Time) ([]byte, error)
}

// Expired counts what one Expire removed.
type Expired struct {
	Reports int // reports past their expiry
}

// Total is the number of rows removed.
func (e Expired) Total() int { return e.Reports }

// Expiry removes what has a lifetime of its own, whatever store.retention says: a report's
// evidence is kept for a day, not for the months of the audit history.
type Expiry interface {
	// Expire removes, a batch per statement, the reports expired at now.
	Expire(ctx context.Context, now time.Time) (Expired, error)
}
