package console

import (
	"fmt"
	"strings"

	"github.com/cisbot/cisbot/internal/commands"
)

// renderStatus is /cis status: each account's latest stored result, in one line.
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
	for _, e := range st.Entries {
		if e.At.IsZero() {
			fmt.Fprintf(b, "  %-5s  %s  not audited yet\n", "-", pad(e.Account, nameW))
			continue
		}
		line := fmt.Sprintf("  %-5s  %s  %s", e.Status, pad(e.Account, nameW), e.At.UTC().Format("2006-01-02 15:04 UTC"))
		switch {
		case e.Status == "FAIL" && e.FailedStep != "":
			line += "  at " + e.FailedStep
			if e.Reason != "" {
				line += ": " + firstLine(e.Reason)
			}
		case e.Status != "PASS" && e.Reason != "":
			line += "  " + firstLine(e.Reason) // an error's reason names its step
		}
		if !e.Since.IsZero() {
			line += " (failing since " + e.Since.UTC().Format("2006-01-02 15:04 UTC") + ")"
		}
		b.WriteString(line + "\n")
	}
	renderActions(b, st.Actions)
}
