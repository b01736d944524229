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
	"github.com/cisbot/cisbot/internal/awsfixture"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/testutil/moto"
)

// ExactCodes is dev's metric filter pattern. It names the two codes of the CIS text exactly,
// so a check that compares pattern text against a list of codes passes it, yet it misses
// AccessDeniedException (and Client.UnauthorizedOperation): the audit judges what it matches.
const ExactCodes = `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`

// account is one account of the demo estate.
type account struct {
	name, id string
	sc       awsfixture.Scenario
	about    string
}

var estate = []account{
	{"prod", "111111111111", awsfixture.Scenario{}, "trail, the Security Hub metric filter, an alarm on one event, a confirmed subscriber"},
	{"dev", "222222222222", awsfixture.Scenario{Pattern: ExactCodes}, "the same, but its metric filter lists exact codes: " + ExactCodes},
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
	srv, err := moto.Start()
	if err != nil {
		return fmt.Errorf("the demo runs AWS locally in moto_server, the AWS emulator: %w", err)
	}
	defer srv.Stop()
	say(w, "Started moto_server, the AWS emulator, at %s (pid %d). The demo uses dummy credentials and", srv.URL, srv.PID())
	say(w, "calls nothing but this address: your AWS configuration is not read.")

	factory, err := newFactory(ctx, srv.URL)
	if err != nil {
		return err
	}
	say(w, "Building two accounts in it through the AWS SDK, each assumed through a role as in production:")
	cfg := &config.Config{AWS: config.AWS{Region: Region, CloudWatchProtocol: "query"}}
	for _, a := range estate {
		if err := awsfixture.Build(ctx, factory, a.id, a.sc, nil); err != nil {
			return fmt.Errorf("demo: build account %s in moto_server: %w", a.name, err)
		}
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: a.name, RoleARN: awsfixture.RoleARN(a.id)})
		say(w, "  %-4s  %s  %s", a.name, a.id, a.about)
	}

	accounts := app.NewAccounts(cfg, factory)
	// The store lives in a temporary directory, removed on return.
	dir, err := os.MkdirTemp("", "cisbot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Store.Path = filepath.Join(dir, "cisbot.db")
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	bopts := app.CommandOptions(cfg, accounts, st, nil, log)
	bopts.Auditor = &app.Auditor{Accounts: accounts, Concurrency: 4, Logger: log}
	// One person at a terminal both asks for the fix and approves it; in Slack the requester
	// cannot approve their own request (remediation.require_second_person).
	bopts.Policy.Approvers = []string{console.UserID}
	bopts.Policy.RequireSecondPerson = false
	// A terminal has no limit on updates, unlike a Slack response_url.
	bopts.ProgressEvery = 100 * time.Millisecond
	bopts.MaxProgressUpdates = 10
	bot := commands.New(bopts)
	say(w, "The bot's /cis commands now run in this terminal in place of Slack: the same command table,")
	say(w, "the same audit, the replies rendered as text.")
	fmt.Fprintln(w)

	if opts.Interactive {
		say(w, "Type commands as in Slack (/cis help, /cis accounts, /cis audit prod dev; the /cis is optional),")
		say(w, "and a button's number to press it. An empty line, quit, exit or Ctrl-D ends the demo.")
		err = console.New(bot, w, console.WithPrompt(Prompt)).Run(ctx, opts.In)
	} else {
		err = tour(ctx, w, console.New(bot, w, console.WithPrompt(Prompt)))
	}
	srv.Stop()
	say(w, "moto_server stopped.")
	if err == nil && !opts.Interactive {
		say(w, "Run cisbot demo in a terminal to type commands yourself, or cisbot console --config FILE")
		say(w, "against your own accounts.")
	}
	return err
}

// tour is the scripted session: what a user would type, with a word on each step.
func tour(ctx context.Context, w io.Writer, c *console.Console) error {
	steps := []struct{ about, line string }{
		{"The commands, generated from the bot's command table:", "/cis help"},
		{"The accounts the bot may audit:", "/cis accounts"},
		{"Audit both. dev's filter would pass a text comparison against the CIS codes, yet misses AccessDeniedException:", "/cis audit prod dev"},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		say(w, "%s", s.about)
		c.Type(ctx, s.line)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	button := 0
	for i, a := range c.Actions() {
		if a.Label == "Evidence: dev" {
			button = i + 1
		}
	}
	if button == 0 {
		return fmt.Errorf("demo: the audit offered no evidence button for dev, which should have failed")
	}
	say(w, "Press dev's evidence button to see every step and where the chain breaks:")
	c.Type(ctx, strconv.Itoa(button))
	if err := ctx.Err(); err != nil {
		return err
	}
	say(w, "Ask for a fix: the bot plans what would make dev pass, reusing what exists, and waits for an approver:")
	c.Type(ctx, "/cis fix dev")
	approve := 0
	for i, a := range c.Actions() {
		if a.ID == commands.ActionApprove {
			approve = i + 1
		}
	}
	if approve == 0 {
		return fmt.Errorf("demo: the fix of dev offered no Approve button")
	}
	say(w, "Approve it (in Slack a second person must; here one person plays both): it is applied once, then dev is audited again:")
	c.Type(ctx, strconv.Itoa(approve))
	if err := ctx.Err(); err != nil {
		return err
	}
	say(w, "Audit both again, and see the record the store keeps:")
	c.Type(ctx, "/cis audit prod dev")
	c.Type(ctx, "/cis history dev")
	return ctx.Err()
}

// say prints a line of narration, marked so that it is not taken for the bot's output.
func say(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "# "+format+"\n", args...)
}
