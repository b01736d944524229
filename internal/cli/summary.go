package cli

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/suggest"
	"github.com/cisbot/cisbot/internal/summary"
)

// channelFlagRE is a Slack conversation id, as summaries[].channel is checked.
var channelFlagRE = regexp.MustCompile(`^[CGD][A-Z0-9]{8,}$`)

func newSummaryCmd(stdio IO) *cobra.Command {
	var (
		cfgPath, channel, accountList string
		dryRun                        bool
	)
	cmd := &cobra.Command{
		Use:   "summary [--channel C] [--accounts a,b|all] [--dry-run] [--config FILE]",
		Short: "Run a compliance summary now and post it to Slack (or print it)",
		Long: `Audits the accounts as a scheduled summary does, records each result in the store's audit
history, compares it with the account's previous result, and posts the summary with the bot
token (SLACK_BOT_TOKEN; SLACK_API_URL optional; the bot must be in the channel).

Without --channel or --accounts, every summary of the config runs once. With them, one
summary runs: to --channel, over --accounts (names from the config, or all; default all).
--dry-run prints the summary instead: nothing is posted or recorded, and no token is needed.

Exit status: 0 posted (or printed), 2 bad input, or the summary could not be made or posted.`,
		Example: `  cisbot summary --dry-run
  cisbot summary --channel C0123ABCDE --accounts prod,staging
  cisbot summary --config cisbot.yml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cfgPath)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			specs, err := summarySpecs(cfg, cmd.Flags().Changed("channel") || cmd.Flags().Changed("accounts"), channel, accountList, dryRun)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			var poster summary.Poster
			if !dryRun {
				scfg, err := slackbot.PostingConfigFromEnv(os.Getenv)
				if err != nil {
					return &exitError{code: ExitError, err: err}
				}
				poster = slackbot.NewSummaryPoster(scfg, nil)
			}
			ctx := cmd.Context()
			factory, err := newFactory(ctx, cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			st, err := app.OpenStore(ctx, cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			defer st.Close()
			logger := slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
			host, _ := os.Hostname()
			runner := app.SummaryRunner(app.NewAccounts(cfg, factory), st, poster, fmt.Sprintf("cli-%s-%d", host, os.Getpid()), logger)
			var failed []string
			for _, spec := range specs {
				if dryRun {
					s, err := runner.Preview(ctx, spec)
					if err != nil {
						return &exitError{code: ExitError, err: err}
					}
					fmt.Fprintln(stdio.Out, console.RenderSummary(s, console.SummaryActions(s)))
					continue
				}
				s, err := runner.Run(ctx, spec, time.Now()) // a tick of its own: each run posts
				if err != nil {
					failed = append(failed, err.Error())
					continue
				}
				fmt.Fprintf(stdio.Out, "Posted to %s: %s\n", spec.Channel, s.Headline())
			}
			if len(failed) > 0 {
				return &exitError{code: ExitError, err: fmt.Errorf("%s", strings.Join(failed, "\ncisbot: "))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().StringVar(&channel, "channel", "", "Slack channel id to post to (C…, G… or D…)")
	cmd.Flags().StringVar(&accountList, "accounts", "", "comma-separated account names, or all (default all)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the summary; post and record nothing")
	return cmd
}

// summarySpecs is what cisbot summary runs: one summary from the flags, or the config's.
func summarySpecs(cfg *config.Config, adHoc bool, channel, accountList string, dryRun bool) ([]summary.Spec, error) {
	if !adHoc {
		if len(cfg.Summaries) == 0 {
			return nil, fmt.Errorf("the config has no summaries: give --channel (and --accounts), or add a summaries section (see example.yml)")
		}
		return app.SummarySpecs(cfg)
	}
	switch {
	case channel == "" && !dryRun:
		return nil, fmt.Errorf("--channel is required to post: give the Slack channel id (C…), or use --dry-run")
	case channel != "" && !channelFlagRE.MatchString(channel):
		return nil, fmt.Errorf("--channel %q is not a Slack channel id: use the channel's id (C…, G… or D…), not its name", channel)
	}
	var names []string
	for _, n := range strings.Split(accountList, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	for _, n := range names {
		if strings.EqualFold(n, "all") || slices.Contains(cfg.Names(), n) {
			continue
		}
		return nil, fmt.Errorf("--accounts: %w", &commands.UnknownAccountError{Name: n, Closest: suggest.Closest(n, cfg.Names()), Known: cfg.Names()})
	}
	return []summary.Spec{app.AdHocSpec(channel, names)}, nil
}
