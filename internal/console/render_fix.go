package console

import (
	"fmt"
	"io"
	"strings"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/remediate"
)

// WriteSteps writes a plan's steps, numbered, one a line; a plan of several controls under a
// heading per group (Shared, then each control). cisbot fix prints its plan with it too.
func WriteSteps(w io.Writer, p cis.Plan) {
	grouped := len(p.Controls) > 1
	for _, g := range p.Groups() {
		indent := "  "
		if grouped {
			fmt.Fprintf(w, "  %s:\n", g.Title())
			indent = "    "
		}
		for i, s := range g.Steps {
			fmt.Fprintf(w, "%s%d. %s\n", indent, g.First+i, s.Info().Detail)
		}
	}
}

func renderFixPlan(b *strings.Builder, p commands.FixPlan) {
	if p.Superseded != "" {
		fmt.Fprintf(b, "The account changed since request %s was made; this new plan replaces it.\n", p.Superseded)
	}
	fmt.Fprintf(b, "Fix %s (%s), requested by %s: %d change(s); nothing is deleted or overwritten.\n", p.Plan.Account, p.Plan.AccountID, p.RequestedBy, len(p.Plan.Steps))
	grouped := len(p.Plan.Controls) > 1
	if grouped && len(p.Before) > 0 {
		renderResults(b, "Audit before", p.Before)
	}
	WriteSteps(b, p.Plan)
	if len(p.Plan.Manual) > 0 {
		b.WriteString("To do by hand:\n")
		for _, m := range p.Plan.Manual {
			fmt.Fprintf(b, "  - %s\n", m)
		}
	}
	if !p.Expires.IsZero() {
		fmt.Fprintf(b, "Request %s can be approved until %s.\n", p.RequestID, p.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	}
	renderActions(b, p.Actions)
}

func renderFixDecided(b *strings.Builder, d commands.FixDecided) {
	fmt.Fprintf(b, "Fix of %s %s (request %s", d.Account, d.State, d.RequestID)
	if d.DecidedBy != "" {
		fmt.Fprintf(b, ", decided by %s", d.DecidedBy)
	}
	b.WriteString(").\n")
	interrupted := d.State == "interrupted"
	if interrupted {
		b.WriteString("cisbot stopped while applying this fix (a restart or a crash). The steps it recorded are shown; the others may or may not have run. Fix the account again to finish.\n")
	}
	if d.Applied != nil {
		for _, s := range d.Applied.Steps {
			outcome, note := string(s.Outcome.Outcome), ""
			switch {
			case interrupted && s.Outcome.Detail == commands.NotRecorded:
				outcome = "?"
				note = " (not recorded)"
			case interrupted && s.Outcome.Outcome == cis.OutcomeOK:
				note = ": " + s.Outcome.Detail
			case s.Outcome.Outcome == cis.OutcomeOK && !s.Outcome.Changed:
				note = " (already in place)"
			}
			if s.Outcome.Code != "" || s.Outcome.Message != "" {
				note = ": " + strings.TrimSpace(s.Outcome.Code+" "+s.Outcome.Message)
			}
			fmt.Fprintf(b, "  %-7s %s%s\n", outcome, s.Step.Info().Detail, note)
		}
		if !interrupted {
			fmt.Fprintf(b, "  %s\n", d.Applied.Sentence())
		}
	}
	what := "Audit after the fix"
	if interrupted {
		what = "Audit now"
	}
	switch {
	case len(d.After) == 1:
		fmt.Fprintf(b, "%s: %s  %s\n", what, d.After[0].Status, d.After[0].Reason)
	case len(d.After) > 1:
		renderResults(b, what, d.After)
	}
}

// renderResults writes several controls' audit: how many pass, then each that does not.
func renderResults(b *strings.Builder, what string, rs []cis.ControlResult) {
	fmt.Fprintf(b, "%s: %s\n", what, remediate.Summary(rs))
	for _, r := range rs {
		if r.Status != cis.StatusPass {
			fmt.Fprintf(b, "  %-5s %s  %s\n", r.Status, r.Control, r.Reason)
		}
	}
}

func renderHistory(b *strings.Builder, h commands.History) {
	if len(h.Entries) == 0 {
		fmt.Fprintf(b, "%s has no fix requests yet.\n", h.Account)
		return
	}
	fmt.Fprintf(b, "Fix history of %s (newest first):\n", h.Account)
	for _, e := range h.Entries {
		fmt.Fprintf(b, "  %s  %s  %-10s  %d step(s)  by %s", e.RequestID, e.Created.UTC().Format("2006-01-02 15:04"), e.State, e.Steps, e.RequestedBy)
		if e.DecidedBy != "" {
			fmt.Fprintf(b, ", decided by %s", e.DecidedBy)
		}
		b.WriteString("\n")
	}
}
