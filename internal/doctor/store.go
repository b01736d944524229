package doctor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cisbot/cisbot/internal/store"
)

// Store checks the store without migrating it or creating it: cisbot run migrates at start, and
// a doctor of a newer version run before a rollout must not migrate the database that the
// replicas of the older one still run on.
type Store struct {
	Driver string // store.DriverSQLite or store.DriverPostgres
	// Where is the SQLite file (store.path) or the PostgreSQL DSN (store.dsn, never shown).
	Where string
}

// Check answers whether the store is reachable (and, for SQLite, writable) and how far its
// schema is migrated against this build's.
func (s Store) Check(ctx context.Context) Check {
	const name = "store"
	v, err := store.Schema(ctx, s.Driver, s.Where)
	if err != nil {
		if s.Driver == store.DriverPostgres {
			return fail(name, err.Error(), "check store.dsn (host, port, database, user and ${VAR}s) and that the database server is up and reachable from here")
		}
		return fail(name, err.Error(), "check store.path: the file must be readable by the bot's user")
	}
	var detail string
	if s.Driver == store.DriverPostgres {
		detail = "PostgreSQL answers"
	} else {
		if v.Missing {
			if err := creatable(s.Where); err != nil {
				return fail(name, fmt.Sprintf("%s does not exist, and cannot be created: %v", s.Where, err),
					"create the directory of store.path, writable by the bot's user, or point store.path elsewhere")
			}
			return pass(name, s.Where+" does not exist yet: cisbot run creates it")
		}
		fh, err := os.OpenFile(s.Where, os.O_RDWR, 0)
		if err != nil {
			return fail(name, err.Error(), "make "+s.Where+" writable by the bot's user")
		}
		fh.Close()
		detail = s.Where + " opens, writable"
	}
	if v.CannotMigrate && v.Current < v.Latest {
		return fail(name, fmt.Sprintf("%s; schema at version %d of %d, and this user may not create tables in its schema, so cisbot run cannot migrate it", detail, v.Current, v.Latest),
			fmt.Sprintf("grant the user CREATE on the schema (GRANT CREATE ON SCHEMA %s TO %s; PostgreSQL 15 no longer grants it on public to every user), or run cisbot once as a user who may",
				cmp.Or(v.Schema, "<schema>"), cmp.Or(v.User, "<user>")))
	}
	if v.NotOwner && v.Current < v.Latest {
		return fail(name, fmt.Sprintf("%s; schema at version %d of %d, and its tables belong to another role than %s, so cisbot run cannot alter them to migrate", detail, v.Current, v.Latest, cmp.Or(v.User, "this user")),
			"run cisbot as the role that owns the tables (the one that first ran it), or GRANT that role to this user")
	}
	switch {
	case v.Current == 0:
		return pass(name, detail+"; no schema yet: cisbot run creates it")
	case v.Current == v.Latest:
		return pass(name, fmt.Sprintf("%s; schema at version %d, this cisbot's", detail, v.Current))
	case v.Current < v.Latest:
		return warn(name, fmt.Sprintf("%s; schema at version %d, this cisbot's is %d: the first cisbot run of this version applies %d migration(s) at start",
			detail, v.Current, v.Latest, v.Latest-v.Current),
			"expected when upgrading; doctor does not migrate. Roll the new version out to every replica")
	default:
		return warn(name, fmt.Sprintf("%s; schema at version %d, newer than this cisbot's %d: a newer version migrated it", detail, v.Current, v.Latest),
			"run the version of cisbot the replicas run (cisbot version)")
	}
}

// creatable reports why a file at path could not be created: the nearest existing directory
// above it must take a new file, as the store's MkdirAll and open will need.
func creatable(path string) error {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return err
	}
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return err
		}
		dir = parent
	}
	f, err := os.CreateTemp(dir, ".cisbot-doctor-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
