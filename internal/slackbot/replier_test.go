package slackbot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// nopHandler does nothing: for tests that only need a Handler.
type nopHandler struct{}

func (nopHandler) Handle(context.Context, commands.Request, commands.Replier)             {}
func (nopHandler) HandleAction(context.Context, commands.ActionRequest, commands.Replier) {}

func newTestReplier(t *testing.T, rawURL string, now func() time.Time) (*replier, *syncbuf.Buffer) {
	t.Helper()
	log, buf := newLogger(t)
	target, err := newResponseURL(rawURL, now())
	if err != nil {
		t.Fatal(err)
	}
	return &replier{target: target, client: &http.Client{Timeout: 5 * time.Second}, log: log.With("response_host", target.host), now: now}, buf
}

func TestReplierPostAndUpdate(t *testing.T) {
	rec := newRecorder(t)
	rep, _ := newTestReplier(t, rec.url("1"), time.Now)
	ctx := context.Background()

	h, err := rep.Post(ctx, commands.Progress{Accounts: []string{"prod"}, Total: 1, Started: started})
	if err != nil || h != original {
		t.Fatalf("Post: %q, %v", h, err)
	}
	p := rec.next(t)
	if p.msg.ResponseType != inChannel || p.msg.ReplaceOriginal == nil || *p.msg.ReplaceOriginal || !strings.Contains(p.msg.Text, "Auditing prod") {
		t.Errorf("progress post: %s", p.raw)
	}
	if err := rep.Update(ctx, h, commands.Problem{Text: "The audit could not start: boom"}); err != nil {
		t.Fatal(err)
	}
	// The update replaces a message everybody saw: it stays in the channel.
	if p := rec.next(t); p.msg.ResponseType != inChannel || !*p.msg.ReplaceOriginal {
		t.Errorf("update: %s", p.raw)
	}
	h, err = rep.Post(ctx, commands.Problem{Text: "no"})
	if err != nil || h != "" {
		t.Errorf("private Post: %q, %v", h, err)
	}
	if p := rec.next(t); p.msg.ResponseType != ephemeral || *p.msg.ReplaceOriginal {
		t.Errorf("problem: %s", p.raw)
	}
	if err := rep.Update(ctx, "", commands.Text{Text: "x"}); err == nil {
		t.Error("Update without a handle")
	}
	// A decision replaces the message of the pressed button (the plan it decides).
	if err := rep.Update(ctx, commands.Origin, commands.FixDecided{RequestID: "r1", Account: "dev", State: "rejected"}); err != nil {
		t.Fatal(err)
	}
	if p := rec.next(t); p.msg.ResponseType != inChannel || !*p.msg.ReplaceOriginal || !strings.Contains(p.msg.Text, "rejected") {
		t.Errorf("decision: %s", p.raw)
	}
}

// TestReplierUses: Slack takes five messages per response_url; the sixth is skipped with a
// warning, not an error.
func TestReplierUses(t *testing.T) {
	rec := newRecorder(t)
	rep, logs := newTestReplier(t, rec.url("2"), time.Now)
	ctx := context.Background()
	h, _ := rep.Post(ctx, commands.Progress{Accounts: []string{"a"}, Total: 1})
	for range 4 {
		if err := rep.Update(ctx, h, commands.Progress{Accounts: []string{"a"}, Total: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rep.Update(ctx, h, commands.Text{Text: "sixth"}); err != nil {
		t.Errorf("sixth use: %v", err)
	}
	if h, err := rep.Post(ctx, commands.Text{Text: "seventh"}); err != nil || h != "" {
		t.Errorf("seventh use: %q, %v", h, err)
	}
	if n := rec.n.Load(); n != 5 {
		t.Errorf("%d posts, want 5", n)
	}
	if !strings.Contains(logs.String(), "Slack allows 5 messages per response_url") {
		t.Errorf("no warning in the logs:\n%s", logs)
	}
}

func TestReplierExpired(t *testing.T) {
	rec := newRecorder(t)
	now := time.Now()
	rep, _ := newTestReplier(t, rec.url("3"), func() time.Time { return now })
	now = now.Add(31 * time.Minute)
	if _, err := rep.Post(context.Background(), commands.Text{Text: "late"}); !errors.Is(err, ErrResponseURLExpired) {
		t.Errorf("got %v", err)
	}
	if rec.n.Load() != 0 {
		t.Error("posted to an expired response_url")
	}
}

// TestReplierErrorsHideURL: errors name the host, never the response_url (a secret).
func TestReplierErrorsHideURL(t *testing.T) {
	rec := newRecorder(t)
	rec.code.Store(http.StatusNotFound)
	rep, _ := newTestReplier(t, rec.url("4"), time.Now)
	_, err := rep.Post(context.Background(), commands.Text{Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), rep.target.host) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("refused: %v", err)
	}

	rec.srv.Close()
	rep, _ = newTestReplier(t, rec.url("5"), time.Now)
	_, err = rep.Post(context.Background(), commands.Text{Text: "x"})
	if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "/commands/") {
		t.Errorf("unreachable: %v", err)
	}
}

// TestReplierCancelled: a reply decided before shutdown still goes out.
func TestReplierCancelled(t *testing.T) {
	rec := newRecorder(t)
	rep, _ := newTestReplier(t, rec.url("6"), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rep.Post(ctx, commands.Text{Text: "bye"}); err != nil {
		t.Fatal(err)
	}
	rec.next(t)
}

func TestResponseURLRejected(t *testing.T) {
	for _, u := range []string{"", "ftp://x/y", "/relative", "http://"} {
		if _, err := newResponseURL(u, time.Now()); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
