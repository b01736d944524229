package app

import (
	"cmp"
	"context"
	"fmt"

	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/store"
)

// DefaultStorePath is where the SQLite store lives when store.path is not set.
const DefaultStorePath = "cisbot.db"

// OpenStore opens the store the config names (SQLite by default). The PostgreSQL DSN is named
// in errors without its password.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	driver, where := StoreLocation(cfg)
	st, err := store.Open(ctx, driver, where)
	if err != nil {
		if driver == store.DriverPostgres {
			return nil, fmt.Errorf("store (store.driver postgres, store.dsn %s): %w", store.RedactDSN(where), err)
		}
		return nil, fmt.Errorf("store (store.driver %s, store.path %s): %w", driver, where, err)
	}
	return st, nil
}

// StoreLocation is the store's driver and where it is, as the config names them with their
// defaults applied: the SQLite file (store.path) or the PostgreSQL DSN (store.dsn).
func StoreLocation(cfg *config.Config) (driver, where string) {
	switch cfg.Store.Driver {
	case store.DriverPostgres:
		return store.DriverPostgres, cfg.Store.DSN
	case "", store.DriverSQLite:
		return store.DriverSQLite, cmp.Or(cfg.Store.Path, DefaultStorePath)
	default:
		return cfg.Store.Driver, ""
	}
}
