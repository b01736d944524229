package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cisbot/cisbot/internal/testutil/pgtest"
)

// TestMain stops the PostgreSQL cluster the conformance suite started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// testDriver opens stores of one driver for the conformance suite, which runs every test that
// is not about one driver's own workings against each driver.
type testDriver struct {
	name string
	// newDB makes a fresh, empty database for the test: a file path or a DSN.
	newDB func(t testing.TB) string
}

var testDrivers = []testDriver{
	{DriverSQLite, func(t testing.TB) string { return filepath.Join(t.TempDir(), "cisbot.db") }},
	{DriverPostgres, pgtest.NewDatabase},
}

// forEachDriver runs f as a subtest (or sub-benchmark) per driver, named after it.
func forEachDriver[T interface {
	Helper()
	Run(name string, f func(T)) bool
}](t T, f func(t T, d testDriver)) {
	t.Helper()
	for _, d := range testDrivers {
		t.Run(d.name, func(t T) { f(t, d) })
	}
}

// open opens a handle on db (another one is another replica), closed when the test ends.
func (d testDriver) open(t testing.TB, db string) Store {
	t.Helper()
	s, err := Open(context.Background(), d.name, db)
	if err != nil {
		t.Fatalf("Open(%s): %v", d.name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newStore opens a store on a fresh database.
func (d testDriver) newStore(t testing.TB) Store {
	t.Helper()
	return d.open(t, d.newDB(t))
}

// queryRow runs a read-only query written with $1… placeholders straight on the store's
// database, for tests that check what the interface does not show.
func queryRow(t testing.TB, s Store, query string, args []any, dest ...any) {
	t.Helper()
	ctx := context.Background()
	var err error
	switch s := s.(type) {
	case *SQLite:
		err = s.r.QueryRowContext(ctx, dollarToQuestion(query), args...).Scan(dest...)
	case *Postgres:
		err = s.pool.QueryRow(ctx, query, args...).Scan(dest...)
	default:
		t.Fatalf("queryRow: unknown store %T", s)
	}
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
