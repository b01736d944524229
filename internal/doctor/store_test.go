package doctor

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
)

// TestStoreCheck: the store check tells a new, a current, an older and a newer schema apart,
// and an unreachable or uncreatable store, on a real SQLite file and a real PostgreSQL
// server, without ever migrating (the check run twice on a new database finds it new again).
func TestStoreCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	migrated := func(t *testing.T, driver, where string, fix ...string) string {
		t.Helper()
		st, err := store.Open(ctx, driver, where)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if len(fix) > 0 {
			db := openSQL(t, driver, where)
			for _, q := range fix {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		return where
	}
	_, pgNew := pgtest.OwnCluster(t)
	cluster, _ := pgtest.OwnCluster(t)
	pgCurrent, err := cluster.CreateDatabase(ctx, "current")
	if err != nil {
		t.Fatal(err)
	}
	migrated(t, store.DriverPostgres, pgCurrent)
	// A user who may connect but not create tables, as PostgreSQL 15 makes every user but the
	// database's owner in its public schema (and earlier versions do once CREATE is revoked).
	pgReader, err := cluster.CreateDatabase(ctx, "reader")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE ROLE reader LOGIN`, `REVOKE CREATE ON SCHEMA public FROM PUBLIC`} { // the latter PostgreSQL 15's default
		if _, err := openSQL(t, store.DriverPostgres, pgReader).ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pgReader = strings.Replace(pgReader, "postgres@", "reader@", 1)
	// A user who may create tables but does not own those a migration behind, which later
	// migrations alter.
	pgOther, err := cluster.CreateDatabase(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	migrated(t, store.DriverPostgres, pgOther,
		`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`,
		`CREATE ROLE other LOGIN`, `GRANT CREATE ON SCHEMA public TO other`, `GRANT SELECT ON goose_db_version TO other`)
	pgOther = strings.Replace(pgOther, "postgres@", "other@", 1)
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	const behind = `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`
	tests := []struct {
		name, driver, where string
		status              Status
		detail              []string
	}{
		{"sqlite, not created yet", store.DriverSQLite, filepath.Join(dir, "new", "cisbot.db"), Pass, []string{"does not exist yet: cisbot run creates it"}},
		{"sqlite, its directory a file", store.DriverSQLite, filepath.Join(notDir, "cisbot.db"), Fail, []string{"cannot be created", "is not a directory"}},
		{"sqlite, current", store.DriverSQLite, migrated(t, store.DriverSQLite, filepath.Join(dir, "current.db")), Pass, []string{"opens, writable; schema at version", "this cisbot's"}},
		{"sqlite, a migration behind", store.DriverSQLite, migrated(t, store.DriverSQLite, filepath.Join(dir, "behind.db"), behind), Warn,
			[]string{"applies 1 migration(s) at start"}},
		{"sqlite, migrated by a newer version", store.DriverSQLite,
			migrated(t, store.DriverSQLite, filepath.Join(dir, "newer.db"), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)`), Warn,
			[]string{"schema at version 99999, newer than this cisbot's"}},
		{"postgres, a new database", store.DriverPostgres, pgNew, Pass, []string{"PostgreSQL answers; no schema yet: cisbot run creates it"}},
		{"postgres, current", store.DriverPostgres, pgCurrent, Pass, []string{"PostgreSQL answers; schema at version"}},
		{"postgres, a user who does not own the tables", store.DriverPostgres, pgOther, Fail, []string{"its tables belong to another role than other, so cisbot run cannot alter them"}},
		{"postgres, a user who cannot migrate", store.DriverPostgres, pgReader, Fail, []string{"may not create tables in its schema, so cisbot run cannot migrate it"}},
		{"postgres, down", store.DriverPostgres, "postgres://cisbot:s3cret@127.0.0.1:1/cisbot?connect_timeout=2", Fail, []string{"127.0.0.1:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				c := Store{Driver: tc.driver, Where: tc.where}.Check(ctx)
				if c.Status != tc.status {
					t.Errorf("status %s, want %s: %+v", c.Status, tc.status, c)
				}
				for _, want := range tc.detail {
					if !strings.Contains(c.Detail, want) {
						t.Errorf("detail %q lacks %q", c.Detail, want)
					}
				}
				if c.Status != Pass && c.Fix == "" {
					t.Errorf("%s without a fix", c.Status)
				}
				if strings.Contains(c.Detail+c.Fix, "s3cret") {
					t.Errorf("the check shows the password: %+v", c)
				}
			}
		})
	}
	if c := (Store{Driver: store.DriverPostgres, Where: pgReader}).Check(ctx); !strings.Contains(c.Fix, "GRANT CREATE ON SCHEMA public TO reader") {
		t.Errorf("the fix %q does not name the schema and the user", c.Fix)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("the check created the store's directory (%v)", err)
	}
}

// openSQL opens a plain connection to a store's database, closed when the test ends.
func openSQL(t *testing.T, driver, where string) *sql.DB {
	t.Helper()
	name := map[string]string{store.DriverSQLite: "sqlite", store.DriverPostgres: "pgx"}[driver]
	db, err := sql.Open(name, where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
