package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/demo"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

func TestSummaryCommand(t *testing.T) {
	f, err := awsenv.New(context.Background(), awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, good, awsaccount.Scenario{}, nil)
	awsaccount.Build(t, f, bad, awsaccount.Scenario{Pattern: demo.ExactCodes}, nil)
	db := filepath.Join(t.TempDir(), "cisbot.db")
	accounts := fmt.Sprintf("aws:\n  cloudwatch_protocol: query\naccounts:\n  - name: prod\n    role_arn: %s\n  - name: dev\n    role_arn: %s\nstore:\n  path: %s\n",
		awsaccount.RoleARN(good), awsaccount.RoleARN(bad), db)
	scheduled := writeConfig(t, accounts+"summaries:\n  - cron: \"CRON_TZ=Europe/Berlin 0 9 * * MON-FRI\"\n    channel: C0SUMMARY1\n")
	bare := writeConfig(t, accounts)

	// A local chat.postMessage.
	var (
		mu    sync.Mutex
		posts []url.Values
	)
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(raw))
		mu.Lock()
		posts = append(posts, form)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if form.Get("channel") == "C0NOTJOINED" {
			_, _ = io.WriteString(w, `{"ok":false,"error":"not_in_channel"}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true,"channel":"C0SUMMARY1","ts":"1.2"}`)
	}))
	defer slack.Close()

	t.Run("dry run", func(t *testing.T) {
		t.Setenv("SLACK_BOT_TOKEN", "") // not needed
		code, out, errOut := run(t, "", "summary", "--dry-run", "--config", scheduled)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{
			// The accounts have the chain of 4.1 only: prod passes it, dev none.
			"CIS summary for C0SUMMARY1: 0 of 2 accounts pass all 15 controls; 1 of 30 checks pass (the first summary of this schedule)\n",
			"Newly failing (29):\n  prod (" + good + ") 4.2 fails at metric_filter: ",
			"\n  dev (" + bad + ") 4.1 fails at metric_filter: ",
			"By account:\n  prod  1/15  newly failing 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, 4.10, 4.11, 4.12, 4.13, 4.14, 4.15\n  dev   0/15  newly failing 4.1, 4.2,",
			" CET.\n[1] Fix: prod\n[2] Fix: dev\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(posts) != 0 {
			t.Errorf("the dry run posted %d messages", len(posts))
		}
	})

	t.Setenv("SLACK_BOT_TOKEN", "xoxb-0000-0000-clisummarysecret")
	t.Setenv("SLACK_API_URL", slack.URL+"/")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Run("post the configured summary twice", func(t *testing.T) {
		for i, want := range []string{
			"Posted to C0SUMMARY1: 0 of 2 accounts pass all 15 controls; 1 of 30 checks pass (the first summary of this schedule)\n",
			"Posted to C0SUMMARY1: 0 of 2 accounts pass all 15 controls; 1 of 30 checks pass, as many as at ",
		} {
			code, out, errOut := run(t, "", "summary", "--config", scheduled)
			if code != ExitOK || !strings.HasPrefix(out, want) {
				t.Fatalf("run %d: exit %d, output %q, want %q; stderr %s", i+1, code, out, want, errOut)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(posts) != 2 || !strings.Contains(posts[1].Get("blocks"), "*dev* `"+bad+"` 0/15 · still failing 4.1, 4.2,") || strings.Contains(posts[1].Get("blocks"), "newly") {
			t.Errorf("posts %v", posts)
		}
	})
	t.Run("ad hoc", func(t *testing.T) {
		code, out, errOut := run(t, "", "summary", "--config", bare, "--channel", "C0SUMMARY1", "--accounts", "prod")
		if code != ExitOK || !strings.Contains(out, "0 of 1 account passes all 15 controls; 1 of 15 checks pass") {
			t.Errorf("exit %d, output %q; stderr %s", code, out, errOut)
		}
	})
	t.Run("a summary of some controls", func(t *testing.T) {
		some := writeConfig(t, accounts+"summaries:\n  - cron: \"@daily\"\n    channel: C0SUMMARY1\n    controls: [CloudWatch.1, 4.1]\n")
		code, out, errOut := run(t, "", "summary", "--dry-run", "--config", some)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{
			"CIS summary for C0SUMMARY1: 0 of 2 accounts pass 4.1 and 4.3; 1 of 4 checks pass",
			// Each (account, control) compares with its own latest record, the earlier runs'.
			"prod  1/2  still failing 4.3\n", "dev   0/2  still failing 4.1, 4.3\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "4.2") {
			t.Errorf("a control the summary does not name was audited:\n%s", out)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no summaries", []string{"--config", bare}, "the config has no summaries"},
		{"channel name", []string{"--config", bare, "--channel", "#security"}, `--channel "#security" is not a Slack channel id`},
		{"no channel", []string{"--config", bare, "--accounts", "prod"}, "--channel is required"},
		{"unknown account", []string{"--config", bare, "--channel", "C0SUMMARY1", "--accounts", "prod,dve"}, `unknown account "dve" (did you mean "dev"?)`},
		{"not in channel", []string{"--config", bare, "--channel", "C0NOTJOINED"}, "the bot is not in channel C0NOTJOINED: invite it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, "", append([]string{"summary"}, tc.args...)...)
			if code != ExitError || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, errOut, tc.want)
			}
			if strings.Contains(errOut, "clisummarysecret") {
				t.Error("the token is in the error")
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		t.Setenv("SLACK_BOT_TOKEN", "")
		code, _, errOut := run(t, "", "summary", "--config", scheduled)
		if code != ExitError || !strings.Contains(errOut, "SLACK_BOT_TOKEN is not set") || strings.Contains(errOut, "SLACK_APP_TOKEN") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}
