package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// migrationFiles lists a driver's migrations.
func migrationFiles(t *testing.T, driver string) []fs.DirEntry {
	t.Helper()
	fsys := sqliteMigrations
	if driver == DriverPostgres {
		fsys = postgresMigrations
	}
	files, err := fsys.ReadDir("migrations/" + driver)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// migrationCount is the number of a driver's migration files.
func migrationCount(t *testing.T, driver string) int { return len(migrationFiles(t, driver)) }

// latestMigration is the highest version among a driver's migration files (versions may leave
// gaps: a number can be reserved for a change still under way).
func latestMigration(t *testing.T, driver string) int {
	t.Helper()
	latest := 0
	for _, f := range migrationFiles(t, driver) {
		v, _, _ := strings.Cut(f.Name(), "_")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("migration %s: no version number", f.Name())
		}
		latest = max(latest, n)
	}
	return latest
}

// wantTables are the tables migrations leave in every driver's database.
const wantTables = "account_locks audit_history deliveries goose_db_version outbox reports request_events requests summary_ticks threads"

// schemaState is what migrations have left in the database: goose's applied rows and the
// tables.
func schemaState(t *testing.T, s Store) (versionRows, maxVersion int, tables string) {
	t.Helper()
	queryRow(t, s, `SELECT count(*), max(version_id) FROM goose_db_version WHERE version_id > 0`, nil, &versionRows, &maxVersion)
	list := `SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name)`
	if _, ok := s.(*Postgres); ok {
		list = `SELECT string_agg(tablename, ' ' ORDER BY tablename COLLATE "C") FROM pg_tables WHERE schemaname = current_schema()`
	}
	queryRow(t, s, list, nil, &tables)
	return versionRows, maxVersion, tables
}

func TestMigrationsFromEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "cisbot.db") // the directory is created too
	s := openTestSQLite(t, path)
	rows, maxV, tables := schemaState(t, s)
	if n, latest := migrationCount(t, DriverSQLite), latestMigration(t, DriverSQLite); rows != n || maxV != latest {
		t.Errorf("goose_db_version: %d rows up to version %d, want %d up to %d", rows, maxV, n, latest)
	}
	if tables != wantTables {
		t.Errorf("tables = %q, want %q", tables, wantTables)
	}

	// The writer connection carries the pragmas the store relies on.
	ctx := context.Background()
	pragmas := []struct {
		name, want string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
	}
	for _, p := range pragmas {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", p.name, err)
		}
		if got != p.want {
			t.Errorf("PRAGMA %s = %q, want %q", p.name, got, p.want)
		}
	}
	// The read pool cannot write.
	if _, err := s.r.ExecContext(ctx, `DELETE FROM requests`); err == nil {
		t.Error("a write through the read pool succeeded, want it refused")
	}
}

// TestRestartKeepsPendingRequest: close and reopen the file; migrations are not applied twice,
// the data is kept, and a pending request can still be approved (a button clicked after a
// restart still works).
func TestRestartKeepsPendingRequest(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		path := d.newDB(t)
		ctx := context.Background()

		s, err := Open(ctx, d.name, path)
		if err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, newRequest("r1", "111111111111", base))
		rows1, max1, tables1 := schemaState(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		for i := range 2 {
			s = d.open(t, path)
			if rows, maxV, tables := schemaState(t, s); rows != rows1 || maxV != max1 || tables != tables1 {
				t.Errorf("reopen %d: schema (%d rows, v%d, %q), want (%d rows, v%d, %q)", i+1, rows, maxV, tables, rows1, max1, tables1)
			}
			if got := mustGet(t, s, "r1"); got.State != StatePending {
				t.Fatalf("reopen %d: state %q, want pending", i+1, got.State)
			}
			if i == 0 {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
		ok, err := s.Transition(ctx, "r1", StatePending, StateApplying, "U_APP", EventApproved, "", base.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("Transition after restart = %v, %v; want true, nil", ok, err)
		}
	})
}

// TestConcurrentOpen: two processes (here, handles) opening a new file at once both end up
// with the full schema, applied once.
func TestConcurrentOpen(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		path := d.newDB(t)
		const n = 4
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			stores [n]Store
			errs   [n]error
		)
		for i := range n {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = Open(context.Background(), d.name, path)
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Errorf("open %d: %v", i, errs[i])
				continue
			}
			t.Cleanup(func() { _ = stores[i].Close() })
		}
		if t.Failed() {
			return
		}
		if rows, maxV, tables := schemaState(t, stores[0]); rows != migrationCount(t, d.name) || maxV != latestMigration(t, d.name) || tables != wantTables {
			t.Errorf("goose_db_version: %d rows up to version %d, tables %q; want each migration once, tables %q", rows, maxV, tables, wantTables)
		}
	})
}

func TestOpenSQLiteBadPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"empty", "", "store.path"},
		{"memory", ":memory:", "plain file path"},
		{"uri", "file:cisbot.db?mode=ro", "plain file path"},
		{"directory is a file", filepath.Join(file, "cisbot.db"), "create directory"},
		{"not a database", file, "migrate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenSQLite(context.Background(), tt.path)
			if err == nil {
				_ = s.Close()
				t.Fatalf("OpenSQLite(%q) = nil error, want one", tt.path)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenSQLite(%q) error = %q, want it to mention %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestPathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir with space?#%", "cisbot.db")
	s := openTestSQLite(t, path)
	mustCreate(t, s, newRequest("r1", "111111111111", base))
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %q: %v", path, err)
	}
}
