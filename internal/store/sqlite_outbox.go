package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

var _ Outbox = (*SQLite)(nil)

const outboxColumns = `id, topic_arn, kind, body, attempts, next_at, created_at, last_error, delivered, posting_at`

// Enqueue stores a message unless its ID is already stored.
func (s *SQLite) Enqueue(ctx context.Context, it OutboxItem) (added bool, err error) {
	it, err = checkEnqueue(it)
	if err != nil {
		return false, err
	}
	body := it.Body
	res, err := s.w.ExecContext(ctx, `INSERT INTO outbox (id, topic_arn, kind, body, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		it.ID, it.TopicARN, it.Kind, body, millis(it.NextAt), millis(it.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("enqueue %q: %w", it.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue %q: %w", it.ID, err)
	}
	return n == 1, nil
}

// Claim takes up to n due items for owner until at+lease, in one write transaction.
func (s *SQLite) Claim(ctx context.Context, owner string, at time.Time, lease time.Duration, n int) ([]OutboxItem, error) {
	if err := checkClaim(owner, at, lease, n); err != nil {
		return nil, err
	}
	now := millis(at)
	type claimed struct {
		it    OutboxItem
		rowid int64
	}
	var out []claimed
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET claim_owner = ?, claim_until = ?
			WHERE id IN (
				SELECT id FROM outbox
				WHERE delivered = 0 AND next_at <= ? AND claim_until <= ?
				ORDER BY next_at, created_at, rowid LIMIT ?)
			RETURNING rowid, `+outboxColumns,
			owner, millis(at.Add(lease)), now, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			if err := scanOutboxItem(rows, &c.rowid, &c.it); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox for %q: %w", owner, err)
	}
	// RETURNING gives no order; restore the one the subquery chose.
	slices.SortFunc(out, func(a, b claimed) int {
		return cmp.Or(a.it.NextAt.Compare(b.it.NextAt), a.it.CreatedAt.Compare(b.it.CreatedAt), cmp.Compare(a.rowid, b.rowid))
	})
	items := make([]OutboxItem, len(out))
	for i, c := range out {
		items[i] = c.it
	}
	return items, nil
}

func scanOutboxItem(sc scanner, rowid *int64, it *OutboxItem) error {
	var next, created, posting int64
	if err := sc.Scan(rowid, &it.ID, &it.TopicARN, &it.Kind, &it.Body, &it.Attempts, &next, &created, &it.LastError, &it.Delivered, &posting); err != nil {
		return err
	}
	it.NextAt, it.CreatedAt = fromMillis(next), fromMillis(created)
	if posting != 0 {
		it.PostingAt = fromMillis(posting)
	}
	if it.Body == nil {
		it.Body = []byte{}
	}
	return nil
}

// Delivered marks an item claimed by owner delivered.
func (s *SQLite) Delivered(ctx context.Context, id, owner string, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("mark outbox item %q delivered: zero time", id)
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox
		SET delivered = 1, delivered_at = ?, claim_owner = '', claim_until = 0
		WHERE id = ? AND claim_owner = ? AND delivered = 0`, millis(at), id, owner)
	if err != nil {
		return false, fmt.Errorf("mark outbox item %q delivered: %w", id, err)
	}
	return ok, nil
}

// Retry releases an item claimed by owner for another attempt at next.
func (s *SQLite) Retry(ctx context.Context, id, owner string, next time.Time, reason string) (bool, error) {
	if next.IsZero() {
		return false, fmt.Errorf("retry outbox item %q: zero time", id)
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox
		SET attempts = attempts + 1, next_at = ?, last_error = ?, claim_owner = '', claim_until = 0
		WHERE id = ? AND claim_owner = ? AND delivered = 0`, millis(next), reason, id, owner)
	if err != nil {
		return false, fmt.Errorf("retry outbox item %q: %w", id, err)
	}
	return ok, nil
}

// Posting marks an item claimed by owner as being sent at at (zero at: not being sent).
func (s *SQLite) Posting(ctx context.Context, id, owner string, at time.Time) (bool, error) {
	var when int64
	if !at.IsZero() {
		when = millis(at)
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox SET posting_at = ?
		WHERE id = ? AND claim_owner = ? AND delivered = 0`, when, id, owner)
	if err != nil {
		return false, fmt.Errorf("mark outbox item %q as being sent: %w", id, err)
	}
	return ok, nil
}

// Renew extends owner's live claim on an item to at+lease.
func (s *SQLite) Renew(ctx context.Context, id, owner string, at time.Time, lease time.Duration) (bool, error) {
	if err := checkRenew(id, at, lease); err != nil {
		return false, err
	}
	ok, err := s.release(ctx, id, owner, `UPDATE outbox SET claim_until = ?
		WHERE id = ? AND claim_owner = ? AND claim_until > ? AND delivered = 0`,
		millis(at.Add(lease)), id, owner, millis(at))
	if err != nil {
		return false, fmt.Errorf("renew the claim on outbox item %q: %w", id, err)
	}
	return ok, nil
}

// ReleaseClaims frees the undelivered items claimed by owner.
func (s *SQLite) ReleaseClaims(ctx context.Context, owner string) (int, error) {
	if owner == "" {
		return 0, errors.New("release outbox claims: empty owner")
	}
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET claim_owner = '', claim_until = 0
			WHERE claim_owner = ? AND delivered = 0`, owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release the outbox claims of %q: %w", owner, err)
	}
	return int(n), nil
}

// release runs update, a conditional UPDATE of one item held by owner, in a write transaction:
// ok is false when it changed nothing, and the error wraps ErrNotFound when there is no item id.
func (s *SQLite) release(ctx context.Context, id, owner, update string, args ...any) (ok bool, err error) {
	if owner == "" {
		return false, errors.New("empty owner")
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, update, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			ok = true
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM outbox WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err // nil: another owner holds it, or it is done
	})
	return ok, err
}

// Pending counts the undelivered items.
func (s *SQLite) Pending(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE delivered = 0`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending outbox items: %w", err)
	}
	return n, nil
}
