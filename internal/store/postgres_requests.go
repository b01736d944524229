package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CreateRequest stores a new request.
func (s *Postgres) CreateRequest(ctx context.Context, r Request) error {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO requests (`+requestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, r.Account, r.Channel, r.RequestedBy, plan, r.PlanHash, string(r.State),
		millis(r.CreatedAt), millis(r.ExpiresAt), millis(r.UpdatedAt), r.DecidedBy, r.MessageRef)
	if pgCode(err) == pgUniqueViolation {
		return fmt.Errorf("create request %q: %w", r.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create request %q: %w", r.ID, err)
	}
	return nil
}

// GetRequest returns the request with that id.
func (s *Postgres) GetRequest(ctx context.Context, id string) (Request, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Request{}, fmt.Errorf("request %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("request %q: %w", id, err)
	}
	return r, nil
}

// Transition moves a request from one state to another if, and only if, it is in from.
func (s *Postgres) Transition(ctx context.Context, id string, from, to State, actor, eventKind, detail string, at time.Time) (ok bool, err error) {
	if err := checkTransition(id, from, to, eventKind, at); err != nil {
		return false, err
	}
	decided := eventKind == EventApproved || eventKind == EventRejected
	err = s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE requests
			SET state = $1, updated_at = $2, decided_by = CASE WHEN $3 THEN $4 ELSE decided_by END
			WHERE id = $5 AND state = $6`,
			string(to), millis(at), decided, actor, id, string(from))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			found, err := exists(ctx, tx, "requests", id)
			if err == nil && !found {
				return ErrNotFound
			}
			return err // nil: the request is in another state
		}
		ok = true
		return pgInsertEvent(ctx, tx, Event{RequestID: id, At: at, Actor: actor, Kind: eventKind, Detail: detail})
	})
	if err != nil {
		return false, fmt.Errorf("transition request %q from %s to %s: %w", id, from, to, err)
	}
	return ok, nil
}

// ExpireBefore expires the pending requests whose ExpiresAt <= at, recording an event for each
// in the same statement, so two sweeps at once expire (and record) each request once.
func (s *Postgres) ExpireBefore(ctx context.Context, at time.Time) (int, error) {
	if at.IsZero() {
		return 0, errors.New("expire requests: zero time")
	}
	tag, err := s.pool.Exec(ctx, `WITH expired AS (
			UPDATE requests SET state = $1, updated_at = $2
			WHERE state = $3 AND expires_at <= $2
			RETURNING id, created_at, seq)
		INSERT INTO request_events (request_id, at, actor, kind, detail)
		SELECT id, $2, $4, $5, 'no decision before expiry' FROM expired ORDER BY created_at, seq`,
		string(StateExpired), millis(at), string(StatePending), ActorSystem, EventExpired)
	if err != nil {
		return 0, fmt.Errorf("expire requests: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// AddEvent records an event for an existing request.
func (s *Postgres) AddEvent(ctx context.Context, e Event) error {
	switch {
	case e.RequestID == "":
		return errors.New("add event: empty RequestID")
	case e.Kind == "":
		return fmt.Errorf("add event to request %q: empty Kind", e.RequestID)
	case e.At.IsZero():
		return fmt.Errorf("add event to request %q: zero At", e.RequestID)
	}
	err := pgInsertEvent(ctx, s.pool, e)
	if pgCode(err) == pgForeignKeyViolation {
		return fmt.Errorf("add event to request %q: %w", e.RequestID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add event to request %q: %w", e.RequestID, err)
	}
	return nil
}

func pgInsertEvent(ctx context.Context, db dbQuerier, e Event) error {
	_, err := db.Exec(ctx, `INSERT INTO request_events (request_id, at, actor, kind, detail)
		VALUES ($1, $2, $3, $4, $5)`, e.RequestID, millis(e.At), e.Actor, e.Kind, e.Detail)
	return err
}

// Events returns the request's events in time order.
func (s *Postgres) Events(ctx context.Context, requestID string) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT request_id, at, actor, kind, detail
		FROM request_events WHERE request_id = $1 ORDER BY at, seq`, requestID)
	if err != nil {
		return nil, fmt.Errorf("events of request %q: %w", requestID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var (
			e  Event
			at int64
		)
		err := row.Scan(&e.RequestID, &at, &e.Actor, &e.Kind, &e.Detail)
		e.At = fromMillis(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("events of request %q: %w", requestID, err)
	}
	return out, nil
}

// History returns the most recent requests, newest first.
func (s *Postgres) History(ctx context.Context, account string, limit int) ([]Request, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("request history: limit %d: want a positive number", limit)
	}
	query := `SELECT ` + requestColumns + ` FROM requests ORDER BY created_at DESC, seq DESC LIMIT $1`
	args := []any{limit}
	if account != "" {
		query = `SELECT ` + requestColumns + ` FROM requests WHERE account = $1
			ORDER BY created_at DESC, seq DESC LIMIT $2`
		args = []any{account, limit}
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("request history of %q: %w", account, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Request, error) { return scanRequest(row) })
	if err != nil {
		return nil, fmt.Errorf("request history of %q: %w", account, err)
	}
	return out, nil
}

// SetMessageRef records the plan message's transport handle.
func (s *Postgres) SetMessageRef(ctx context.Context, id, ref string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE requests SET message_ref = $1 WHERE id = $2`, ref, id)
	if err != nil {
		return fmt.Errorf("set message ref of request %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set message ref of request %q: %w", id, ErrNotFound)
	}
	return nil
}

// InState returns the requests in a state, oldest first.
func (s *Postgres) InState(ctx context.Context, state State) ([]Request, error) {
	if !state.Valid() {
		return nil, fmt.Errorf("requests in state %q: invalid state", state)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+requestColumns+` FROM requests WHERE state = $1
		ORDER BY created_at, seq`, string(state))
	if err != nil {
		return nil, fmt.Errorf("requests in state %s: %w", state, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Request, error) { return scanRequest(row) })
	if err != nil {
		return nil, fmt.Errorf("requests in state %s: %w", state, err)
	}
	return out, nil
}

// LockAccount takes the account's lock for the request if it is free (one conditional upsert:
// of two racers, the second sees the first's row and its condition then fails).
func (s *Postgres) LockAccount(ctx context.Context, account, requestID, owner string, at, until time.Time) (bool, error) {
	switch {
	case account == "" || requestID == "":
		return false, fmt.Errorf("lock account %q for request %q: empty account or request", account, requestID)
	case at.IsZero() || !until.After(at):
		return false, fmt.Errorf("lock account %q for request %q: want at < until", account, requestID)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO account_locks (account, request_id, owner, until)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (account) DO UPDATE SET request_id = excluded.request_id, owner = excluded.owner, until = excluded.until
		WHERE account_locks.request_id = excluded.request_id
		   OR account_locks.until <= $5
		   OR NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = account_locks.request_id AND r.state IN ($6, $7))`,
		account, requestID, owner, millis(until), millis(at), string(StatePending), string(StateApplying))
	if err != nil {
		return false, fmt.Errorf("lock account %q for request %q: %w", account, requestID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// UnlockAccount releases the account's lock if the request holds it.
func (s *Postgres) UnlockAccount(ctx context.Context, account, requestID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM account_locks WHERE account = $1 AND request_id = $2`, account, requestID)
	if err != nil {
		return fmt.Errorf("unlock account %q for request %q: %w", account, requestID, err)
	}
	return nil
}

// GetAccountLock returns who holds the account's lock.
func (s *Postgres) GetAccountLock(ctx context.Context, account string) (AccountLock, error) {
	l := AccountLock{Account: account}
	var until int64
	err := s.pool.QueryRow(ctx, `SELECT request_id, owner, until FROM account_locks WHERE account = $1`, account).
		Scan(&l.RequestID, &l.Owner, &until)
	if errors.Is(err, pgx.ErrNoRows) {
		return AccountLock{}, fmt.Errorf("lock of account %q: %w", account, ErrNotFound)
	}
	if err != nil {
		return AccountLock{}, fmt.Errorf("lock of account %q: %w", account, err)
	}
	l.Until = fromMillis(until)
	return l, nil
}
