// Package slackfake is a Slack workspace for tests that drive the real slack-go clients: slack-go's
// slacktest server, with the Web API methods the bot's alert relay uses replaced by handlers
// that keep channels of messages (chat.postMessage with metadata and threads, chat.update,
// conversations.history and conversations.replies with cursors), a Socket Mode endpoint that
// says hello and stays connected, and faults a test injects (429 with Retry-After, 5xx, an
// error answer, or a post carried out whose answer is lost).
//
// It is a fake of our own because Slack itself cannot run in a test; it follows the documented
// request and response shapes of those methods.
package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// Message is one message of a channel.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // "" for a top-level message
	Text     string
	Blocks   json.RawMessage
	// Metadata as posted: {"event_type": …, "event_payload": {…}}; nil without.
	Metadata map[string]any
	Updates  int // chat.update calls on it
}

// EventPayload returns the metadata's event_payload field key as a string ("" when absent).
func (m Message) EventPayload(key string) string {
	p, _ := m.Metadata["event_payload"].(map[string]any)
	s, _ := p[key].(string)
	return s
}

// Fault is how a Web API call is answered instead of normally.
type Fault struct {
	Status     int    // HTTP status (429, 500, …); 0 means 200
	RetryAfter int    // seconds, sent as Retry-After with a 429
	Error      string // an {"ok":false,"error":…} answer (with Status 0)
	// Lost carries the call out (a post is made) and then answers with Status: the answer is
	// lost, as when a connection drops or a proxy times out after Slack did the work.
	Lost bool
}

// Workspace is the fake. Its zero value is not usable: call New.
type Workspace struct {
	srv   *slacktest.Server
	token string

	mu     sync.Mutex
	chans  map[string][]*Message // channel -> messages, oldest first
	lastTS int64                 // microseconds of the last ts handed out
	calls  map[string]int        // Web API method -> calls
	fault  func(method string) *Fault
	scopes string                 // the x-oauth-scopes header of every answer; "" sends none
	known  map[string]fakeChannel // channel id -> what conversations.info says
	conns  []chan []byte          // the open Socket Mode connections' outgoing envelopes, oldest first
}

// fakeChannel is a channel conversations.info knows.
type fakeChannel struct {
	name   string
	member bool
}

// New starts a workspace accepting token (the bot token, also accepted as the app token of
// Socket Mode) and stops it when the test ends.
func New(t testing.TB, token string) *Workspace {
	t.Helper()
	w := &Workspace{token: token, chans: map[string][]*Message{}, calls: map[string]int{}, known: map[string]fakeChannel{}}
	w.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", w.open)
		c.Handle("/ws", slacktest.Websocket(w.socket))
		c.Handle("/auth.test", w.api("auth.test", w.authTest))
		c.Handle("/chat.postMessage", w.api("chat.postMessage", w.postMessage))
		c.Handle("/chat.update", w.api("chat.update", w.update))
		c.Handle("/conversations.history", w.api("conversations.history", w.history))
		c.Handle("/conversations.replies", w.api("conversations.replies", w.replies))
		c.Handle("/conversations.info", w.api("conversations.info", w.info))
	})
	w.srv.Start()
	t.Cleanup(w.srv.Stop)
	return w
}

// SetScopes makes every Web API answer carry scopes in its x-oauth-scopes header, as Slack's
// do; none (the default) sends no header.
func (w *Workspace) SetScopes(scopes ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scopes = strings.Join(scopes, ",")
}

// AddChannel makes conversations.info know channel id, named name, with the bot a member or
// not; it answers channel_not_found for any other.
func (w *Workspace) AddChannel(id, name string, member bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known[id] = fakeChannel{name: name, member: member}
}

func (w *Workspace) info(r *http.Request) map[string]any {
	c, ok := w.known[r.Form.Get("channel")]
	if !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	return map[string]any{"ok": true, "channel": map[string]any{"id": r.Form.Get("channel"), "name": c.name, "is_channel": true, "is_member": c.member}}
}

// APIURL is the base URL to give slack-go (SLACK_API_URL), ending in a slash.
func (w *Workspace) APIURL() string { return w.srv.GetAPIURL() }

// SetFault makes f decide, per call, whether a Web API method is answered with a fault (nil:
// normally). nil removes it.
func (w *Workspace) SetFault(f func(method string) *Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fault = f
}

// Messages returns a copy of channel's messages, thread replies included, oldest first.
func (w *Workspace) Messages(channel string) []Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Message, len(w.chans[channel]))
	for i, m := range w.chans[channel] {
		out[i] = *m
	}
	return out
}

// Calls returns how many times method was called (faulted calls included).
func (w *Workspace) Calls(method string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[method]
}

// open hands out the Socket Mode URL to any app-level token.
func (w *Workspace) open(rw http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		writeJSON(rw, map[string]any{"ok": false, "error": "not_authed"})
		return
	}
	writeJSON(rw, map[string]any{"ok": true, "url": w.srv.GetWSURL()})
}

// socket says hello, pings every second as Slack does, sends the envelopes Deliver gives it,
// and reads (and drops) what the bot sends until it goes.
func (w *Workspace) socket(c *websocket.Conn) {
	hello := `{"type":"hello","num_connections":1,"debug_info":{"host":"slackfake"},"connection_info":{"app_id":"A0FAKE"}}`
	if err := c.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		return
	}
	send := make(chan []byte, 256)
	w.mu.Lock()
	w.conns = append(w.conns, send)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.conns = slices.DeleteFunc(w.conns, func(s chan []byte) bool { return s == send })
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	ping := time.NewTicker(time.Second)
	defer ping.Stop()
	for {
		select {
		case <-done:
			return
		case env := <-send:
			if err := c.WriteMessage(websocket.TextMessage, env); err != nil {
				return
			}
		case <-ping.C:
			if err := c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
				return
			}
		}
	}
}

// Connections is how many Socket Mode connections are open.
func (w *Workspace) Connections() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.conns)
}

// Deliver sends a Socket Mode envelope (JSON) over the i-th open connection, in the order they
// opened (i modulo their number), as Slack spreads envelopes over an app's connections. It
// reports false when no connection is open.
func (w *Workspace) Deliver(i int, envelope []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.conns) == 0 {
		return false
	}
	w.conns[i%len(w.conns)] <- envelope
	return true
}

// api wraps a method's handler with authentication, call counting and faults. handle runs
// under w.mu and returns the JSON answer.
func (w *Workspace) api(method string, handle func(r *http.Request) map[string]any) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.calls[method]++
		if w.scopes != "" {
			rw.Header().Set("X-OAuth-Scopes", w.scopes)
		}
		if r.Header.Get("Authorization") != "Bearer "+w.token && r.Form.Get("token") != w.token {
			writeJSON(rw, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		var f *Fault
		if w.fault != nil {
			f = w.fault(method)
		}
		if f == nil {
			writeJSON(rw, handle(r))
			return
		}
		if f.Lost {
			handle(r)
		}
		switch {
		case f.Status == http.StatusTooManyRequests:
			rw.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			rw.WriteHeader(f.Status)
			writeJSON(rw, map[string]any{"ok": false, "error": "ratelimited"})
		case f.Status != 0:
			http.Error(rw, http.StatusText(f.Status), f.Status)
		default:
			writeJSON(rw, map[string]any{"ok": false, "error": f.Error})
		}
	}
}

func writeJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(v)
}

func (w *Workspace) authTest(*http.Request) map[string]any {
	return map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "fake", "user": "cisbot", "team_id": "T0FAKE", "user_id": "U0BOT", "bot_id": "B0BOT"}
}

// nextTS hands out increasing message timestamps from the real clock.
func (w *Workspace) nextTS() string {
	us := max(time.Now().UnixMicro(), w.lastTS+1)
	w.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func (w *Workspace) postMessage(r *http.Request) map[string]any {
	ch := r.Form.Get("channel")
	if ch == "" {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	m := &Message{Channel: ch, TS: w.nextTS(), ThreadTS: r.Form.Get("thread_ts"), Text: r.Form.Get("text"), Blocks: json.RawMessage(r.Form.Get("blocks"))}
	if md := r.Form.Get("metadata"); md != "" {
		if err := json.Unmarshal([]byte(md), &m.Metadata); err != nil {
			return map[string]any{"ok": false, "error": "invalid_metadata_format"}
		}
	}
	w.chans[ch] = append(w.chans[ch], m)
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": w.render(m, true)}
}

func (w *Workspace) update(r *http.Request) map[string]any {
	ch, ts := r.Form.Get("channel"), r.Form.Get("ts")
	for _, m := range w.chans[ch] {
		if m.TS == ts {
			m.Text, m.Blocks = r.Form.Get("text"), json.RawMessage(r.Form.Get("blocks"))
			m.Updates++
			return map[string]any{"ok": true, "channel": ch, "ts": ts, "text": m.Text}
		}
	}
	return map[string]any{"ok": false, "error": "message_not_found"}
}

// render is a message as the history methods return it; metadata only when asked for.
func (w *Workspace) render(m *Message, metadata bool) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": "B0BOT", "user": "U0BOT"}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if metadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

// history: top-level messages newer than oldest, newest first, in pages.
func (w *Workspace) history(r *http.Request) map[string]any {
	ch := r.Form.Get("channel")
	var all []*Message
	for _, m := range w.chans[ch] {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			all = append(all, m)
		}
	}
	slices.Reverse(all)
	return w.page(r, all)
}

// replies: the thread's parent and its replies newer than oldest, oldest first, in pages.
func (w *Workspace) replies(r *http.Request) map[string]any {
	ch, ts := r.Form.Get("channel"), r.Form.Get("ts")
	var all []*Message
	for _, m := range w.chans[ch] {
		if m.TS == ts || m.ThreadTS == ts {
			all = append(all, m)
		}
	}
	if len(all) == 0 {
		return map[string]any{"ok": false, "error": "thread_not_found"}
	}
	return w.page(r, all)
}

func (w *Workspace) page(r *http.Request, all []*Message) map[string]any {
	if oldest := r.Form.Get("oldest"); oldest != "" {
		o, err := strconv.ParseFloat(oldest, 64)
		if err != nil {
			return map[string]any{"ok": false, "error": "invalid_ts_oldest"}
		}
		all = slices.DeleteFunc(all, func(m *Message) bool {
			ts, _ := strconv.ParseFloat(m.TS, 64)
			return ts <= o
		})
	}
	limit, _ := strconv.Atoi(r.Form.Get("limit"))
	if limit <= 0 || limit > 999 {
		limit = 100
	}
	start, _ := strconv.Atoi(r.Form.Get("cursor"))
	start = min(max(start, 0), len(all))
	end := min(start+limit, len(all))
	metadata := r.Form.Get("include_all_metadata") == "1" || r.Form.Get("include_all_metadata") == "true"
	msgs := make([]map[string]any, 0, end-start)
	for _, m := range all[start:end] {
		msgs = append(msgs, w.render(m, metadata))
	}
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return map[string]any{"ok": true, "messages": msgs, "has_more": next != "", "response_metadata": map[string]any{"next_cursor": next}}
}
