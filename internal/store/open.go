package store

import (
	"context"
	"fmt"
)

// The store drivers, as named by the config key store.driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Open opens the store that config names: driver is store.driver, and dsn is store.path for
// SQLite (a file path) or store.dsn for PostgreSQL (a postgres:// URL or keyword/value string).
func Open(ctx context.Context, driver, dsn string) (Store, error) {
	switch driver {
	case DriverSQLite:
		s, err := OpenSQLite(ctx, dsn)
		if err != nil {
			return nil, err // not a typed nil *SQLite inside the interface
		}
		return s, nil
	case DriverPostgres:
		s, err := OpenPostgres(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("unknown store driver %q: valid drivers are %q and %q", driver, DriverSQLite, DriverPostgres)
	}
}
