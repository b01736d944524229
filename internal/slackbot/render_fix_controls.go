package slackbot

// The parts of a fix of several controls: the steps grouped by control, shared ones first, and
// each control's audit, within what a message may hold.

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/remediate"
)

// maxReasonText bounds one line of the per-control audit, so that fifteen of them leave the
// message room for the steps.
const maxReasonText = 160

// noteRoom is kept free of a message's text for the note saying what was left out.
const noteRoom = 400

// line is a line of a packed list; steps are counted in what is left out, headings are not.
type line struct {
	text    string
	step    bool
	control string
}

// planLines are a plan's steps under a heading per group: "Shared", then each control's id and
// title. render shows one step.
func planLines(p cis.Plan, render func(i int, s cis.PlanStep) string) []line {
	var lines []line
	for _, g := range p.Groups() {
		lines = append(lines, line{text: "*" + esc(g.Title()) + "*"})
		for i, s := range g.Steps {
			lines = append(lines, line{text: render(g.First+i-1, s), step: true, control: g.Control})
		}
	}
	return lines
}

// packLines packs lines into sections within what the message's other blocks leave of Slack's
// limits (blocks and text), and says what was left out, if anything, with where the full plan
// is: cisbot fix ACCOUNT --format json.
func packLines(lines []line, others []slack.Block, account string) []slack.Block {
	texts := make([]string, len(lines))
	for i, l := range lines {
		texts[i] = l.text
	}
	sections := maxBlocks - len(others) - 1
	chars := maxMessageText - textLen(others...) - noteRoom
	blocks, hidden := pack(texts, sections, chars)
	if hidden == 0 {
		return blocks
	}
	steps := 0
	var controls []string
	for _, l := range lines[len(lines)-hidden:] {
		if !l.step {
			continue
		}
		steps++
		if c := groupName(l.control); len(controls) == 0 || controls[len(controls)-1] != c {
			controls = append(controls, c)
		}
	}
	note := fmt.Sprintf("…and %d more %s (of %s) do not fit in a Slack message: the full plan is in `cisbot fix %s --format json`.",
		steps, plural(steps, "step", "steps"), strings.Join(controls, ", "), esc(account))
	return append(blocks, contextBlock(fit(note, maxSectionText)))
}

// groupName names a group in the note of what was left out.
func groupName(control string) string {
	if control == "" {
		return "shared"
	}
	return control
}

// resultBlocks are several controls' audit: how many pass, then the controls that do not,
// those failing for the same reason on one line.
func resultBlocks(what string, rs []cis.ControlResult) []slack.Block {
	blocks := []slack.Block{section(fmt.Sprintf("%s %s: *%s*", statusEmoji(remediate.Overall(rs)), what, esc(remediate.Summary(rs))))}
	var keys []string
	ids := map[string][]string{}
	for _, r := range rs {
		if r.Status == cis.StatusPass {
			continue
		}
		k := string(r.Status) + "\x00" + r.Reason
		if _, ok := ids[k]; !ok {
			keys = append(keys, k)
		}
		ids[k] = append(ids[k], r.Control)
	}
	var lines []string
	for _, k := range keys {
		status, reason, _ := strings.Cut(k, "\x00")
		lines = append(lines, fmt.Sprintf("%s *%s* %s", statusEmoji(cis.Status(status)), strings.Join(ids[k], ", "), escFit(reason, maxReasonText)))
	}
	list, _ := pack(lines, 2, maxSectionText)
	return append(blocks, list...)
}
