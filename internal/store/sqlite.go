package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
)

//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

// busyTimeout is how long a statement waits for another connection's write lock (another
// handle or process on the same file) before failing with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// readers is the size of the read connection pool.
const readers = 4

// SQLite is the Store on a SQLite file in WAL mode.
//
// It keeps two pools on the file: one connection for every write, whose transactions begin
// IMMEDIATE (taking the write lock up front, so a conditional UPDATE never has to upgrade a read
// lock and several handles or processes on one file serialize on busy_timeout), and a small
// read-only pool that WAL lets run alongside the writer.
type SQLite struct {
	path string
	w    *sql.DB
	r    *sql.DB
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating it and its directory if needed) the SQLite database at path and
// applies any migrations it lacks.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("sqlite store: empty path: set store.path to a file, such as /var/lib/cisbot/cisbot.db")
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite store: path %q: want a plain file path (in-memory databases and URIs are not supported)", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite store %q: create directory: %w", path, err)
	}
	if err := ownerOnly(abs); err != nil {
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}

	w, err := sql.Open("sqlite", sqliteDSN(abs, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &SQLite{path: path, w: w}

	// Migrate through the writer first: its first connection also turns the file to WAL.
	if err := migrateSQLite(ctx, w); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite store %q: migrate: %w", path, err)
	}

	r, err := sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s.r = r
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite store %q: %w", path, err)
	}
	return s, nil
}

// sqliteDSN is the modernc.org/sqlite URI for the file at abs, with the pragmas every
// connection needs.
func sqliteDSN(abs string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL") // durable across application crashes; WAL keeps it consistent
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// migrateSQLite applies the embedded migrations that db lacks. Two processes opening a new file
// at once can both decide to apply the same migration, or find the file busy while the other
// turns it to WAL; the loser fails and, on a later try, finds nothing left to do.
func migrateSQLite(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	const tries = 5
	for i := 1; ; i++ {
		_, err = p.Up(ctx)
		if err == nil || i == tries {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i) * 50 * time.Millisecond):
		}
	}
}

// Ping reports whether both pools answer.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite store %q: ping writer: %w", s.path, err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite store %q: ping reader: %w", s.path, err)
	}
	return nil
}

// Close closes both pools.
func (s *SQLite) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// sqliteCode is the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isConstraint reports whether err is the SQLite constraint violation code.
func isConstraint(err error, code int) bool { return sqliteCode(err) == code }

// ownerOnly makes the database file its owner's alone, creating it if needed: it holds fix plans
// and alert bodies. A file created by an older version with a wider mode is narrowed, and so are
// its -wal and -shm files, which SQLite otherwise creates with the database file's mode.
func ownerOnly(path string) error {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		return f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create: %w", err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(name, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s readable by its owner only: %w (chmod 600 it)", filepath.Base(name), err)
			}
		}
	}
	return nil
}

// dollarToQuestion turns $1… placeholders into SQLite's ?, in order, for queries shared by both
// drivers (each placeholder used once, in order).
func dollarToQuestion(q string) string {
	out := []byte{}
	for i := 0; i < len(q); i++ {
		if q[i] == '$' {
			out = append(out, '?')
			for i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
				i++
			}
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
