package slackbot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/commands"
)

// usageHint is the usage hint the manifest should carry: each command with its arguments,
// help last.
func usageHint(defs []commands.Def) string {
	var parts []string
	var help string
	for _, d := range defs {
		u := strings.TrimPrefix(d.Usage(""), " ")
		if d.Name == "help" {
			help = u
			continue
		}
		parts = append(parts, u)
	}
	if help != "" {
		parts = append(parts, help)
	}
	return strings.Join(parts, " | ")
}

func readManifest(t *testing.T) slack.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "manifest.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var m slack.Manifest
	// Strict: a misspelt key fails here rather than being ignored by Slack's importer.
	if err := yaml.UnmarshalWithOptions(data, &m, yaml.Strict()); err != nil {
		t.Fatalf("manifest.yml: %v", err)
	}
	return m
}

func TestManifest(t *testing.T) {
	m := readManifest(t)
	if m.Metadata.MajorVersion != 1 {
		t.Errorf("_metadata.major_version %d", m.Metadata.MajorVersion)
	}
	if m.Display.Name != "cisbot" || m.Features.BotUser.DisplayName != "cisbot" {
		t.Errorf("names: %q, bot user %q", m.Display.Name, m.Features.BotUser.DisplayName)
	}
	if !m.Settings.SocketModeEnabled {
		t.Error("settings.socket_mode_enabled is not true: the bot only speaks Socket Mode")
	}
	if m.Settings.Interactivity == nil || !m.Settings.Interactivity.IsEnabled {
		t.Error("settings.interactivity.is_enabled is not true: the evidence buttons need it")
	}
	if m.Settings.OrgDeployEnabled {
		t.Error("settings.org_deploy_enabled is true")
	}

	if len(m.Features.SlashCommands) != 1 {
		t.Fatalf("%d slash commands, want 1", len(m.Features.SlashCommands))
	}
	cmd := m.Features.SlashCommands[0]
	if cmd.Command != DefaultCommand || cmd.Description == "" || cmd.ShouldEscape {
		t.Errorf("slash command %+v: want %s, a description, should_escape false", cmd, DefaultCommand)
	}
	if cmd.Url != "" {
		t.Errorf("slash command url %q: Socket Mode apps have none", cmd.Url)
	}
	for _, d := range commands.Table() {
		if !strings.Contains(cmd.UsageHint, d.Name) {
			t.Errorf("usage_hint %q does not mention %s", cmd.UsageHint, d.Name)
		}
	}
	if want := usageHint(commands.Table()); cmd.UsageHint != want {
		t.Errorf("usage_hint %q, want %q (from commands.Table)", cmd.UsageHint, want)
	}

	got := slices.Sorted(slices.Values(m.OAuthConfig.Scopes.Bot))
	want := slices.Sorted(slices.Values(RequiredScopes))
	if !slices.Equal(got, want) {
		t.Errorf("bot scopes %v, want exactly RequiredScopes %v", got, want)
	}
	if len(m.OAuthConfig.Scopes.User) > 0 {
		t.Errorf("user scopes %v: the bot needs none", m.OAuthConfig.Scopes.User)
	}
}

// TestRequiredScopes: RequiredScopes is the feature scopes plus the scope of each bot-token
// Web API method in webAPICalls, and webAPICalls names every *slack.Client method the
// package's code calls (found by reading the non-test source).
func TestRequiredScopes(t *testing.T) {
	want := slices.Clone(featureScopes)
	for _, c := range webAPICalls {
		if c.Token == "bot" && c.Scope != "" && !slices.Contains(want, c.Scope) {
			want = append(want, c.Scope)
		}
	}
	if got := slices.Sorted(slices.Values(RequiredScopes)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("RequiredScopes %v, want %v from webAPICalls", got, want)
	}
	// Replies go through response_url: chat:write is for the alert relay's chat.postMessage and
	// chat.update (an alarm thread's first message) only.
	for _, c := range webAPICalls {
		if c.Scope == "chat:write" && c.Method != "chat.postMessage" && c.Method != "chat.update" {
			t.Errorf("%s needs chat:write: replies go through response_url", c.Method)
		}
	}

	methods := map[string]bool{}
	ct := reflect.TypeFor[*slack.Client]()
	for i := range ct.NumMethod() {
		methods[ct.Method(i).Name] = true
	}
	// Its logging helpers are no Web API calls, and slog's Debug has the same name.
	delete(methods, "Debug")
	delete(methods, "Debugf")
	delete(methods, "Debugln")
	listed := map[string]bool{}
	for _, c := range webAPICalls {
		if !methods[c.Call] {
			t.Errorf("webAPICalls lists %s, not a *slack.Client method", c.Call)
		}
		listed[c.Call] = true
	}
	calls := slackClientCalls(t, methods)
	for _, name := range calls {
		if !listed[name] {
			t.Errorf("the code calls (*slack.Client).%s: add it with its Web API method and scope to webAPICalls, and the scope to RequiredScopes and manifest.yml", name)
		}
	}
	if !slices.Contains(calls, "GetUserGroupMembersContext") {
		t.Errorf("the source scan found %v; it should find GetUserGroupMembersContext", calls)
	}
}

// slackClientCalls finds the calls x.M(…) in the package's non-test files where M is a
// *slack.Client method (package-level slack.X and socketmode.X functions aside).
func slackClientCalls(t *testing.T, methods map[string]bool) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && (id.Name == "slack" || id.Name == "socketmode") {
				return true
			}
			if methods[sel.Sel.Name] {
				seen[sel.Sel.Name] = true
			}
			return true
		})
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	})
}
