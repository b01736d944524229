package console

import (
	"fmt"
	"strings"

	"github.com/cisbot/cisbot/internal/commands"
)

// renderStatus is /cis status: a line per account with its controls passing, the failing and
// erroring controls and since when the oldest failure, then each failing or erroring control's
// step and reason.
func renderStatus(b *strings.Builder, st commands.Status) {
	if len(st.Entries) == 0 {
		b.WriteString("No accounts are configured, and no audit has been recorded.\n")
		return
	}
	b.WriteString("Latest results from the scheduled summaries (audit to check again):\n")
	nameW := 0
	for _, e := range st.Entries {
		nameW = max(nameW, len([]rune(e.Account)))
	}
	const stamp = "2006-01-02 15:04 UTC"
	for _, e := range st.Entries {
		if len(e.Controls) == 0 {
			fmt.Fprintf(b, "  %s  %5s  not audited yet\n", pad(e.Account, nameW), "-")
			continue
		}
		parts := []string{fmt.Sprintf("  %s  %5s  audited %s", pad(e.Account, nameW), e.Ratio(), e.At.UTC().Format(stamp))}
		if f := e.Failing(); len(f) > 0 {
			t := "failing " + strings.Join(f, ", ")
			if !e.Since.IsZero() {
				t += " since " + e.Since.UTC().Format(stamp)
			}
			parts = append(parts, t)
		}
		if errs := e.Erroring(); len(errs) > 0 {
			parts = append(parts, "not audited "+strings.Join(errs, ", "))
		}
		if n := len(e.Unaudited()); n > 0 {
			parts = append(parts, fmt.Sprintf("%d never audited", n))
		}
		b.WriteString(strings.Join(parts, " · ") + "\n")
		for _, c := range e.Controls {
			switch {
			case c.Status == "PASS":
			case c.Status == "FAIL" && c.FailedStep != "":
				fmt.Fprintf(b, "      %-5s %s at %s: %s\n", c.Control, c.Status, c.FailedStep, firstLine(c.Reason))
			default: // an error's reason names its step
				fmt.Fprintf(b, "      %-5s %s: %s\n", c.Control, c.Status, firstLine(c.Reason))
			}
		}
	}
	renderActions(b, st.Actions)
}
