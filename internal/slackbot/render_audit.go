package slackbot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

// The audit report is a matrix of accounts × controls, one line per account: how many controls
// pass, which fail. It holds 50 accounts × 15 controls within Slack's limits; beyond that the
// passing accounts are named on one line, and what still cannot fit is counted, never dropped
// silently.

// jsonHint is where every result of an audit too large for a message can be read.
const jsonHint = "run `cisbot audit --format json` for every result"

func renderReport(r commands.Report) rendered {
	rows := r.Report.Rows()
	ctls := r.Report.Controls
	passing := 0
	for _, row := range rows {
		if row.Status == cis.StatusPass {
			passing++
		}
	}
	accounts := plural(len(rows), "account", "accounts")
	title := fmt.Sprintf("CIS audit: %d of %d %s pass all %d controls", passing, len(rows), accounts, len(ctls))
	if len(ctls) == 1 {
		title = fmt.Sprintf("CIS %s audit: %d of %d %s pass", ctls[0], passing, len(rows), accounts)
	}
	sum := r.Report.Summary
	blocks := []slack.Block{
		header(title),
		contextBlock(fmt.Sprintf(":white_check_mark: %d pass   :x: %d fail   :warning: %d error   (%d %s × %d %s: %s)",
			sum.Pass, sum.Fail, sum.Error, len(rows), accounts, len(ctls), plural(len(ctls), "control", "controls"), esc(clip(cis.ControlIDs(ctls), 500)))),
	}
	if len(rows) > 1 && len(ctls) > 1 {
		if top := mostFailing(rows, 5); top != "" {
			blocks = append(blocks, contextBlock(top))
		}
	}
	tail := reportTail(r)
	blocks = append(blocks, matrixBlocks(rows, len(ctls), maxBlocks-len(blocks)-len(tail), maxMessageText-textLen(blocks...)-textLen(tail...))...)
	blocks = append(blocks, tail...)

	text := title
	if sum.Fail+sum.Error > 0 {
		text += fmt.Sprintf(" (%d fail, %d error of %d results)", sum.Fail, sum.Error, len(r.Report.Results))
	}
	return rendered{Text: fallback(text), Blocks: blocks}
}

// reportTail is the buttons and the footer; buttons that do not fit are counted there.
func reportTail(r commands.Report) []slack.Block {
	var tail []slack.Block
	buttons, hidden := actionsBlock(r.Actions)
	if buttons != nil {
		tail = append(tail, buttons)
	}
	var foot []string
	if !r.Finished.IsZero() {
		foot = append(foot, "Finished "+date(r.Finished)+took(r.Started, r.Finished))
	}
	if hidden > 0 {
		foot = append(foot, fmt.Sprintf("%d more %s not shown: audit those accounts on their own to get them.", hidden, plural(hidden, "button is", "buttons are")))
	}
	if len(foot) > 0 {
		tail = append(tail, contextBlock(foot...))
	}
	return tail
}

// matrixBlocks lays out the account lines within maxBlocks blocks and maxText characters: every
// account a line if they fit; else the accounts that do not pass a line each and those that pass
// by name on one line; what still does not fit is counted in a last line.
func matrixBlocks(rows []cis.AccountRow, controls, maxBlocks, maxText int) []slack.Block {
	// Accounts that did not pass first, then the passing ones, each group in the report's order.
	ordered := slices.Clone(rows)
	slices.SortStableFunc(ordered, func(a, b cis.AccountRow) int {
		return boolInt(a.Status == cis.StatusPass) - boolInt(b.Status == cis.StatusPass)
	})
	lines := make([]string, len(ordered))
	for i, row := range ordered {
		lines[i] = accountLine(row, controls)
	}
	if secs, rest := pack(lines, maxBlocks, maxText); rest == 0 {
		return secs
	}
	bad := countBad(ordered)
	passLine := passingLine(ordered[bad:], controls)
	secs, rest := pack(lines[:bad], maxBlocks-2, maxText-len([]rune(passLine))-300)
	if passLine != "" {
		secs = append(secs, section(passLine))
	}
	if rest > 0 {
		cut := ordered[bad-rest : bad]
		secs = append(secs, contextBlock(fmt.Sprintf("%d more %s not shown (%s): %s.",
			rest, plural(rest, "account", "accounts"), rowCounts(cut), jsonHint)))
	}
	return secs
}

func countBad(ordered []cis.AccountRow) int {
	n := 0
	for _, r := range ordered {
		if r.Status != cis.StatusPass {
			n++
		}
	}
	return n
}

// accountLine is ":x: *prod* `111111111111` 13/15 · fails 4.3, 4.10 · error 4.5".
func accountLine(row cis.AccountRow, controls int) string {
	s := statusEmoji(row.Status) + " *" + escFit(row.Account, 100) + "*"
	if row.AccountID != "" {
		s += " " + code(row.AccountID, 50)
	}
	s += fmt.Sprintf(" %d/%d", len(row.Pass), controls)
	if len(row.Fail) > 0 {
		s += " · fails " + esc(clip(cis.ControlIDs(row.Fail), 300))
	}
	if len(row.Error) > 0 {
		s += " · error " + esc(clip(cis.ControlIDs(row.Error), 300))
	}
	return s
}

// maxPassingLine bounds the line naming the accounts that pass everything.
const maxPassingLine = 2500

// passingLine names the accounts that pass every control, as many as fit in one line, and
// counts the others.
func passingLine(rows []cis.AccountRow, controls int) string {
	if len(rows) == 0 {
		return ""
	}
	s := fmt.Sprintf(":white_check_mark: *%d %s pass all %d:* ", len(rows), plural(len(rows), "account", "accounts"), controls)
	for i, r := range rows {
		name := escFit(r.Account, 100)
		if len([]rune(s))+len([]rune(name))+40 > maxPassingLine {
			return s + fmt.Sprintf(" and %d more", len(rows)-i)
		}
		if i > 0 {
			s += ", "
		}
		s += name
	}
	return s
}

// rowCounts is "3 fail, 1 error": the accounts by status, leaving out the statuses none has.
func rowCounts(rows []cis.AccountRow) string {
	var c cis.StatusCounts
	for _, r := range rows {
		c.Add(r.Status)
	}
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{c.Pass, "pass"}, {c.Fail, "fail"}, {c.Error, "error"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	return strings.Join(parts, ", ")
}

// mostFailing is "Failing most often: 4.10 in 3 accounts · 4.3 in 2 accounts", the n controls
// that fail in the most accounts; "" when none fails.
func mostFailing(rows []cis.AccountRow, n int) string {
	count := map[string]int{}
	var ids []string
	for _, r := range rows {
		for _, id := range r.Fail {
			if count[id] == 0 {
				ids = append(ids, id)
			}
			count[id]++
		}
	}
	if len(ids) == 0 {
		return ""
	}
	order := func(id string) int {
		return slices.IndexFunc(cis.Controls, func(c cis.Control) bool { return c.ID == id })
	}
	slices.SortStableFunc(ids, func(a, b string) int {
		return cmp.Or(count[b]-count[a], order(a)-order(b))
	})
	parts := make([]string, 0, n)
	for _, id := range ids[:min(len(ids), n)] {
		parts = append(parts, fmt.Sprintf("%s in %d %s", esc(id), count[id], plural(count[id], "account", "accounts")))
	}
	return "Failing most often: " + strings.Join(parts, " · ")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func took(start, end time.Time) string {
	if start.IsZero() || end.Before(start) {
		return ""
	}
	d := end.Sub(start).Round(time.Second)
	if d < time.Second {
		return ", took less than a second"
	}
	return ", took " + d.String()
}

// renderEvidence is one account's evidence: each control that does not pass under a line with
// its id and title, with its chain of checks, its fix and warnings; then the passing controls on
// one line. What does not fit is named with the command that shows it.
func renderEvidence(e commands.Evidence) rendered {
	if len(e.Results) == 0 {
		const none = "No results were recorded for this account."
		return rendered{Private: e.Private, Text: none, Blocks: []slack.Block{section(none)}}
	}
	row := cis.ControlsReport{Results: e.Results}.Rows()[0]
	title := "Evidence: " + row.Account
	if row.AccountID != "" {
		title += " (" + row.AccountID + ")"
	}
	summary := fmt.Sprintf("%s *%s* %d of %d controls pass", statusEmoji(row.Status), row.Status, len(row.Pass), len(row.Results))
	if len(row.Fail) > 0 {
		summary += " · fails " + esc(cis.ControlIDs(row.Fail))
	}
	if len(row.Error) > 0 {
		summary += " · error " + esc(cis.ControlIDs(row.Error))
	}
	blocks := []slack.Block{header(title), section(summary)}
	var tail []slack.Block
	if len(row.Pass) > 0 {
		tail = append(tail, contextBlock(":white_check_mark: Passing: "+esc(clip(cis.ControlIDs(row.Pass), 2000))))
		if w := passingWarnings(e.Results); w != "" {
			tail = append(tail, contextBlock(clip(w, 2900)))
		}
	}
	blockBudget := maxBlocks - len(blocks) - len(tail) - 1
	textBudget := maxMessageText - textLen(blocks...) - textLen(tail...) - 500
	var cut []string // controls whose evidence is not shown in full
	for _, res := range e.Results {
		if res.Status == cis.StatusPass {
			continue
		}
		if len(cut) > 0 {
			cut = append(cut, res.Control)
			continue
		}
		lines := resultLines(res)
		secs, rest := pack(lines, blockBudget, textBudget)
		if rest > 0 {
			cut = append(cut, res.Control)
			if len(lines)-rest < 2 {
				continue // a heading alone says nothing
			}
		}
		blocks = append(blocks, secs...)
		blockBudget -= len(secs)
		textBudget -= textLen(secs...)
	}
	if len(cut) > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("The evidence of %s is not shown in full (the message would be too long): run %s.",
			esc(clip(cis.ControlIDs(cut), 300)), code("cisbot audit "+row.Account+" --control "+strings.Join(cut, ",")+" --verbose", 400))))
	}
	blocks = append(blocks, tail...)
	return rendered{Private: e.Private, Text: fallback(fmt.Sprintf("Evidence for %s: %s, %d of %d controls pass", row.Account, row.Status, len(row.Pass), len(row.Results))), Blocks: blocks}
}

// passingWarnings are the warnings of the passing controls, one line each: where a text check
// such as Security Hub's disagrees with the audit, which a team wants to know before it asks.
func passingWarnings(results []cis.ControlResult) string {
	var lines []string
	for _, r := range results {
		if r.Status != cis.StatusPass {
			continue
		}
		for _, w := range r.Warnings {
			lines = append(lines, ":warning: *"+esc(r.Control)+"* "+esc(w))
		}
	}
	return strings.Join(lines, "\n")
}

// resultLines is one control's evidence as lines: a heading with the control's id, title,
// status and reason, each check, the fix and the warnings.
func resultLines(res cis.ControlResult) []string {
	h := fmt.Sprintf("*%s %s* %s *%s*", esc(res.Control), escFit(cis.ControlTitle(res.Control), 200), statusEmoji(res.Status), res.Status)
	if res.Reason != "" {
		h += " " + escFit(res.Reason, 1500)
	}
	lines := []string{h}
	for _, c := range res.Checks {
		l := statusEmoji(c.Status) + " " + code(string(c.Step), 100)
		if c.Resource != "" {
			l += " " + code(c.Resource, 300)
		}
		if c.Detail != "" {
			l += " " + escFit(c.Detail, 1500)
		}
		lines = append(lines, l)
	}
	if res.Fix != "" {
		lines = append(lines, "*Fix:* "+escFit(res.Fix, 1500))
	}
	for _, w := range res.Warnings {
		lines = append(lines, ":information_source: "+escFit(w, 500))
	}
	return lines
}
