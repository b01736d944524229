package slackbot

import (
	"errors"
	"net/url"
	"strings"
)

// Config is what the adapter needs from the environment. Tokens are secrets: nothing in this
// package prints them, and errors about them name the variable, never the value.
type Config struct {
	// AppToken is the app-level token (xapp-…) with the connections:write scope; Socket Mode
	// opens its WebSocket with it (apps.connections.open).
	AppToken string
	// BotToken is the bot user OAuth token (xoxb-…) for Web API calls (usergroups.users.list).
	BotToken string
	// APIURL points the Web API, apps.connections.open included, at another base URL (a test
	// server, a proxy). Empty means Slack's own. It ends with "/", as slack-go expects.
	APIURL string
	// Command is the slash command the bot answers ("/cis"); others are acknowledged and ignored.
	Command string
}

// DefaultCommand is the slash command of manifest.yml.
const DefaultCommand = "/cis"

// ConfigFromEnv reads SLACK_APP_TOKEN, SLACK_BOT_TOKEN and the optional SLACK_API_URL. Pass
// os.Getenv. Every problem is reported at once, each naming its variable and the fix.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		AppToken: strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		BotToken: strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		APIURL:   strings.TrimSpace(getenv("SLACK_API_URL")),
		Command:  DefaultCommand,
	}
	if cfg.APIURL != "" && !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	return cfg, cfg.Validate()
}

// Validate checks the tokens' kinds (by prefix: Slack does not document more), the API URL
// and the command.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.AppToken == "":
		errs = append(errs, errors.New("SLACK_APP_TOKEN is not set: create an app-level token with the connections:write scope (app settings, Basic Information, App-Level Tokens) and set SLACK_APP_TOKEN to it"))
	case strings.HasPrefix(c.AppToken, "xoxb-"):
		errs = append(errs, errors.New("SLACK_APP_TOKEN holds a bot token (xoxb-…): set it to the app-level token (xapp-…), and put the bot token in SLACK_BOT_TOKEN"))
	case !strings.HasPrefix(c.AppToken, "xapp-"):
		errs = append(errs, errors.New("SLACK_APP_TOKEN is not an app-level token: it must start with xapp- (app settings, Basic Information, App-Level Tokens, with the connections:write scope)"))
	}
	switch {
	case c.BotToken == "":
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is not set: install the app to the workspace and set SLACK_BOT_TOKEN to its Bot User OAuth Token (xoxb-…, app settings, OAuth & Permissions)"))
	case strings.HasPrefix(c.BotToken, "xapp-"):
		errs = append(errs, errors.New("SLACK_BOT_TOKEN holds an app-level token (xapp-…): set it to the Bot User OAuth Token (xoxb-…), and put the app-level token in SLACK_APP_TOKEN"))
	case strings.HasPrefix(c.BotToken, "xoxp-"):
		errs = append(errs, errors.New("SLACK_BOT_TOKEN holds a user token (xoxp-…): set it to the Bot User OAuth Token (xoxb-…, app settings, OAuth & Permissions)"))
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is not a bot token: it must start with xoxb- (app settings, OAuth & Permissions, Bot User OAuth Token)"))
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasSuffix(c.APIURL, "/") {
			errs = append(errs, errors.New("SLACK_API_URL must be an absolute http or https URL ending in /, such as https://slack.com/api/; unset it to use Slack's own"))
		}
	}
	if c.Command != "" && (!strings.HasPrefix(c.Command, "/") || strings.ContainsAny(c.Command, " \t\n")) {
		errs = append(errs, errors.New("the slash command must start with / and hold no spaces, such as /cis"))
	}
	return errors.Join(errs...)
}
