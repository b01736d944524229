package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

func newFakeWorkspace(t *testing.T) (*AlertPoster, *slackfake.Workspace) {
	t.Helper()
	ws := slackfake.New(t, testBotToken)
	logger, _ := newLogger(t)
	return NewAlertPoster(Config{BotToken: testBotToken, APIURL: ws.APIURL()}, logger), ws
}

func textPost(id string) relay.Post {
	return relay.Post{Channel: "C0ALERTS", Kind: relay.PostMessage, TopicARN: alertTopic, MessageID: id, Text: "message " + id}
}

// TestAlertPosterFind: every alert carries its SNS MessageId as metadata, and Find finds it
// (top level or in a thread, behind several pages), and only it.
func TestAlertPosterFind(t *testing.T) {
	ctx := context.Background()
	p, ws := newFakeWorkspace(t)
	since := time.Now().Add(-time.Minute)
	// 450 other messages around the one looked for: three pages of conversations.history.
	var wantTS string
	for i := range 451 {
		ts, err := p.Post(ctx, textPost(fmt.Sprintf("m-%03d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			wantTS = ts
		}
	}
	parent := wantTS
	reply := textPost("m-reply")
	reply.ThreadTS = parent
	replyTS, err := p.Post(ctx, reply)
	if err != nil {
		t.Fatal(err)
	}
	msgs := ws.Messages("C0ALERTS")
	if got := msgs[0].EventPayload(metadataMessageID); got != "m-000" || msgs[0].Metadata["event_type"] != metadataEventType {
		t.Fatalf("first message metadata %v, want the SNS MessageId m-000", msgs[0].Metadata)
	}
	inThread := func(id string) relay.Post { q := textPost(id); q.ThreadTS = parent; return q }
	tests := []struct {
		name   string
		post   relay.Post
		since  time.Time
		wantTS string
	}{
		{"top level, third page", textPost("m-010"), since, wantTS},
		{"newest", textPost("m-450"), since, msgs[450].TS},
		{"in its thread", inThread("m-reply"), since, replyTS},
		{"never posted", textPost("m-999"), since, ""},
		{"a reply is not a top-level post", textPost("m-reply"), since, ""},
		{"posted before since", textPost("m-010"), time.Now().Add(time.Minute), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, found, err := p.Find(ctx, tc.post, tc.since)
			if err != nil {
				t.Fatal(err)
			}
			if found != (tc.wantTS != "") || ts != tc.wantTS {
				t.Errorf("Find = %q, %v; want %q", ts, found, tc.wantTS)
			}
		})
	}
	if n := ws.Calls("conversations.history"); n < 3 {
		t.Errorf("%d conversations.history calls; the first case alone needs 3 pages", n)
	}
}

// TestAlertPosterOutcomes: which failures say the post did not go out (the relay then needs no
// lookup) and which leave it unknown; a lookup refused for a missing scope names the scopes.
func TestAlertPosterOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		fault     slackfake.Fault
		notPosted bool
		retry     bool
		say       string
	}{
		{"rate limited", "chat.postMessage", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 3}, true, true, "retry after 3s"},
		{"error answer", "chat.postMessage", slackfake.Fault{Error: "not_in_channel"}, true, false, "invite it"},
		{"server error", "chat.postMessage", slackfake.Fault{Status: http.StatusInternalServerError}, false, false, "500"},
		{"answer lost", "chat.postMessage", slackfake.Fault{Status: http.StatusBadGateway, Lost: true}, false, false, "502"},
		{"lookup without the history scopes", "conversations.history", slackfake.Fault{Error: "missing_scope"}, true, false, "channels:history and groups:history"},
		{"lookup rate limited", "conversations.history", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 5}, true, true, "retry after 5s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p, ws := newFakeWorkspace(t)
			ws.SetFault(func(method string) *slackfake.Fault {
				if method == tc.method {
					return &tc.fault
				}
				return nil
			})
			var err error
			if tc.method == "chat.postMessage" {
				_, err = p.Post(ctx, textPost("m-1"))
			} else {
				_, _, err = p.Find(ctx, textPost("m-1"), time.Now().Add(-time.Minute))
			}
			if err == nil || !strings.Contains(err.Error(), tc.say) {
				t.Fatalf("error %v, want it to say %q", err, tc.say)
			}
			if got := errors.Is(err, relay.ErrNotPosted); got != tc.notPosted {
				t.Errorf("errors.Is(err, ErrNotPosted) = %v, want %v (%v)", got, tc.notPosted, err)
			}
			if _, got := errors.AsType[*relay.RetryAfterError](err); got != tc.retry {
				t.Errorf("RetryAfterError = %v, want %v", got, tc.retry)
			}
			if tc.fault.Lost {
				if n := len(ws.Messages("C0ALERTS")); n != 1 {
					t.Errorf("%d messages after a lost answer, want the 1 that went out", n)
				}
			}
		})
	}
}

// TestAlertPosterPing: /readyz's Slack check passes with the token Slack accepts and says what
// to fix otherwise, without the token.
func TestAlertPosterPing(t *testing.T) {
	ws := slackfake.New(t, testBotToken)
	tests := []struct {
		name  string
		token string
		url   string
		want  string // "" for success
	}{
		{"accepted", testBotToken, ws.APIURL(), ""},
		{"refused token", "xoxb-0000-0000-wrongsecretvalue", ws.APIURL(), "check SLACK_BOT_TOKEN"},
		{"unreachable", testBotToken, "http://127.0.0.1:1/api/", "auth.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, _ := newLogger(t)
			err := NewAlertPoster(Config{BotToken: tc.token, APIURL: tc.url}, logger).Ping(context.Background())
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Ping = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}
