package slackbot

import (
	"strings"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cfg, err := ConfigFromEnv(env("SLACK_APP_TOKEN", " "+testAppToken+"\n", "SLACK_BOT_TOKEN", testBotToken, "SLACK_API_URL", "http://127.0.0.1:9/api"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{AppToken: testAppToken, BotToken: testBotToken, APIURL: "http://127.0.0.1:9/api/", Command: "/cis"}
	if cfg != want {
		t.Errorf("got %+v, want %+v", cfg, want)
	}
	if cfg, err := ConfigFromEnv(env("SLACK_APP_TOKEN", testAppToken, "SLACK_BOT_TOKEN", testBotToken)); err != nil || cfg.APIURL != "" {
		t.Errorf("without SLACK_API_URL: %+v, %v", cfg, err)
	}

	for _, tc := range []struct {
		name string
		env  func(string) string
		want []string // each must appear in the error
	}{
		{"nothing set", env(), []string{"SLACK_APP_TOKEN is not set", "connections:write", "SLACK_BOT_TOKEN is not set"}},
		{"swapped", env("SLACK_APP_TOKEN", testBotToken, "SLACK_BOT_TOKEN", testAppToken), []string{"SLACK_APP_TOKEN holds a bot token", "SLACK_BOT_TOKEN holds an app-level token"}},
		{"user token", env("SLACK_APP_TOKEN", testAppToken, "SLACK_BOT_TOKEN", "xoxp-secretusertoken"), []string{"SLACK_BOT_TOKEN holds a user token"}},
		{"garbage", env("SLACK_APP_TOKEN", "secretgarbage1", "SLACK_BOT_TOKEN", "secretgarbage2"), []string{"must start with xapp-", "must start with xoxb-"}},
		{"bad url", env("SLACK_APP_TOKEN", testAppToken, "SLACK_BOT_TOKEN", testBotToken, "SLACK_API_URL", "slack.example/api/"), []string{"SLACK_API_URL must be an absolute http or https URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConfigFromEnv(tc.env)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, secret := range []string{testAppToken, testBotToken, "secretusertoken", "secretgarbage", "appsecretvalue", "botsecretvalue"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a token: %q", err)
				}
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	cfg := Config{AppToken: testAppToken, BotToken: testBotToken}
	if _, err := New(cfg, nil, nil); err == nil {
		t.Error("New without a handler")
	}
	bad := cfg
	bad.Command = "cis"
	if _, err := New(bad, nopHandler{}, nil); err == nil || !strings.Contains(err.Error(), "must start with /") {
		t.Errorf("New with command %q: %v", bad.Command, err)
	}
	b, err := New(cfg, nopHandler{}, nil)
	if err != nil || b.cfg.Command != "/cis" {
		t.Errorf("New: %v, command %q", err, b.cfg.Command)
	}
}
