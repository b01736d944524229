package store

// The argument checks both drivers make before they touch their database, in one place so
// that they refuse the same calls in the same words.

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// checkEnqueue checks an item to enqueue and fills in what defaults: NextAt is CreatedAt, and
// a nil Body is empty.
func checkEnqueue(it OutboxItem) (OutboxItem, error) {
	switch {
	case it.ID == "":
		return it, errors.New("enqueue: empty ID")
	case !validOutboxKind(it.Kind):
		return it, fmt.Errorf("enqueue %q: invalid kind %q: want one of %s", it.ID, it.Kind, strings.Join(OutboxKinds, ", "))
	case it.CreatedAt.IsZero():
		return it, fmt.Errorf("enqueue %q: zero CreatedAt", it.ID)
	}
	if it.NextAt.IsZero() {
		it.NextAt = it.CreatedAt
	}
	if it.Body == nil {
		it.Body = []byte{}
	}
	return it, nil
}

func checkClaim(owner string, at time.Time, lease time.Duration, n int) error {
	switch {
	case owner == "":
		return errors.New("claim outbox: empty owner")
	case at.IsZero():
		return errors.New("claim outbox: zero time")
	case lease < time.Millisecond:
		return fmt.Errorf("claim outbox: lease %v: want at least 1ms", lease)
	case n <= 0:
		return fmt.Errorf("claim outbox: n %d: want a positive number", n)
	}
	return nil
}

func checkRenew(id string, at time.Time, lease time.Duration) error {
	switch {
	case at.IsZero():
		return fmt.Errorf("renew the claim on outbox item %q: zero time", id)
	case lease < time.Millisecond:
		return fmt.Errorf("renew the claim on outbox item %q: lease %v: want at least 1ms", id, lease)
	}
	return nil
}

func checkClaimTick(schedule string, tick time.Time, owner string) error {
	switch {
	case schedule == "":
		return errors.New("claim tick: empty schedule")
	case tick.IsZero():
		return fmt.Errorf("claim tick of %q: zero tick", schedule)
	case owner == "":
		return fmt.Errorf("claim tick of %q: empty owner", schedule)
	}
	return nil
}

// staleBefore is the claimed_at before which a tick's unfinished claim may be taken over.
// Without a lease, no claim qualifies (claimed_at is never negative).
func staleBefore(at time.Time, lease time.Duration) int64 {
	if lease <= 0 {
		return -1
	}
	return millis(at.Add(-lease))
}

func checkTransition(id string, from, to State, eventKind string, at time.Time) error {
	switch {
	case !from.Valid():
		return fmt.Errorf("transition request %q: invalid from state %q", id, from)
	case !to.Valid():
		return fmt.Errorf("transition request %q: invalid to state %q", id, to)
	case eventKind == "":
		return fmt.Errorf("transition request %q: empty event kind", id)
	case at.IsZero():
		return fmt.Errorf("transition request %q: zero time", id)
	}
	return nil
}

func checkSetThread(key, channel, ts string, at time.Time) error {
	switch {
	case key == "":
		return errors.New("set thread: empty key")
	case channel == "":
		return fmt.Errorf("set thread %q: empty channel", key)
	case ts == "":
		return fmt.Errorf("set thread %q in %q: empty ts", key, channel)
	case at.IsZero():
		return fmt.Errorf("set thread %q in %q: zero time", key, channel)
	}
	return nil
}
