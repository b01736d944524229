package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	_ AuditHistory = (*SQLite)(nil)
	_ SummaryTicks = (*SQLite)(nil)
)

const auditColumns = `account, control, account_id, at, status, failed_step, reason, verdict, since, source`

// prefixed qualifies each of a comma-separated list of columns.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

func validateAudit(r AuditRecord) error {
	switch {
	case r.Account == "":
		return errors.New("record audit: empty account")
	case r.At.IsZero():
		return fmt.Errorf("record audit of %q: zero time", r.Account)
	case r.Status != AuditPass && r.Status != AuditFail && r.Status != AuditError:
		return fmt.Errorf("record audit of %q: status %q is not PASS, FAIL or ERROR", r.Account, r.Status)
	case r.Verdict != "" && r.Verdict != AuditPass && r.Verdict != AuditFail:
		return fmt.Errorf("record audit of %q: verdict %q is not PASS or FAIL", r.Account, r.Verdict)
	}
	return nil
}

// RecordAudits stores the records in one transaction.
func (s *SQLite) RecordAudits(ctx context.Context, recs []AuditRecord) error {
	for _, r := range recs {
		if err := validateAudit(r); err != nil {
			return err
		}
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit_history (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range recs {
			var since int64
			if !r.Since.IsZero() {
				since = millis(r.Since)
			}
			if _, err := stmt.ExecContext(ctx, r.Account, cmp.Or(r.Control, DefaultControl), r.AccountID, millis(r.At), r.Status, r.FailedStep, r.Reason, r.Verdict, since, r.Source); err != nil {
				return fmt.Errorf("account %q: %w", r.Account, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d audit results: %w", len(recs), err)
	}
	return nil
}

func scanAudit(sc scanner) (AuditRecord, error) {
	var r AuditRecord
	var at, since int64
	if err := sc.Scan(&r.Account, &r.Control, &r.AccountID, &at, &r.Status, &r.FailedStep, &r.Reason, &r.Verdict, &since, &r.Source); err != nil {
		return AuditRecord{}, err
	}
	r.At = fromMillis(at)
	if since != 0 {
		r.Since = fromMillis(since)
	}
	return r, nil
}

// LatestAudits returns the latest record of each (account, control).
func (s *SQLite) LatestAudits(ctx context.Context, accounts []string) ([]AuditRecord, error) {
	// Each (account, control)'s latest row is found through the (account, control, at, seq)
	// index, once per pair rather than once per row.
	where, args := "", []any{}
	if len(accounts) > 0 {
		where = " WHERE account IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(accounts)), ", ") + ")"
		for _, a := range accounts {
			args = append(args, a)
		}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+prefixed("h.", auditColumns)+`
		FROM (SELECT DISTINCT account, control FROM audit_history`+where+`) a
		JOIN audit_history h ON h.seq = (SELECT seq FROM audit_history WHERE account = a.account AND control = a.control ORDER BY at DESC, seq DESC LIMIT 1)
		ORDER BY a.account, a.control`, args...)
	if err != nil {
		return nil, fmt.Errorf("latest audit results: %w", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("latest audit results: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("latest audit results: %w", err)
	}
	return out, nil
}

// AccountAudits returns an account's records, newest first.
func (s *SQLite) AccountAudits(ctx context.Context, account string, limit int) ([]AuditRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("audit results of %q: limit %d, want a positive number", account, limit)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_history WHERE account = ?
		ORDER BY at DESC, seq DESC LIMIT ?`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("audit results of %q: %w", account, err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("audit results of %q: %w", account, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit results of %q: %w", account, err)
	}
	return out, nil
}

// ClaimTick inserts the claim unless the key exists.
func (s *SQLite) ClaimTick(ctx context.Context, schedule string, tick time.Time, owner string, at time.Time, lease time.Duration) (bool, error) {
	if err := checkClaimTick(schedule, tick, owner); err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO summary_ticks (schedule, tick, owner, claimed_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (schedule, tick) DO UPDATE SET owner = excluded.owner, claimed_at = excluded.claimed_at
		WHERE summary_ticks.posted_at = 0 AND summary_ticks.error = '' AND summary_ticks.claimed_at < ?`,
		schedule, millis(tick), owner, millis(at), staleBefore(at, lease))
	if err != nil {
		return false, fmt.Errorf("claim tick %s of %q: %w", tick.UTC().Format(time.RFC3339), schedule, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim tick %s of %q: %w", tick.UTC().Format(time.RFC3339), schedule, err)
	}
	return n == 1, nil
}

// FinishTick records a claimed tick's outcome.
func (s *SQLite) FinishTick(ctx context.Context, schedule string, tick time.Time, owner string, pass, total int, errMsg string, at time.Time) error {
	var posted int64
	if errMsg == "" {
		posted = millis(at)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE summary_ticks SET posted_at = ?, pass = ?, total = ?, error = ?
		WHERE schedule = ? AND tick = ? AND owner = ?`, posted, pass, total, errMsg, schedule, millis(tick), owner)
	if err != nil {
		return fmt.Errorf("finish tick %s of %q: %w", tick.UTC().Format(time.RFC3339), schedule, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("finish tick %s of %q by %q: %w", tick.UTC().Format(time.RFC3339), schedule, owner, ErrNotFound)
	}
	return nil
}

// LastPosted returns the latest posted tick of schedule before tick.
func (s *SQLite) LastPosted(ctx context.Context, schedule string, tick time.Time) (Tick, bool, error) {
	var t Tick
	var tk, claimed, posted int64
	err := s.r.QueryRowContext(ctx, `SELECT schedule, tick, owner, claimed_at, posted_at, pass, total, error FROM summary_ticks
		WHERE schedule = ? AND tick < ? AND posted_at > 0 ORDER BY tick DESC LIMIT 1`, schedule, millis(tick)).
		Scan(&t.Schedule, &tk, &t.Owner, &claimed, &posted, &t.Pass, &t.Total, &t.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return Tick{}, false, nil
	}
	if err != nil {
		return Tick{}, false, fmt.Errorf("last summary of %q: %w", schedule, err)
	}
	t.Tick, t.ClaimedAt, t.PostedAt = fromMillis(tk), fromMillis(claimed), fromMillis(posted)
	return t, true, nil
}
