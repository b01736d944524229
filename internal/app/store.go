package app

import (
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
	driver := cfg.Store.Driver
	if driver == "" {
		driver = store.DriverSQLite
	}
	if driver == store.DriverPostgres {
		st, err := store.Open(ctx, driver, cfg.Store.DSN)
		if err != nil {
			return nil, fmt.Errorf("store (store.driver postgres, store.dsn %s): %w", store.RedactDSN(cfg.Store.DSN), err)
		}
		return st, nil
	}
	path := cfg.Store.Path
	if path == "" {
		path = DefaultStorePath
	}
	st, err := store.Open(ctx, driver, path)
	if err != nil {
		return nil, fmt.Errorf("store (store.driver %s, store.path %s): %w", driver, path, err)
	}
	return st, nil
}
