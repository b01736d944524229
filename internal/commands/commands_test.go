package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
)

func TestParse(t *testing.T) {
	defs := Table()
	tests := []struct {
		text    string
		name    string
		args    []string
		suggest string // for errors
		err     bool
	}{
		{"", "help", nil, "", false},
		{"   ", "help", nil, "", false},
		{"help", "help", nil, "", false},
		{"HELP", "help", nil, "", false},
		{"audit prod", "audit", []string{"prod"}, "", false},
		{"audit  prod\tstaging\n", "audit", []string{"prod", "staging"}, "", false},
		{"audit prod, staging", "audit", []string{"prod", "staging"}, "", false},
		{"audit all", "audit", []string{"all"}, "", false},
		{"Audit Prod", "audit", []string{"Prod"}, "", false},
		{"audit <#C0123ABCD|prod>", "audit", []string{"prod"}, "", false},
		{"accounts", "accounts", nil, "", false},
		{"status", "status", nil, "", false},
		{"status prod dev", "status", []string{"prod", "dev"}, "", false},
		{`fix "Log Archive" 4.3`, "fix", []string{"Log Archive", "4.3"}, "", false},
		{"fix \u201cLog Archive\u201d, 4.3", "fix", []string{"Log Archive", "4.3"}, "", false}, // Slack's curly quotes
		{`status "a, b" c`, "status", []string{"a, b", "c"}, "", false},
		{`status "" prod`, "status", []string{"prod"}, "", false},
		{`status "Log Archive`, "status", []string{"Log Archive"}, "", false}, // a quote left open
		{`"audit" prod`, "audit", []string{"prod"}, "", false},
		{`status "R&amp;D &lt;sandbox&gt;"`, "status", []string{"R&D <sandbox>"}, "", false}, // Slack's entities

		{"stauts", "", nil, "status", true},
		{"adit prod", "", nil, "audit", true},
		{"acounts", "", nil, "accounts", true},
		{"frobnicate", "", nil, "", true},
	}
	for _, tc := range tests {
		call, err := Parse(defs, tc.text)
		if tc.err {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Suggestion != tc.suggest {
				t.Errorf("Parse(%q) = %v, %v; want a ParseError suggesting %q", tc.text, call, err, tc.suggest)
			}
			continue
		}
		if err != nil || call.Name != tc.name || strings.Join(call.Args, ",") != strings.Join(tc.args, ",") {
			t.Errorf("Parse(%q) = %+v, %v; want %s %v", tc.text, call, err, tc.name, tc.args)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "audit prod", "audit all", "<@U1|x> audit", "help me", "accounts ,,,", "status prod, dev", "audit " + strings.Repeat("a ", 2000), `fix "Log Archive" 4.3`, "fix \u201cx y\u201d", `audit "`} {
		f.Add(s)
	}
	defs := Table()
	f.Fuzz(func(t *testing.T, text string) {
		call, err := Parse(defs, text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		found := false
		for _, d := range defs {
			found = found || d.Name == call.Name
		}
		if !found || len(call.Args) > maxArgs {
			t.Fatalf("Parse(%q) = %+v", text, call)
		}
		quoted := strings.ContainsAny(text, "\"\u201c\u201d")
		for _, a := range call.Args {
			// Only quotes keep spaces and commas in an argument, and they are never in one.
			if a == "" || !quoted && strings.ContainsAny(a, " \t\n,") || strings.ContainsAny(a, "\"\u201c\u201d") || a != strings.TrimSpace(a) {
				t.Fatalf("bad argument %q from %q", a, text)
			}
		}
	})
}

// The fakes below stand in for our own interfaces (the audit and the account list); the real
// ones run against moto in internal/app and internal/cli.
type fakeAuditor struct {
	report cis.ControlsReport
	err    error
	// names and controls are what the last audit was asked for.
	names    []string
	controls []*cis.Control
	release  chan struct{} // when set, the audit waits for it after the first progress
}

func (f *fakeAuditor) Audit(ctx context.Context, names []string, controls []*cis.Control, progress func(done, total int)) (cis.ControlsReport, error) {
	f.names, f.controls = names, controls
	if f.err != nil {
		return cis.ControlsReport{}, f.err
	}
	total := len(f.report.Results)
	progress(0, total)
	for i := range f.report.Results {
		progress(i+1, total)
		if i == 0 && f.release != nil {
			<-f.release
		}
	}
	return f.report, nil
}

type fakeDirectory struct{}

func (fakeDirectory) Accounts() []AccountInfo {
	return []AccountInfo{{Name: "prod", RoleARN: "arn:aws:iam::111111111111:role/cisbot"}, {Name: "dev"}}
}
func (fakeDirectory) OrganizationRole() string { return "" }
func (d fakeDirectory) Resolve(_ context.Context, name string) (string, error) {
	return resolveIn(d.Accounts(), name)
}

// recorder is a Replier that keeps what was posted and updated, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
	last   map[Handle]Reply
	n      int
}

func (r *recorder) Post(_ context.Context, rep Reply) (Handle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	h := Handle(fmt.Sprint(r.n))
	if r.last == nil {
		r.last = map[Handle]Reply{}
	}
	r.last[h] = rep
	r.events = append(r.events, fmt.Sprintf("post %T", rep))
	return h, nil
}

func (r *recorder) Update(_ context.Context, h Handle, rep Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[Handle]Reply{}
	}
	r.last[h] = rep
	r.events = append(r.events, fmt.Sprintf("update %T", rep))
	return nil
}

func report(statuses ...cis.Status) cis.ControlsReport {
	var rs [][]cis.Result
	for i, s := range statuses {
		r := cis.Result{Account: []string{"prod", "dev", "stage", "qa"}[i], Status: s, Reason: "x"}
		rs = append(rs, []cis.Result{r})
	}
	return cis.NewControlsReport([]string{"4.1"}, rs)
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		policy *Policy
		user   string
		audit  *fakeAuditor
		events []string
		check  func(t *testing.T, last Reply)
	}{
		{"help", "help", nil, "U1", nil, []string{"post commands.Help"}, func(t *testing.T, r Reply) {
			if h := r.(Help); len(h.Commands) != len(Table()) || h.Command != "/cis" {
				t.Errorf("%+v", h)
			}
		}},
		{"accounts", "accounts", nil, "U1", nil, []string{"post commands.Accounts"}, nil},
		{"unknown command", "adit prod", nil, "U1", nil, []string{"post commands.Problem"}, func(t *testing.T, r Reply) {
			if p := r.(Problem); p.Suggestion != "/cis audit prod" || !strings.Contains(p.Text, "unknown command") {
				t.Errorf("%+v", p)
			}
		}},
		{"unknown account", "audit prdo", nil, "U1", nil, []string{"post commands.Problem"}, func(t *testing.T, r Reply) {
			if p := r.(Problem); p.Suggestion != "/cis audit prod" || !strings.Contains(p.Text, "did you mean prod") {
				t.Errorf("%+v", p)
			}
		}},
		{"audit without accounts", "audit", nil, "U1", nil, []string{"post commands.Problem"}, func(t *testing.T, r Reply) {
			if p := r.(Problem); p.Usage != "/cis audit ACCOUNT… | all [CONTROL…]" {
				t.Errorf("%+v", p)
			}
		}},
		{"audit", "audit prod dev", nil, "U1", &fakeAuditor{report: report(cis.StatusPass, cis.StatusFail)},
			[]string{"post commands.Progress", "post commands.Report", "update commands.Progress"}, func(t *testing.T, r Reply) {
				if p := r.(Progress); !p.Finished || p.Done != 2 {
					t.Errorf("progress not marked finished: %+v", p)
				}
			}},
		{"audit report", "audit prod dev", nil, "U1", &fakeAuditor{report: report(cis.StatusPass, cis.StatusFail)},
			[]string{"post commands.Progress", "post commands.Report", "update commands.Progress"}, func(t *testing.T, r Reply) {
				rep := r.(Report)
				if rep.Report.Summary.Pass != 1 || len(rep.Actions) != 1 || rep.Actions[0].Value != rep.ID+"/dev" {
					t.Errorf("%+v", rep)
				}
			}},
		{"audit that cannot start", "audit all", nil, "U1", &fakeAuditor{err: errors.New("list the organization's accounts: denied")},
			[]string{"post commands.Progress", "update commands.Problem"}, nil},
		{"channel not allowed", "audit prod", &Policy{Channels: []string{"C0ALLOWED"}}, "U1", nil, []string{"post commands.Problem"}, func(t *testing.T, r Reply) {
			if !strings.Contains(r.(Problem).Text, "<#C0ALLOWED>") {
				t.Errorf("%+v", r)
			}
		}},
		{"not an auditor", "audit prod", &Policy{Auditors: []string{"U0BOSS"}}, "U1", nil, []string{"post commands.Problem"}, func(t *testing.T, r Reply) {
			if !strings.Contains(r.(Problem).Text, "slack.auditors") {
				t.Errorf("%+v", r)
			}
		}},
		{"non-auditors may still list accounts", "accounts", &Policy{Auditors: []string{"U0BOSS"}}, "U1", nil, []string{"post commands.Accounts"}, nil},
		{"auditor through a group", "audit prod", &Policy{Auditors: []string{"S0GROUP"}, Groups: groups{"S0GROUP": {"U1"}}}, "U1",
			&fakeAuditor{report: report(cis.StatusPass)}, []string{"post commands.Progress", "post commands.Report", "update commands.Progress"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			aud := tc.audit
			if aud == nil {
				aud = &fakeAuditor{}
			}
			b := New(Options{Auditor: aud, Directory: fakeDirectory{}, Policy: tc.policy})
			rec := &recorder{}
			b.Handle(context.Background(), Request{Command: "/cis", Text: tc.text, UserID: tc.user, ChannelID: "C0CHAN"}, rec)
			if strings.Join(rec.events, "; ") != strings.Join(tc.events, "; ") {
				t.Fatalf("events %v, want %v", rec.events, tc.events)
			}
			if tc.check != nil {
				last := rec.last["1"]
				if tc.name == "audit report" {
					last = rec.last["2"]
				}
				tc.check(t, last)
			}
		})
	}
}

type groups map[string][]string

func (g groups) Members(_ context.Context, id string) ([]string, error) { return g[id], nil }

// Progress updates are spaced and capped: Slack allows five uses of a response_url.
func TestAuditProgressIsThrottled(t *testing.T) {
	clock := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second) // every reading is a second later
		return clock
	}
	statuses := make([]cis.Status, 4)
	for i := range statuses {
		statuses[i] = cis.StatusPass
	}
	aud := &fakeAuditor{report: report(statuses...)}
	b := New(Options{Auditor: aud, Directory: fakeDirectory{}, Now: now, ProgressEvery: 1500 * time.Millisecond, MaxProgressUpdates: 2})
	rec := &recorder{}
	b.Handle(context.Background(), Request{Text: "audit prod dev"}, rec)
	updates := 0
	for _, e := range rec.events {
		if e == "update commands.Progress" {
			updates++
		}
	}
	if updates != 3 || len(rec.events) != 5 || rec.events[3] != "post commands.Report" {
		t.Errorf("events %v: want one post, two progress updates at most, the report, then progress marked finished", rec.events)
	}
}

func TestEvidenceAction(t *testing.T) {
	aud := &fakeAuditor{report: report(cis.StatusPass, cis.StatusFail)}
	b := New(Options{Auditor: aud, Directory: fakeDirectory{}})
	rec := &recorder{}
	b.Handle(context.Background(), Request{Text: "audit prod dev"}, rec)
	rep := rec.last["2"].(Report)
	ev := &recorder{}
	b.HandleAction(context.Background(), ActionRequest{ActionID: rep.Actions[0].ID, Value: rep.Actions[0].Value}, ev)
	if e, ok := ev.last["1"].(Evidence); !ok || len(e.Results) != 1 || e.Results[0].Account != "dev" || !e.Private {
		t.Fatalf("evidence reply %+v", ev.last["1"])
	}
	stale := &recorder{}
	b.HandleAction(context.Background(), ActionRequest{ActionID: ActionEvidence, Value: "gone/dev"}, stale)
	if p, ok := stale.last["1"].(Problem); !ok || p.Suggestion != "/cis audit dev" {
		t.Errorf("stale report: %+v", stale.last["1"])
	}
	unknown := &recorder{}
	b.HandleAction(context.Background(), ActionRequest{ActionID: "nope"}, unknown)
	if _, ok := unknown.last["1"].(Problem); !ok {
		t.Errorf("unknown action: %+v", unknown.last["1"])
	}
}

func TestTableIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Table() {
		if d.Name == "" || d.Description == "" || d.run == nil || seen[d.Name] {
			t.Errorf("incomplete or duplicate command %+v", d)
		}
		seen[d.Name] = true
	}
}
