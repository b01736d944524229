package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	_ Reports    = (*Postgres)(nil)
	_ Deliveries = (*Postgres)(nil)
	_ Expiry     = (*Postgres)(nil)
)

// PutReport stores body under id until expires.
func (s *Postgres) PutReport(ctx context.Context, id string, body []byte, expires time.Time) error {
	if err := validateReport(id, body, expires); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO reports (id, body, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at`,
		id, body, millis(expires))
	if err != nil {
		return fmt.Errorf("store report %q: %w", id, err)
	}
	return nil
}

// GetReport returns the report stored under id unless it expired at now.
func (s *Postgres) GetReport(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM reports WHERE id = $1 AND expires_at > $2`, id, millis(now)).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("report %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("report %q: %w", id, err)
	}
	return body, nil
}

// ClaimDelivery records key as seen; first is true for the one caller that inserted it.
func (s *Postgres) ClaimDelivery(ctx context.Context, key string, at time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("claim delivery: empty key")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO deliveries (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, millis(at))
	if err != nil {
		return false, fmt.Errorf("claim delivery %q: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// expireQueries each remove a batch of rows dated at or before a time (their first argument;
// the second is the batch size), written with $n placeholders for both drivers.
var expireQueries = []struct {
	what   func(*Expired) *int
	before func(now time.Time) time.Time
	query  string
}{
	{func(e *Expired) *int { return &e.Reports }, func(now time.Time) time.Time { return now },
		`DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE expires_at <= $1 LIMIT $2)`},
	{func(e *Expired) *int { return &e.Deliveries }, func(now time.Time) time.Time { return now.Add(-DeliveryTTL) },
		`DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries WHERE at <= $1 LIMIT $2)`},
}

// Expire removes the reports expired at now and the old delivery keys, a batch per statement.
func (s *Postgres) Expire(ctx context.Context, now time.Time) (Expired, error) {
	var e Expired
	for _, q := range expireQueries {
		for {
			tag, err := s.pool.Exec(ctx, q.query, millis(q.before(now)), pruneBatch)
			if err != nil {
				return e, fmt.Errorf("expire: %w", err)
			}
			n := int(tag.RowsAffected())
			*q.what(&e) += n
			if n < pruneBatch {
				break
			}
		}
	}
	return e, nil
}
