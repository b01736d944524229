package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// render turns a reply into plain text ending in a newline: no markup and no terminal escape
// codes, so it reads the same in a terminal, a pipe or a file.
func render(r commands.Reply) string {
	var b strings.Builder
	switch r := r.(type) {
	case commands.Text:
		b.WriteString(r.Text + "\n")
	case commands.Problem:
		renderProblem(&b, r)
	case commands.Help:
		renderHelp(&b, r)
	case commands.Accounts:
		renderAccounts(&b, r)
	case commands.Progress:
		b.WriteString(progressLine(r) + "\n")
	case commands.Report:
		renderReport(&b, r)
	case commands.Evidence:
		renderEvidence(&b, r)
	case commands.FixPlan:
		renderFixPlan(&b, r)
	case commands.FixDecided:
		renderFixDecided(&b, r)
	case commands.History:
		renderHistory(&b, r)
	case commands.Status:
		renderStatus(&b, r)
	default:
		fmt.Fprintf(&b, "(this console cannot show a %T reply)\n", r)
	}
	return b.String()
}

func renderProblem(b *strings.Builder, p commands.Problem) {
	b.WriteString(p.Text + "\n")
	if p.Suggestion != "" {
		b.WriteString("Try: " + p.Suggestion + "\n")
	}
	if p.Usage != "" {
		b.WriteString("Usage: " + p.Usage + "\n")
	}
}

func renderHelp(b *strings.Builder, h commands.Help) {
	fmt.Fprintf(b, "Commands (type them with or without %s):\n", h.Command)
	width := 0
	for _, d := range h.Commands {
		width = max(width, len([]rune(d.Usage(h.Command))))
	}
	for _, d := range h.Commands {
		fmt.Fprintf(b, "  %s  %s\n", pad(d.Usage(h.Command), width), d.Description)
		if len(d.Examples) > 0 {
			ex := make([]string, len(d.Examples))
			for i, e := range d.Examples {
				ex[i] = h.Command + " " + e
			}
			fmt.Fprintf(b, "  %s  e.g. %s\n", pad("", width), strings.Join(ex, ", "))
		}
	}
	b.WriteString("Type a button's number to press it; an empty line, quit or exit ends the session.\n")
}

func renderAccounts(b *strings.Builder, a commands.Accounts) {
	switch len(a.Accounts) {
	case 0:
		b.WriteString("No accounts are configured: add them under accounts: in the config file.\n")
	case 1:
		b.WriteString("1 account:\n")
	default:
		fmt.Fprintf(b, "%d accounts:\n", len(a.Accounts))
	}
	width := 0
	for _, acc := range a.Accounts {
		width = max(width, len([]rune(acc.Name)))
	}
	for _, acc := range a.Accounts {
		how := "the bot's own credentials"
		if acc.RoleARN != "" {
			how = "role " + acc.RoleARN
		}
		if acc.Channel != "" {
			how += ", results to channel " + acc.Channel
		}
		fmt.Fprintf(b, "  %s  %s\n", pad(acc.Name, width), how)
	}
	if a.Organization != "" {
		fmt.Fprintf(b, "Organization: audit all also covers every active member account, through role %s.\n", a.Organization)
	}
}

// progressLine is an audit under way in one line: "Auditing prod, dev… 1 of 2 done".
func progressLine(p commands.Progress) string {
	line := "Auditing " + strings.Join(p.Accounts, ", ") + "…"
	if p.Total > 0 {
		line += fmt.Sprintf(" %d of %d done", p.Done, p.Total)
	}
	return line
}

// renderReport is one line per account, as cisbot audit prints an audit of several controls:
// the account's worst status, its id, how many controls pass and which do not.
func renderReport(b *strings.Builder, r commands.Report) {
	rows := r.Report.Rows()
	nameW := 0
	for _, row := range rows {
		nameW = max(nameW, len([]rune(row.Account)))
	}
	for _, row := range rows {
		id := row.AccountID
		if id == "" {
			id = "?"
		}
		fmt.Fprintf(b, "%-5s  %s  %-12s  %s\n", row.Status, pad(row.Account, nameW), id, row.Tally())
	}
	s := r.Report.Summary
	word := "Controls"
	if len(r.Report.Controls) == 1 {
		word = "Control"
	}
	fmt.Fprintf(b, "%s %s: %s audited%s: %d pass, %d fail, %d error (account × control).\n",
		word, cis.ControlIDs(r.Report.Controls), plural(len(rows), "account"), took(r.Started, r.Finished), s.Pass, s.Fail, s.Error)
	renderActions(b, r.Actions)
}

// renderActions shows buttons as numbered choices.
func renderActions(b *strings.Builder, actions []commands.Action) {
	for i, a := range actions {
		fmt.Fprintf(b, "[%d] %s\n", i+1, a.Label)
	}
	if len(actions) > 0 {
		b.WriteString("Type a number to press its button.\n")
	}
}

// renderEvidence is one account's evidence: each control that does not pass with its chain of
// checks, then the controls that pass on one line.
func renderEvidence(b *strings.Builder, e commands.Evidence) {
	if len(e.Results) == 0 {
		b.WriteString("No results were recorded for this account.\n")
		return
	}
	row := cis.ControlsReport{Results: e.Results}.Rows()[0]
	fmt.Fprintf(b, "Evidence for %s (%s): %s, %s\n", row.Account, row.AccountID, row.Status, row.Tally())
	for _, r := range e.Results {
		if r.Status == cis.StatusPass {
			continue
		}
		fmt.Fprintf(b, "%s %s: %s", r.Control, cis.ControlTitle(r.Control), r.Status)
		if r.FailedStep != nil {
			fmt.Fprintf(b, " at %s", *r.FailedStep)
		}
		b.WriteString("\n")
		renderChecks(b, r.Result)
	}
	if len(row.Pass) > 0 {
		b.WriteString("Passing: " + cis.ControlIDs(row.Pass) + "\n")
	}
	for _, r := range e.Results {
		if r.Status == cis.StatusPass {
			for _, w := range r.Warnings {
				fmt.Fprintf(b, "  %s warning: %s\n", r.Control, w)
			}
		}
	}
}

// renderChecks is one result's chain of checks, its fix and warnings, indented.
func renderChecks(b *strings.Builder, r cis.Result) {
	stepW := 0
	for _, c := range r.Checks {
		stepW = max(stepW, len(c.Step))
	}
	for _, c := range r.Checks {
		line := fmt.Sprintf("  %-5s  %s  %s", c.Status, pad(string(c.Step), stepW), firstLine(c.Detail))
		if c.Resource != "" && !strings.Contains(c.Detail, c.Resource) {
			line += " [" + c.Resource + "]"
		}
		b.WriteString(line + "\n")
	}
	if r.Status != cis.StatusPass && r.Fix != "" {
		b.WriteString("  fix: " + r.Fix + "\n")
	}
	for _, w := range r.Warnings {
		b.WriteString("  warning: " + w + "\n")
	}
}

func pad(s string, width int) string {
	if n := len([]rune(s)); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// firstLine keeps a text to its first line: a report shows one sentence per account.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func took(start, end time.Time) string {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return ""
	}
	return " in " + end.Sub(start).Round(100*time.Millisecond).String()
}
