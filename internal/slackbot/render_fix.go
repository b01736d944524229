package slackbot

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// renderFixPlan shows what a fix would create, the manual prerequisites, and Approve/Reject. A
// plan of several controls shows their audit and its steps grouped by control.
func renderFixPlan(p commands.FixPlan) rendered {
	title := fmt.Sprintf("Fix %s: %d %s to approve", p.Plan.Account, len(p.Plan.Steps), plural(len(p.Plan.Steps), "change", "changes"))
	blocks := []slack.Block{header(clip(title, maxHeaderText))}
	intro := fmt.Sprintf("Requested by %s. Nothing is deleted or overwritten; after applying, the account is audited again.", user(p.RequestedBy))
	if p.Superseded != "" {
		intro = "The account changed since request " + esc(p.Superseded) + " was made, so this new plan replaces it. " + intro
	}
	blocks = append(blocks, section(intro))
	grouped := len(p.Plan.Controls) > 1
	if grouped && len(p.Before) > 0 {
		blocks = append(blocks, resultBlocks("Audit before", p.Before)...)
	}
	var tail []slack.Block
	if len(p.Plan.Manual) > 0 {
		tail = append(tail, section(escFit("*To do by hand:* "+strings.Join(p.Plan.Manual, " • "), maxSectionText)))
	}
	if buttons, _ := actionsBlock(p.Actions); buttons != nil {
		tail = append(tail, buttons)
	}
	if !p.Expires.IsZero() {
		tail = append(tail, contextBlock("Request "+esc(p.RequestID)+" · can be approved until "+date(p.Expires)))
	}
	stepLine := func(i int, s cis.PlanStep) string { return fmt.Sprintf("%d. %s", i+1, esc(s.Info().Detail)) }
	if grouped {
		others := append(append([]slack.Block{}, blocks...), tail...)
		blocks = append(blocks, packLines(planLines(p.Plan, stepLine), others, p.Plan.Account)...)
		return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
	}
	var lines []string
	for i, s := range p.Plan.Steps {
		lines = append(lines, stepLine(i, s))
	}
	steps, hidden := pack(lines, 10, maxSectionText)
	blocks = append(blocks, steps...)
	if hidden > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("…and %d more %s", hidden, plural(hidden, "step", "steps"))))
	}
	return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
}

// renderFixDecided shows a request's end: rejected, expired, or each applied step and the audit
// that followed.
func renderFixDecided(d commands.FixDecided) rendered {
	var title, emoji string
	switch d.State {
	case "applied":
		emoji, title = ":white_check_mark:", "Fix of "+d.Account+" applied"
	case "failed":
		emoji, title = ":x:", "Fix of "+d.Account+" failed"
	case "rejected":
		emoji, title = ":no_entry_sign:", "Fix of "+d.Account+" rejected"
	case "interrupted":
		emoji, title = ":warning:", "Fix of "+d.Account+" interrupted"
	default:
		emoji, title = ":hourglass:", "Fix of "+d.Account+" "+d.State
	}
	blocks := []slack.Block{header(clip(title, maxHeaderText))}
	who := "Request " + esc(d.RequestID)
	if d.DecidedBy != "" {
		who += ", decided by " + user(d.DecidedBy)
	}
	blocks = append(blocks, section(emoji+" "+who+"."))
	interrupted := d.State == "interrupted"
	if interrupted {
		blocks = append(blocks, section("cisbot stopped while applying this fix (a restart or a crash). The steps it recorded are shown; the others may or may not have run. The account was audited again: fix it again to finish."))
	}
	what := "Audit after the fix"
	if interrupted {
		what = "Audit now"
	}
	var tail []slack.Block
	switch {
	case len(d.After) == 1:
		tail = append(tail, section(fmt.Sprintf("%s %s: *%s* %s", statusEmoji(d.After[0].Status), what, d.After[0].Status, escFit(d.After[0].Reason, 2500))))
	case len(d.After) > 1:
		tail = append(tail, resultBlocks(what, d.After)...)
	}
	if d.Applied == nil {
		return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
	}
	if !interrupted {
		tail = append([]slack.Block{contextBlock(esc(d.Applied.Sentence()))}, tail...)
	}
	if len(d.Plan.Controls) > 1 {
		steps := make(cis.PlanSteps, len(d.Applied.Steps))
		for i, s := range d.Applied.Steps {
			steps[i] = s.Step
		}
		lines := planLines(cis.Plan{Steps: steps}, func(i int, _ cis.PlanStep) string { return appliedLine(d.Applied.Steps[i], interrupted) })
		others := append(append([]slack.Block{}, blocks...), tail...)
		blocks = append(blocks, packLines(lines, others, d.Account)...)
		return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
	}
	var lines []string
	for _, s := range d.Applied.Steps {
		lines = append(lines, appliedLine(s, interrupted))
	}
	steps, _ := pack(lines, 10, maxSectionText)
	blocks = append(blocks, steps...)
	return rendered{Text: fallback(title), Blocks: append(blocks, tail...)}
}

// appliedLine is one step of an applied plan with its outcome.
func appliedLine(s cis.StepResult, interrupted bool) string {
	mark := ":white_check_mark:"
	switch s.Outcome.Outcome {
	case cis.OutcomeFailed:
		mark = ":x:"
	case cis.OutcomeNotRun:
		mark = ":white_circle:"
	}
	line := mark + " " + esc(s.Step.Info().Detail)
	switch {
	case interrupted && s.Outcome.Detail == commands.NotRecorded:
		line = ":grey_question: " + esc(s.Step.Info().Detail) + " _(not recorded)_"
	case interrupted && s.Outcome.Outcome == cis.OutcomeOK:
		line += ": " + esc(s.Outcome.Detail)
	case s.Outcome.Outcome == cis.OutcomeOK && !s.Outcome.Changed:
		line += " _(already in place)_"
	}
	if s.Outcome.Code != "" || s.Outcome.Message != "" {
		line += ": " + esc(strings.TrimSpace(s.Outcome.Code+" "+s.Outcome.Message))
	}
	return line
}

// renderHistory lists an account's recent requests.
func renderHistory(h commands.History) rendered {
	title := "Fix history of " + h.Account
	if len(h.Entries) == 0 {
		return rendered{Text: fallback(title), Blocks: []slack.Block{section(esc(h.Account) + " has no fix requests yet.")}}
	}
	var lines []string
	for _, e := range h.Entries {
		line := fmt.Sprintf("`%s` %s · *%s* · %d %s · by %s", esc(e.RequestID), date(e.Created), esc(e.State), e.Steps, plural(e.Steps, "step", "steps"), user(e.RequestedBy))
		if e.DecidedBy != "" {
			line += ", decided by " + user(e.DecidedBy)
		}
		lines = append(lines, line)
	}
	blocks := []slack.Block{header(clip(title, maxHeaderText))}
	list, _ := pack(lines, 10, maxSectionText)
	return rendered{Text: fallback(title), Blocks: append(blocks, list...)}
}

// user mentions a Slack user id; anything else (cli, console) is shown escaped.
func user(id string) string {
	if len(id) > 1 && (id[0] == 'U' || id[0] == 'W') && strings.Trim(id[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "" {
		return "<@" + id + ">"
	}
	return esc(id)
}
