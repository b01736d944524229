package relay

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotPosted marks a failed post that the transport knows did not go out (Slack answered with
// an error, or asked to retry later): the next attempt needs no lookup. Wrap it with NotPosted.
var ErrNotPosted = errors.New("not posted")

// NotPosted marks err as a post known not to have gone out; errors.Is(err, ErrNotPosted) holds
// for the result, and its text is err's. nil stays nil.
func NotPosted(err error) error {
	if err == nil {
		return nil
	}
	return notPosted{err}
}

type notPosted struct{ err error }

func (e notPosted) Error() string        { return e.err.Error() }
func (e notPosted) Unwrap() error        { return e.err }
func (e notPosted) Is(target error) bool { return target == ErrNotPosted }

// RetryAfterError is a delivery the transport asks to retry no earlier than After (Slack's
// HTTP 429 Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// Is makes a rate-limited post one that did not go out.
func (e *RetryAfterError) Is(target error) bool { return target == ErrNotPosted }
