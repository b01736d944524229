package slackbot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/testutil/goldenfile"
)

// golden compares got with testdata/golden/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) { t.Helper(); goldenfile.Check(t, name, got) }

// encode is a message as posted, indented and without \u003c escapes, for reading.
func encode(t *testing.T, m message) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	// slack-go's own MarshalJSON methods escape these; the JSON means the same without.
	return []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String()))
}

var (
	started  = time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)
	finished = started.Add(42 * time.Second)
)

func smallReport() commands.Report {
	return commands.Report{ID: "abc123", Report: sampleReport(), Started: started, Finished: finished, Actions: []commands.Action{
		{ID: commands.ActionEvidence, Label: "Evidence: dev", Value: "abc123/dev"},
		{ID: commands.ActionEvidence, Label: "Evidence: stage <!channel> & co", Value: "abc123/stage <!channel> & co"},
	}}
}

// bigReport has n accounts in a mixed order: every eighth fails, every twentieth errs, with
// warnings here and there, and an evidence button for each that did not pass.
func bigReport(n int) commands.Report {
	results := make([]cis.Result, n)
	var actions []commands.Action
	step := cis.StepAlarm
	for i := range results {
		r := cis.Result{Account: fmt.Sprintf("acct-%03d", i), AccountID: fmt.Sprintf("%012d", 100000000000+i), Status: cis.StatusPass,
			Reason: "every step of the CIS chain passes: topic has a confirmed email subscription (secops@example.com)"}
		switch {
		case i%20 == 7:
			r.Status, r.FailedStep = cis.StatusError, &step
			r.Reason = "alarm: cloudwatch:DescribeAlarms in us-east-1: AccessDenied: User: arn:aws:sts::" + r.AccountID + ":assumed-role/cisbot-audit/cisbot is not authorized to perform: cloudwatch:DescribeAlarms because no identity-based policy allows the cloudwatch:DescribeAlarms action. More detail follows."
			r.Fix = "Allow cloudwatch:DescribeAlarms to the role the bot uses in this account (the SecurityAudit managed policy covers the audit)."
		case i%8 == 3:
			r.Status, r.FailedStep = cis.StatusFail, &step
			r.Reason = "alarm: no alarm on metric CIS/UnauthorizedAPICalls of filter unauthorized in log group trail"
			r.Fix = "Create an alarm: aws cloudwatch put-metric-alarm --alarm-name cis-4.1-unauthorized-api-calls --namespace CIS --metric-name UnauthorizedAPICalls --statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --alarm-actions arn:aws:sns:us-east-1:" + r.AccountID + ":cis-alarms"
		}
		if i%10 == 5 {
			r.Warnings = []string{"metric filter f satisfies control 4.1, but Security Hub CloudWatch.2 compares the text and will still report it as failed"}
		}
		if r.Status != cis.StatusPass {
			actions = append(actions, commands.Action{ID: commands.ActionEvidence, Label: "Evidence: " + r.Account, Value: "f00d/" + r.Account})
		}
		results[i] = r
	}
	return commands.Report{ID: "f00d", Report: cis.NewReport("4.1", results), Started: started, Finished: finished.Add(3 * time.Minute), Actions: actions}
}

// goldenReplies is every kind of reply, in the cases worth seeing.
func goldenReplies() []struct {
	name  string
	reply commands.Reply
} {
	dev := sampleReport().Results[1]
	return []struct {
		name  string
		reply commands.Reply
	}{
		{"problem-unknown-command", commands.Problem{Text: `unknown command "audti" (did you mean "audit"?). Try /cis help.`, Suggestion: "/cis audit prod"}},
		{"problem-refused-channel", commands.Problem{Text: "cisbot does not take commands in this channel. Use it in <#C0SECOPS01>, <#C0AUDIT002>, or ask an admin to add this channel to slack.allowed_channels."}},
		{"problem-usage", commands.Problem{Text: "Name the accounts to audit, or all.", Usage: "/cis audit ACCOUNT… | all", Suggestion: "/cis audit all"}},
		{"help", commands.Help{Command: "/cis", Commands: commands.Table()}},
		{"accounts", commands.Accounts{Accounts: sampleDirectory().accounts, Organization: "OrganizationAccountAccessRole"}},
		{"accounts-none", commands.Accounts{}},
		{"progress", commands.Progress{Accounts: []string{"prod", "staging"}, Done: 3, Total: 12, Started: started}},
		{"progress-organization", commands.Progress{Accounts: []string{"all"}, Started: started}},
		{"progress-many", commands.Progress{Accounts: strings.Fields("a b c d e f g h i j k l m"), Done: 0, Total: 13, Started: started}},
		{"report", smallReport()},
		{"report-all-pass", commands.Report{ID: "1", Report: cis.NewReport("4.1", sampleReport().Results[:1]), Started: started, Finished: started.Add(300 * time.Millisecond)}},
		{"report-120", bigReport(120)},
		{"evidence", commands.Evidence{Private: true, Result: dev}},
		{"evidence-escaping", commands.Evidence{Private: true, Result: sampleReport().Results[2]}},
		{"text-private", commands.Text{Private: true, Text: "Only you can see this: a < b & c > d."}},
		{"status", sampleStatus()},
		{"status-none", commands.Status{Entries: []commands.StatusEntry{{Account: "prod"}, {Account: "dev"}}}},
	}
}

// sampleStatus is /cis status over a passing, a failing, an unreachable and a new account.
func sampleStatus() commands.Status {
	return commands.Status{Entries: []commands.StatusEntry{
		statusEntry("prod", "111111111111", nil, nil),
		statusEntry("dev", "222222222222", []string{"4.3", "4.10"}, []string{"4.7"}),
		{Account: "stage <!channel> & co", At: started, Controls: []commands.ControlStatus{{Control: "4.1", Status: "ERROR", FailedStep: "trail", Reason: "trail: sts:AssumeRole: AccessDenied", At: started}}},
		{Account: "qa"},
	}, Actions: []commands.Action{{ID: commands.ActionFix, Label: "Fix: dev", Value: "dev"}}}
}

// statusEntry is an account with a result for every control: failing and erroring as named,
// the others passing; its failures began from 3 days ago onwards.
func statusEntry(name, id string, failing, erroring []string) commands.StatusEntry {
	e := commands.StatusEntry{Account: name, AccountID: id, At: started}
	for i, c := range cis.Controls {
		cs := commands.ControlStatus{Control: c.ID, Status: "PASS", At: started}
		switch {
		case slices.Contains(failing, c.ID):
			cs.Status, cs.FailedStep, cs.Reason, cs.Since = "FAIL", "alarm", "no alarm would fire on one event. More.", started.Add(time.Duration(i-72)*time.Hour)
			if e.Since.IsZero() || cs.Since.Before(e.Since) {
				e.Since = cs.Since
			}
		case slices.Contains(erroring, c.ID):
			cs.Status, cs.Reason = "ERROR", "Throttling"
		}
		e.Controls = append(e.Controls, cs)
	}
	return e
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range goldenReplies() {
		t.Run(tc.name, func(t *testing.T) {
			m := newMessage(tc.reply)
			if err := validate(m.Blocks); err != nil {
				t.Errorf("breaks a Slack limit: %v", err)
			}
			golden(t, tc.name+".json", encode(t, m))
		})
	}
}

// TestRenderPrivacy: problems, help and private evidence or text are ephemeral; the rest is
// posted in the channel.
func TestRenderPrivacy(t *testing.T) {
	want := map[string]string{
		"problem-unknown-command": ephemeral, "problem-refused-channel": ephemeral, "problem-usage": ephemeral,
		"help": ephemeral, "evidence": ephemeral, "evidence-escaping": ephemeral, "text-private": ephemeral,
		"accounts": inChannel, "accounts-none": inChannel, "progress": inChannel, "progress-organization": inChannel,
		"progress-many": inChannel, "report": inChannel, "report-all-pass": inChannel, "report-120": inChannel,
		"status": inChannel, "status-none": inChannel,
	}
	for _, tc := range goldenReplies() {
		if got := newMessage(tc.reply).ResponseType; got != want[tc.name] {
			t.Errorf("%s: response_type %q, want %q", tc.name, got, want[tc.name])
		}
	}
	if got := newMessage(commands.Text{Text: "hi"}).ResponseType; got != inChannel {
		t.Errorf("public text: response_type %q", got)
	}
	if got := newMessage(commands.Evidence{Result: cis.Result{Account: "a"}}).ResponseType; got != inChannel {
		t.Errorf("public evidence: response_type %q", got)
	}
}

// TestReport120 checks the limits of a report too big for one message programmatically, besides
// its golden file: at most 50 blocks, every text within its limit, accounts that did not pass
// first, and a last line that counts the accounts left out.
func TestReport120(t *testing.T) {
	r := bigReport(120)
	m := newMessage(r)
	if len(m.Blocks) > maxBlocks {
		t.Fatalf("%d blocks", len(m.Blocks))
	}
	checkLimits(t, m.Blocks)
	var shown []string
	sawPass := false
	for _, b := range m.Blocks {
		s, ok := b.(*slack.SectionBlock)
		if !ok {
			continue
		}
		pass := strings.HasPrefix(s.Text.Text, ":white_check_mark:")
		if !pass && sawPass {
			t.Errorf("a failing account after a passing one: %s", s.Text.Text)
		}
		sawPass = sawPass || pass
		shown = append(shown, s.Text.Text)
	}
	sum := r.Report.Summary
	if sum.Fail+sum.Error >= len(shown) {
		t.Fatalf("the test wants some passing accounts shown: %d shown, %d not passing", len(shown), sum.Fail+sum.Error)
	}
	rest := 120 - len(shown)
	wantMore := fmt.Sprintf("…and %d more accounts (%d pass)", rest, rest)
	if !strings.Contains(string(encode(t, m)), wantMore) {
		t.Errorf("no %q line", wantMore)
	}
	var buttons int
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			buttons += len(a.Elements.ElementSet)
		}
	}
	if buttons != min(len(r.Actions), maxActionElements) {
		t.Errorf("%d buttons for %d actions", buttons, len(r.Actions))
	}
}

// checkLimits walks the blocks on its own (not with validate) and checks each limit.
func checkLimits(t *testing.T, blocks []slack.Block) {
	t.Helper()
	n := func(t *slack.TextBlockObject) int { return utf8.RuneCountInString(t.Text) }
	for i, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n(b.Text) > 150 || b.Text.Type != "plain_text" {
				t.Errorf("block %d: header of %d characters", i, n(b.Text))
			}
		case *slack.SectionBlock:
			if b.Text != nil && n(b.Text) > 3000 {
				t.Errorf("block %d: section of %d characters", i, n(b.Text))
			}
			if len(b.Fields) > 10 {
				t.Errorf("block %d: %d fields", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if n(f) > 2000 {
					t.Errorf("block %d: field of %d characters", i, n(f))
				}
			}
		case *slack.ContextBlock:
			if len(b.ContextElements.Elements) > 10 {
				t.Errorf("block %d: %d context elements", i, len(b.ContextElements.Elements))
			}
		case *slack.ActionBlock:
			els := b.Elements.ElementSet
			if len(els) > 25 {
				t.Errorf("block %d: %d buttons", i, len(els))
			}
			ids := map[string]bool{}
			for _, e := range els {
				btn := e.(*slack.ButtonBlockElement)
				if n(btn.Text) > 75 || utf8.RuneCountInString(btn.Value) > 2000 || ids[btn.ActionID] {
					t.Errorf("block %d: button %q (value %d characters, action_id %q)", i, btn.Text.Text, len(btn.Value), btn.ActionID)
				}
				ids[btn.ActionID] = true
			}
		}
	}
}

// TestRenderHuge feeds every reply oversized input: the layout stays within the limits.
func TestRenderHuge(t *testing.T) {
	long := strings.Repeat("<&> word ", 2000)
	res := cis.Result{Account: long, AccountID: long, Status: cis.StatusFail, Reason: long, Fix: long}
	for i := range 200 {
		res.Checks = append(res.Checks, cis.Check{Step: cis.StepAlarm, Status: cis.StatusFail, Resource: long, Detail: fmt.Sprint(i, long)})
		res.Warnings = append(res.Warnings, long)
	}
	var accounts []commands.AccountInfo
	var actions []commands.Action
	var results []cis.Result
	for i := range 300 {
		accounts = append(accounts, commands.AccountInfo{Name: fmt.Sprint(i, long[:200]), RoleARN: long[:500], Channel: "C0123456789"})
		actions = append(actions, commands.Action{ID: "same", Label: long, Value: "v"})
		results = append(results, res)
	}
	actions = append(actions, commands.Action{ID: "too-long-value", Label: "x", Value: strings.Repeat("v", 2001)})
	defs := commands.Table()
	for range 6 {
		defs = append(defs, defs...)
	}
	for i := range defs {
		defs[i].Description, defs[i].Examples, defs[i].Aliases = long, strings.Fields(long), strings.Fields(long)
	}
	for _, r := range []commands.Reply{
		commands.Problem{Text: long, Suggestion: long, Usage: long},
		commands.Help{Command: "/cis", Commands: defs},
		commands.Accounts{Accounts: accounts, Organization: long},
		commands.Progress{Accounts: strings.Fields(long), Total: 3, Done: 1, Started: started},
		commands.Report{Report: cis.NewReport(long, results), Actions: actions, Started: started, Finished: finished},
		commands.Evidence{Result: res},
		commands.Text{Text: long},
	} {
		m := newMessage(r)
		if err := validate(m.Blocks); err != nil {
			t.Errorf("%T: %v", r, err)
		}
		checkLimits(t, m.Blocks)
		for _, txt := range mrkdwnTexts(m.Blocks) {
			if strings.Contains(txt, "<&>") {
				t.Errorf("%T: unescaped text: %s", r, txt)
			}
		}
	}
}

func TestEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"a < b & c > d":            "a &lt; b &amp; c &gt; d",
		"<!channel> <@U1> <#C1>":   "&lt;!channel&gt; &lt;@U1&gt; &lt;#C1&gt;",
		"already &amp; &lt;ok&gt;": "already &amp; &lt;ok&gt;",
	} {
		if got := esc(in); got != want {
			t.Errorf("esc(%q) = %q, want %q", in, got, want)
		}
	}
	got := escKeepChannels("Use it in <#C0SECOPS01>, not <!here> or <@U1> or <#C1|x>.")
	want := "Use it in <#C0SECOPS01>, not &lt;!here&gt; or &lt;@U1&gt; or &lt;#C1|x&gt;."
	if got != want {
		t.Errorf("escKeepChannels = %q, want %q", got, want)
	}
	if got := code("a`b\nc", 50); got != "`a'b c`" {
		t.Errorf("code = %q", got)
	}
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcdef", 5, "abc…"},
		{"ab &amp; cd", 6, "ab…"},
		{"see <#C12345> now", 10, "see…"},
		{"run `cmd --x`", 10, "run `cmd`…"},
	} {
		if got := fit(tc.in, tc.n); got != tc.want || utf8.RuneCountInString(got) > tc.n {
			t.Errorf("fit(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestActionID(t *testing.T) {
	for in, want := range map[string]string{
		"cis_evidence": "cis_evidence", "cis_evidence#2": "cis_evidence", "cis_evidence#12": "cis_evidence",
		"a#b": "a#b", "#3": "#3", "x#": "x#",
	} {
		if got := actionID(in); got != want {
			t.Errorf("actionID(%q) = %q, want %q", in, got, want)
		}
	}
	block, hidden := actionsBlock([]commands.Action{{ID: "x", Label: "1"}, {ID: "x", Label: "2"}, {ID: "y", Label: "3"}, {ID: "x", Label: "4"}})
	var ids []string
	for _, e := range block.Elements.ElementSet {
		ids = append(ids, e.(*slack.ButtonBlockElement).ActionID)
	}
	if got := strings.Join(ids, " "); got != "x x#2 y x#3" || hidden != 0 {
		t.Errorf("action ids %q, %d hidden", got, hidden)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("prod", "111111111111", "logging: the trail is not logging", "Start logging", "<!channel> & <@U1>", 3, 2)
	f.Add("", "", "", "", "", 0, 0)
	f.Add(strings.Repeat("é", 300), "x", strings.Repeat("&", 3001), strings.Repeat("`", 99), strings.Repeat("<", 2000), 130, 40)
	f.Fuzz(func(t *testing.T, name, id, reason, fix, warning string, accounts, buttons int) {
		accounts, buttons = abs(accounts)%400, abs(buttons)%60
		var results []cis.Result
		for i := range accounts {
			st := []cis.Status{cis.StatusPass, cis.StatusFail, cis.StatusError}[i%3]
			results = append(results, cis.Result{Account: name, AccountID: id, Status: st, Reason: reason, Fix: fix, Warnings: []string{warning},
				Checks: []cis.Check{{Step: cis.StepTrail, Status: st, Resource: id, Detail: reason}}})
		}
		var actions []commands.Action
		for range buttons {
			actions = append(actions, commands.Action{ID: name, Label: warning, Value: reason})
		}
		for _, r := range []commands.Reply{
			commands.Report{Report: cis.NewReport(name, results), Actions: actions, Started: started, Finished: finished},
			commands.Problem{Text: reason, Suggestion: fix, Usage: warning},
			commands.Progress{Accounts: []string{name, id}, Total: accounts},
			commands.Accounts{Accounts: []commands.AccountInfo{{Name: name, RoleARN: id, Channel: warning}}, Organization: fix},
			commands.Text{Text: reason},
		} {
			if err := validate(newMessage(r).Blocks); err != nil {
				t.Fatalf("%T: %v", r, err)
			}
		}
		if len(results) > 0 {
			if err := validate(newMessage(commands.Evidence{Result: results[0]}).Blocks); err != nil {
				t.Fatalf("evidence: %v", err)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// mrkdwnTexts is the text of every mrkdwn object in blocks.
func mrkdwnTexts(blocks []slack.Block) []string {
	var out []string
	eachText(blocks, func(t *slack.TextBlockObject) {
		if t.Type == slack.MarkdownType {
			out = append(out, t.Text)
		}
	})
	return out
}
