package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
)

// migrateTo applies the migrations up to version to a new file at path, as an older cisbot
// would have left it.
func migrateTo(t *testing.T, path string, version int64) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	fsys, err := fs.Sub(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestMigration00006KeepsRequests: the rebuild of requests (for the interrupted state) keeps
// every request, its events in their order, the indexes, the cascade from a request to its
// events and the events' sequence.
func TestMigration00006KeepsRequests(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cisbot.db")
	old := migrateTo(t, path, 5)
	at := base.UnixMilli()
	for _, q := range []string{
		`INSERT INTO requests (id, account, channel, requested_by, plan, plan_hash, state, created_at, expires_at, updated_at, decided_by, message_ref)
			VALUES ('r1', 'prod', 'C1', 'U1', x'7b7d', 'h1', 'applying', ?1, ?1, ?1, 'U2', 'ts1'),
			       ('r2', 'prod', 'C1', 'U1', x'7b7d', 'h2', 'pending', ?1, ?1, ?1, '', '')`,
		`INSERT INTO request_events (request_id, at, actor, kind, detail) VALUES
			('r1', ?1, 'U1', 'requested', 'a'), ('r1', ?1, 'U2', 'approved', 'b'), ('r1', ?1, 'system', 'step', 'c'),
			('r2', ?1, 'U1', 'requested', 'd')`,
	} {
		if _, err := old.ExecContext(ctx, q, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTestSQLite(t, path)
	r1 := mustGet(t, s, "r1")
	if r1.State != StateApplying || r1.DecidedBy != "U2" || r1.MessageRef != "ts1" || string(r1.Plan) != "{}" || !r1.CreatedAt.Equal(ms(base)) {
		t.Errorf("r1 after the migration: %+v", r1)
	}
	var details string
	for _, e := range mustEvents(t, s, "r1") {
		details += e.Detail
	}
	if details != "abc" {
		t.Errorf("r1's events %q, want abc in order", details)
	}

	ok, err := s.Transition(ctx, "r1", StateApplying, StateInterrupted, ActorSystem, EventInterrupted, "", base.Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("applying → interrupted = %v, %v", ok, err)
	}
	if err := s.AddEvent(ctx, Event{RequestID: "r2", At: base, Kind: EventStep}); err != nil {
		t.Fatal(err)
	}
	var maxSeq, newSeq int
	if err := s.r.QueryRowContext(ctx, `SELECT max(seq) FROM request_events WHERE request_id = 'r1'`).Scan(&maxSeq); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT max(seq) FROM request_events WHERE request_id = 'r2'`).Scan(&newSeq); err != nil {
		t.Fatal(err)
	}
	if newSeq <= maxSeq {
		t.Errorf("a new event got seq %d, not after the kept ones (up to %d)", newSeq, maxSeq)
	}

	var indexes string
	if err := s.r.QueryRowContext(ctx, `SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema
		WHERE type = 'index' AND tbl_name IN ('requests', 'request_events') AND name NOT LIKE 'sqlite_%' ORDER BY name)`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if want := "request_events_request_at requests_account_created requests_created requests_state_expires"; indexes != want {
		t.Errorf("indexes %q, want %q", indexes, want)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE requests SET state = 'bogus' WHERE id = 'r2'`); err == nil {
		t.Error("the state CHECK constraint is gone")
	}
	// The cascade still runs from the rebuilt requests to the rebuilt events.
	if _, err := s.w.ExecContext(ctx, `DELETE FROM requests WHERE id = 'r1'`); err != nil {
		t.Fatal(err)
	}
	if ev := mustEvents(t, s, "r1"); len(ev) != 0 {
		t.Errorf("events of a deleted request: %+v", ev)
	}
	var fkErrors int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fkErrors); err != nil {
		t.Fatal(err)
	}
	if fkErrors != 0 {
		t.Errorf("%d foreign key errors", fkErrors)
	}
}

// TestMigration00007KeepsHistory: the audit history written before every control was audited
// reads back as control 4.1's, and the latest record is then kept per control.
func TestMigration00007KeepsHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cisbot.db")
	old := migrateTo(t, path, 6)
	if _, err := old.ExecContext(ctx, `INSERT INTO audit_history (account, account_id, at, status, failed_step, reason, verdict, since, source)
		VALUES ('prod', '111111111111', ?1, 'FAIL', 'alarm', 'no alarm', 'FAIL', ?1, 's1')`, base.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTestSQLite(t, path)
	if err := s.RecordAudits(ctx, []AuditRecord{{Account: "prod", Control: "4.3", At: base.Add(time.Hour), Status: AuditPass, Verdict: AuditPass}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LatestAudits(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Control != "4.1" || got[0].Status != AuditFail || got[0].FailedStep != "alarm" || got[1].Control != "4.3" {
		t.Errorf("after the migration: %+v; want the old FAIL as 4.1's and 4.3's PASS", got)
	}
}
