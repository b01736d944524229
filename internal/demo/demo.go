// Package demo runs the whole bot on built-in defaults, with no Slack or AWS credentials: a
// local moto_server holds two AWS accounts built through the real SDK, the bot's real AWS
// access, audit and command table run against it, and the terminal console stands in for
// Slack. It backs cisbot demo.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/doctor"
	"github.com/cisbot/cisbot/internal/doctor/setup"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/emulator/fixture"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
)

// ExactCodes is dev's metric filter pattern. It names the two codes of the CIS text exactly,
// so a check that compares pattern text against a list of codes passes it, yet it misses
// AccessDeniedException (and Client.UnauthorizedOperation): the audit judges what it matches.
const ExactCodes = `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`

// account is one account of the demo estate.
type account struct {
	name, id string
	sc       fixture.Scenario
	about    string
}

// ReorderedRoot is prod's pattern for control 4.3 (root account usage): Security Hub's clauses in
// another order and spacing. It matches exactly what the published text matches, so the audit
// passes it, yet a check that compares text (Security Hub's CloudWatch.1) rejects it.
const ReorderedRoot = `{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = "Root") }`

// prodControls are prod's filters beyond 4.1: every control with its default pattern, but 4.3
// reordered and 4.10 with Security Hub's text, which misses ModifySecurityGroupRules (required
// from CIS v5.0), so a text check passes it and the audit does not.
func prodControls() map[string]string {
	m := make(map[string]string, len(cis.Controls))
	for _, c := range cis.Controls {
		m[c.ID] = ""
	}
	m["4.3"] = ReorderedRoot
	m["4.10"] = securityGroupsSecurityHub()
	return m
}

func securityGroupsSecurityHub() string {
	c, err := cis.Lookup("4.10")
	if err != nil {
		panic(err) // the table has 4.10
	}
	return c.Patterns["securityhub"]
}

var estate = []account{
	{"prod", "111111111111", fixture.Scenario{Controls: prodControls()}, "all 15 controls' filters and alarms; 4.3's filter reordered, 4.10's an outdated text"},
	{"dev", "222222222222", fixture.Scenario{Pattern: ExactCodes}, "4.1 only, and its metric filter lists exact codes: " + ExactCodes},
}

// Options configure Run.
type Options struct {
	In  io.Reader // read in the interactive session
	Out io.Writer
	// Interactive hands over to the console after the introduction; otherwise a scripted tour
	// runs and Run returns.
	Interactive bool
	Logger      *slog.Logger // nil: discard
}

// Prompt is the console's prompt in the demo.
const Prompt = "cis> "

// Run starts moto_server, builds the accounts, and runs the tour or the interactive session.
// Everything it starts is stopped before it returns, also when ctx is cancelled.
func Run(ctx context.Context, opts Options) error {
	w := opts.Out
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := emulator.Start()
	if err != nil {
		return fmt.Errorf("the demo runs AWS locally in moto_server, the AWS emulator: %w", err)
	}
	defer srv.Stop()
	say(w, "Started moto_server, the AWS emulator, at %s (pid %d). The demo uses dummy credentials and", srv.URL, srv.PID())
	say(w, "calls nothing but this address: your AWS configuration is not read.")

	cfg, factory, err := buildEstate(ctx, w, srv.URL)
	if err != nil {
		return err
	}
	accounts := app.NewAccounts(cfg, factory)
	// The store lives in a temporary directory, removed on return.
	dir, err := os.MkdirTemp("", "cisbot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Store.Path = filepath.Join(dir, "cisbot.db")
	checkup(ctx, w, cfg, factory)
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	bopts := commandOptions(cfg, accounts, st, log)
	bot := commands.New(bopts)
	say(w, "The bot's /cis commands now run in this terminal in place of Slack: the same command table,")
	say(w, "the same audit, the replies rendered as text.")
	fmt.Fprintln(w)

	if opts.Interactive {
		say(w, "Type commands as in Slack (/cis help, /cis accounts, /cis audit prod dev; the /cis is optional),")
		say(w, "and a button's number to press it. An empty line, quit, exit or Ctrl-D ends the demo.")
		err = console.New(bot, w, console.WithPrompt(Prompt)).Run(ctx, opts.In)
	} else {
		c := console.New(bot, w, console.WithPrompt(Prompt))
		sum := &summaryTour{runner: &summary.Runner{Auditor: &app.Auditor{Accounts: accounts, Concurrency: 4, Logger: log}, History: st, Ticks: st, Poster: c.Summaries(), Owner: "demo", Logger: log}}
		// The baseline a schedule would have posted before the tour: recorded, not shown.
		if err := sum.baseline(ctx); err != nil {
			return err
		}
		say(w, "A scheduled summary already ran: the store holds each (account, control)'s result (prod failing 4.10, dev failing all fifteen).")
		fmt.Fprintln(w)
		err = tour(ctx, w, c, accounts, st)
		if err == nil {
			err = sum.finish(ctx, w, c)
		}
	}
	srv.Stop()
	say(w, "moto_server stopped.")
	if err == nil && !opts.Interactive {
		say(w, "Run cisbot demo in a terminal to type commands yourself, or cisbot console --config FILE")
		say(w, "against your own accounts.")
	}
	return err
}

// checkup runs cisbot doctor against the demo's set-up, as a newcomer would before starting the
// bot. Slack's checks are skipped, one SKIP line saying why: the terminal stands in for Slack.
// A failing check is shown and the tour goes on; the demo tests require none.
func checkup(ctx context.Context, w io.Writer, cfg *config.Config, f *awsenv.Factory) {
	fmt.Fprintln(w)
	say(w, "cisbot doctor checks the set-up first: the store, each account's role and the reads the audit")
	say(w, "makes, the alert endpoint, the clock against AWS's.")
	rep := setup.Run(ctx, setup.Options{Config: cfg, Factory: f,
		SkipSlack: "the demo has no Slack workspace (this terminal stands in for it); with SLACK_BOT_TOKEN and SLACK_APP_TOKEN set, cisbot doctor checks the tokens, scopes and channels"})
	_ = rep.WriteText(w)
	if rep.ExitCode() != doctor.ExitOK {
		say(w, "cisbot doctor found a problem above; the tour goes on.")
	}
	fmt.Fprintln(w)
}

// buildEstate builds the demo's accounts in the emulator at url, each reached through a role as
// in production, and returns the config naming them.
func buildEstate(ctx context.Context, w io.Writer, url string) (*config.Config, *awsenv.Factory, error) {
	factory, err := newFactory(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	say(w, "Building two accounts in it through the AWS SDK, each assumed through a role as in production:")
	cfg := &config.Config{AWS: config.AWS{Region: Region, CloudWatchProtocol: "query"}}
	for _, a := range estate {
		if err := fixture.Build(ctx, factory, a.id, a.sc, nil); err != nil {
			return nil, nil, fmt.Errorf("demo: build account %s in moto_server: %w", a.name, err)
		}
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: a.name, RoleARN: fixture.RoleARN(a.id)})
		say(w, "  %-4s  %s  %s", a.name, a.id, a.about)
	}
	return cfg, factory, nil
}

// commandOptions are the /cis commands as a terminal runs them.
func commandOptions(cfg *config.Config, accounts *app.Accounts, st store.Store, log *slog.Logger) commands.Options {
	bopts := app.CommandOptions(cfg, accounts, st, nil, log)
	bopts.Auditor = &app.Auditor{Accounts: accounts, Concurrency: 4, Logger: log}
	// One person at a terminal both asks for the fix and approves it; in Slack the requester
	// cannot approve their own request (remediation.require_second_person).
	bopts.Policy.Approvers = []string{console.UserID}
	bopts.Policy.RequireSecondPerson = false
	// A terminal has no limit on updates, unlike a Slack response_url.
	bopts.ProgressEvery = 100 * time.Millisecond
	bopts.MaxProgressUpdates = 10
	return bopts
}

// tour is the scripted session: what a user would type, with a word on each step.
func tour(ctx context.Context, w io.Writer, c *console.Console, accounts *app.Accounts, st store.Store) error {
	t := &typist{ctx: ctx, w: w, c: c}
	t.run("The commands, generated from the bot's command table:", "/cis help")
	t.run("The accounts the bot may audit:", "/cis accounts")
	t.run("Audit both against the fifteen monitoring controls. prod has every control's filter and alarm, two of them\n"+
		"# written so that text-comparing tools misjudge them: 4.3's is Security Hub's text with its clauses reordered,\n"+
		"# 4.10's is Security Hub's own text, which predates ModifySecurityGroupRules. dev has 4.1's chain only, its\n"+
		"# filter listing exact codes (a text comparison against the CIS codes passes it; it misses AccessDeniedException):", "/cis audit prod dev")
	t.press("prod's evidence: 4.10 fails, though CIS up to v4.0.1 and Security Hub's exact-text check pass it;\n"+
		"# 4.3 passes, though Security Hub compares the text and reports it failed:", "Evidence: prod")
	t.run("Fix 4.10 in prod: the bot plans what makes it pass, reusing the trail, log group and topic, and waits for an approver:", "/cis fix prod 4.10")
	t.approve("Approve it (in Slack a second person must; here one person plays both): it is applied once, then prod is audited again:")
	t.run("Fix dev: without a control named, one request plans every failing control, the topic shared, the steps grouped\n"+
		"# by control:", "/cis fix dev")
	t.approve("One approval applies all of it, then dev is audited again:")
	t.run("Audit both again, and see the record the store keeps:", "/cis audit prod dev")
	t.run("", "/cis history dev")
	if t.err != nil {
		return t.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, a := range demoAlarms() {
		if err := alarmTour(ctx, w, c, accounts, st, a); err != nil {
			return err
		}
	}
	return nil
}

// typist types the tour's lines into the console, each after its narration, until one fails.
type typist struct {
	ctx context.Context
	w   io.Writer
	c   *console.Console
	err error
}

func (t *typist) run(about, line string) {
	if t.err != nil || t.ctx.Err() != nil {
		return
	}
	if about != "" {
		say(t.w, "%s", about)
	}
	t.c.Type(t.ctx, line)
}

// press presses the last reply's button whose label is label.
func (t *typist) press(about, label string) {
	t.pressWhere(about, label, func(a commands.Action) bool { return a.Label == label })
}

// approve presses the Approve button of the plan just posted.
func (t *typist) approve(about string) {
	t.pressWhere(about, "Approve", func(a commands.Action) bool { return a.ID == commands.ActionApprove })
}

func (t *typist) pressWhere(about, what string, match func(commands.Action) bool) {
	if t.err != nil || t.ctx.Err() != nil {
		return
	}
	for i, a := range t.c.Actions() {
		if match(a) {
			t.run(about, strconv.Itoa(i+1))
			return
		}
	}
	t.err = fmt.Errorf("demo: the last reply offered no %s button", what)
}

// countingPoster counts the posts it passes on (the relay also settles what it drops).
type countingPoster struct {
	relay.Poster
	n int
}

func (p *countingPoster) Post(ctx context.Context, post relay.Post) (string, error) {
	p.n++
	return p.Poster.Post(ctx, post)
}

// logGroup is where the demo accounts' trails deliver.
const logGroup = "cloudtrail-logs"

// say prints a line of narration, marked so that it is not taken for the bot's output.
func say(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "# "+format+"\n", args...)
}
