package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
)

// fakeBot is a fake of this package's own Handler interface: it records what the console asks
// and answers with fixed replies, the way *commands.Dispatcher would.
type fakeBot struct {
	mu       sync.Mutex
	requests []commands.Request
	actions  []commands.ActionRequest
}

func (f *fakeBot) Handle(ctx context.Context, req commands.Request, rep commands.Replier) {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	switch {
	case req.Text == "help" || req.Text == "": // as commands.Parse reads an empty line
		_, _ = rep.Post(ctx, commands.Help{Command: "/cis", Commands: commands.Table()})
	case strings.HasPrefix(req.Text, "audit"):
		accounts := strings.Fields(req.Text)[1:]
		p := commands.Progress{Accounts: accounts, Total: len(accounts), Started: started}
		h, _ := rep.Post(ctx, p)
		// Progress arrives from the audit's workers at once, and repeats itself.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { _ = rep.Update(ctx, h, p) })
		}
		wg.Wait()
		p.Done = 1
		_ = rep.Update(ctx, h, p)
		_ = rep.Update(ctx, h, p)
		report := commands.Report{ID: "r1", Report: oneControl("4.1", results[:2]), Started: started, Finished: started.Add(time.Second),
			Actions: []commands.Action{{ID: commands.ActionEvidence, Label: "Evidence: dev", Value: "r1/dev"}}}
		_ = rep.Update(ctx, h, report)
		// A progress update that lost the race with the report must not show after it.
		p.Done = 2
		_ = rep.Update(ctx, h, p)
	default:
		_, _ = rep.Post(ctx, commands.Problem{Text: "unknown command " + `"` + strings.Fields(req.Text)[0] + `"`, Suggestion: "/cis help"})
	}
}

func (f *fakeBot) HandleAction(ctx context.Context, req commands.ActionRequest, rep commands.Replier) {
	f.mu.Lock()
	f.actions = append(f.actions, req)
	f.mu.Unlock()
	_, _ = rep.Post(ctx, commands.Evidence{Private: true, Results: oneControl("4.1", results[1:2]).Results})
}

func TestSession(t *testing.T) {
	bot := &fakeBot{}
	var out bytes.Buffer
	c := New(bot, &out, WithPrompt("cis> "), WithEcho())
	in := "1\n/cis help\n/cis audit prod dev\n  1  \n2\nfrobnicate now\n/CIS\nquit\naudit never\n"
	if err := c.Run(context.Background(), strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	golden(t, "session.txt", out.String())

	var texts []string
	for _, r := range bot.requests {
		if r.Command != "/cis" || r.UserID != UserID || r.ChannelID != ChannelID {
			t.Errorf("request %+v: want command /cis, user and channel console", r)
		}
		texts = append(texts, r.Text)
	}
	if got, want := strings.Join(texts, "|"), "help|audit prod dev|frobnicate now|"; got != want {
		t.Errorf("texts %q, want %q (the /cis prefix dropped, nothing after quit)", got, want)
	}
	if len(bot.actions) != 1 || bot.actions[0] != (commands.ActionRequest{ActionID: commands.ActionEvidence, Value: "r1/dev", UserID: UserID, ChannelID: ChannelID}) {
		t.Errorf("actions %+v: want one press of the evidence button for dev", bot.actions)
	}
	if a := c.Actions(); len(a) != 1 || a[0].Label != "Evidence: dev" {
		t.Errorf("Actions() = %+v", a)
	}
}

func TestSessionEnds(t *testing.T) {
	tests := []struct {
		name, in string
		runs     int
	}{
		{"EOF at once", "", 0},
		{"EOF after a line without newline", "help", 1},
		{"EOF after lines", "help\naccounts\n", 2},
		{"empty line", "help\n\nhelp\n", 1},
		{"blank line", "help\n   \t\nhelp\n", 1},
		{"quit", "help\nquit\nhelp\n", 1},
		{"exit", "EXIT\nhelp\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bot := &fakeBot{}
			if err := New(bot, io.Discard).Run(context.Background(), strings.NewReader(tc.in)); err != nil {
				t.Fatal(err)
			}
			if len(bot.requests) != tc.runs {
				t.Errorf("%d commands run, want %d", len(bot.requests), tc.runs)
			}
		})
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	err := New(&fakeBot{}, io.Discard).Run(context.Background(), io.MultiReader(strings.NewReader("help\n"), errReader{boom}))
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the read error", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// A session waiting for input ends when its context is done (Ctrl-C in cisbot demo).
func TestCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(&fakeBot{}, io.Discard).Run(ctx, pr) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestType(t *testing.T) {
	bot := &fakeBot{}
	var out bytes.Buffer
	c := New(bot, &out, WithPrompt("> "), WithCommand("/audit-bot"))
	if !c.Type(context.Background(), "/audit-bot help") {
		t.Fatal("Type ended the session")
	}
	if c.Type(context.Background(), "exit") {
		t.Fatal("exit did not end the session")
	}
	if len(bot.requests) != 1 || bot.requests[0].Text != "help" || bot.requests[0].Command != "/audit-bot" {
		t.Errorf("requests %+v", bot.requests)
	}
	if !strings.HasPrefix(out.String(), "> /audit-bot help\nCommands") || !strings.HasSuffix(out.String(), "> exit\n") {
		t.Errorf("output %q", out.String())
	}
}
