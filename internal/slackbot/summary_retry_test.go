package slackbot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

// TestSummaryPosterRetries: a summary reaches its channel once through rate limits and server
// errors, including one whose answer was lost after Slack posted it; an error answer is not
// retried; the retries stop after summaryAttempts.
func TestSummaryPosterRetries(t *testing.T) {
	serverError := slackfake.Fault{Status: http.StatusInternalServerError}
	lost := slackfake.Fault{Status: http.StatusBadGateway, Lost: true}
	limited := slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1}
	notIn := slackfake.Fault{Error: "not_in_channel"}
	tests := []struct {
		name      string
		faults    []*slackfake.Fault // chat.postMessage answers in turn; nil: normal
		wantErr   string
		wantCalls int
		wantMsgs  int
		wantFinds bool
	}{
		{name: "first time", faults: nil, wantCalls: 1, wantMsgs: 1},
		{name: "server errors, then posted", faults: []*slackfake.Fault{&serverError, &serverError}, wantCalls: 3, wantMsgs: 1, wantFinds: true},
		{name: "answer lost: found, not posted again", faults: []*slackfake.Fault{&lost}, wantCalls: 1, wantMsgs: 1, wantFinds: true},
		{name: "rate limited, then posted", faults: []*slackfake.Fault{&limited}, wantCalls: 2, wantMsgs: 1},
		{name: "not in channel: not retried", faults: []*slackfake.Fault{&notIn}, wantErr: "invite it", wantCalls: 1, wantMsgs: 0},
		{
			name:    "always failing: gives up",
			faults:  []*slackfake.Fault{&serverError, &serverError, &serverError, &serverError, &serverError, &serverError},
			wantErr: "500", wantCalls: summaryAttempts, wantMsgs: 0, wantFinds: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := slackfake.New(t, testBotToken)
			calls := 0
			ws.SetFault(func(method string) *slackfake.Fault {
				if method != "chat.postMessage" {
					return nil
				}
				calls++
				if calls <= len(tc.faults) {
					return tc.faults[calls-1]
				}
				return nil
			})
			logger, _ := newLogger(t)
			p := NewSummaryPoster(Config{BotToken: testBotToken, APIURL: ws.APIURL()}, logger)
			p.backoff = func(int) time.Duration { return time.Millisecond }
			s := sampleSummary()
			err := p.PostSummary(context.Background(), s)
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("PostSummary = %v, want %q", err, tc.wantErr)
			}
			msgs := ws.Messages(s.Channel)
			if ws.Calls("chat.postMessage") != tc.wantCalls || len(msgs) != tc.wantMsgs {
				t.Errorf("%d post calls, %d messages; want %d, %d", ws.Calls("chat.postMessage"), len(msgs), tc.wantCalls, tc.wantMsgs)
			}
			if got := ws.Calls("conversations.history") > 0; got != tc.wantFinds {
				t.Errorf("looked up earlier attempts: %v, want %v", got, tc.wantFinds)
			}
			for _, m := range msgs {
				if m.Metadata["event_type"] != summaryEventType || !strings.HasPrefix(m.EventPayload(summaryPayloadKey), s.Schedule+"@") {
					t.Errorf("metadata %v: want the summary's schedule and time", m.Metadata)
				}
			}
		})
	}
}
