package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RecordAudits stores the records in one transaction, sent as one batch.
func (s *Postgres) RecordAudits(ctx context.Context, recs []AuditRecord) error {
	for _, r := range recs {
		if err := validateAudit(r); err != nil {
			return err
		}
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, r := range recs {
			var since int64
			if !r.Since.IsZero() {
				since = millis(r.Since)
			}
			b.Queue(`INSERT INTO audit_history (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				r.Account, cmp.Or(r.Control, DefaultControl), r.AccountID, millis(r.At), r.Status, r.FailedStep, r.Reason, r.Verdict, since, r.Source)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("record %d audit results: %w", len(recs), err)
	}
	return nil
}

// LatestAudits returns the latest record of each (account, control). The pairs are walked
// through the (account, control, at, seq) index, one probe from each pair to the next, and each
// pair's latest row is found there too: DISTINCT over the whole history would read every row.
func (s *Postgres) LatestAudits(ctx context.Context, accounts []string) ([]AuditRecord, error) {
	and, args := "", []any{}
	if len(accounts) > 0 {
		and, args = " AND account = ANY($1)", []any{accounts}
	}
	query := `WITH RECURSIVE pairs AS (
			(SELECT account, control FROM audit_history WHERE true` + and + ` ORDER BY account, control LIMIT 1)
			UNION ALL
			SELECT n.account, n.control FROM pairs p CROSS JOIN LATERAL (
				SELECT account, control FROM audit_history
				WHERE (account, control) > (p.account, p.control)` + and + `
				ORDER BY account, control LIMIT 1) n)
		SELECT ` + prefixed("h.", auditColumns) + ` FROM pairs a
		CROSS JOIN LATERAL (SELECT * FROM audit_history
			WHERE account = a.account AND control = a.control ORDER BY at DESC, seq DESC LIMIT 1) h
		ORDER BY a.account, a.control`
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("latest audit results: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditRecord, error) { return scanAudit(row) })
	if err != nil {
		return nil, fmt.Errorf("latest audit results: %w", err)
	}
	return out, nil
}

// AccountAudits returns an account's records, newest first.
func (s *Postgres) AccountAudits(ctx context.Context, account string, limit int) ([]AuditRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("audit results of %q: limit %d, want a positive number", account, limit)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_history WHERE account = $1
		ORDER BY at DESC, seq DESC LIMIT $2`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("audit results of %q: %w", account, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditRecord, error) { return scanAudit(row) })
	if err != nil {
		return nil, fmt.Errorf("audit results of %q: %w", account, err)
	}
	return out, nil
}

// ClaimTick inserts the claim unless the key exists (or takes over a stale one). Of callers
// racing for one key, the INSERT's conflict check lets one insert; a takeover's condition is
// checked again on the row as the previous winner left it, so one takes it over.
func (s *Postgres) ClaimTick(ctx context.Context, schedule string, tick time.Time, owner string, at time.Time, lease time.Duration) (bool, error) {
	if err := checkClaimTick(schedule, tick, owner); err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO summary_ticks (schedule, tick, owner, claimed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (schedule, tick) DO UPDATE SET owner = excluded.owner, claimed_at = excluded.claimed_at
		WHERE summary_ticks.posted_at = 0 AND summary_ticks.error = '' AND summary_ticks.claimed_at < $5`,
		schedule, millis(tick), owner, millis(at), staleBefore(at, lease))
	if err != nil {
		return false, fmt.Errorf("claim tick %s of %q: %w", tick.UTC().Format(time.RFC3339), schedule, err)
	}
	return tag.RowsAffected() == 1, nil
}

// FinishTick records a claimed tick's outcome.
func (s *Postgres) FinishTick(ctx context.Context, schedule string, tick time.Time, owner string, pass, total int, errMsg string, at time.Time) error {
	var posted int64
	if errMsg == "" {
		posted = millis(at)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE summary_ticks SET posted_at = $1, pass = $2, total = $3, error = $4
		WHERE schedule = $5 AND tick = $6 AND owner = $7`, posted, pass, total, errMsg, schedule, millis(tick), owner)
	if err != nil {
		return fmt.Errorf("finish tick %s of %q: %w", tick.UTC().Format(time.RFC3339), schedule, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("finish tick %s of %q by %q: %w", tick.UTC().Format(time.RFC3339), schedule, owner, ErrNotFound)
	}
	return nil
}

// LastPosted returns the latest posted tick of schedule before tick.
func (s *Postgres) LastPosted(ctx context.Context, schedule string, tick time.Time) (Tick, bool, error) {
	var t Tick
	var tk, claimed, posted int64
	err := s.pool.QueryRow(ctx, `SELECT schedule, tick, owner, claimed_at, posted_at, pass, total, error FROM summary_ticks
		WHERE schedule = $1 AND tick < $2 AND posted_at > 0 ORDER BY tick DESC LIMIT 1`, schedule, millis(tick)).
		Scan(&t.Schedule, &tk, &t.Owner, &claimed, &posted, &t.Pass, &t.Total, &t.Error)
	if errors.Is(err, pgx.ErrNoRows) {
		return Tick{}, false, nil
	}
	if err != nil {
		return Tick{}, false, fmt.Errorf("last summary of %q: %w", schedule, err)
	}
	t.Tick, t.ClaimedAt, t.PostedAt = fromMillis(tk), fromMillis(claimed), fromMillis(posted)
	return t, true, nil
}

// Thread returns the first message of key's thread in channel.
func (s *Postgres) Thread(ctx context.Context, key, channel string) (string, []byte, bool, error) {
	var ts string
	var first []byte
	err := s.pool.QueryRow(ctx, `SELECT ts, first FROM threads WHERE key = $1 AND channel = $2`, key, channel).Scan(&ts, &first)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("thread of %q in %q: %w", key, channel, err)
	}
	return ts, first, true, nil
}

// SetThread records key's thread in channel, replacing any earlier one.
func (s *Postgres) SetThread(ctx context.Context, key, channel, ts, state string, first []byte, at time.Time) error {
	if err := checkSetThread(key, channel, ts, at); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO threads (key, channel, ts, state, first, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (key, channel) DO UPDATE SET ts = excluded.ts, state = excluded.state,
			first = COALESCE(excluded.first, threads.first), updated_at = excluded.updated_at`,
		key, channel, ts, state, first, millis(at))
	if err != nil {
		return fmt.Errorf("set thread %q in %q: %w", key, channel, err)
	}
	return nil
}

// pgPruneQueries are pruneQueries for PostgreSQL, with the same arguments: the cutoff and the
// batch size.
var pgPruneQueries = []struct {
	what  func(*Pruned) *int
	query string
}{
	{func(p *Pruned) *int { return &p.Outbox }, `DELETE FROM outbox WHERE id IN (
		SELECT id FROM outbox WHERE delivered AND delivered_at < $1 LIMIT $2)`},
	{func(p *Pruned) *int { return &p.RequestBodies }, `WITH batch AS (
			SELECT id, cisbot_pruned_plan(plan) AS plan FROM requests
			WHERE state IN (` + finishedStatesSQL + `) AND updated_at < $1 AND cisbot_pruned_plan(plan) IS NOT NULL
			LIMIT $2)
		UPDATE requests r SET plan = batch.plan FROM batch WHERE r.id = batch.id`},
	// Each (account, control)'s latest record stays: the next summary compares with it.
	{func(p *Pruned) *int { return &p.AuditHistory }, `DELETE FROM audit_history WHERE seq IN (
		SELECT h.seq FROM audit_history h WHERE h.at < $1 AND EXISTS (
			SELECT 1 FROM audit_history l WHERE l.account = h.account AND l.control = h.control AND (l.at, l.seq) > (h.at, h.seq))
		LIMIT $2)`},
	// A schedule's latest posted tick stays: its next summary is compared with it.
	{func(p *Pruned) *int { return &p.SummaryTicks }, `DELETE FROM summary_ticks WHERE (schedule, tick) IN (
		SELECT t.schedule, t.tick FROM summary_ticks t WHERE t.tick < $1 AND t.tick < (
			SELECT max(l.tick) FROM summary_ticks l WHERE l.schedule = t.schedule AND l.posted_at > 0)
		LIMIT $2)`},
}

// Prune removes what was finished before cutoff (see Retention), a batch per statement.
func (s *Postgres) Prune(ctx context.Context, cutoff time.Time) (Pruned, error) {
	var p Pruned
	for _, q := range pgPruneQueries {
		for {
			tag, err := s.pool.Exec(ctx, q.query, millis(cutoff), pruneBatch)
			if err != nil {
				return p, fmt.Errorf("prune: %w", err)
			}
			n := int(tag.RowsAffected())
			*q.what(&p) += n
			if n < pruneBatch {
				break
			}
		}
	}
	return p, nil
}
