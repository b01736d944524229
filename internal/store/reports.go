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

// Deliveries makes a request that Slack delivers more than once (to one replica or several) run
// once.
type Deliveries interface {
	// ClaimDelivery records key (an envelope or trigger id) as seen at at with a conditional
	// INSERT: first is true for exactly one caller per key, false (no error) for every other,
	// until Expire removes the key DeliveryTTL later.
	ClaimDelivery(ctx context.Context, key string, at time.Time) (first bool, err error)
}

// DeliveryTTL is how long a delivery's key is kept: Slack retries a delivery within minutes,
// never a day later.
const DeliveryTTL = 24 * time.Hour

// Expired counts what one Expire removed.
type Expired struct {
	Reports    int // reports past their expiry
	Deliveries int // delivery keys older than DeliveryTTL
}

// Total is the number of rows removed.
func (e Expired) Total() int { return e.Reports + e.Deliveries }

// Expiry removes what has a lifetime of its own, whatever store.retention says: a report's
// evidence is kept for a day, not for the months of the audit history.
type Expiry interface {
	// Expire removes, a batch per statement, the reports expired at now and the delivery keys
	// claimed DeliveryTTL or more before now.
	Expire(ctx context.Context, now time.Time) (Expired, error)
}
