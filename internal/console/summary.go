package console

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/summary"
)

// SummaryPoster prints summaries in the console: it is the console as a summary.Poster. The
// summary's Fix buttons become the numbered choices, as a report's do.
type SummaryPoster struct{ c *Console }

var _ summary.Poster = SummaryPoster{}

// Summaries returns the console as a summary.Poster.
func (c *Console) Summaries() SummaryPoster { return SummaryPoster{c} }

// PostSummary prints the summary and offers its Fix buttons.
func (sp SummaryPoster) PostSummary(_ context.Context, s summary.Digest) error {
	c := sp.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	actions := SummaryActions(s)
	c.actions = actions
	_, err := io.WriteString(c.out, RenderSummary(s, actions)+"\n")
	return err
}

// SummaryActions are a summary's Fix buttons, one per failing account.
func SummaryActions(s summary.Digest) []commands.Action {
	var out []commands.Action
	for _, a := range s.FailingAccounts() {
		out = append(out, commands.FixAction(a.Account, s.Controls))
	}
	return out
}

// RenderSummary is a summary as text, with actions as numbered choices (nil: none): every
// (account, control) check that changed or fails, then a line per account. It backs cisbot
// summary --dry-run, so it lists everything.
func RenderSummary(s summary.Digest, actions []commands.Action) string {
	var b strings.Builder
	title := "CIS summary"
	if s.Channel != "" {
		title += " for " + s.Channel
	}
	b.WriteString(title + ": " + s.Headline() + "\n")
	section := func(name string, lines []summary.Line, line func(summary.Line) string) {
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", name, len(lines))
		for _, l := range lines {
			b.WriteString("  " + line(l) + "\n")
		}
	}
	section("Newly failing", s.NewlyFailing, func(l summary.Line) string {
		return who(l.Account, l.AccountID) + " " + l.Control + " fails at " + orUnknown(l.FailedStep) + ": " + firstLine(l.Reason)
	})
	if len(s.NewlyPassing) > 0 {
		// An account's newly passing controls are one line.
		fmt.Fprintf(&b, "Newly passing (%d):\n", len(s.NewlyPassing))
		for _, g := range sameAccount(s.NewlyPassing) {
			b.WriteString("  " + who(g[0].Account, g[0].AccountID) + " " + summary.IDs(g) + "\n")
		}
	}
	if len(s.StillFailing) > 0 {
		// An account's controls failing at the same step since the same audit are one line.
		fmt.Fprintf(&b, "Still failing (%d):\n", len(s.StillFailing))
		for _, g := range sameFailure(s.StillFailing) {
			l := g[0]
			t := who(l.Account, l.AccountID) + " " + summary.IDs(g) + " at " + orUnknown(l.FailedStep)
			if f := s.For(l.Since); f != "" {
				t += ", for " + f + " (since " + s.Time(l.Since) + ")"
			}
			b.WriteString("  " + t + "\n")
		}
	}
	renderSummaryErrors(&b, s)
	renderSummaryAccounts(&b, s)
	b.WriteString("Audited " + s.Time(s.At) + ".\n")
	renderActions(&b, actions)
	return b.String()
}

// sameFailure groups consecutive lines of one account that fail at the same step since the
// same time.
func sameFailure(lines []summary.Line) [][]summary.Line {
	var out [][]summary.Line
	for _, l := range lines {
		if n := len(out); n > 0 {
			p := out[n-1][0]
			if p.Account == l.Account && p.FailedStep == l.FailedStep && p.Since.Equal(l.Since) {
				out[n-1] = append(out[n-1], l)
				continue
			}
		}
		out = append(out, []summary.Line{l})
	}
	return out
}

// sameAccount groups consecutive lines of one account.
func sameAccount(lines []summary.Line) [][]summary.Line {
	var out [][]summary.Line
	for _, l := range lines {
		if n := len(out); n > 0 && out[n-1][0].Account == l.Account {
			out[n-1] = append(out[n-1], l)
			continue
		}
		out = append(out, []summary.Line{l})
	}
	return out
}

func who(account, id string) string {
	if id != "" {
		return account + " (" + id + ")"
	}
	return account
}

// renderSummaryErrors lists the checks not audited, one line per account and reason: an
// account that could not be read is one line for all its controls.
func renderSummaryErrors(b *strings.Builder, s summary.Digest) {
	if len(s.Errors) == 0 {
		return
	}
	fmt.Fprintf(b, "Not audited (%d):\n", len(s.Errors))
	for _, a := range s.Accounts {
		for _, g := range a.ErrorGroups() {
			t := "  " + who(a.Account, a.AccountID) + " " + summary.IDs(g.Lines) + ": " + firstLine(g.Reason)
			if v := g.Lines[0].Verdict; v != "" && allVerdict(g.Lines, v) {
				t += " (it was " + v + ")"
			}
			b.WriteString(t + "\n")
		}
	}
}

func allVerdict(lines []summary.Line, v string) bool {
	for _, l := range lines {
		if l.Verdict != v {
			return false
		}
	}
	return true
}

// renderSummaryAccounts is a line per account that changed or fails ("dev  1/3  newly failing
// 4.3 · still failing 4.10"), and the count of the others.
func renderSummaryAccounts(b *strings.Builder, s summary.Digest) {
	var lines [][2]string
	quiet, nameW := 0, 0
	for _, a := range s.Accounts {
		if a.Quiet() {
			quiet++
			continue
		}
		var parts []string
		for _, p := range []struct {
			what  string
			lines []summary.Line
		}{{"newly failing", a.NewlyFailing}, {"newly passing", a.NewlyPassing}, {"still failing", a.StillFailing}, {"not audited", a.Errors}} {
			if len(p.lines) > 0 {
				parts = append(parts, p.what+" "+summary.IDs(p.lines))
			}
		}
		lines = append(lines, [2]string{a.Account, a.Ratio() + "  " + strings.Join(parts, " · ")})
		nameW = max(nameW, len([]rune(a.Account)))
	}
	if len(lines) > 0 {
		b.WriteString("By account:\n")
		for _, l := range lines {
			b.WriteString("  " + pad(l[0], nameW) + "  " + l[1] + "\n")
		}
	}
	if quiet > 0 {
		verb := "pass"
		if quiet == 1 {
			verb = "passes"
		}
		fmt.Fprintf(b, "%s %s %s as before.\n", plural(quiet, "account"), verb, s.ControlsName())
	}
}
