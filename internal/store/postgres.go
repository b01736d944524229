package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// Postgres is the Store on a PostgreSQL database, which several replicas can share.
//
// Every once-only change is a conditional UPDATE (or INSERT … ON CONFLICT … WHERE) of one
// statement: under READ COMMITTED a row another transaction changed is checked again against
// the condition once that transaction ends, so exactly one of the racers changes it. Outbox
// claims lock their rows FOR UPDATE SKIP LOCKED, so replicas claiming at once take different
// items instead of queueing behind each other.
type Postgres struct {
	dsn  string // redacted, for messages
	pool *pgxpool.Pool
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the PostgreSQL database that dsn names (a postgres:// URL or a
// keyword/value string) and applies any migrations it lacks, under an advisory lock so that
// replicas starting together migrate once.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	shown := RedactDSN(dsn)
	if dsn == "" {
		return nil, errors.New("postgres store: empty DSN: set store.dsn, such as postgres://cisbot:${PGPASSWORD}@db.example.com/cisbot")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors already hide the password.
		return nil, fmt.Errorf("postgres store %s: %w", shown, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store %s: %w", shown, err)
	}
	s := &Postgres{dsn: shown, pool: pool}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := migratePostgres(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s: migrate: %w", shown, err)
	}
	return s, nil
}

// migrateLockTries bounds how long a replica waits, a second per try, for another one's
// migration to finish.
const migrateLockTries = 300

// migratePostgres applies the embedded migrations the database lacks, holding goose's
// session-level advisory lock: a replica starting while another migrates waits for it, then
// finds nothing left to do.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool) error {
	fsys, err := fs.Sub(postgresMigrations, "migrations/postgres")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, migrateLockTries))
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool) // closing it leaves the pool open
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// Ping reports whether the database answers.
func (s *Postgres) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres store %s: ping: %w", s.dsn, err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Postgres) Close() error {
	s.pool.Close()
	return nil
}

// pgCode is the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// The SQLSTATEs the store tells apart.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// tx runs fn in one transaction, committing when it returns nil.
func (s *Postgres) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// exists reports whether table has a row with that id, for telling "someone else won" from
// "no such record" after a conditional UPDATE changed nothing.
func exists(ctx context.Context, q dbQuerier, table, id string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// kvPasswordRE finds the password of a keyword/value DSN, quoted or not.
var kvPasswordRE = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)

// RedactDSN is dsn fit for logs and error messages: its password, in the URL's user
// information, a password= query parameter or a password= keyword, is replaced by xxxxx.
func RedactDSN(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "(a postgres URL that does not parse)"
		}
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return kvPasswordRE.ReplaceAllString(dsn, "${1}xxxxx")
}

// dbQuerier is what both a pool and a transaction offer, for helpers used by either.
type dbQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var _ dbQuerier = (*pgxpool.Pool)(nil)
