package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/console"
)

// consoleConcurrency is how many accounts the console audits at once.
const consoleConcurrency = 16

func newConsoleCmd(stdio IO) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "console [--config FILE]",
		Short: "Run the bot's /cis commands in this terminal, against your AWS accounts",
		Long: `Reads /cis commands (the /cis is optional) and answers them as the Slack bot would, with
the same command table and the accounts of the config file, on your AWS credentials. A
report's buttons are numbered: type the number to press one. An empty line, quit, exit
or end of input ends the session. Input that is not a terminal is echoed, so a piped
session reads as a transcript.`,
		Example: `  cisbot console --config cisbot.yml
  echo 'audit prod' | cisbot console`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, _, err := loadConfig(cfgPath)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			factory, err := newFactory(ctx, cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			log := slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
			accounts := app.NewAccounts(cfg, factory)
			// Without store.path the console keeps fix requests in a temporary store, gone when
			// it exits, rather than leaving a database file wherever it was started.
			scfg := *cfg
			if scfg.Store.Path == "" {
				dir, err := os.MkdirTemp("", "cisbot-console-")
				if err != nil {
					return &exitError{code: ExitError, err: err}
				}
				defer os.RemoveAll(dir)
				scfg.Store.Path = filepath.Join(dir, "cisbot.db")
			}
			st, err := app.OpenStore(ctx, &scfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			defer st.Close()
			bopts := app.CommandOptions(cfg, accounts, st, nil, log)
			bopts.Auditor = &app.Auditor{Accounts: accounts, Concurrency: consoleConcurrency, Benchmark: cfg.Controls.Benchmark, Logger: log}
			// Its own name in the account locks: a cisbot run on this host, restarting, must
			// not take the console's fix under way for its own past life.
			bopts.Owner = fmt.Sprintf("%s-console-%d", bopts.Owner, os.Getpid())
			bot := commands.New(bopts)
			opts := []console.Option{console.WithPrompt("cis> ")}
			if console.IsTerminal(stdio.In) {
				fmt.Fprintf(stdio.Out, "cisbot console: %d account(s): type help for the commands, an empty line or quit to leave.\n", len(cfg.Accounts))
			} else {
				opts = append(opts, console.WithEcho())
			}
			if err := console.New(bot, stdio.Out, opts...).Run(ctx, stdio.In); err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("read commands: %w", err)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	return cmd
}
