package slackbot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// rendered is one reply laid out for Slack.
type rendered struct {
	// Private replies are seen by the requester only (response_type ephemeral).
	Private bool
	// Text is the fallback shown in notifications and by clients that cannot show blocks.
	Text   string
	Blocks []slack.Block
}

// render lays out a reply. Each kind of reply has its own function below; all of them stay
// within Slack's limits (limits.go) whatever the size of their input.
func render(r commands.Reply) rendered {
	switch r := r.(type) {
	case commands.Problem:
		return renderProblem(r)
	case commands.Help:
		return renderHelp(r)
	case commands.Accounts:
		return renderAccounts(r)
	case commands.Progress:
		return renderProgress(r)
	case commands.Report:
		return renderReport(r)
	case commands.Evidence:
		return renderEvidence(r)
	case commands.Text:
		return renderText(r)
	case commands.FixPlan:
		return renderFixPlan(r)
	case commands.FixDecided:
		return renderFixDecided(r)
	case commands.History:
		return renderHistory(r)
	case commands.Status:
		return renderAccountStatus(r)
	default:
		return rendered{Private: true, Text: fmt.Sprintf("cisbot cannot show a %T reply in Slack.", r)}
	}
}

func fallback(s string) string { return escFit(s, maxSectionText) }

func renderText(t commands.Text) rendered {
	if strings.TrimSpace(t.Text) == "" {
		t.Text = "(no text)"
	}
	return rendered{Private: t.Private, Text: fallback(t.Text), Blocks: []slack.Block{section(escFit(t.Text, maxSectionText))}}
}

func renderProblem(p commands.Problem) rendered {
	blocks := []slack.Block{section(":warning: " + escKeepChannels(clip(p.Text, maxSectionText)))}
	if p.Suggestion != "" {
		blocks = append(blocks, section("Try "+code(p.Suggestion, 500)))
	}
	if p.Usage != "" {
		blocks = append(blocks, contextBlock("Usage: "+code(p.Usage, 500)))
	}
	return rendered{Private: true, Text: fit(escKeepChannels(clip(p.Text, maxSectionText)), maxSectionText), Blocks: blocks}
}

func renderHelp(h commands.Help) rendered {
	blocks := []slack.Block{header("cisbot: " + h.Command + " commands")}
	tail := contextBlock("Audit reports and account lists are posted to the channel; help, problems and evidence are shown to you alone.")
	budget := maxMessageText - textLen(blocks...) - textLen(tail) - 200
	for i, d := range h.Commands {
		more := contextBlock(fmt.Sprintf("…and %d more commands", len(h.Commands)-i))
		if len(blocks) == maxBlocks-2 {
			blocks = append(blocks, more)
			break
		}
		lines := []string{code(d.Usage(h.Command), 300)}
		if d.Description != "" {
			lines = append(lines, escFit(d.Description, 1000))
		}
		if len(d.Aliases) > 0 {
			lines = append(lines, "Also: "+codes(d.Aliases, "", 10))
		}
		if len(d.Examples) > 0 {
			lines = append(lines, "Examples: "+codes(d.Examples, h.Command+" ", 10))
		}
		if d.Auditor {
			lines = append(lines, "_Only for the auditors named in slack.auditors._")
		}
		sec := section(strings.Join(lines, "\n"))
		if budget -= textLen(sec); budget < 0 {
			blocks = append(blocks, more)
			break
		}
		blocks = append(blocks, sec)
	}
	blocks = append(blocks, tail)
	return rendered{Private: true, Text: fallback("cisbot commands: " + commandNames(h)), Blocks: blocks}
}

func commandNames(h commands.Help) string {
	names := make([]string, len(h.Commands))
	for i, d := range h.Commands {
		names[i] = h.Command + " " + d.Name
	}
	return strings.Join(names, ", ")
}

// codes shows up to n items as code, each after prefix.
func codes(items []string, prefix string, n int) string {
	parts := make([]string, 0, min(len(items), n)+1)
	for _, it := range items[:min(len(items), n)] {
		parts = append(parts, code(prefix+it, 200))
	}
	if len(items) > n {
		parts = append(parts, fmt.Sprintf("and %d more", len(items)-n))
	}
	return strings.Join(parts, "  ")
}

func renderAccounts(a commands.Accounts) rendered {
	blocks := []slack.Block{header(fmt.Sprintf("Accounts cisbot can audit (%d)", len(a.Accounts)))}
	var tail []slack.Block
	if a.Organization != "" {
		tail = append(tail, contextBlock("Every account of the organization is audited with the role "+code(a.Organization, 500)+" (audit all)."))
	}
	if len(a.Accounts) == 0 {
		blocks = append(blocks, section("No accounts are configured: add them under accounts: in the bot's config file."))
		return rendered{Text: "No accounts are configured.", Blocks: append(blocks, tail...)}
	}
	lines := make([]string, len(a.Accounts))
	for i, acc := range a.Accounts {
		l := "• *" + escFit(acc.Name, 100) + "*"
		if acc.RoleARN != "" {
			l += " — role " + code(acc.RoleARN, 300)
		} else {
			l += " — bot credentials"
		}
		if acc.Channel != "" {
			l += " — " + channel(clip(acc.Channel, 100))
		}
		lines[i] = l
	}
	secs, rest := pack(lines, maxBlocks-len(blocks)-len(tail)-1, maxMessageText-1000)
	blocks = append(blocks, secs...)
	if rest > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("…and %d more %s", rest, plural(rest, "account", "accounts"))))
	}
	return rendered{Text: fallback(fmt.Sprintf("%d %s can be audited.", len(a.Accounts), plural(len(a.Accounts), "account", "accounts"))), Blocks: append(blocks, tail...)}
}

// maxNames is how many account names a progress message spells out.
const maxNames = 10

func renderProgress(p commands.Progress) rendered {
	names := strings.Join(p.Accounts[:min(len(p.Accounts), maxNames)], ", ")
	if len(p.Accounts) > maxNames {
		names += fmt.Sprintf(" and %d more", len(p.Accounts)-maxNames)
	}
	names = clip(names, 1000)
	var s string
	if p.Finished {
		s = fmt.Sprintf("Audited %s: %d account(s), the report follows.", names, p.Total)
		return rendered{Text: fallback(s), Blocks: []slack.Block{section(":white_check_mark: " + esc(s))}}
	}
	if p.Total == 0 {
		s = "Auditing " + names + ": listing the organization's accounts…"
	} else {
		s = fmt.Sprintf("Auditing %s… %d of %d done", names, p.Done, p.Total)
	}
	blocks := []slack.Block{section(":hourglass_flowing_sand: " + esc(s))}
	if !p.Started.IsZero() {
		blocks = append(blocks, contextBlock("Started "+date(p.Started)))
	}
	return rendered{Text: fallback(s), Blocks: blocks}
}

func statusEmoji(s cis.Status) string {
	switch s {
	case cis.StatusPass:
		return ":white_check_mark:"
	case cis.StatusFail:
		return ":x:"
	case cis.StatusError:
		return ":warning:"
	default:
		return ":grey_question:"
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// actionsBlock lays out the buttons, at most one block of them; it returns how many were left
// out. Slack refuses an action_id used twice in one block ("already exists"), so the second
// button with an ID gets ID#2, the third ID#3; actionID undoes it when a button is pressed.
func actionsBlock(actions []commands.Action) (*slack.ActionBlock, int) {
	var els []slack.BlockElement
	used := map[string]int{}
	hidden := 0
	for _, a := range actions {
		if a.ID == "" || utf8.RuneCountInString(a.Value) > maxButtonValue || len(els) == maxActionElements {
			hidden++
			continue
		}
		used[a.ID]++
		id := a.ID
		if n := used[a.ID]; n > 1 {
			id = fmt.Sprintf("%s#%d", a.ID, n)
		}
		if utf8.RuneCountInString(id) > maxActionID {
			hidden++
			continue
		}
		label := a.Label
		if strings.TrimSpace(label) == "" {
			label = a.ID
		}
		btn := slack.NewButtonBlockElement(id, a.Value, plain(clip(label, maxButtonText)))
		switch a.Style {
		case "primary":
			btn.Style = slack.StylePrimary
		case "danger":
			btn.Style = slack.StyleDanger
		}
		els = append(els, btn)
	}
	if len(els) == 0 {
		return nil, hidden
	}
	return slack.NewActionBlock("", els...), hidden
}

// actionID is the Action.ID a pressed button stands for: its action_id without a #N suffix.
func actionID(id string) string {
	i := strings.LastIndexByte(id, '#')
	if i <= 0 || i == len(id)-1 {
		return id
	}
	for _, r := range id[i+1:] {
		if r < '0' || r > '9' {
			return id
		}
	}
	return id[:i]
}

// textLen counts the characters of text in blocks, as Slack's overall limit would.
func textLen(blocks ...slack.Block) int {
	n := 0
	eachText(blocks, func(t *slack.TextBlockObject) { n += utf8.RuneCountInString(t.Text) })
	return n
}

// eachText calls f with every text object of the kinds of blocks the bot sends: headers,
// sections and their fields, context texts and button labels.
func eachText(blocks []slack.Block, f func(*slack.TextBlockObject)) {
	add := func(t *slack.TextBlockObject) {
		if t != nil {
			f(t)
		}
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			add(b.Text)
		case *slack.SectionBlock:
			add(b.Text)
			for _, f := range b.Fields {
				add(f)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					add(t)
				}
			}
		case *slack.ActionBlock:
			if b.Elements != nil {
				for _, e := range b.Elements.ElementSet {
					if btn, ok := e.(*slack.ButtonBlockElement); ok {
						add(btn.Text)
					}
				}
			}
		}
	}
}
