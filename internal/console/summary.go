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
	for _, l := range s.Failing() {
		out = append(out, commands.Action{ID: commands.ActionFix, Label: "Fix: " + l.Account, Value: l.Account})
	}
	return out
}

// RenderSummary is a summary as text, with actions as numbered choices (nil: none). It backs
// cisbot summary --dry-run.
func RenderSummary(s summary.Digest, actions []commands.Action) string {
	var b strings.Builder
	title := "CIS summary"
	if s.Control != "" {
		title = "CIS " + s.Control + " summary"
	}
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
	who := func(l summary.Line) string {
		if l.AccountID != "" {
			return l.Account + " (" + l.AccountID + ")"
		}
		return l.Account
	}
	section("Newly failing", s.NewlyFailing, func(l summary.Line) string {
		return who(l) + " fails at " + orUnknown(l.FailedStep) + ": " + firstLine(l.Reason)
	})
	section("Newly passing", s.NewlyPassing, who)
	section("Still failing", s.StillFailing, func(l summary.Line) string {
		t := who(l) + " at " + orUnknown(l.FailedStep)
		if f := s.For(l.Since); f != "" {
			t += ", for " + f + " (since " + s.Time(l.Since) + ")"
		}
		return t
	})
	section("Not audited", s.Errors, func(l summary.Line) string {
		t := who(l) + ": " + firstLine(l.Reason)
		if l.Verdict != "" {
			t += " (it was " + l.Verdict + ")"
		}
		return t
	})
	if s.Unchanged > 0 {
		fmt.Fprintf(&b, "%s passing as before.\n", plural(s.Unchanged, "account"))
	}
	b.WriteString("Audited " + s.Time(s.At) + ".\n")
	renderActions(&b, actions)
	return b.String()
}
