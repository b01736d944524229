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
		control     string
		concurrency int
		verbose     bool
	)
	cmd := &cobra.Command{
		Use:   "audit ACCOUNT… | --all [--control ID,…|all]",
		Short: "Audit accounts against the CIS monitoring controls (4.1–4.15)",
		Long: `Checks each control's whole CIS chain in each account: a multi-region trail logging all
management events to CloudWatch Logs, a metric filter whose pattern catches what the control
watches (4.1 unauthorized API calls, 4.3 root use, …), an alarm on its metric that fires on
one event, and an SNS topic with a confirmed subscriber. Each account is read once, whatever
the number of controls: every control is judged on the same reading.

ACCOUNT is a name from the config's accounts (without a config: "default", the account
of your AWS credentials); "all" or --all audits every configured account and, with an
organization section, every ACTIVE account of the organization.

--control picks the controls (default all). With one control the report is that control's
alone, as it was when the audit knew 4.1 only (JSON: "control" at the top).

Exit status: 0 every account passes every control, 1 any fails, 2 any could not be
audited (ERROR) or the run could not start.`,
		Example: `  cisbot audit default
  cisbot audit prod staging --control 4.1,4.3 --format json
  cisbot audit --all --concurrency 32 --config cisbot.yml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: ExitError, err: fmt.Errorf("--format %q: use text or json", format)}
			}
			if concurrency < 1 {
				return &exitError{code: ExitError, err: fmt.Errorf("--concurrency %d: use 1 or more", concurrency)}
			}
			controls, err := parseControls(control)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			cfg, _, err := loadConfig(cfgPath)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			results, err := runAudit(cmd.Context(), cfg, args, all, concurrency, controls)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			summary, err := printAudit(stdio.Out, controls, results, format, verbose)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			switch {
			case summary.Error > 0:
				return &exitError{code: ExitError}
			case summary.Fail > 0:
				return &exitError{code: ExitFail}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().BoolVar(&all, "all", false, "audit every configured account, and the organization's accounts when configured")
	cmd.Flags().StringVar(&control, "control", "all", "the controls to audit, separated by commas (4.1,4.3; or their numbers in another benchmark: 3.1, CloudWatch.2), or all")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().IntVar(&concurrency, "concurrency", audit.DefaultConcurrency, "accounts audited at once")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show every step's evidence")
	return cmd
}

// parseControls reads --control: "all", or ids separated by commas. The controls come back once
// each, in the table's order.
func parseControls(s string) ([]*cis.Control, error) {
	picked := make([]bool, len(cis.Controls))
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if strings.EqualFold(id, "all") {
			for i := range picked {
				picked[i] = true
			}
			continue
		}
		ctl, err := cis.Lookup(id)
		if err != nil {
			return nil, fmt.Errorf("--control: %w", err)
		}
		for i := range cis.Controls {
			if &cis.Controls[i] == ctl {
				picked[i] = true
			}
		}
	}
	var out []*cis.Control
	for i, p := range picked {
		if p {
			out = append(out, &cis.Controls[i])
		}
	}
	return out, nil
}

// runAudit audits the accounts against the controls: results[i][j] is account i's result for
// controls[j]. Each account is read once for all the controls.
func runAudit(ctx context.Context, cfg *config.Config, names []string, all bool, concurrency int, controls []*cis.Control) ([][]cis.Result, error) {
	factory, err := newFactory(ctx, cfg)
	if err != nil {
		return nil, err
	}
	accounts := app.NewAccounts(cfg, factory)
	targets, err := accounts.Targets(ctx, names, all)
	if err != nil {
		return nil, err
	}
	runner := &audit.Runner{Controls: controls, Collector: accounts.Collector(), Concurrency: concurrency, Benchmark: cfg.Controls.Benchmark}
	return runner.RunControls(ctx, targets), nil
}

// printAudit writes the report in the format asked and returns its summary. One control prints
// that control's report, in the shape it had before the audit knew several.
func printAudit(w io.Writer, controls []*cis.Control, results [][]cis.Result, format string, verbose bool) (cis.StatusCounts, error) {
	if len(controls) == 1 {
		column := make([]cis.Result, len(results))
		for i, rs := range results {
			column[i] = rs[0]
		}
		report := cis.NewReport(controls[0].ID, column)
		if format == "json" {
			return report.Summary, writeJSON(w, report)
		}
		writeReport(w, report, verbose)
		return report.Summary, nil
	}
	ids := make([]string, len(controls))
	for j, ctl := range controls {
		ids[j] = ctl.ID
	}
	report := cis.NewControlsReport(ids, results)
	if format == "json" {
		return report.Summary, writeJSON(w, report)
	}
	writeControlsReport(w, controls, results, verbose)
	return report.Summary, nil
}

// writeReport renders a report for people: one line per account, then what failed and the fix.
func writeReport(w io.Writer, r cis.Report, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.Status, res.Account, accountID(res), firstLine(res.Reason))
	}
	tw.Flush()
	for _, res := range r.Results {
		if body := resultBody(res, verbose); body != "" {
			fmt.Fprintf(w, "\n%s %s:\n%s", res.Account, strings.ToLower(string(res.Status)), body)
		}
	}
	fmt.Fprintf(w, "\ncontrol %s: %d account(s): %d pass, %d fail, %d error\n", r.Control, len(r.Results), r.Summary.Pass, r.Summary.Fail, r.Summary.Error)
}

func accountID(res cis.Result) string {
	if res.AccountID == "" {
		return "?"
	}
	return res.AccountID
}

// resultBody is what the report shows under an account for one result: the reason (the failed
// step) or, verbose, every step's evidence; the fix; the warnings. It is empty for a pass without
// warnings unless verbose.
func resultBody(res cis.Result, verbose bool) string {
	if res.Status == cis.StatusPass && !verbose && len(res.Warnings) == 0 {
		return ""
	}
	var b strings.Builder
	if verbose {
		for _, c := range res.Checks {
			fmt.Fprintf(&b, "  %-5s %-17s %s\n", c.Status, c.Step, c.Detail)
		}
	} else if res.Status != cis.StatusPass {
		fmt.Fprintf(&b, "  %s\n", res.Reason)
	}
	if res.Fix != "" {
		fmt.Fprintf(&b, "  fix: %s\n", res.Fix)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(&b, "  warning: %s\n", warn)
	}
	return b.String()
}

// writeControlsReport renders an audit of several controls for people: one line per account
// with how many controls pass and which do not, then per failing control its step and fix.
// Controls that fail the same way (every control, when the trail is not logging) are shown once.
func writeControlsReport(w io.Writer, controls []*cis.Control, results [][]cis.Result, verbose bool) {
	ids := make([]string, len(controls))
	for j, ctl := range controls {
		ids[j] = ctl.ID
	}
	report := cis.NewControlsReport(ids, results)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range report.Rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.Status, row.Account, accountID(row.Results[0].Result), row.Tally())
	}
	tw.Flush()
	for _, rs := range results {
		writeAccountBlocks(w, controls, rs, verbose)
	}
	sum := report.Summary
	fmt.Fprintf(w, "\ncontrols %s: %d account(s) × %d control(s): %d pass, %d fail, %d error\n",
		controlIDs(controls), len(results), len(controls), sum.Pass, sum.Fail, sum.Error)
}

// writeAccountBlocks writes one account's results that have something to show, the controls
// whose status and text are the same under one heading, in the controls' order.
func writeAccountBlocks(w io.Writer, controls []*cis.Control, rs []cis.Result, verbose bool) {
	type block struct {
		status   cis.Status
		body     string
		controls []*cis.Control
	}
	var blocks []*block
	seen := map[string]*block{}
	for j, res := range rs {
		body := resultBody(res, verbose)
		if body == "" {
			continue
		}
		key := string(res.Status) + "\x00" + body
		if b, ok := seen[key]; ok {
			b.controls = append(b.controls, controls[j])
			continue
		}
		b := &block{status: res.Status, body: body, controls: []*cis.Control{controls[j]}}
		seen[key] = b
		blocks = append(blocks, b)
	}
	for _, b := range blocks {
		heading := controlIDs(b.controls)
		if len(b.controls) == 1 {
			heading += " (" + b.controls[0].Title + ")"
		}
		fmt.Fprintf(w, "\n%s %s, %s:\n%s", rs[0].Account, strings.ToLower(string(b.status)), heading, b.body)
	}
}

// controlIDs lists controls by id, a run of three or more that are next to each other in the
// table as a range: 4.1, 4.3–4.15.
func controlIDs(controls []*cis.Control) string {
	ids := make([]string, len(controls))
	for i, c := range controls {
		ids[i] = c.ID
	}
	return cis.ControlIDs(ids)
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
	cmd.AddCommand(check, newConfigInitCmd(stdio))
	return cmd
}
