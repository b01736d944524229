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

// TestCrashSafe: a crash-safe cluster commits synchronously, and a row committed before Pause
// is there after Resume; the default cluster does not.
func TestCrashSafe(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts []Option
		want string
	}{{nil, "off"}, {[]Option{CrashSafe()}, "on"}} {
		c, err := Start(ctx, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Stop() })
		dsn, err := c.CreateDatabase(ctx, t.Name())
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := query(ctx, dsn, `SHOW synchronous_commit`, &got); err != nil || got != tc.want {
			t.Errorf("synchronous_commit = %q, %v; want %q", got, err, tc.want)
		}
		if tc.want == "off" {
			continue
		}
		if err := query(ctx, dsn, `CREATE TABLE t AS SELECT 1 AS x`, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Pause(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := query(ctx, dsn, `SELECT count(*) FROM t`, &n); err != nil || n != 1 {
			t.Errorf("rows after Pause and Resume = %d, %v; want 1", n, err)
		}
	}
}

// query runs sql on a new connection to dsn, scanning one value into dest when not nil.
func query(ctx context.Context, dsn, sql string, dest any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if dest == nil {
		_, err = conn.Exec(ctx, sql)
		return err
	}
	return conn.QueryRow(ctx, sql).Scan(dest)
}
