package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/slack-go/slack"
)

// ManifestBotScopes are the bot scopes manifest.yml asks for (a test keeps them equal).
var ManifestBotScopes = []string{"channels:history", "chat:write", "commands", "groups:history", "usergroups:read"}

// SlackAPI is what the Slack checks call with the bot token, with slack-go's signatures.
type SlackAPI interface {
	AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error)
	GetConversationInfoContext(ctx context.Context, in *slack.GetConversationInfoInput) (*slack.Channel, error)
}

// SocketOpener opens a Socket Mode connection with the app-level token (apps.connections.open).
type SocketOpener interface {
	StartSocketModeContext(ctx context.Context) (*slack.SocketModeConnection, string, error)
}

// Slack checks the tokens, the scopes granted and the channels.
type Slack struct {
	API    SlackAPI     // nil: no SLACK_BOT_TOKEN, the Slack checks are skipped
	Socket SocketOpener // nil: no SLACK_APP_TOKEN
	// Scopes returns the scopes Slack granted the bot token, from the x-oauth-scopes header of
	// the last answer (see ScopeRecorder).
	Scopes   func() []string
	Want     []string // the scopes the bot needs; nil means ManifestBotScopes
	Channels []string // every channel the config names
}

// Check runs the Slack checks in order: a token that does not authenticate stops them.
func (s *Slack) Check(ctx context.Context) []Check {
	if s.API == nil {
		return []Check{skip("slack", "SLACK_BOT_TOKEN is not set; the Slack checks did not run")}
	}
	auth, err := s.API.AuthTestContext(ctx)
	if err != nil {
		return []Check{fail("slack: bot token", "auth.test: "+err.Error(),
			"set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…, OAuth & Permissions page); reinstall the app if it was revoked")}
	}
	out := []Check{pass("slack: bot token", fmt.Sprintf("authenticates as %s in %s", auth.User, auth.Team))}
	out = append(out, s.scopes())
	out = append(out, s.socket(ctx))
	return append(out, s.channels(ctx)...)
}

func (s *Slack) scopes() Check {
	want := s.Want
	if want == nil {
		want = ManifestBotScopes
	}
	var granted []string
	if s.Scopes != nil {
		granted = s.Scopes()
	}
	if granted == nil {
		return warn("slack: scopes", "Slack sent no x-oauth-scopes header, so the granted scopes are unknown", "")
	}
	var missing []string
	for _, w := range want {
		if !slices.Contains(granted, w) {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return fail("slack: scopes", "the bot token lacks "+strings.Join(missing, ", "),
			"create the app from manifest.yml or add the scopes under OAuth & Permissions, then reinstall the app to the workspace")
	}
	return pass("slack: scopes", "granted: "+strings.Join(want, ", "))
}

func (s *Slack) socket(ctx context.Context) Check {
	if s.Socket == nil {
		return fail("slack: socket mode", "SLACK_APP_TOKEN is not set",
			"set SLACK_APP_TOKEN to an app-level token (xapp-…) with connections:write (Basic Information, App-Level Tokens)")
	}
	if _, _, err := s.Socket.StartSocketModeContext(ctx); err != nil {
		return fail("slack: socket mode", "apps.connections.open: "+err.Error(),
			"check SLACK_APP_TOKEN (xapp-…, scope connections:write) and that Socket Mode is on in the app's settings")
	}
	return pass("slack: socket mode", "the app token opens a Socket Mode connection")
}

func (s *Slack) channels(ctx context.Context) []Check {
	var out []Check
	for _, ch := range s.Channels {
		name := "slack: channel " + ch
		info, err := s.API.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: ch})
		var se slack.SlackErrorResponse
		switch {
		case errors.As(err, &se) && se.Err == "channel_not_found":
			out = append(out, fail(name, "not found, or private and the bot is not in it", "check the channel id in the config, and /invite @cisbot in a private channel"))
		case err != nil:
			out = append(out, fail(name, "conversations.info: "+err.Error(), "check the channel id in the config"))
		case !info.IsMember:
			out = append(out, fail(name, fmt.Sprintf("the bot is not a member of #%s", info.Name), fmt.Sprintf("in #%s: /invite @cisbot", info.Name)))
		default:
			out = append(out, pass(name, fmt.Sprintf("the bot is a member of #%s", info.Name)))
		}
	}
	return out
}

// ScopeRecorder is an http.RoundTripper that keeps the x-oauth-scopes header of Slack's last
// answer that had one: slack-go does not expose response headers.
type ScopeRecorder struct {
	Next http.RoundTripper // nil: http.DefaultTransport

	mu     sync.Mutex
	scopes []string
}

// RoundTrip records the header and passes the answer on.
func (r *ScopeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err == nil {
		if h := resp.Header.Get("X-OAuth-Scopes"); h != "" {
			var scopes []string
			for sc := range strings.SplitSeq(h, ",") {
				scopes = append(scopes, strings.TrimSpace(sc))
			}
			r.mu.Lock()
			r.scopes = scopes
			r.mu.Unlock()
		}
	}
	return resp, err
}

// Scopes returns the last scopes seen, nil before any.
func (r *ScopeRecorder) Scopes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.scopes)
}
