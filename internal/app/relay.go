package app

import (
	"context"
	"fmt"

	"github.com/cisbot/cisbot/internal/enrich"
)

// AlertChannel is where an alarm of accountID is posted: the configured account's channel, else
// alerts.default_channel ("" when neither is set).
func (a *Accounts) AlertChannel(ctx context.Context, accountID string) string {
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		if acc.Channel == "" {
			continue
		}
		id := roleAccount(acc.RoleARN)
		if id == "" {
			id, _ = a.accountID(ctx, acc)
		}
		if id == accountID {
			return acc.Channel
		}
	}
	return a.cfg.Alerts.DefaultChannel
}

// Enricher reads the CloudTrail events behind an alarm in the alarm's own account, through the
// same sessions the audit uses.
func (a *Accounts) Enricher() *enrich.Enricher {
	return &enrich.Enricher{Logs: func(account, region string) (enrich.LogsReader, error) {
		s, ok := a.SessionFor(context.Background(), account)
		if !ok {
			return nil, fmt.Errorf("account %s is not configured: add it to accounts (or set organization.role_name) so cisbot can read its CloudTrail logs", account)
		}
		return s.Logs(region), nil
	}}
}
