// Package deploy holds the deployment manifests (compose.yaml, kubernetes/); its test checks
// that they use only config keys and environment variables cisbot has, and agree with each other.
package deploy

import (
	"cmp"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/slackbot"
)

// configPath is where both deployments mount cisbot.yml, as cisbot run's --config names it.
const configPath = "/etc/cisbot/cisbot.yml"

// botEnv is what the bot reads from its environment: the Slack variables (asked of
// slackbot.ConfigFromEnv itself), the config file's path, and AWS_* for the SDK. The
// variables a config file names as ${VAR} are added per file.
type botEnv struct {
	names    map[string]bool
	required []string // set in every deployment
}

func newBotEnv(t *testing.T) botEnv {
	t.Helper()
	e := botEnv{names: map[string]bool{config.EnvVar: true}}
	_, _ = slackbot.ConfigFromEnv(func(name string) string {
		e.names[name] = true
		if name != "SLACK_API_URL" { // optional: a Slack API other than slack.com's
			e.required = append(e.required, name)
		}
		return ""
	})
	if len(e.required) < 2 {
		t.Fatalf("ConfigFromEnv asked for %v; want the two Slack tokens at least", e.required)
	}
	return e
}

func (e botEnv) reads(name string) bool { return e.names[name] || strings.HasPrefix(name, "AWS_") }

// parseConfig parses a deployment's cisbot.yml as cisbot does, with env the variables the
// deployment sets, and returns the config and the variables it expands.
func parseConfig(t *testing.T, name string, data []byte, env map[string]bool) (*config.Config, []string) {
	t.Helper()
	var used []string
	cfg, err := config.Parse(name, data, func(v string) (string, bool) {
		used = append(used, v)
		if !env[v] {
			return "", false
		}
		if strings.Contains(v, "DSN") {
			return "postgres://cisbot:secret@postgres:5432/cisbot", true
		}
		return "value-of-" + v, true
	})
	if err != nil {
		t.Fatalf("%s does not parse as cisbot's config (an unknown key, or a ${VAR} the deployment does not set):\n%v", name, err)
	}
	if cfg.Store.Driver != "postgres" {
		t.Errorf("%s: store.driver %q, want postgres: replicas share one database", name, cfg.Store.Driver)
	}
	return cfg, used
}

// checkEnv checks the variables a deployment sets against what the bot reads.
func checkEnv(t *testing.T, where string, e botEnv, set map[string]bool, configVars []string) {
	t.Helper()
	for name := range set {
		if !e.reads(name) && !slices.Contains(configVars, name) {
			t.Errorf("%s sets %s, which cisbot never reads", where, name)
		}
	}
	for _, name := range e.required {
		if !set[name] {
			t.Errorf("%s does not set %s, which cisbot run requires", where, name)
		}
	}
}

// port is the port of a listen address such as ":8080" or "0.0.0.0:9090".
func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	return n
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func unmarshal(t *testing.T, name string, v any) {
	t.Helper()
	if err := yaml.UnmarshalWithOptions(readFile(t, name), v, yaml.Strict()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// listenPorts are the container ports cisbot listens on per a config: SNS and operations.
func listenPorts(t *testing.T, cfg *config.Config) (sns, ops int) {
	t.Helper()
	if !strings.HasPrefix(cfg.Alerts.OpsListen, "0.0.0.0:") && !strings.HasPrefix(cfg.Alerts.OpsListen, ":") {
		t.Errorf("alerts.ops_listen %q: probes from outside the container cannot reach it", cfg.Alerts.OpsListen)
	}
	return port(t, cmp.Or(cfg.Alerts.Listen, ":8080")), port(t, cfg.Alerts.OpsListen)
}

// interpolated matches compose's ${VAR}, ${VAR:-default} and ${VAR:?error}.
var interpolated = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(:?[-?][^}]*)?\}`)
