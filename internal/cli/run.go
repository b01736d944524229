package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/slackbot"
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
			if err := runBot(cmd.Context(), stdio.Err, cfgPath, level); err != nil {
				return &exitError{code: ExitError, err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

// runBot loads the config and the Slack settings of the environment, and runs the bot until
// ctx is done, logging to stderr.
func runBot(ctx context.Context, stderr io.Writer, cfgPath string, level slog.Level) error {
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, path, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	scfg, err := slackbot.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	factory, err := newFactory(ctx, cfg)
	if err != nil {
		return err
	}
	srv, err := app.NewServer(ctx, cfg, scfg, factory, logger)
	if err != nil {
		return err
	}
	defer srv.Close()
	logger.Info("cisbot starting", "version", version(), "config", path, "accounts", len(cfg.Accounts), "region", factory.Region(),
		"alerts", srv.AlertEndpoint(), "ops", srv.OpsEndpoint())
	if err := srv.Run(ctx); err != nil {
		return err
	}
	logger.Info("cisbot stopped")
	return nil
}
