package slackbot

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// renderAccountStatus is /cis status: each account's latest stored result, failing accounts with a
// Fix button.
func renderAccountStatus(st commands.Status) rendered {
	var pass, recorded int
	for _, e := range st.Entries {
		if !e.At.IsZero() {
			recorded++
		}
		if e.Status == string(cis.StatusPass) {
			pass++
		}
	}
	title := fmt.Sprintf("Latest results: %d of %d %s pass", pass, len(st.Entries), plural(len(st.Entries), "account", "accounts"))
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
		blocks = append(blocks, contextBlock(fmt.Sprintf("…and %d more %s", rest, plural(rest, "account", "accounts"))))
	}
	return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
}

// statusLine is one account of /cis status.
func statusLine(e commands.StatusEntry) string {
	if e.At.IsZero() {
		return ":grey_question: *" + escFit(e.Account, 100) + "* not audited yet"
	}
	t := statusEmoji(cis.Status(e.Status)) + " *" + escFit(e.Account, 100) + "*"
	if e.AccountID != "" {
		t += " " + code(e.AccountID, 50)
	}
	t += " " + esc(e.Status)
	if e.Status != string(cis.StatusPass) {
		if e.FailedStep != "" && e.Status == string(cis.StatusFail) {
			t += " at " + code(e.FailedStep, 50) // an error's reason names its step
		}
		if e.Reason != "" {
			t += ": " + escFit(firstSentence(e.Reason, 300), 300)
		}
	}
	if e.Status == string(cis.StatusFail) && !e.Since.IsZero() {
		t += " _(failing since " + date(e.Since) + ")_"
	}
	return t + " · audited " + date(e.At)
}
