package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
)

// SchemaVersion is how far a database is migrated, against the migrations of this build.
type SchemaVersion struct {
	Current int64 // the newest migration applied; 0 for a database without cisbot's schema yet
	Latest  int64 // the newest migration this build has
	Missing bool  // SQLite only: the file does not exist yet
	// CannotMigrate (PostgreSQL only): User may not create tables in Schema, where the
	// migrations would, so cisbot run could not apply them.
	CannotMigrate bool
	// NotOwner (PostgreSQL only): User does not own the tables migrated so far (nor is a
	// member of their owner's role), so cisbot run could not alter them in later migrations.
	NotOwner     bool
	Schema, User string // PostgreSQL only: the current schema ("" when none is on the search path) and user
}

// Schema reads how far the store that driver and dsn name is migrated, without migrating it,
// creating it or taking the migration lock. Only Open migrates: a check such as cisbot doctor,
// run from a newer build, must never migrate a database that replicas of the older one run on.
func Schema(ctx context.Context, driver, dsn string) (SchemaVersion, error) {
	switch driver {
	case DriverSQLite:
		return sqliteSchema(ctx, dsn)
	case DriverPostgres:
		return postgresSchema(ctx, dsn)
	default:
		return SchemaVersion{}, fmt.Errorf("unknown store driver %q: valid drivers are %q and %q", driver, DriverSQLite, DriverPostgres)
	}
}

func sqliteSchema(ctx context.Context, path string) (SchemaVersion, error) {
	if path == "" {
		return SchemaVersion{}, errors.New("sqlite store: empty path: set store.path to a file, such as /var/lib/cisbot/cisbot.db")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return SchemaVersion{}, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	// A missing directory, or a file where one should be, is a missing store for Open to create
	// (or fail to); the caller says why it cannot.
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		latest, err := newestMigration(sqliteMigrations, "migrations/sqlite")
		return SchemaVersion{Latest: latest, Missing: true}, err
	} else if err != nil {
		return SchemaVersion{}, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		return SchemaVersion{}, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	defer db.Close()
	latest, err := newestMigration(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		return SchemaVersion{}, err
	}
	v := SchemaVersion{Latest: latest}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`).Scan(&tables); err != nil {
		return SchemaVersion{}, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	if tables > 0 {
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(max(version_id), 0) FROM goose_db_version`).Scan(&v.Current); err != nil {
			return SchemaVersion{}, fmt.Errorf("sqlite store %q: read the schema version: %w", path, err)
		}
	}
	return v, nil
}

func postgresSchema(ctx context.Context, dsn string) (SchemaVersion, error) {
	shown := RedactDSN(dsn)
	if dsn == "" {
		return SchemaVersion{}, errors.New("postgres store: empty DSN: set store.dsn, such as postgres://cisbot:${PGPASSWORD}@db.example.com/cisbot")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return SchemaVersion{}, fmt.Errorf("postgres store %s: %w", shown, err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return SchemaVersion{}, fmt.Errorf("postgres store %s: %w", shown, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Nothing here writes, and the server makes sure of it: a read-only transaction, rolled back
	// (a startup parameter would do too, but poolers such as PgBouncer refuse unknown ones).
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return SchemaVersion{}, fmt.Errorf("postgres store %s: %w", shown, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	latest, err := newestMigration(postgresMigrations, "migrations/postgres")
	if err != nil {
		return SchemaVersion{}, err
	}
	v := SchemaVersion{Latest: latest}
	// The version table is looked for as the migrations create it: unqualified, on the search
	// path; and whether this user may create tables where they would be.
	var table, schema *string
	var create *bool
	err = tx.QueryRow(ctx, `SELECT to_regclass('goose_db_version')::text, current_schema(), current_user, has_schema_privilege(current_schema(), 'CREATE')`).
		Scan(&table, &schema, &v.User, &create)
	if err != nil {
		return SchemaVersion{}, fmt.Errorf("postgres store %s: %w", shown, err)
	}
	v.CannotMigrate = create == nil || !*create
	if schema != nil {
		v.Schema = *schema
	}
	if table != nil {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version_id), 0) FROM goose_db_version`).Scan(&v.Current); err != nil {
			return SchemaVersion{}, fmt.Errorf("postgres store %s: read the schema version: %w", shown, err)
		}
		// Later migrations alter the tables earlier ones made: only their owner (or a member of
		// its role) may.
		var owns bool
		err := tx.QueryRow(ctx, `SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = $1::regclass`, *table).Scan(&owns)
		if err != nil {
			return SchemaVersion{}, fmt.Errorf("postgres store %s: %w", shown, err)
		}
		v.NotOwner = !owns
	}
	return v, nil
}

// newestMigration is the newest migration in dir of migrations.
func newestMigration(migrations fs.FS, dir string) (int64, error) {
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err == nil && v > latest {
			latest = v
		}
	}
	return latest, nil
}
