package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ManifestBotScopes are the bot scopes manifest.yml asks for (a test keeps them equal).
var ManifestBotScopes = []string{"channels:history", "chat:write", "commands", "groups:history", "usergroups:read"}

// SlackAPI is what the Slack checks ask of Slack's Web API with the bot token. Its types are
// plain: only the Slack adapter imports slack-go (see WebAPI).
type SlackAPI interface {
	// AuthTest is auth.test: who the token is, and the scopes granted (x-oauth-scopes).
	AuthTest(ctx context.Context) (user, team string, scopes []string, err error)
	// ChannelInfo is conversations.info: the channel's name and whether the bot is in it.
	ChannelInfo(ctx context.Context, channel string) (name string, member bool, err error)
}

// SocketOpener opens a Socket Mode connection with the app-level token (apps.connections.open).
type SocketOpener interface {
	OpenSocket(ctx context.Context) error
}

// Slack checks the tokens, the scopes granted and the channels.
type Slack struct {
	API      SlackAPI     // nil: no SLACK_BOT_TOKEN, the Slack checks are skipped
	Socket   SocketOpener // nil: no SLACK_APP_TOKEN
	Want     []string     // the scopes the bot needs; nil means ManifestBotScopes
	Channels []string     // every channel the config names
}

// Check runs the Slack checks in order: a token that does not authenticate stops them.
func (s *Slack) Check(ctx context.Context) []Check {
	if s.API == nil {
		return []Check{skip("slack", "SLACK_BOT_TOKEN is not set; the Slack checks did not run")}
	}
	user, team, granted, err := s.API.AuthTest(ctx)
	if err != nil {
		return []Check{fail("slack: bot token", "auth.test: "+err.Error(),
			"set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…, OAuth & Permissions page); reinstall the app if it was revoked")}
	}
	out := []Check{pass("slack: bot token", fmt.Sprintf("authenticates as %s in %s", user, team))}
	out = append(out, s.scopes(granted))
	out = append(out, s.socket(ctx))
	return append(out, s.channels(ctx)...)
}

func (s *Slack) scopes(granted []string) Check {
	want := s.Want
	if want == nil {
		want = ManifestBotScopes
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
	if err := s.Socket.OpenSocket(ctx); err != nil {
		return fail("slack: socket mode", "apps.connections.open: "+err.Error(),
			"check SLACK_APP_TOKEN (xapp-…, scope connections:write) and that Socket Mode is on in the app's settings")
	}
	return pass("slack: socket mode", "the app token opens a Socket Mode connection")
}

func (s *Slack) channels(ctx context.Context) []Check {
	var out []Check
	for _, ch := range s.Channels {
		name := "slack: channel " + ch
		chName, member, err := s.API.ChannelInfo(ctx, ch)
		var se *SlackError
		switch {
		case errors.As(err, &se) && se.Code == "channel_not_found":
			out = append(out, fail(name, "not found, or private and the bot is not in it", "check the channel id in the config, and /invite @cisbot in a private channel"))
		case err != nil:
			out = append(out, fail(name, "conversations.info: "+err.Error(), "check the channel id in the config"))
		case !member:
			out = append(out, fail(name, fmt.Sprintf("the bot is not a member of #%s", chName), fmt.Sprintf("in #%s: /invite @cisbot", chName)))
		default:
			out = append(out, pass(name, fmt.Sprintf("the bot is a member of #%s", chName)))
		}
	}
	return out
}
