package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Enqueue stores a message unless its ID is already stored.
func (s *Postgres) Enqueue(ctx context.Context, it OutboxItem) (added bool, err error) {
	it, err = checkEnqueue(it)
	if err != nil {
		return false, err
	}
	body := it.Body
	tag, err := s.pool.Exec(ctx, `INSERT INTO outbox (id, topic_arn, kind, body, next_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		it.ID, it.TopicARN, it.Kind, body, millis(it.NextAt), millis(it.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("enqueue %q: %w", it.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Claim takes up to n due items for owner until at+lease. The rows are locked FOR UPDATE SKIP
// LOCKED: a replica claiming at the same time skips them instead of waiting, and a row another
// claim changed meanwhile is checked again against the due condition before it is taken.
func (s *Postgres) Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, n int) ([]OutboxItem, error) {
	if err := checkClaim(owner, at, lease, n); err != nil {
		return nil, err
	}
	type claimed struct {
		it  OutboxItem
		seq int64
	}
	rows, err := s.pool.Query(ctx, `UPDATE outbox SET claim_owner = $1, claim_until = $2
		WHERE id IN (
			SELECT id FROM outbox
			WHERE NOT delivered AND next_at <= $3 AND claim_until <= $3
			ORDER BY next_at, created_at, seq LIMIT $4
			FOR UPDATE SKIP LOCKED)
		RETURNING seq, `+outboxColumns,
		owner, millis(at.Add(lease)), millis(at), n)
	if err != nil {
		return nil, fmt.Errorf("claim outbox for %q: %w", owner, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimed, error) {
		var c claimed
		err := scanOutboxItem(row, &c.seq, &c.it)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox for %q: %w", owner, err)
	}
	// RETURNING gives no order; restore the one the subquery chose.
	slices.SortFunc(out, func(a, b claimed) int {
		return cmp.Or(a.it.NextAt.Compare(b.it.NextAt), a.it.CreatedAt.Compare(b.it.CreatedAt), cmp.Compare(a.seq, b.seq))
	})
	items := make([]OutboxItem, len(out))
	for i, c := range out {
		items[i] = c.it
	}
	return items, nil
}

// Delivered marks an item claimed by owner delivered.
func (s *Postgres) Delivered(ctx context.Context, id, owner string, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("mark outbox item %q delivered: zero time", id)
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox
		SET delivered = true, delivered_at = $1, claim_owner = '', claim_until = 0
		WHERE id = $2 AND claim_owner = $3 AND NOT delivered`, millis(at), id, owner)
	if err != nil {
		return false, fmt.Errorf("mark outbox item %q delivered: %w", id, err)
	}
	return ok, nil
}

// Retry releases an item claimed by owner for another attempt at next.
func (s *Postgres) Retry(ctx context.Context, id, owner string, next time.Time, reason string) (bool, error) {
	if next.IsZero() {
		return false, fmt.Errorf("retry outbox item %q: zero time", id)
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox
		SET attempts = attempts + 1, next_at = $1, last_error = $2, claim_owner = '', claim_until = 0
		WHERE id = $3 AND claim_owner = $4 AND NOT delivered`, millis(next), reason, id, owner)
	if err != nil {
		return false, fmt.Errorf("retry outbox item %q: %w", id, err)
	}
	return ok, nil
}

// Posting marks an item claimed by owner as being sent at at (zero at: not being sent).
func (s *Postgres) Posting(ctx context.Context, id, owner string, at time.Time) (bool, error) {
	var when int64
	if !at.IsZero() {
		when = millis(at)
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox SET posting_at = $1
		WHERE id = $2 AND claim_owner = $3 AND NOT delivered`, when, id, owner)
	if err != nil {
		return false, fmt.Errorf("mark outbox item %q as being sent: %w", id, err)
	}
	return ok, nil
}

// Renew extends owner's live claim on an item to at+lease.
func (s *Postgres) Renew(ctx context.Context, id, owner string, at time.Time, lease time.Duration) (bool, error) {
	if err := checkRenew(id, at, lease); err != nil {
		return false, err
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox SET claim_until = $1
		WHERE id = $2 AND claim_owner = $3 AND claim_until > $4 AND NOT delivered`,
		millis(at.Add(lease)), id, owner, millis(at))
	if err != nil {
		return false, fmt.Errorf("renew the claim on outbox item %q: %w", id, err)
	}
	return ok, nil
}

// ReleaseClaims frees the undelivered items claimed by owner.
func (s *Postgres) ReleaseClaims(ctx context.Context, owner string) (int, error) {
	if owner == "" {
		return 0, errors.New("release outbox claims: empty owner")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET claim_owner = '', claim_until = 0
		WHERE claim_owner = $1 AND NOT delivered`, owner)
	if err != nil {
		return 0, fmt.Errorf("release the outbox claims of %q: %w", owner, err)
	}
	return int(tag.RowsAffected()), nil
}

// release runs update, a conditional UPDATE of one item held by owner: ok is false when it
// changed nothing, and the error wraps ErrNotFound when there is no item id.
func (s *Postgres) release(ctx context.Context, id, owner, update string, args ...any) (bool, error) {
	if owner == "" {
		return false, errors.New("empty owner")
	}
	tag, err := s.pool.Exec(ctx, update, args...)
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	found, err := exists(ctx, s.pool, "outbox", id)
	if err == nil && !found {
		return false, ErrNotFound
	}
	return false, err // nil: another owner holds it, or it is done
}

// Pending counts the undelivered items.
func (s *Postgres) Pending(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE NOT delivered`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending outbox items: %w", err)
	}
	return n, nil
}
