package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	_ Reports = (*Postgres)(nil)
	_ Expiry  = (*Postgres)(nil)
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

// Expire removes the reports expired at now, a batch per statement.
func (s *Postgres) Expire(ctx context.Context, now time.Time) (Expired, error) {
	var e Expired
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM reports WHERE id IN (
			SELECT id FROM reports WHERE expires_at <= $1 LIMIT $2)`, millis(now), pruneBatch)
		if err != nil {
			return e, fmt.Errorf("expire reports: %w", err)
		}
		n := int(tag.RowsAffected())
		e.Reports += n
		if n < pruneBatch {
			return e, nil
		}
	}
}
