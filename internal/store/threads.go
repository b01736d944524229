package store

import (
	"context"
	"time"
)

// Threads remembers, per alarm and channel, the message the alarm's first ALARM started, so that
// later state changes of the same alarm are posted into its thread.
type Threads interface {
	// Thread returns the timestamp of the thread's first message for key (an alarm's identity)
	// in channel; found is false, with no error, when there is none.
	// first is what SetThread was given to keep for the first message.
	Thread(ctx context.Context, key, channel string) (ts string, first []byte, found bool, err error)
	// SetThread records (or replaces) the thread of key in channel: its first message ts, the
	// alarm's latest state and when it changed, and (when not nil) what the first message
	// showed. key, channel, ts and at are required.
	SetThread(ctx context.Context, key, channel, ts, state string, first []byte, at time.Time) error
}
