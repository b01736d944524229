package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestNewDatabase: each test gets a database of its own, empty, that it can write, and it is
// gone once the test ends.
func TestNewDatabase(t *testing.T) {
	ctx := context.Background()
	var dsns []string
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			dsn := NewDatabase(t)
			dsns = append(dsns, dsn)
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var tables int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
				t.Fatalf("tables in a new database = %d, %v; want 0", tables, err)
			}
			if _, err := conn.Exec(ctx, `CREATE TABLE t (x int)`); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(dsns) != 2 || dsns[0] == dsns[1] {
		t.Fatalf("databases %v: want two different ones", dsns)
	}
	for _, dsn := range dsns {
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			conn.Close(ctx)
			t.Errorf("%s still exists after its test", dsn)
		}
	}
}

// TestFindBin: the server programs are found (on PATH or where Debian puts them).
func TestFindBin(t *testing.T) {
	dir, err := findBin()
	if err != nil {
		t.Fatal(err)
	}
	for _, prog := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(dir + "/" + prog); err != nil {
			t.Errorf("%s: %v", prog, err)
		}
	}
	t.Setenv("PATH", "/nonexistent")
	if dir, err := findBin(); err != nil || dir == "" {
		t.Errorf("without PATH: findBin = %q, %v; want Debian's directory", dir, err)
	}
}
