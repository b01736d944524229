package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/commands"
)

// Slack accepts up to five messages through one response_url, within thirty minutes of the
// command or button press that issued it.
const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

// ErrResponseURLExpired is a reply attempted more than thirty minutes after its command.
var ErrResponseURLExpired = errors.New("slack: the command's response_url has expired (30 minutes)")

// responseURL is one response_url and the uses made of it. The URL is a bearer secret: whoever
// holds it can post to the channel for half an hour, so it is never logged; its host is.
type responseURL struct {
	url    string
	host   string
	issued time.Time

	mu   sync.Mutex
	used int
}

func newResponseURL(raw string, now time.Time) (*responseURL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("slack: the payload's response_url is not an http(s) URL")
	}
	return &responseURL{url: raw, host: u.Host, issued: now}, nil
}

// take counts a use; ok is false once the five are spent.
func (r *responseURL) take(now time.Time) (ok bool, expired bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.issued) > responseURLTTL {
		return false, true
	}
	if r.used >= responseURLUses {
		return false, false
	}
	r.used++
	return true, false
}

// replier delivers one request's replies through its response_url: they reach channels the bot
// has not joined, and DMs, without chat:write.
type replier struct {
	target *responseURL
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
}

var _ commands.Replier = (*replier)(nil)

// original is the handle of the in-channel message a response_url posted: replace_original
// replaces the latest such message.
const original commands.Handle = "original"

// message is the body posted to a response_url.
type message struct {
	ResponseType    string        `json:"response_type"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original"`
}

const (
	inChannel = "in_channel"
	ephemeral = "ephemeral"
)

// newMessage lays out a reply as a message body.
func newMessage(r commands.Reply) message {
	out := render(r)
	m := message{ResponseType: inChannel, Text: out.Text, Blocks: out.Blocks}
	if out.Private {
		m.ResponseType = ephemeral
	}
	return m
}

func (r *replier) Post(ctx context.Context, reply commands.Reply) (commands.Handle, error) {
	m := newMessage(reply)
	sent, err := r.send(ctx, m)
	if err != nil || !sent || m.ResponseType == ephemeral {
		return "", err
	}
	return original, nil
}

// Update replaces the in-channel message posted before. The message stays in the channel
// whatever the reply, since it replaces one everybody saw.
func (r *replier) Update(ctx context.Context, h commands.Handle, reply commands.Reply) error {
	if h != original && h != commands.Origin {
		return errors.New("slack: only an in-channel reply of this request, or the message of the pressed button, can be updated")
	}
	m := newMessage(reply)
	m.ResponseType, m.ReplaceOriginal = inChannel, true
	_, err := r.send(ctx, m)
	return err
}

// send posts m; sent is false when the response_url's uses are spent, which is logged, not an
// error: the reply before it is what the user keeps seeing. Replies go out even when ctx has
// been cancelled (the bot is stopping): Run waits a bounded time for them, and the client has a
// timeout.
func (r *replier) send(ctx context.Context, m message) (sent bool, err error) {
	if err := validate(m.Blocks); err != nil {
		// A layout bug must not cost the user the reply: send its text alone.
		r.log.Error("reply breaks a Slack limit; sending its text only", "err", err)
		m.Blocks = nil
	}
	ok, expired := r.target.take(r.now())
	if expired {
		r.log.Warn("reply not sent: the response_url is older than 30 minutes")
		return false, ErrResponseURLExpired
	}
	if !ok {
		r.log.Warn("reply not sent: Slack allows 5 messages per response_url and they are used", "uses", responseURLUses)
		return false, nil
	}
	body, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("slack: encode reply: %w", err)
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, r.target.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("slack: reply to %s: %w", r.target.host, hideURL(err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := r.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("slack: reply to %s: %w", r.target.host, hideURL(err))
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("slack: reply to %s refused: %s %s", r.target.host, resp.Status, oneLine(answer))
	}
	// Slack answers "ok", or JSON; a JSON answer can still say ok: false.
	var res struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(answer, &res) == nil && res.OK != nil && !*res.OK {
		return false, fmt.Errorf("slack: reply to %s refused: %s", r.target.host, res.Error)
	}
	r.log.Debug("reply sent", "response_type", m.ResponseType, "replace_original", m.ReplaceOriginal, "blocks", len(m.Blocks))
	return true, nil
}

// hideURL drops the URL that net/http puts in its errors: a response_url is a secret.
func hideURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	return clip(s, 200)
}
