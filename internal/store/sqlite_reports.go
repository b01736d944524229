package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var (
	_ Reports = (*SQLite)(nil)
	_ Expiry  = (*SQLite)(nil)
)

// PutReport stores body under id until expires.
func (s *SQLite) PutReport(ctx context.Context, id string, body []byte, expires time.Time) error {
	if err := validateReport(id, body, expires); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO reports (id, body, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at`,
		id, body, millis(expires))
	if err != nil {
		return fmt.Errorf("store report %q: %w", id, err)
	}
	return nil
}

// GetReport returns the report stored under id unless it expired at now.
func (s *SQLite) GetReport(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var body []byte
	err := s.r.QueryRowContext(ctx, `SELECT body FROM reports WHERE id = ? AND expires_at > ?`, id, millis(now)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("report %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("report %q: %w", id, err)
	}
	return body, nil
}

// Expire removes the reports expired at now, a batch per transaction.
func (s *SQLite) Expire(ctx context.Context, now time.Time) (Expired, error) {
	var e Expired
	for {
		res, err := s.w.ExecContext(ctx, `DELETE FROM reports WHERE id IN (
			SELECT id FROM reports WHERE expires_at <= ? LIMIT ?)`, millis(now), pruneBatch)
		if err != nil {
			return e, fmt.Errorf("expire reports: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return e, fmt.Errorf("expire reports: %w", err)
		}
		e.Reports += int(n)
		if n < int64(pruneBatch) {
			return e, nil
		}
	}
}

func validateReport(id string, body []byte, expires time.Time) error {
	switch {
	case id == "":
		return errors.New("store report: empty id")
	case len(body) == 0:
		return fmt.Errorf("store report %q: empty body", id)
	case expires.IsZero():
		return fmt.Errorf("store report %q: zero expiry", id)
	}
	return nil
}
