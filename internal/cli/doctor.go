package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/doctor"
	"github.com/cisbot/cisbot/internal/doctor/setup"
)

func newDoctorCmd(stdio IO) *cobra.Command {
	var cfgPath, format string
	cmd := &cobra.Command{
		Use:   "doctor [--config FILE] [--format text|json]",
		Short: "Check the whole set-up: config, store, Slack, each account's role, alerts, clock",
		Long: `Check the set-up and print a checklist, each line PASS, WARN, FAIL or SKIP with the fix.
Slack checks need SLACK_BOT_TOKEN and SLACK_APP_TOKEN (SLACK_API_URL when set); without
SLACK_BOT_TOKEN they are skipped, saying so. Exit 0 when nothing fails (warnings allowed),
1 when a check fails, 2 when the checks could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: ExitError, err: fmt.Errorf("--format %q: use text or json", format)}
			}
			rep, err := runDoctor(cmd.Context(), cfgPath)
			if err != nil {
				return &exitError{code: doctor.ExitNotRun, err: err}
			}
			write := rep.WriteText
			if format == "json" {
				write = rep.WriteJSON
			}
			if err := write(stdio.Out); err != nil {
				return err
			}
			if code := rep.ExitCode(); code != doctor.ExitOK {
				return &exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// runDoctor loads the config (a config that does not load is the checklist's one FAIL) and
// runs the checks; an error means they could not run at all.
func runDoctor(ctx context.Context, cfgPath string) (doctor.Report, error) {
	var rep doctor.Report
	cfg, path, err := loadConfig(cfgPath)
	if err != nil {
		rep.Add(doctor.Check{Name: "config", Status: doctor.Fail, Detail: err.Error(), Fix: "fix the fields named; `cisbot config check` repeats this"})
		return rep, nil
	}
	rep.Add(doctor.Check{Name: "config", Status: doctor.Pass, Detail: cmp.Or(path, "no config file: the defaults")})
	f, err := newFactory(ctx, cfg)
	if err != nil {
		return rep, err
	}
	rep.Add(setup.Run(ctx, setup.Options{Config: cfg, Factory: f, Getenv: os.Getenv}).Checks...)
	return rep, nil
}
