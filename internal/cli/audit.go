package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
)

// env is how commands read the environment; tests replace it.
var env = os.LookupEnv

func loadConfig(flagValue string) (*config.Config, string, error) {
	path := config.Resolve(flagValue, env)
	if path == "" {
		return config.Default(), "", nil
	}
	cfg, err := config.Load(path, env)
	return cfg, path, err
}

// newFactory builds AWS access for a config: the standard credential chain, the config's region
// and CloudWatch protocol.
func newFactory(ctx context.Context, cfg *config.Config) (*awsenv.Factory, error) {
	return awsenv.New(ctx, awsenv.Options{Region: cfg.AWS.Region, CloudWatchProtocol: cfg.AWS.CloudWatchProtocol})
}

func newAuditCmd(stdio IO) *cobra.Command {
	var (
		cfgPath     string
		all         bool
		format      string
		concurrency int
		verbose     bool
	)
	cmd := &cobra.Command{
		Use:   "audit ACCOUNT… | --all",
		Short: "Audit accounts against CIS control 4.1",
		Long: `Checks the whole CIS 4.1 chain in each account: a multi-region trail logging all management
events to CloudWatch Logs, a metric filter whose pattern catches unauthorized API calls, an
alarm on its metric that fires on one event, and an SNS topic with a confirmed subscriber.

ACCOUNT is a name from the config's accounts (without a config: "default", the account
of your AWS credentials); "all" or --all audits every configured account and, with an
organization section, every ACTIVE account of the organization.

Exit status: 0 every account passes, 1 any account fails, 2 any account could not be
audited (ERROR) or the run could not start.`,
		Example: `  cisbot audit default
  cisbot audit prod staging --format json
  cisbot audit --all --concurrency 32 --config cisbot.yml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: ExitError, err: fmt.Errorf("--format %q: use text or json", format)}
			}
			if concurrency < 1 {
				return &exitError{code: ExitError, err: fmt.Errorf("--concurrency %d: use 1 or more", concurrency)}
			}
			cfg, _, err := loadConfig(cfgPath)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			report, err := runAudit(cmd.Context(), cfg, args, all, concurrency)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			if format == "json" {
				if err := writeJSON(stdio.Out, report); err != nil {
					return &exitError{code: ExitError, err: err}
				}
			} else {
				writeReport(stdio.Out, report, verbose)
			}
			switch {
			case report.Summary.Error > 0:
				return &exitError{code: ExitError}
			case report.Summary.Fail > 0:
				return &exitError{code: ExitFail}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().BoolVar(&all, "all", false, "audit every configured account, and the organization's accounts when configured")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().IntVar(&concurrency, "concurrency", audit.DefaultConcurrency, "accounts audited at once")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show every step's evidence")
	return cmd
}

func runAudit(ctx context.Context, cfg *config.Config, names []string, all bool, concurrency int) (cis.Report, error) {
	ctl, err := cis.Lookup("4.1")
	if err != nil {
		return cis.Report{}, err
	}
	factory, err := newFactory(ctx, cfg)
	if err != nil {
		return cis.Report{}, err
	}
	accounts := app.NewAccounts(cfg, factory)
	targets, err := accounts.Targets(ctx, names, all)
	if err != nil {
		return cis.Report{}, err
	}
	runner := &audit.Runner{Control: ctl, Collector: accounts.Collector(), Concurrency: concurrency}
	return cis.NewReport(ctl.ID, runner.Run(ctx, targets)), nil
}

// writeReport renders a report for people: one line per account, then what failed and the fix.
func writeReport(w io.Writer, r cis.Report, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, res := range r.Results {
		id := res.AccountID
		if id == "" {
			id = "?"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.Status, res.Account, id, firstLine(res.Reason))
	}
	tw.Flush()
	for _, res := range r.Results {
		if res.Status == cis.StatusPass && !verbose && len(res.Warnings) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s %s:\n", res.Account, strings.ToLower(string(res.Status)))
		if verbose {
			for _, c := range res.Checks {
				fmt.Fprintf(w, "  %-5s %-17s %s\n", c.Status, c.Step, c.Detail)
			}
		} else if res.Status != cis.StatusPass {
			fmt.Fprintf(w, "  %s\n", res.Reason)
		}
		if res.Fix != "" {
			fmt.Fprintf(w, "  fix: %s\n", res.Fix)
		}
		for _, warn := range res.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warn)
		}
	}
	fmt.Fprintf(w, "\ncontrol %s: %d account(s): %d pass, %d fail, %d error\n", r.Control, len(r.Results), r.Summary.Pass, r.Summary.Fail, r.Summary.Error)
}

// firstLine shortens a reason for the one-line summary.
func firstLine(s string) string {
	const max = 110
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

func newConfigCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration file",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var cfgPath string
	check := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "Validate the configuration; every error names the field and the fix",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, path, err := loadConfig(cfgPath)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			if path == "" {
				fmt.Fprintf(stdio.Out, "no config file (--config or $%s): using the defaults, one account %q on your AWS credentials\n", config.EnvVar, "default")
				return nil
			}
			fmt.Fprintf(stdio.Out, "%s: ok: %d account(s): %s", path, len(cfg.Accounts), strings.Join(cfg.Names(), ", "))
			if cfg.Organization != nil {
				fmt.Fprintf(stdio.Out, "; organization role %s", cfg.Organization.RoleName)
			}
			fmt.Fprintln(stdio.Out)
			if len(cfg.Alerts.Topics) == 0 {
				fmt.Fprintln(stdio.Out, "note: alerts.topics is empty, so the alert endpoint accepts no SNS message: list the alarm topics' ARNs there")
			}
			if len(cfg.Remediation.Approvers) == 0 {
				fmt.Fprintln(stdio.Out, "note: remediation.approvers is empty, so /cis fix shows plans that nobody can approve")
			}
			return nil
		},
	}
	check.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.AddCommand(check)
	return cmd
}
