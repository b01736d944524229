package slackbot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// renderAccountStatus is /cis status: one line per account with its controls passing, the
// failing and erroring controls and since when the oldest failure, and a Fix button per account
// failing a control. Accounts that do not fit are counted, with how to see them.
func renderAccountStatus(st commands.Status) rendered {
	var pass, recorded int
	for _, e := range st.Entries {
		if len(e.Controls) > 0 {
			recorded++
		}
		if len(e.Controls) > 0 && e.Pass() == len(cis.Controls) {
			pass++
		}
	}
	title := fmt.Sprintf("Latest results: %d of %d %s pass all %d controls", pass, len(st.Entries), plural(len(st.Entries), "account", "accounts"), len(cis.Controls))
	blocks := []slack.Block{header(title)}
	var tail []slack.Block
	buttons, hidden := actionsBlock(st.Actions)
	if buttons != nil {
		tail = append(tail, buttons)
	}
	foot := []string{"From the audit history the scheduled summaries keep; /cis audit audits again."}
	if hidden > 0 {
		foot = append(foot, fmt.Sprintf("%d more Fix %s not shown.", hidden, plural(hidden, "button is", "buttons are")))
	}
	tail = append(tail, contextBlock(foot...))
	if len(st.Entries) == 0 {
		blocks = append(blocks, section("No accounts are configured, and no audit has been recorded."))
		return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
	}
	if recorded == 0 {
		blocks = append(blocks, section("No summary has audited these accounts yet: results are recorded by the scheduled summaries (summaries in the config) and by cisbot summary."))
	}
	lines := make([]string, len(st.Entries))
	for i, e := range st.Entries {
		lines[i] = statusLine(e)
	}
	secs, rest := pack(lines, maxBlocks-len(blocks)-len(tail)-1, maxMessageText-textLen(blocks...)-textLen(tail...)-200)
	blocks = append(blocks, secs...)
	if rest > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("…and %d more %s not shown: name them (/cis status ACCOUNT…), or see all with `cisbot console`.", rest, plural(rest, "account", "accounts"))))
	}
	return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
}

// statusLine is one account of /cis status: "dev 13/15 · failing 4.3, 4.10 since … · not
// audited 4.7 · audited …".
func statusLine(e commands.StatusEntry) string {
	if len(e.Controls) == 0 {
		return ":grey_question: *" + escFit(e.Account, 100) + "* not audited yet"
	}
	failing, erroring, unaudited := e.Failing(), e.Erroring(), e.Unaudited()
	emoji := statusEmoji(cis.StatusPass)
	switch {
	case len(failing) > 0:
		emoji = statusEmoji(cis.StatusFail)
	case len(erroring) > 0:
		emoji = statusEmoji(cis.StatusError)
	}
	parts := []string{emoji + " *" + escFit(e.Account, 100) + "*"}
	if e.AccountID != "" {
		parts[0] += " " + code(e.AccountID, 50)
	}
	parts[0] += " " + e.Ratio()
	if len(failing) > 0 {
		t := "failing " + esc(strings.Join(failing, ", "))
		if !e.Since.IsZero() {
			t += " since " + shortDate(e.Since)
		}
		parts = append(parts, t)
	}
	if len(erroring) > 0 {
		parts = append(parts, "not audited "+esc(strings.Join(erroring, ", ")))
	}
	if n := len(unaudited); n > 0 {
		parts = append(parts, fmt.Sprintf("%d never audited", n))
	}
	return strings.Join(append(parts, "audited "+shortDate(e.At)), " · ")
}

// shortDate is Slack's date token without the time, for lines that repeat it per account.
func shortDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short}|%s>", t.Unix(), t.UTC().Format("2006-01-02"))
}
