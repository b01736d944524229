package doctor

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

func TestManifestBotScopes(t *testing.T) {
	raw, err := os.ReadFile("../../manifest.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot)); !slices.Equal(got, ManifestBotScopes) {
		t.Errorf("manifest.yml's bot scopes %v, ManifestBotScopes %v: keep them equal", got, ManifestBotScopes)
	}
}

const testToken = "xoxb-doctor-test"

func TestSlack(t *testing.T) {
	tests := []struct {
		name     string
		token    string // the bot token doctor uses
		scopes   []string
		noApp    bool
		channels []string
		want     map[string]Status
	}{
		{"everything in place", testToken, ManifestBotScopes, false, []string{"C0SEC"}, map[string]Status{
			"slack: bot token": Pass, "slack: scopes": Pass, "slack: socket mode": Pass, "slack: channel C0SEC": Pass}},
		{"a missing scope", testToken, []string{"chat:write", "commands"}, false, nil, map[string]Status{
			"slack: bot token": Pass, "slack: scopes": Fail}},
		{"no scopes header", testToken, nil, false, nil, map[string]Status{"slack: scopes": Warn}},
		{"the bot not in a channel", testToken, ManifestBotScopes, false, []string{"C0SEC", "C0OUT", "C0GONE"}, map[string]Status{
			"slack: channel C0SEC": Pass, "slack: channel C0OUT": Fail, "slack: channel C0GONE": Fail}},
		{"no app token", testToken, ManifestBotScopes, true, nil, map[string]Status{"slack: socket mode": Fail}},
		{"a revoked bot token", "xoxb-revoked", ManifestBotScopes, false, nil, map[string]Status{"slack: bot token": Fail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := slackfake.New(t, testToken)
			ws.SetScopes(tt.scopes...)
			ws.AddChannel("C0SEC", "security", true)
			ws.AddChannel("C0OUT", "elsewhere", false)
			web := &WebAPI{BaseURL: ws.APIURL(), BotToken: tt.token, AppToken: "xapp-doctor-test", Client: http.DefaultClient}
			s := &Slack{API: web, Socket: web, Channels: tt.channels}
			if tt.noApp {
				s.Socket = nil
			}
			got := s.Check(context.Background())
			assertStatuses(t, got, tt.want)
			if tt.name == "the bot not in a channel" {
				for _, c := range got {
					if c.Name == "slack: channel C0OUT" && !strings.Contains(c.Fix, "/invite @cisbot") {
						t.Errorf("fix %q does not say how to invite the bot", c.Fix)
					}
				}
			}
		})
	}
	t.Run("no bot token", func(t *testing.T) {
		got := (&Slack{}).Check(context.Background())
		if len(got) != 1 || got[0].Status != Skip {
			t.Errorf("got %+v, want one SKIP", got)
		}
	})
}
