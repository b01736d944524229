package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/remediate"
)

// fixJSON is the --format json document of cisbot fix.
type fixJSON struct {
	Account string           `json:"account"`
	Before  cis.Result       `json:"before"`
	Plan    cis.Plan         `json:"plan"`
	Applied *cis.ApplyResult `json:"applied"`
	After   *cis.Result      `json:"after"`
}

func newFixCmd(stdio IO) *cobra.Command {
	var (
		cfgPath string
		yes     bool
		format  string
	)
	cmd := &cobra.Command{
		Use:   "fix ACCOUNT [--yes] [--format text|json]",
		Short: "Plan, and with confirmation apply, what makes an account pass CIS 4.1",
		Long: `Audits the account and prints the plan: what would be created, reusing what exists (nothing
is ever deleted or overwritten), and any manual prerequisite. It applies the plan only with
--yes or after you confirm on a terminal, then audits the account again.

Exit status: 0 the account passes afterwards (or already did), 1 it does not (plan not
applied, manual steps left, or a step failed), 2 bad input or the run could not start.`,
		Example: `  cisbot fix dev
  cisbot fix dev --yes --format json --config cisbot.yml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: ExitError, err: fmt.Errorf("--format %q: use text or json", format)}
			}
			cfg, _, err := loadConfig(cfgPath)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			factory, err := newFactory(cmd.Context(), cfg)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			rem := &app.Remediator{Accounts: app.NewAccounts(cfg, factory), Options: app.PlanOptions(cfg)}
			name := args[0]
			requestID := "cli-" + time.Now().UTC().Format("20060102T150405Z")
			return runFix(cmd.Context(), stdio, rem, name, requestID, yes, format == "text")
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().BoolVar(&yes, "yes", false, "apply without asking")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// runFix plans, asks (unless yes), applies and audits again, printing each stage as text or,
// at the end, the JSON document.
func runFix(ctx context.Context, stdio IO, rem remediate.Remediator, name, requestID string, yes, text bool) error {
	out := stdio.Out
	if !text {
		out = io.Discard
	}
	fix, err := remediate.Run(ctx, rem, name, requestID, remediate.Hooks{
		Planned: func(plan cis.Plan, before cis.Result) { writePlan(out, name, before, plan) },
		Approve: func(_ context.Context, plan cis.Plan, _ cis.Result) (bool, error) {
			return confirmFix(stdio, out, name, len(plan.Steps), yes, text), nil
		},
		Step: func(step cis.PlanStep, o cis.StepOutcome) {
			fmt.Fprintf(out, "  %-7s %s%s\n", o.Outcome, step.Info().Detail, outcomeNote(o))
		},
		Applied: func(res cis.ApplyResult, err error) {
			if err == nil {
				fmt.Fprintf(out, "  %s\n", res.Sentence())
			}
		},
	})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	doc := fixJSON{Account: name, Before: fix.Before, Plan: fix.Plan}
	if fix.Applied == nil {
		return finishFix(stdio, text, doc, fix.Before)
	}
	if fix.ApplyErr != nil {
		return &exitError{code: ExitError, err: fix.ApplyErr}
	}
	doc.Applied = fix.Applied
	if fix.AfterErr != nil {
		return &exitError{code: ExitError, err: fix.AfterErr}
	}
	doc.After = fix.After
	fmt.Fprintf(out, "\nAudit after the fix: %s  %s\n", fix.After.Status, fix.After.Reason)
	return finishFix(stdio, text, doc, *fix.After)
}

// confirmFix is the approval of cisbot fix: --yes, or y on a terminal.
func confirmFix(stdio IO, out io.Writer, name string, steps int, yes, text bool) bool {
	if !yes {
		if !text || !console.IsTerminal(stdio.In) {
			fmt.Fprintln(out, "\nNot applied: run again with --yes to apply.")
			return false
		}
		fmt.Fprintf(stdio.Out, "\nApply these %d change(s) to %s? [y/N] ", steps, name)
		answer, _ := bufio.NewReader(stdio.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stdio.Out, "Not applied.")
			return false
		}
	}
	fmt.Fprintln(out, "\nApplying:")
	return true
}

func outcomeNote(o cis.StepOutcome) string {
	switch {
	case o.Outcome == cis.OutcomeOK && !o.Changed:
		return " (already in place)"
	case o.Code != "" || o.Message != "":
		return ": " + strings.TrimSpace(o.Code+" "+o.Message)
	}
	return ""
}

// finishFix prints the JSON document when asked and turns the final verdict into the exit code.
func finishFix(stdio IO, text bool, doc fixJSON, final cis.Result) error {
	if !text {
		if err := writeJSON(stdio.Out, doc); err != nil {
			return &exitError{code: ExitError, err: err}
		}
	}
	if final.Status == cis.StatusPass {
		return nil
	}
	return &exitError{code: ExitFail}
}

func writePlan(w io.Writer, name string, before cis.Result, p cis.Plan) {
	fmt.Fprintf(w, "%s (%s): %s  %s\n", name, p.AccountID, before.Status, before.Reason)
	if p.Passes {
		fmt.Fprintln(w, "Nothing to do: the account passes.")
		return
	}
	if len(p.Steps) > 0 {
		fmt.Fprintf(w, "\nPlan (%d change(s); nothing is deleted or overwritten):\n", len(p.Steps))
		for i, s := range p.Steps {
			fmt.Fprintf(w, "  %d. %s\n", i+1, s.Info().Detail)
		}
	}
	if len(p.Manual) > 0 {
		fmt.Fprintln(w, "\nTo do by hand (the bot does not make these changes):")
		for _, m := range p.Manual {
			fmt.Fprintf(w, "  - %s\n", m)
		}
	}
}
