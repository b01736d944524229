package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// millis is how a time is stored: unix milliseconds, UTC.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis is the inverse of millis.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

const requestColumns = `id, account, channel, requested_by, plan, plan_hash, state,
	created_at, expires_at, updated_at, decided_by, message_ref`

// CreateRequest stores a new request.
func (s *SQLite) CreateRequest(ctx context.Context, r Request) error {
	if r.State == "" {
		r.State = StatePending
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	if err := validateRequest(r); err != nil {
		return err
	}
	plan := r.Plan
	if plan == nil {
		plan = []byte{}
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO requests (`+requestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Account, r.Channel, r.RequestedBy, plan, r.PlanHash, string(r.State),
		millis(r.CreatedAt), millis(r.ExpiresAt), millis(r.UpdatedAt), r.DecidedBy, r.MessageRef)
	if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("create request %q: %w", r.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create request %q: %w", r.ID, err)
	}
	return nil
}

func validateRequest(r Request) error {
	switch {
	case r.ID == "":
		return errors.New("create request: empty ID")
	case r.Account == "":
		return fmt.Errorf("create request %q: empty Account", r.ID)
	case !r.State.Valid():
		return fmt.Errorf("create request %q: invalid state %q", r.ID, r.State)
	case r.CreatedAt.IsZero():
		return fmt.Errorf("create request %q: zero CreatedAt", r.ID)
	case r.ExpiresAt.IsZero():
		return fmt.Errorf("create request %q: zero ExpiresAt", r.ID)
	}
	return nil
}

// GetRequest returns the request with that id.
func (s *SQLite) GetRequest(ctx context.Context, id string) (Request, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id)
	r, err := scanRequest(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, fmt.Errorf("request %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("request %q: %w", id, err)
	}
	return r, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRequest(sc scanner) (Request, error) {
	var (
		r                         Request
		state                     string
		created, expires, updated int64
	)
	err := sc.Scan(&r.ID, &r.Account, &r.Channel, &r.RequestedBy, &r.Plan, &r.PlanHash, &state,
		&created, &expires, &updated, &r.DecidedBy, &r.MessageRef)
	if err != nil {
		return Request{}, err
	}
	r.State = State(state)
	r.CreatedAt, r.ExpiresAt, r.UpdatedAt = fromMillis(created), fromMillis(expires), fromMillis(updated)
	return r, nil
}

// Transition moves a request from one state to another if, and only if, it is in from.
func (s *SQLite) Transition(ctx context.Context, id string, from, to State, actor, eventKind, detail string, at time.Time) (ok bool, err error) {
	if err := checkTransition(id, from, to, eventKind, at); err != nil {
		return false, err
	}
	decided := eventKind == EventApproved || eventKind == EventRejected

	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE requests
			SET state = ?, updated_at = ?, decided_by = CASE WHEN ? THEN ? ELSE decided_by END
			WHERE id = ? AND state = ?`,
			string(to), millis(at), decided, actor, id, string(from))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM requests WHERE id = ?`, id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err // nil: the request is in another state
		}
		ok = true
		return insertEvent(ctx, tx, Event{RequestID: id, At: at, Actor: actor, Kind: eventKind, Detail: detail})
	})
	if err != nil {
		return false, fmt.Errorf("transition request %q from %s to %s: %w", id, from, to, err)
	}
	return ok, nil
}

// ExpireBefore expires the pending requests whose ExpiresAt <= at.
func (s *SQLite) ExpireBefore(ctx context.Context, at time.Time) (int, error) {
	if at.IsZero() {
		return 0, errors.New("expire requests: zero time")
	}
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO request_events (request_id, at, actor, kind, detail)
			SELECT id, ?, ?, ?, 'no decision before expiry' FROM requests
			WHERE state = ? AND expires_at <= ?
			ORDER BY created_at, rowid`,
			millis(at), ActorSystem, EventExpired, string(StatePending), millis(at))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE requests SET state = ?, updated_at = ?
			WHERE state = ? AND expires_at <= ?`,
			string(StateExpired), millis(at), string(StatePending), millis(at))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire requests: %w", err)
	}
	return int(n), nil
}

// AddEvent records an event for an existing request.
func (s *SQLite) AddEvent(ctx context.Context, e Event) error {
	switch {
	case e.RequestID == "":
		return errors.New("add event: empty RequestID")
	case e.Kind == "":
		return fmt.Errorf("add event to request %q: empty Kind", e.RequestID)
	case e.At.IsZero():
		return fmt.Errorf("add event to request %q: zero At", e.RequestID)
	}
	err := insertEvent(ctx, s.w, e)
	if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
		return fmt.Errorf("add event to request %q: %w", e.RequestID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add event to request %q: %w", e.RequestID, err)
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertEvent(ctx context.Context, db execer, e Event) error {
	_, err := db.ExecContext(ctx, `INSERT INTO request_events (request_id, at, actor, kind, detail)
		VALUES (?, ?, ?, ?, ?)`, e.RequestID, millis(e.At), e.Actor, e.Kind, e.Detail)
	return err
}

// Events returns the request's events in time order.
func (s *SQLite) Events(ctx context.Context, requestID string) ([]Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT request_id, at, actor, kind, detail
		FROM request_events WHERE request_id = ? ORDER BY at, seq`, requestID)
	if err != nil {
		return nil, fmt.Errorf("events of request %q: %w", requestID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e  Event
			at int64
		)
		if err := rows.Scan(&e.RequestID, &at, &e.Actor, &e.Kind, &e.Detail); err != nil {
			return nil, fmt.Errorf("events of request %q: %w", requestID, err)
		}
		e.At = fromMillis(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of request %q: %w", requestID, err)
	}
	return out, nil
}

// History returns the most recent requests, newest first.
func (s *SQLite) History(ctx context.Context, account string, limit int) ([]Request, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("request history: limit %d: want a positive number", limit)
	}
	query := `SELECT ` + requestColumns + ` FROM requests ORDER BY created_at DESC, rowid DESC LIMIT ?`
	args := []any{limit}
	if account != "" {
		query = `SELECT ` + requestColumns + ` FROM requests WHERE account = ?
			ORDER BY created_at DESC, rowid DESC LIMIT ?`
		args = []any{account, limit}
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("request history of %q: %w", account, err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("request history of %q: %w", account, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("request history of %q: %w", account, err)
	}
	return out, nil
}

// SetMessageRef records the plan message's transport handle.
func (s *SQLite) SetMessageRef(ctx context.Context, id, ref string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE requests SET message_ref = ? WHERE id = ?`, ref, id)
	if err != nil {
		return fmt.Errorf("set message ref of request %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("set message ref of request %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("set message ref of request %q: %w", id, ErrNotFound)
	}
	return nil
}

// writeTx runs fn in one write transaction (BEGIN IMMEDIATE, from the DSN), committing when it
// returns nil.
func (s *SQLite) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// InState returns the requests in a state, oldest first.
func (s *SQLite) InState(ctx context.Context, state State) ([]Request, error) {
	if !state.Valid() {
		return nil, fmt.Errorf("requests in state %q: invalid state", state)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE state = ?
		ORDER BY created_at, rowid`, string(state))
	if err != nil {
		return nil, fmt.Errorf("requests in state %s: %w", state, err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("requests in state %s: %w", state, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requests in state %s: %w", state, err)
	}
	return out, nil
}
