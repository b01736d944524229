package store

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/testutil/pgtest"
	"github.com/pressly/goose/v3"
)

// TestSchemaReadsWithoutMigrating: Schema tells a new database, an up-to-date one and one a
// migration behind apart, and never migrates or creates anything.
func TestSchemaReadsWithoutMigrating(t *testing.T) {
	ctx := context.Background()
	// versions keeps what every driver reports.
	versions := func(v SchemaVersion) SchemaVersion {
		return SchemaVersion{Current: v.Current, Latest: v.Latest, Missing: v.Missing, CannotMigrate: v.CannotMigrate}
	}
	forEachDriver(t, func(t *testing.T, d testDriver) {
		latest := int64(latestMigration(t, d.name))
		db := d.newDB(t)
		for range 2 { // the second time: the first created nothing
			v, err := Schema(ctx, d.name, db)
			if err != nil {
				t.Fatal(err)
			}
			want := SchemaVersion{Latest: latest, Missing: d.name == DriverSQLite}
			if versions(v) != want {
				t.Errorf("new database: Schema = %+v, want %+v", v, want)
			}
		}
		if d.name == DriverSQLite {
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Errorf("Schema created %s (%v)", db, err)
			}
		}
		d.open(t, db)
		if v, err := Schema(ctx, d.name, db); err != nil || versions(v) != (SchemaVersion{Current: latest, Latest: latest}) {
			t.Errorf("migrated database: Schema = %+v, %v; want current %d", v, err, latest)
		}
	})
	t.Run("postgres a migration behind, read only", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		latest := int64(latestMigration(t, DriverPostgres))
		db := migratePostgresTo(t, dsn, latest-1)
		v, err := Schema(ctx, DriverPostgres, dsn)
		if err != nil || versions(v) != (SchemaVersion{Current: latest - 1, Latest: latest}) || v.Schema != "public" || v.User != "postgres" {
			t.Errorf("Schema = %+v, %v; want current %d of %d, in public as postgres", v, err, latest-1, latest)
		}
		var rows int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id = $1`, latest).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("the latest migration is recorded after Schema (%d rows, %v)", rows, err)
		}
	})
	t.Run("sqlite a migration behind", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cisbot.db")
		latest := int64(latestMigration(t, DriverSQLite))
		migrateTo(t, path, latest-1).Close()
		if v, err := Schema(ctx, DriverSQLite, path); err != nil || v != (SchemaVersion{Current: latest - 1, Latest: latest}) {
			t.Errorf("Schema = %+v, %v; want current %d of %d", v, err, latest-1, latest)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ driver, dsn string }{
			{DriverSQLite, ""},
			{DriverPostgres, ""},
			{DriverPostgres, "postgres://cisbot:s3cret@127.0.0.1:1/cisbot?connect_timeout=2"},
			{"mysql", "x"},
		} {
			_, err := Schema(ctx, tc.driver, tc.dsn)
			if err == nil {
				t.Errorf("Schema(%s, %q) did not fail", tc.driver, tc.dsn)
			} else if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Schema(%s) shows the password: %v", tc.driver, err)
			}
		}
	})
}

// migratePostgresTo applies the PostgreSQL migrations up to version to the database dsn names,
// and returns a handle on it, closed when the test ends.
func migratePostgresTo(t *testing.T, dsn string, version int64) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	fsys, err := fs.Sub(postgresMigrations, "migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return db
}
