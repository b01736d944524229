package slackbot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
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
	return commands.Report{ID: "abc123", Report: oneControl(sampleReport()), Started: started, Finished: finished, Actions: []commands.Action{
		{ID: commands.ActionEvidence, Label: "Evidence: dev", Value: "abc123/dev"},
		{ID: commands.ActionEvidence, Label: "Evidence: stage <!channel> & co", Value: "abc123/stage <!channel> & co"},
	}}
}

// matrixResult is account i's result for control j of the table in matrixReport: account i%20
// == 7 cannot be read (every control ERROR), i%8 == 3 fails 4.10, i%5 == 1 fails 4.3 and 4.12,
// i%9 == 4 has no alarm for 4.15; the rest passes.
func matrixResult(i, j int) cis.Result {
	ctl := cis.Controls[j]
	id := fmt.Sprintf("%012d", 100000000000+i)
	r := cis.Result{Account: fmt.Sprintf("acct-%03d", i), AccountID: id, Status: cis.StatusPass,
		Reason: "every step of the CIS chain passes",
		Checks: []cis.Check{{Step: cis.StepTrail, Status: cis.StatusPass, Resource: "arn:aws:cloudtrail:us-east-1:" + id + ":trail/main", Detail: "multi-region trail main"}}}
	filter, alarm := cis.StepMetricFilter, cis.StepAlarm
	switch {
	case i%20 == 7:
		r.Status, r.AccountID, r.Checks = cis.StatusError, "", nil
		r.Reason = "trail: sts:AssumeRole: AccessDenied: User: arn:aws:sts::999999999999:assumed-role/cisbot/cisbot is not authorized to perform: sts:AssumeRole"
		r.Fix = "Let the bot's role assume the audit role of this account (its trust policy)."
	case i%8 == 3 && ctl.ID == "4.10", i%5 == 1 && (ctl.ID == "4.3" || ctl.ID == "4.12"):
		r.Status, r.FailedStep = cis.StatusFail, &filter
		r.Reason = fmt.Sprintf("metric_filter: no metric filter of log group trail catches what %s watches (%s)", ctl.ID, ctl.Title)
		r.Fix = fmt.Sprintf("Create the metric filter: aws logs put-metric-filter --log-group-name trail --filter-name cis-%s --filter-pattern '…'", ctl.ID)
		r.Checks = append(r.Checks, cis.Check{Step: filter, Status: cis.StatusFail, Resource: "arn:aws:logs:us-east-1:" + id + ":log-group:trail", Detail: "no metric filter matches the control's probes <&>"})
	case i%9 == 4 && ctl.ID == "4.15":
		r.Status, r.FailedStep = cis.StatusFail, &alarm
		r.Reason = "alarm: no alarm on the metric of filter cis-4.15 would fire on one event"
		r.Checks = append(r.Checks, cis.Check{Step: alarm, Status: cis.StatusFail, Detail: "no alarm on CIS/OrganizationsChanges"})
		r.Warnings = []string{"Security Hub checks this control by the text of its pattern"}
	}
	return r
}

// matrixReport is n accounts × every control, with the evidence and fix buttons the commands
// would give it.
func matrixReport(id string, n int) commands.Report {
	ids := make([]string, len(cis.Controls))
	for j := range cis.Controls {
		ids[j] = cis.Controls[j].ID
	}
	results := make([][]cis.Result, n)
	for i := range results {
		for j := range cis.Controls {
			results[i] = append(results[i], matrixResult(i, j))
		}
	}
	report := cis.NewControlsReport(ids, results)
	var evidence, fix []commands.Action
	for _, row := range report.Rows() {
		if row.Status != cis.StatusPass {
			evidence = append(evidence, commands.Action{ID: commands.ActionEvidence, Label: "Evidence: " + row.Account, Value: id + "/" + row.Account})
		}
		if len(row.Fail) > 0 {
			fix = append(fix, commands.Action{ID: commands.ActionFix, Label: "Fix: " + row.Account, Value: row.Account})
		}
	}
	return commands.Report{ID: id, Report: report, Started: started, Finished: finished.Add(3 * time.Minute), Actions: append(evidence, fix...)}
}

// withPassingWarning gives the first passing control a warning of the kind text checks cause.
func withPassingWarning(e commands.Evidence) commands.Evidence {
	e.Results = slices.Clone(e.Results)
	for i := range e.Results {
		if e.Results[i].Status == cis.StatusPass {
			e.Results[i].Warnings = []string{"metric filter root_usage_metric satisfies control " + e.Results[i].Control + ", but Security Hub compares the text and will still report it as failed"}
			break
		}
	}
	return e
}

// evidenceOf is the evidence button's reply for account i of matrixReport.
func evidenceOf(r commands.Report, account string) commands.Evidence {
	for _, row := range r.Report.Rows() {
		if row.Account == account {
			return commands.Evidence{Private: true, Results: row.Results}
		}
	}
	panic("no account " + account)
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
		{"report-all-pass", commands.Report{ID: "1", Report: oneControl(cis.NewReport("4.1", sampleReport().Results[:1])), Started: started, Finished: started.Add(300 * time.Millisecond)}},
		{"report-matrix", matrixReport("m1", 6)},
		{"report-50x15", matrixReport("m50", 50)},
		{"report-120", matrixReport("f00d", 120)},
		{"evidence", commands.Evidence{Private: true, Results: oneControl(cis.NewReport("4.1", []cis.Result{dev})).Results}},
		{"evidence-escaping", commands.Evidence{Private: true, Results: oneControl(cis.NewReport("4.1", sampleReport().Results[2:])).Results}},
		{"evidence-three-failing", evidenceOf(matrixReport("m1", 12), "acct-011")},
		{"evidence-passing-warning", withPassingWarning(evidenceOf(matrixReport("m1", 12), "acct-011"))},
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
		"status": inChannel, "status-none": inChannel, "report-matrix": inChannel, "report-50x15": inChannel,
		"evidence-three-failing":   ephemeral,
		"evidence-passing-warning": ephemeral,
	}
	for _, tc := range goldenReplies() {
		if got := newMessage(tc.reply).ResponseType; got != want[tc.name] {
			t.Errorf("%s: response_type %q, want %q", tc.name, got, want[tc.name])
		}
	}
	if got := newMessage(commands.Text{Text: "hi"}).ResponseType; got != inChannel {
		t.Errorf("public text: response_type %q", got)
	}
	if got := newMessage(commands.Evidence{Results: []cis.ControlResult{{Control: "4.1", Result: cis.Result{Account: "a"}}}}).ResponseType; got != inChannel {
		t.Errorf("public evidence: response_type %q", got)
	}
}

// TestReportMatrixLimits checks reports of every control too big to list plainly, besides
// their golden files: every limit held (validate and checkLimits), accounts that did not pass
// before passing ones, and every account either named or counted in a "more" line. 50 accounts
// × 15 controls show every account.
func TestReportMatrixLimits(t *testing.T) {
	more := regexp.MustCompile(`(\d+) more accounts? not shown|and (\d+) more`)
	hiddenButtons := regexp.MustCompile(`(\d+) more buttons? (is|are) not shown`)
	for _, tc := range []struct {
		accounts int
		allNamed bool
	}{{50, true}, {120, false}, {1000, false}} {
		t.Run(fmt.Sprint(tc.accounts), func(t *testing.T) {
			r := matrixReport("r", tc.accounts)
			m := newMessage(r)
			if err := validate(m.Blocks); err != nil {
				t.Fatal(err)
			}
			checkLimits(t, m.Blocks)
			text := strings.Join(mrkdwnTexts(m.Blocks), "\n")
			counted := 0
			for _, g := range more.FindAllStringSubmatch(text, -1) {
				n, _ := strconv.Atoi(g[1] + g[2])
				counted += n
			}
			missing, firstPass, lastBad := 0, len(text), -1
			for _, row := range r.Report.Rows() {
				at := strings.Index(text, row.Account)
				if at < 0 {
					missing++
					continue
				}
				if row.Status == cis.StatusPass {
					firstPass = min(firstPass, at)
				} else {
					lastBad = max(lastBad, at)
				}
			}
			if missing != counted {
				t.Errorf("%d accounts not named, %d counted as not shown", missing, counted)
			}
			if tc.allNamed && missing > 0 {
				t.Errorf("%d accounts not named", missing)
			}
			if lastBad > firstPass {
				t.Errorf("an account that does not pass is named after a passing one")
			}
			var buttons int
			for _, b := range m.Blocks {
				if a, ok := b.(*slack.ActionBlock); ok {
					buttons += len(a.Elements.ElementSet)
				}
			}
			hidden := 0
			if g := hiddenButtons.FindStringSubmatch(text); g != nil {
				hidden, _ = strconv.Atoi(g[1])
			}
			if buttons != min(len(r.Actions), maxActionElements) || buttons+hidden != len(r.Actions) {
				t.Errorf("%d buttons shown and %d counted for %d actions", buttons, hidden, len(r.Actions))
			}
		})
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
		commands.Report{Report: oneControl(cis.NewReport(long, results)), Actions: actions, Started: started, Finished: finished},
		commands.Report{Report: manyControls(results), Actions: actions, Started: started, Finished: finished},
		commands.Evidence{Results: manyControls(results[:1]).Results},
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
			commands.Report{Report: oneControl(cis.NewReport(name, results)), Actions: actions, Started: started, Finished: finished},
			commands.Report{Report: manyControls(results), Actions: actions, Started: started, Finished: finished},
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
			if err := validate(newMessage(commands.Evidence{Results: manyControls(results[:1]).Results}).Blocks); err != nil {
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

// manyControls is each result as an account's result for every control of the table, the
// accounts numbered so that they stay apart.
func manyControls(results []cis.Result) cis.ControlsReport {
	ids := make([]string, len(cis.Controls))
	for j := range cis.Controls {
		ids[j] = cis.Controls[j].ID
	}
	rs := make([][]cis.Result, len(results))
	for i, r := range results {
		r.Account = fmt.Sprint(i, r.Account)
		for range ids {
			rs[i] = append(rs[i], r)
		}
	}
	return cis.NewControlsReport(ids, rs)
}

// TestEvidenceCut: the evidence of fifteen failing controls with long checks does not fit one
// message; what is left out is named with the command that shows it, within the limits.
func TestEvidenceCut(t *testing.T) {
	var results []cis.ControlResult
	for _, ctl := range cis.Controls {
		r := matrixResult(1, 2) // a failing 4.3, its text reused for every control
		r.Checks = append(r.Checks, cis.Check{Step: cis.StepAlarm, Status: cis.StatusFail, Detail: strings.Repeat("no alarm ", 150)})
		results = append(results, cis.ControlResult{Control: ctl.ID, Result: r})
	}
	m := newMessage(commands.Evidence{Private: true, Results: results})
	if err := validate(m.Blocks); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(mrkdwnTexts(m.Blocks), "\n")
	if !strings.Contains(text, "is not shown in full") || !strings.Contains(text, "cisbot audit acct-001 --control ") || !strings.Contains(text, "4.15 --verbose") {
		t.Errorf("no line names the controls left out:\n%s", text)
	}
	if !strings.Contains(text, "*4.1 ") {
		t.Errorf("the first control is not shown")
	}
}
