package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaReadsWithoutMigrating: Schema tells a new database, an up-to-date one and one a
// migration behind apart, and never migrates or creates anything.
func TestSchemaReadsWithoutMigrating(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, d testDriver) {
		latest := int64(latestMigration(t, d.name))
		db := d.newDB(t)
		for range 2 { // the second time: the first created nothing
			v, err := Schema(ctx, d.name, db)
			if err != nil {
				t.Fatal(err)
			}
			want := SchemaVersion{Latest: latest, Missing: d.name == DriverSQLite}
			if v != want {
				t.Errorf("new database: Schema = %+v, want %+v", v, want)
			}
		}
		if d.name == DriverSQLite {
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Errorf("Schema created %s (%v)", db, err)
			}
		}
		d.open(t, db)
		if v, err := Schema(ctx, d.name, db); err != nil || v != (SchemaVersion{Current: latest, Latest: latest}) {
			t.Errorf("migrated database: Schema = %+v, %v; want current %d", v, err, latest)
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
