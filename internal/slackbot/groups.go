package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/commands"
)

// Groups resolves Slack user groups (S…) to their members with usergroups.users.list and the
// bot token: it is the commands.Groups of the auditors policy.
type Groups struct {
	api *slack.Client
}

var _ commands.Groups = (*Groups)(nil)

// NewGroups builds Groups for a validated configuration.
func NewGroups(cfg Config) *Groups {
	return &Groups{api: newAPI(cfg)}
}

// newAPI is the Web API client: the bot token for methods, the app-level token for
// apps.connections.open, and a timeout on every call.
func newAPI(cfg Config) *slack.Client {
	opts := []slack.Option{
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}),
	}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	return slack.New(cfg.BotToken, opts...)
}

// Members lists a user group's members. The error reads as a sentence shown to the user.
func (g *Groups) Members(ctx context.Context, groupID string) ([]string, error) {
	members, err := g.api.GetUserGroupMembersContext(ctx, groupID)
	if err == nil {
		return members, nil
	}
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		switch se.Err {
		case "missing_scope":
			return nil, fmt.Errorf("the Slack app lacks the usergroups:read scope: reinstall it from manifest.yml (%w)", err)
		case "no_such_subteam":
			return nil, fmt.Errorf("user group %s does not exist: fix slack.auditors (%w)", groupID, err)
		case "invalid_auth", "not_authed", "token_revoked", "account_inactive":
			return nil, fmt.Errorf("the bot token was refused: check SLACK_BOT_TOKEN (%w)", err)
		}
	}
	return nil, fmt.Errorf("usergroups.users.list %s: %w", groupID, hideURL(err))
}
