package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/store"
)

// AlertHandler builds the SNS endpoint from a config: verification against alerts.topics and
// alerts.max_message_age, the store's outbox behind every 200, subscription confirmation for
// topics of the bot's accounts (Accounts.Knows), and
// /readyz checking the store and slack (nil: not checked).
func AlertHandler(cfg *config.Config, accounts *Accounts, st store.Store, slack func(context.Context) error, metrics *sns.Metrics, logger *slog.Logger) *sns.Handler {
	return &sns.Handler{
		Verifier: &sns.Verifier{Topics: cfg.Alerts.Topics, MaxAge: cfg.Alerts.MessageAge()},
		Enqueue:  sns.Enqueuer(st, time.Now),
		Confirm:  (&sns.Confirmer{Clients: accounts, Logger: logger}).Confirm,
		// Only a topic of one of the bot's accounts is subscribed to.
		KnownAccount: accounts.Knows,
		StorePing:    st.Ping,
		Ready:        Readiness(time.Now, slackReadyTTL, st.Ping, slack),
		Logger:       logger,
		Metrics:      metrics,
	}
}

// slackReadyTTL is how long a Slack check, passed or failed, answers /readyz without asking
// again, so that frequent probes do not spend Slack's rate limit.
const slackReadyTTL = 30 * time.Second

// Readiness is a /readyz check: store (asked every time), then slack (nil: skipped), whose
// answer, success or failure, is remembered for ttl (one probe asks at a time). A failure is
// an *sns.NotReadyError naming the part ("store", "slack"), which /readyz shows without the
// error's detail.
func Readiness(now func() time.Time, ttl time.Duration, store, slack func(context.Context) error) func(context.Context) error {
	var mu sync.Mutex
	var until time.Time
	var last error
	return func(ctx context.Context) error {
		if err := pingStore(ctx, store); err != nil {
			return &sns.NotReadyError{Part: "store", Err: err}
		}
		if slack == nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if now().Before(until) {
			return last
		}
		err := slack(ctx)
		if err != nil {
			err = &sns.NotReadyError{Part: "slack", Err: err}
		}
		if ctx.Err() == nil { // a probe that gave up says nothing of Slack
			last, until = err, now().Add(ttl)
		}
		return err
	}
}

// storePingTimeout bounds the store's part of a /readyz check: a database that does not answer
// within it is as good as down.
const storePingTimeout = 2 * time.Second

func pingStore(ctx context.Context, ping func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, storePingTimeout)
	defer cancel()
	return ping(ctx)
}

// SNSClient is SNS in account's region through the session the audit uses, when the account is
// configured (sns.Clients, for confirming subscriptions with the bot's credentials).
func (a *Accounts) SNSClient(ctx context.Context, account, region string) (sns.ConfirmAPI, bool) {
	if a == nil {
		return nil, false
	}
	s, ok := a.SessionFor(ctx, account)
	if !ok {
		return nil, false
	}
	return s.SNS(region), true
}

// Knows reports whether accountID is one of the bot's: a configured account (its role's
// account, or the account its base credentials resolve to), or, when organization is set, an
// ACTIVE account of the organization (organizations:ListAccounts). An error says an answer
// could not be had (a base-credentials account not resolved, the organization not listed) and
// no account matched.
func (a *Accounts) Knows(ctx context.Context, accountID string) (bool, error) {
	if a == nil {
		return false, nil
	}
	var errs []error
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		id, err := a.idOf(ctx, acc)
		if err != nil {
			errs = append(errs, fmt.Errorf("account %q: %w", acc.Name, err))
			continue
		}
		if id == accountID {
			return true, nil
		}
	}
	if a.cfg.Organization != nil {
		members, err := a.factory.OrganizationAccounts(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("list the organization's accounts: %w", err))
		}
		for _, m := range members {
			if m.ID == accountID {
				return true, nil
			}
		}
	}
	return false, errors.Join(errs...)
}
