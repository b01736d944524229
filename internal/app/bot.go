package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/store"
)

// DefaultStorePath is where the SQLite store lives when store.path is not set.
const DefaultStorePath = "cisbot.db"

// OpenStore opens the store the config names (SQLite by default).
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	driver, path := cfg.Store.Driver, cfg.Store.Path
	if driver == "" {
		driver = store.DriverSQLite
	}
	if path == "" {
		path = DefaultStorePath
	}
	st, err := store.Open(ctx, driver, path)
	if err != nil {
		return nil, fmt.Errorf("store (store.driver %s, store.path %s): %w", driver, path, err)
	}
	return st, nil
}

// CommandOptions are the /cis commands' dependencies from a config: the audit, the accounts,
// remediation with its store, and who may do what. Transports add their own settings.
func CommandOptions(cfg *config.Config, accounts *Accounts, st store.Store, groups commands.Groups, logger *slog.Logger) commands.Options {
	return commands.Options{
		Auditor:    &Auditor{Accounts: accounts, Concurrency: audit.DefaultConcurrency, Logger: logger},
		Directory:  accounts,
		Remediator: &Remediator{Accounts: accounts, Options: PlanOptions(cfg)},
		Requests:   st,
		History:    st,
		RequestTTL: cfg.Remediation.TTL(),
		Logger:     logger,
		Policy: &commands.Policy{
			Channels:            cfg.Slack.AllowedChannels,
			Auditors:            cfg.Slack.Auditors,
			Approvers:           cfg.Remediation.Approvers,
			RequireSecondPerson: cfg.Remediation.SecondPerson(),
			Groups:              groups,
		},
	}
}
