package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

var _ Retention = (*SQLite)(nil)

// pruneBatch is how many rows one pruning transaction touches: the first prune of a large store
// removes hundreds of thousands, and one transaction for all of them would hold the write lock
// (and the SNS endpoint's inserts) for seconds.
var pruneBatch = 2000 // a variable for the tests

// prunedPlan keeps what history shows of a finished request's plan: the account, the hash and
// each step's kind and resource; the rest (parameters, details, manual steps) goes.
const prunedPlan = `json_object(
	'account', plan->>'account', 'account_id', plan->>'account_id', 'passes', json(CASE WHEN plan->>'passes' THEN 'true' ELSE 'false' END),
	'steps', json((SELECT json_group_array(json_object('kind', value->>'kind', 'resource', value->>'resource')) FROM json_each(plan, '$.steps'))),
	'manual', json_array(), 'hash', plan->>'hash', 'pruned', json('true'))`

// finishedStatesSQL is FinishedStates as an SQL list.
var finishedStatesSQL = func() string {
	quoted := make([]string, len(FinishedStates))
	for i, st := range FinishedStates {
		quoted[i] = "'" + string(st) + "'"
	}
	return strings.Join(quoted, ", ")
}()

// pruneQueries each touch at most a batch of rows finished before a cutoff (their arguments).
var pruneQueries = []struct {
	what  func(*Pruned) *int
	query string
}{
	{func(p *Pruned) *int { return &p.Outbox }, `DELETE FROM outbox WHERE id IN (
		SELECT id FROM outbox WHERE delivered = 1 AND delivered_at < ? LIMIT ?)`},
	{func(p *Pruned) *int { return &p.RequestBodies }, `UPDATE requests SET plan = CAST(` + prunedPlan + ` AS BLOB) WHERE id IN (
		SELECT id FROM requests WHERE state IN (` + finishedStatesSQL + `) AND updated_at < ?
		AND json_valid(plan) AND plan->>'pruned' IS NULL LIMIT ?)`},
	// Each (account, control)'s latest record stays: the next summary compares with it.
	{func(p *Pruned) *int { return &p.AuditHistory }, `DELETE FROM audit_history WHERE seq IN (
		SELECT h.seq FROM audit_history h WHERE h.at < ? AND EXISTS (
			SELECT 1 FROM audit_history l WHERE l.account = h.account AND l.control = h.control AND (l.at, l.seq) > (h.at, h.seq))
		LIMIT ?)`},
	// A schedule's latest posted tick stays: its next summary is compared with it.
	{func(p *Pruned) *int { return &p.SummaryTicks }, `DELETE FROM summary_ticks WHERE rowid IN (
		SELECT t.rowid FROM summary_ticks t WHERE t.tick < ? AND t.tick < (
			SELECT max(l.tick) FROM summary_ticks l WHERE l.schedule = t.schedule AND l.posted_at > 0)
		LIMIT ?)`},
}

// Prune removes what was finished before cutoff (see Retention), a batch per transaction.
func (s *SQLite) Prune(ctx context.Context, cutoff time.Time) (Pruned, error) {
	var p Pruned
	for _, q := range pruneQueries {
		for {
			var n int64
			err := s.writeTx(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, q.query, millis(cutoff), pruneBatch)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return p, err
			}
			*q.what(&p) += int(n)
			if n < int64(pruneBatch) {
				break
			}
		}
	}
	return p, nil
}
