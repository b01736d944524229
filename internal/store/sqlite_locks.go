package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LockAccount takes the account's lock for the request if it is free (one conditional upsert).
func (s *SQLite) LockAccount(ctx context.Context, account, requestID, owner string, at, until time.Time) (bool, error) {
	switch {
	case account == "" || requestID == "":
		return false, fmt.Errorf("lock account %q for request %q: empty account or request", account, requestID)
	case at.IsZero() || !until.After(at):
		return false, fmt.Errorf("lock account %q for request %q: want at < until", account, requestID)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO account_locks (account, request_id, owner, until)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET request_id = excluded.request_id, owner = excluded.owner, until = excluded.until
		WHERE account_locks.request_id = excluded.request_id
		   OR account_locks.until <= ?
		   OR NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = account_locks.request_id AND r.state IN (?, ?))`,
		account, requestID, owner, millis(until), millis(at), string(StatePending), string(StateApplying))
	if err != nil {
		return false, fmt.Errorf("lock account %q for request %q: %w", account, requestID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lock account %q for request %q: %w", account, requestID, err)
	}
	return n == 1, nil
}

// UnlockAccount releases the account's lock if the request holds it.
func (s *SQLite) UnlockAccount(ctx context.Context, account, requestID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM account_locks WHERE account = ? AND request_id = ?`, account, requestID)
	if err != nil {
		return fmt.Errorf("unlock account %q for request %q: %w", account, requestID, err)
	}
	return nil
}

// GetAccountLock returns who holds the account's lock.
func (s *SQLite) GetAccountLock(ctx context.Context, account string) (AccountLock, error) {
	l := AccountLock{Account: account}
	var until int64
	err := s.r.QueryRowContext(ctx, `SELECT request_id, owner, until FROM account_locks WHERE account = ?`, account).
		Scan(&l.RequestID, &l.Owner, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return AccountLock{}, fmt.Errorf("lock of account %q: %w", account, ErrNotFound)
	}
	if err != nil {
		return AccountLock{}, fmt.Errorf("lock of account %q: %w", account, err)
	}
	l.Until = fromMillis(until)
	return l, nil
}
