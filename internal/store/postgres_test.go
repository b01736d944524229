package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3/lock"

	"github.com/cisbot/cisbot/internal/testutil/pgtest"
)

// TestRedactDSN: a DSN's password, wherever it is written, never reaches a message.
func TestRedactDSN(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://cisbot:s3cret@db.example.com:5432/cisbot?sslmode=require", "postgres://cisbot:xxxxx@db.example.com:5432/cisbot?sslmode=require"},
		{"postgresql://cisbot@db/cisbot", "postgresql://cisbot@db/cisbot"},
		{"postgres://db/cisbot?user=cisbot&password=s3cret", "postgres://db/cisbot?password=xxxxx&user=cisbot"},
		{"postgres://cisbot:p%40ss@db/cisbot", "postgres://cisbot:xxxxx@db/cisbot"},
		{"host=db user=cisbot password=s3cret dbname=cisbot", "host=db user=cisbot password=xxxxx dbname=cisbot"},
		{"host=db password = 's3 cret\\' x' dbname=cisbot", "host=db password = xxxxx dbname=cisbot"},
		{"host=db PASSWORD=s3cret", "host=db PASSWORD=xxxxx"},
		{"host=/run/postgresql dbname=cisbot", "host=/run/postgresql dbname=cisbot"},
		{"postgres://cisbot:s3cret@db:notaport/x%zz", "(a postgres URL that does not parse)"},
	}
	for _, tt := range tests {
		if got := RedactDSN(tt.dsn); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// TestOpenPostgresHidesPassword: a database that cannot be reached is reported with its
// address, and without its password.
func TestOpenPostgresHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://cisbot:s3cret@127.0.0.1:1/cisbot?connect_timeout=5",
		"host=127.0.0.1 port=1 user=cisbot password=s3cret dbname=cisbot connect_timeout=5",
		"postgres://cisbot:s3cret@127.0.0.1:notaport/cisbot",
	} {
		_, err := OpenPostgres(context.Background(), dsn)
		if err == nil {
			t.Fatalf("OpenPostgres(%q) = nil error", RedactDSN(dsn))
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("error does not say which database: %v", err)
		}
	}
}

// TestOpenPostgresWaitsForMigrationLock: a replica starting while another holds the migration
// lock (goose's advisory lock) waits for it instead of migrating alongside, then starts.
func TestOpenPostgresWaitsForMigrationLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	type opened struct {
		s   *Postgres
		err error
	}
	done := make(chan opened, 1)
	go func() {
		s, err := OpenPostgres(ctx, dsn)
		done <- opened{s, err}
	}()
	select {
	case o := <-done:
		t.Fatalf("OpenPostgres returned (%v) while another held the migration lock", o.err)
	case <-time.After(1500 * time.Millisecond):
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-done:
		if o.err != nil {
			t.Fatalf("OpenPostgres after the lock was released: %v", o.err)
		}
		defer o.s.Close()
		if rows, maxV, _ := schemaState(t, o.s); rows != migrationCount(t, DriverPostgres) || maxV != latestMigration(t, DriverPostgres) {
			t.Errorf("goose_db_version: %d rows up to version %d, want each migration once", rows, maxV)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("OpenPostgres still waiting 30s after the migration lock was released")
	}
}
