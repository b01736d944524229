// Package console runs the /cis commands from a terminal: it reads command lines, hands them to
// the same command table the Slack adapter uses, and prints the replies as plain text. Buttons
// become numbered choices; typing a number presses one.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/cisbot/cisbot/internal/commands"
)

// Handler runs commands and pressed buttons, sending the replies through rep.
type Handler interface {
	Handle(ctx context.Context, req commands.Request, rep commands.Replier)
	HandleAction(ctx context.Context, req commands.ActionRequest, rep commands.Replier)
}

var _ Handler = (*commands.Dispatcher)(nil)

// The user and channel of every console request: the terminal's user is one local person.
const (
	UserID    = "console"
	ChannelID = "console"
)

// Console is one terminal session. It implements commands.Replier and is safe for the
// concurrent progress updates of an audit.
type Console struct {
	bot     Handler
	command string // "/cis"
	prompt  string
	echo    bool

	mu       sync.Mutex
	out      io.Writer
	next     int                        // the last handle given out
	progress map[commands.Handle]string // the progress line last printed, per audit under way
	actions  []commands.Action          // the buttons of the last report, numbered from 1
}

var _ commands.Replier = (*Console)(nil)

// Option configures a Console.
type Option func(*Console)

// WithPrompt prints p before reading each line (for a terminal).
func WithPrompt(p string) Option { return func(c *Console) { c.prompt = p } }

// WithEcho prints each line read after the prompt, so that the output of input that is not
// a terminal (a pipe, a script) reads as a transcript.
func WithEcho() Option { return func(c *Console) { c.echo = true } }

// WithCommand sets the slash command lines may start with; the default is "/cis".
func WithCommand(cmd string) Option { return func(c *Console) { c.command = cmd } }

// New returns a console that runs lines with bot and prints to out.
func New(bot Handler, out io.Writer, opts ...Option) *Console {
	c := &Console{bot: bot, command: "/cis", out: out, progress: map[commands.Handle]string{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Run reads lines from in and runs each until an empty line, quit, exit or the end of in. It
// returns nil when the session ends that way or because ctx is done, and the read error
// otherwise.
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	type read struct {
		line string
		err  error
		eof  bool
	}
	lines := make(chan read)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			select {
			case lines <- read{line: sc.Text()}:
			case <-stop:
				return
			}
		}
		select {
		case lines <- read{err: sc.Err(), eof: true}:
		case <-stop:
		}
	}()
	for {
		c.write(c.prompt)
		select {
		case <-ctx.Done():
			c.write("\n")
			return nil
		case r := <-lines:
			if r.eof {
				if c.prompt != "" {
					c.write("\n")
				}
				return r.err
			}
			if c.echo {
				c.write(r.line + "\n")
			}
			if !c.Exec(ctx, r.line) {
				return nil
			}
		}
	}
}

// Type shows line as if typed at the prompt, then runs it; it reports whether the session
// goes on. Scripted sessions use it.
func (c *Console) Type(ctx context.Context, line string) bool {
	c.write(c.prompt + line + "\n")
	return c.Exec(ctx, line)
}

// Exec runs one line: a command (with or without the slash command), or the number of a
// button of the last report. It reports whether the session goes on: an empty line, quit and
// exit end it.
func (c *Console) Exec(ctx context.Context, line string) bool {
	text := strings.TrimSpace(line)
	switch strings.ToLower(text) {
	case "", "quit", "exit":
		return false
	}
	if n, err := strconv.Atoi(text); err == nil {
		c.press(ctx, n)
		return true
	}
	if len(text) >= len(c.command) && strings.EqualFold(text[:len(c.command)], c.command) {
		if rest := text[len(c.command):]; rest == "" || rest[0] == ' ' || rest[0] == '\t' {
			text = strings.TrimSpace(rest)
		}
	}
	c.bot.Handle(ctx, commands.Request{Command: c.command, Text: text, UserID: UserID, ChannelID: ChannelID}, c)
	return true
}

// Actions are the buttons of the last report, numbered from 1 in the output.
func (c *Console) Actions() []commands.Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]commands.Action(nil), c.actions...)
}

func (c *Console) press(ctx context.Context, n int) {
	actions := c.Actions()
	switch {
	case len(actions) == 0:
		c.write("There are no buttons to press: a report offers them (try " + c.command + " audit ACCOUNT).\n\n")
		return
	case n < 1 || n > len(actions):
		which := fmt.Sprintf("[1] to [%d]", len(actions))
		if len(actions) == 1 {
			which = "only [1]"
		}
		c.write(fmt.Sprintf("There is no button %d: the last report has %s.\n\n", n, which))
		return
	}
	a := actions[n-1]
	c.bot.HandleAction(ctx, commands.ActionRequest{ActionID: a.ID, Value: a.Value, UserID: UserID, ChannelID: ChannelID}, c)
}

// Post prints a reply.
func (c *Console) Post(_ context.Context, r commands.Reply) (commands.Handle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	h := commands.Handle(strconv.Itoa(c.next))
	return h, c.show(h, r)
}

// Update prints a reply that replaces an earlier one. A progress line is printed only when its
// text changes, and never after the reply it stood for has been finished.
func (c *Console) Update(_ context.Context, h commands.Handle, r commands.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := r.(commands.Progress); ok {
		if p.Finished {
			delete(c.progress, h) // the report is already printed below it
			return nil
		}
		if last, under := c.progress[h]; !under || last == render(r) {
			return nil
		}
	}
	return c.show(h, r)
}

// show prints r as the reply h; c.mu is held.
func (c *Console) show(h commands.Handle, r commands.Reply) error {
	text := render(r)
	switch r := r.(type) {
	case commands.Progress:
		c.progress[h] = text
	case commands.Report:
		c.actions = r.Actions
		delete(c.progress, h)
		text += "\n"
	case commands.FixPlan:
		c.actions = r.Actions
		delete(c.progress, h)
		text += "\n"
	case commands.Status:
		c.actions = r.Actions
		delete(c.progress, h)
		text += "\n"
	default:
		delete(c.progress, h)
		text += "\n"
	}
	_, err := io.WriteString(c.out, text)
	return err
}

func (c *Console) write(s string) {
	if s == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.out, s)
}
