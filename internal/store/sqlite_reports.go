package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var (
	_ Reports    = (*SQLite)(nil)
	_ Deliveries = (*SQLite)(nil)
	_ Expiry     = (*SQLite)(nil)
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

// ClaimDelivery records key as seen; first is true for the one caller that inserted it.
func (s *SQLite) ClaimDelivery(ctx context.Context, key string, at time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("claim delivery: empty key")
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO deliveries (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, millis(at))
	if err != nil {
		return false, fmt.Errorf("claim delivery %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim delivery %q: %w", key, err)
	}
	return n == 1, nil
}

// Expire removes the reports expired at now and the old delivery keys, a batch per
// transaction.
func (s *SQLite) Expire(ctx context.Context, now time.Time) (Expired, error) {
	var e Expired
	for _, q := range expireQueries {
		for {
			res, err := s.w.ExecContext(ctx, dollarToQuestion(q.query), millis(q.before(now)), pruneBatch)
			if err != nil {
				return e, fmt.Errorf("expire: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return e, fmt.Errorf("expire: %w", err)
			}
			*q.what(&e) += int(n)
			if n < int64(pruneBatch) {
				break
			}
		}
	}
	return e, nil
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
