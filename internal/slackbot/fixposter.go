package slackbot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/commands"
)

// FixPoster posts to a fix request's channel with the bot token, outside any request: what the
// bot says at start about a fix a previous run left applying. It implements commands.Channels.
// Like AlertPoster it needs chat:write and the bot in the channel.
type FixPoster struct {
	api *slack.Client
	log *slog.Logger
}

var _ commands.Channels = (*FixPoster)(nil)

// NewFixPoster builds a FixPoster for a configuration (BotToken and APIURL are used).
func NewFixPoster(cfg Config, logger *slog.Logger, opts ...Option) *FixPoster {
	api, logger := botClient(cfg, logger, opts)
	return &FixPoster{api: api, log: logger}
}

// Channel is a Replier posting to the channel; its handles are message timestamps.
func (p *FixPoster) Channel(id string) commands.Replier { return &channelReplier{p: p, channel: id} }

type channelReplier struct {
	p       *FixPoster
	channel string
}

// Post posts the reply as a new message and returns its ts.
func (c *channelReplier) Post(ctx context.Context, r commands.Reply) (commands.Handle, error) {
	opts, err := c.options(r)
	if err != nil {
		return "", err
	}
	_, ts, err := c.p.api.PostMessageContext(ctx, c.channel, opts...)
	if err != nil {
		return "", fmt.Errorf("slack: chat.postMessage to %s: %w (is the bot in the channel?)", c.channel, hideURL(err))
	}
	return commands.Handle(ts), nil
}

// Update replaces the message whose ts is h (chat.update).
func (c *channelReplier) Update(ctx context.Context, h commands.Handle, r commands.Reply) error {
	if !isTS(string(h)) {
		return fmt.Errorf("slack: %q is not a message timestamp to update", h)
	}
	opts, err := c.options(r)
	if err != nil {
		return err
	}
	if _, _, _, err := c.p.api.UpdateMessageContext(ctx, c.channel, string(h), opts...); err != nil {
		return fmt.Errorf("slack: chat.update in %s: %w", c.channel, hideURL(err))
	}
	return nil
}

func (c *channelReplier) options(r commands.Reply) ([]slack.MsgOption, error) {
	out := render(r)
	if err := validate(out.Blocks); err != nil {
		return nil, fmt.Errorf("slack: the post to %s breaks a Slack limit: %w", c.channel, err)
	}
	return []slack.MsgOption{slack.MsgOptionText(out.Text, false), slack.MsgOptionBlocks(out.Blocks...)}, nil
}

// isTS reports whether s looks like a Slack message timestamp ("1700000000.000100").
func isTS(s string) bool {
	sec, frac, ok := strings.Cut(s, ".")
	return ok && sec != "" && frac != "" && strings.Trim(sec+frac, "0123456789") == ""
}
