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

// fixJSON is the --format json document of cisbot fix for one control, as it was when the fix
// knew 4.1 only.
type fixJSON struct {
	Account string           `json:"account"`
	Before  cis.Result       `json:"before"`
	Plan    cis.Plan         `json:"plan"`
	Applied *cis.ApplyResult `json:"applied"`
	After   *cis.Result      `json:"after"`
}

// fixControlsJSON is the document for several controls: their ids, and each control's result
// before and after.
type fixControlsJSON struct {
	Account  string              `json:"account"`
	Controls []string            `json:"controls"`
	Before   []cis.ControlResult `json:"before"`
	Plan     cis.Plan            `json:"plan"`
	Applied  *cis.ApplyResult    `json:"applied"`
	After    []cis.ControlResult `json:"after"`
}

// fixDocument is the JSON document of a fix of the controls.
func fixDocument(name string, controls []*cis.Control, fix remediate.Fix) any {
	if len(controls) == 1 {
		doc := fixJSON{Account: name, Plan: fix.Plan, Applied: fix.Applied}
		if len(fix.Before) == 1 {
			doc.Before = fix.Before[0].Result
		}
		if len(fix.After) == 1 {
			doc.After = &fix.After[0].Result
		}
		return doc
	}
	doc := fixControlsJSON{Account: name, Before: fix.Before, Plan: fix.Plan, Applied: fix.Applied, After: fix.After}
	for _, c := range controls {
		doc.Controls = append(doc.Controls, c.ID)
	}
	return doc
}

func newFixCmd(stdio IO) *cobra.Command {
	var (
		cfgPath string
		yes     bool
		format  string
		control string
	)
	cmd := &cobra.Command{
		Use:   "fix ACCOUNT [--control ID,…|all] [--yes] [--format text|json]",
		Short: "Plan, and with confirmation apply, what makes an account pass the CIS monitoring controls",
		Long: `Audits the account and prints one plan for every control that fails: what would be created,
reusing what exists (nothing is ever deleted or overwritten), and any manual prerequisite. Steps
on the trail and the topic, which the controls share, come first; then each control's metric
filter and alarm. It applies the plan only with --yes or after you confirm on a terminal, then
audits the account again.

--control picks the controls (default all). With one control the JSON document is that
control's alone, as it was when the fix knew 4.1 only ("before" and "after" a result); with
several it lists "controls", and "before" and "after" give each control's result.

Exit status: 0 the account passes afterwards (or already did), 1 it does not (plan not
applied, manual steps left, or a step failed), 2 bad input or the run could not start.`,
		Example: `  cisbot fix dev
  cisbot fix dev --control 4.1,4.3
  cisbot fix dev --yes --format json --config cisbot.yml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: ExitError, err: fmt.Errorf("--format %q: use text or json", format)}
			}
			controls, err := parseControls(control)
			if err != nil {
				return &exitError{code: ExitError, err: err}
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
			return runFix(cmd.Context(), stdio, rem, name, controls, requestID, yes, format == "text")
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $"+config.EnvVar+")")
	cmd.Flags().BoolVar(&yes, "yes", false, "apply without asking")
	cmd.Flags().StringVar(&control, "control", "all", "the controls to fix, separated by commas (4.1,4.3; or their numbers in another benchmark: 3.1, CloudWatch.2), or all")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// runFix plans, asks (unless yes), applies and audits again, printing each stage as text or,
// at the end, the JSON document.
func runFix(ctx context.Context, stdio IO, rem remediate.Remediator, name string, controls []*cis.Control, requestID string, yes, text bool) error {
	out := stdio.Out
	if !text {
		out = io.Discard
	}
	fix, err := remediate.Run(ctx, rem, name, controls, requestID, remediate.Hooks{
		Planned: func(plan cis.Plan, before []cis.ControlResult) { writePlan(out, name, before, plan) },
		Approve: func(_ context.Context, plan cis.Plan, _ []cis.ControlResult) (bool, error) {
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
	if fix.Applied == nil {
		return finishFix(stdio, text, fixDocument(name, controls, fix), fix.Before)
	}
	if fix.ApplyErr != nil {
		return &exitError{code: ExitError, err: fix.ApplyErr}
	}
	if fix.AfterErr != nil {
		return &exitError{code: ExitError, err: fix.AfterErr}
	}
	if len(fix.After) == 1 {
		fmt.Fprintf(out, "\nAudit after the fix: %s  %s\n", fix.After[0].Status, fix.After[0].Reason)
	} else {
		fmt.Fprintf(out, "\nAudit after the fix: %s\n", remediate.Summary(fix.After))
		writeFailing(out, fix.After)
	}
	return finishFix(stdio, text, fixDocument(name, controls, fix), fix.After)
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

// finishFix prints the JSON document when asked and turns the final verdicts into the exit code.
func finishFix(stdio IO, text bool, doc any, final []cis.ControlResult) error {
	if !text {
		if err := writeJSON(stdio.Out, doc); err != nil {
			return &exitError{code: ExitError, err: err}
		}
	}
	if remediate.AllPass(final) {
		return nil
	}
	return &exitError{code: ExitFail}
}

// writeFailing lists the controls that do not pass, each with its reason.
func writeFailing(w io.Writer, rs []cis.ControlResult) {
	for _, r := range rs {
		if r.Status != cis.StatusPass {
			fmt.Fprintf(w, "  %-5s %s  %s\n", r.Status, r.Control, r.Reason)
		}
	}
}

func writePlan(w io.Writer, name string, before []cis.ControlResult, p cis.Plan) {
	if len(before) == 1 {
		fmt.Fprintf(w, "%s (%s): %s  %s\n", name, p.AccountID, before[0].Status, before[0].Reason)
	} else {
		fmt.Fprintf(w, "%s (%s): %s\n", name, p.AccountID, remediate.Summary(before))
		writeFailing(w, before)
	}
	if p.Passes {
		fmt.Fprintln(w, "Nothing to do: the account passes.")
		return
	}
	if len(p.Steps) > 0 {
		fmt.Fprintf(w, "\nPlan (%d change(s); nothing is deleted or overwritten):\n", len(p.Steps))
		console.WriteSteps(w, p)
	}
	if len(p.Manual) > 0 {
		fmt.Fprintln(w, "\nTo do by hand (the bot does not make these changes):")
		for _, m := range p.Manual {
			fmt.Fprintf(w, "  - %s\n", m)
		}
	}
}
