package app

import (
	"log/slog"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/store"
)

// CommandOptions are the /cis commands' dependencies from a config: the audit, the accounts,
// remediation with its store, and who may do what. Transports add their own settings.
func CommandOptions(cfg *config.Config, accounts *Accounts, st store.Store, groups commands.Groups, logger *slog.Logger) commands.Options {
	return commands.Options{
		Auditor:    &Auditor{Accounts: accounts, Concurrency: audit.DefaultConcurrency, Benchmark: cfg.Controls.Benchmark, Logger: logger},
		Directory:  accounts,
		Remediator: &Remediator{Accounts: accounts, Options: PlanOptions(cfg)},
		Requests:   st,
		History:    st,
		Reports:    st,
		RequestTTL: cfg.Remediation.TTL(),
		Owner:      processOwner(),
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
