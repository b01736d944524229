package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var _ Threads = (*SQLite)(nil)

// Thread returns the first message of key's thread in channel.
func (s *SQLite) Thread(ctx context.Context, key, channel string) (string, []byte, bool, error) {
	var ts string
	var first []byte
	err := s.r.QueryRowContext(ctx, `SELECT ts, first FROM threads WHERE key = ? AND channel = ?`, key, channel).Scan(&ts, &first)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("thread of %q in %q: %w", key, channel, err)
	}
	return ts, first, true, nil
}

// SetThread records key's thread in channel, replacing any earlier one.
func (s *SQLite) SetThread(ctx context.Context, key, channel, ts, state string, first []byte, at time.Time) error {
	if err := checkSetThread(key, channel, ts, at); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO threads (key, channel, ts, state, first, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (key, channel) DO UPDATE SET ts = excluded.ts, state = excluded.state,
			first = COALESCE(excluded.first, threads.first), updated_at = excluded.updated_at`,
		key, channel, ts, state, first, millis(at))
	if err != nil {
		return fmt.Errorf("set thread %q in %q: %w", key, channel, err)
	}
	return nil
}
