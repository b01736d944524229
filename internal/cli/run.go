package cli

import (
	"cmp"
	"errors"
	"net/http"
	"strings"

	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
)

func newRunCmd(stdio IO) *cobra.Command {
	var cfgPath, logLevel string
	cmd := &cobra.Command{
		Use:   "run [--config FILE]",
		Short: "Run the Slack bot (Socket Mode) until SIGTERM or SIGINT",
		Long: `Connects to Slack in Socket Mode and answers /cis commands. Needs SLACK_APP_TOKEN
(xapp-…, an app-level token with connections:write) and SLACK_BOT_TOKEN (xoxb-…) in the
environment; SLACK_API_URL points at another Slack API base URL when set. AWS access uses
the standard credential chain. Create the Slack app from manifest.yml.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("--log-level %q: use debug, info, warn or error", logLevel)}
			}
			logger := slog.New(slog.NewJSONHandler(stdio.Err, &slog.HandlerOptions{Level: level}))
			cfg, path, err := loadConfig(cfgPath)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			scfg, err := slackbot.ConfigFromEnv(os.Getenv)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			ctx := cmd.Context()
			factory, err := newFactory(ctx, cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			accounts := app.NewAccounts(cfg, factory)
			st, err := app.OpenStore(ctx, cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			defer st.Close()
			go expireRequests(ctx, st, logger)
			opts := app.CommandOptions(cfg, accounts, st, slackbot.NewGroups(scfg), logger)
			opts.Command = scfg.Command
			bot := commands.New(opts)
			sb, err := slackbot.New(scfg, bot, logger)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			metrics := sns.NewMetrics(reg)
			poster := slackbot.NewAlertPoster(scfg, logger)
			handler := app.AlertHandler(cfg, accounts, st, poster.Ping, metrics, logger)
			alertPath := cmp.Or(cfg.Alerts.Path, sns.DefaultPath)
			server := sns.NewServer(cmp.Or(cfg.Alerts.Listen, ":8080"), sns.Mux(alertPath, handler, reg))
			serveErr := make(chan error, 1)
			go func() {
				var err error
				if cfg.Alerts.TLSCertFile != "" {
					err = server.ListenAndServeTLS(cfg.Alerts.TLSCertFile, cfg.Alerts.TLSKeyFile)
				} else {
					err = server.ListenAndServe()
				}
				if !errors.Is(err, http.ErrServerClosed) {
					serveErr <- err
				}
			}()
			if len(cfg.Alerts.Topics) == 0 {
				logger.Warn("alerts.topics is empty: the alert endpoint accepts no SNS message")
			}
			logger.Info("cisbot starting", "version", version(), "config", path, "accounts", len(cfg.Accounts), "region", factory.Region(),
				"alerts", server.Addr+alertPath)
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			slackErr := make(chan error, 1)
			go func() { slackErr <- sb.Run(runCtx) }()
			host, _ := os.Hostname()
			worker := &relay.Relay{
				Outbox:   st,
				Threads:  st,
				Poster:   poster,
				Enricher: accounts.Enricher(),
				Channel: func(topicARN string, a *alarm.Alarm) string {
					account := ""
					if a != nil {
						account = a.AWSAccountID
					} else if parts := strings.Split(topicARN, ":"); len(parts) > 4 {
						account = parts[4]
					}
					return accounts.AlertChannel(runCtx, account)
				},
				// The host name, stable across restarts: a restarted bot takes back at once
				// what it held when it stopped (replicas need distinct host names).
				Owner:      cmp.Or(host, "cisbot"),
				PerChannel: cmp.Or(cfg.Alerts.PostInterval(), -1), // 0 in config: no pacing
				Logger:     logger,
				Metrics:    relay.NewMetrics(reg),
			}
			relayDone := make(chan struct{})
			go func() { defer close(relayDone); _ = worker.Run(runCtx) }()
			defer func() { cancel(); <-relayDone }()
			// Scheduled summaries: on shutdown the cron stops and the jobs under way are waited for.
			specs, err := app.SummarySpecs(cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			summariesDone := make(chan struct{})
			go func() {
				defer close(summariesDone)
				self, _ := os.Hostname()
				runner := app.SummaryRunner(accounts, st, slackbot.NewSummaryPoster(scfg, logger), fmt.Sprintf("%s-%d", self, os.Getpid()), logger)
				_ = (&summary.Scheduler{Runner: runner, Specs: specs, Logger: logger}).Run(runCtx)
			}()
			defer func() { cancel(); <-summariesDone }()
			var runErr error
			select {
			case runErr = <-slackErr:
			case err := <-serveErr:
				runErr = fmt.Errorf("alert endpoint %s: %w", server.Addr, err)
				cancel()
				<-slackErr
			}
			shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer stop()
			_ = server.Shutdown(shutdown) // drains requests under way: each is stored before it is answered
			if runErr != nil {
				return &exitError{code: ExitError, err: runErr}
			}
			logger.Info("cisbot stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

// expireRequests marks fix requests past their TTL as expired, once a minute, so the history
// says so even when nobody clicks them again (a click also checks expiry).
func expireRequests(ctx context.Context, st store.Store, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := st.ExpireBefore(ctx, now); err != nil && ctx.Err() == nil {
				logger.Warn("expiring fix requests failed", "err", err)
			} else if n > 0 {
				logger.Info("fix requests expired", "count", n)
			}
		}
	}
}
