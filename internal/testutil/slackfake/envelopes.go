package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// SlashCommand is the Socket Mode envelope of a /cis command with text, typed by user in
// channel, whose replies go to responseURL.
func SlashCommand(id, text, user, channel, responseURL string) []byte {
	return envelope(map[string]any{"envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"team_id": "T0FAKE", "channel_id": channel, "user_id": user, "command": "/cis", "text": text,
			"api_app_id": "A0FAKE", "response_url": responseURL, "trigger_id": "trigger-" + id}})
}

// ButtonPress is the Socket Mode envelope of user pressing the button actionID (with value) on
// a message in channel, whose replies go to responseURL.
func ButtonPress(id, user, channel, responseURL, actionID, value string) []byte {
	return envelope(map[string]any{"envelope_id": id, "type": "interactive",
		"payload": map[string]any{"type": "block_actions", "user": map[string]any{"id": user}, "channel": map[string]any{"id": channel},
			"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": "1.1"}, "response_url": responseURL,
			"trigger_id": "trigger-" + id,
			"actions":    []map[string]any{{"action_id": actionID, "block_id": "b1", "type": "button", "value": value, "action_ts": "1.2"}}}})
}

// Redelivered is env as Slack sends it again after no acknowledgement came in time: the same
// envelope with retry_attempt set.
func Redelivered(env []byte, attempt int) []byte {
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		panic("slackfake: redelivering an envelope that is not JSON: " + err.Error())
	}
	m["retry_attempt"] = attempt
	m["retry_reason"] = "timeout"
	return envelope(m)
}

func envelope(v map[string]any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("slackfake: " + err.Error()) // maps of strings always marshal
	}
	return b
}

// Responses stands in for Slack's response_url endpoints: it records what is posted to each
// URL it hands out, by name.
type Responses struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts map[string][]string
}

// NewResponses starts a Responses, stopped when the test ends.
func NewResponses(t testing.TB) *Responses {
	r := &Responses{posts: map[string][]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts[strings.TrimPrefix(req.URL.Path, "/")] = append(r.posts[strings.TrimPrefix(req.URL.Path, "/")], string(body))
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the response_url named name.
func (r *Responses) URL(name string) string { return r.srv.URL + "/" + name }

// Posts returns what was posted to name's URL so far, oldest first.
func (r *Responses) Posts(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.posts[name]...)
}

// Wait returns the first post to name's URL that contains want, failing the test after d.
func (r *Responses) Wait(t testing.TB, name, want string, d time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, p := range r.Posts(name) {
			if strings.Contains(p, want) {
				return p
			}
		}
	}
	t.Fatalf("after %s no reply to %s holds %q; got %q", d, name, want, r.Posts(name))
	return ""
}
