package summary_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/slack-go/slack/slacktest"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

var srv *emulator.Server

func TestMain(m *testing.M) {
	emulator.Hermetic() // AWS only through moto, with the tests' own dummy credentials
	emulator.Main(m, &srv)
}

const (
	summaryChannel = "C0SUMMARY1"
	botToken       = "xoxb-0000-0000-summarytestsecret"
	// exactCodes misses AccessDeniedException: an account with it fails at metric_filter.
	exactCodes = `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`
)

// estate builds a passing and a failing account in moto and returns the auditor /cis audit
// uses, over them.
func estate(t *testing.T) (auditor *app.Auditor, prod, dev string) {
	t.Helper()
	f, err := awsenv.New(context.Background(), awsenv.Options{
		Region: "us-east-1", CloudWatchProtocol: "query",
		ConfigOptions: []func(*awsconfig.LoadOptions) error{
			awsconfig.WithBaseEndpoint(srv.URL),
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	prodID, devID := awsaccount.NewID(), awsaccount.NewID()
	awsaccount.Build(t, f, prodID, awsaccount.Scenario{}, nil)
	awsaccount.Build(t, f, devID, awsaccount.Scenario{Pattern: exactCodes}, nil)
	cfg := &config.Config{AWS: config.AWS{Region: "us-east-1", CloudWatchProtocol: "query"}, Accounts: []config.Account{
		{Name: "prod", RoleARN: awsaccount.RoleARN(prodID)},
		{Name: "dev", RoleARN: awsaccount.RoleARN(devID)},
	}}
	return &app.Auditor{Accounts: app.NewAccounts(cfg, f), Concurrency: 4}, prodID, devID
}

// post is one chat.postMessage the fake Slack received.
type post struct {
	Channel string
	Text    string
	Blocks  string
	At      time.Time
}

// fakeSlack is slack-go's slacktest server with chat.postMessage recording what is posted.
type fakeSlack struct {
	srv   *slacktest.Server
	mu    sync.Mutex
	posts []post
	got   chan post
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{got: make(chan post, 100)}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(raw))
			w.Header().Set("Content-Type", "application/json")
			if form.Get("token") != botToken && r.Header.Get("Authorization") != "Bearer "+botToken {
				_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
				return
			}
			// Read as JSON without slack-go's \u003c escapes.
			blocks := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(form.Get("blocks"))
			p := post{Channel: form.Get("channel"), Text: form.Get("text"), Blocks: blocks, At: time.Now()}
			f.mu.Lock()
			f.posts = append(f.posts, p)
			f.mu.Unlock()
			f.got <- p
			_, _ = io.WriteString(w, `{"ok":true,"channel":"`+p.Channel+`","ts":"1772697600.000100"}`)
		})
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) poster() *slackbot.SummaryPoster {
	return slackbot.NewSummaryPoster(slackbot.Config{BotToken: botToken, APIURL: f.srv.GetAPIURL()}, nil)
}

func (f *fakeSlack) wait(t *testing.T, within time.Duration) post {
	t.Helper()
	select {
	case p := <-f.got:
		return p
	case <-time.After(within):
		t.Fatalf("no summary posted within %v", within)
		return post{}
	}
}

func openStore(t *testing.T, path string) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func everySecond(t *testing.T, id string) summary.Spec {
	t.Helper()
	s, err := config.ParseCronSeconds("* * * * * *")
	if err != nil {
		t.Fatal(err)
	}
	return summary.Spec{ID: id, Cron: "* * * * * *", Schedule: s, Channel: summaryChannel}
}

// TestScheduleFires: a per-second schedule audits the moto accounts with the /cis audit engine,
// records the results and posts the summary to Slack; the next tick compares with it. Then the
// scheduler stops when its context ends.
func TestScheduleFires(t *testing.T) {
	auditor, prodID, devID := estate(t)
	st := openStore(t, filepath.Join(t.TempDir(), "cisbot.db"))
	slack := newFakeSlack(t)
	spec := everySecond(t, "fires")

	// Before: prod failed for two days, dev passed; the last summary said 1 of 2 pass.
	ctx := context.Background()
	before := time.Now().Add(-48 * time.Hour)
	if err := st.RecordAudits(ctx, []store.AuditRecord{
		{Account: "prod", AccountID: prodID, At: before, Status: store.AuditFail, FailedStep: "alarm", Verdict: store.AuditFail, Since: before},
		{Account: "dev", AccountID: devID, At: before, Status: store.AuditPass, Verdict: store.AuditPass, Since: before},
	}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimTick(ctx, spec.ID, before, "earlier", before, 0); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := st.FinishTick(ctx, spec.ID, before, "earlier", 1, 2, "", before); err != nil {
		t.Fatal(err)
	}

	runner := &summary.Runner{Auditor: auditor, History: st, Ticks: st, Poster: slack.poster(), Owner: "replica-1"}
	sched := &summary.Scheduler{Runner: runner, Specs: []summary.Spec{spec}}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- sched.Run(runCtx) }()
	defer func() {
		cancel()
		<-done
	}()

	first := slack.wait(t, 30*time.Second)
	t.Logf("first summary posted %v after the scheduler started", time.Since(start).Round(time.Millisecond))
	if first.Channel != summaryChannel {
		t.Errorf("posted to %q", first.Channel)
	}
	// The estate has 4.1's chain only: prod passes it and fails the fourteen other controls
	// (their first audit), dev fails them all. The last tick counted one check per account.
	if !strings.Contains(first.Text, "0 of 2 accounts pass all 15 controls; 1 of 30 checks pass, as many as ") || !strings.Contains(first.Text, "(of 2 then)") {
		t.Errorf("headline %q", first.Text)
	}
	for _, want := range []string{
		`"text":"*Newly failing*\n• :x: *prod* 4.2 fails at ` + "`metric_filter`",
		`• :x: *dev* 4.1 fails at ` + "`metric_filter`",
		`• :x: *prod* ` + "`" + prodID + "`" + ` 1/15 · newly failing 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, 4.10, 4.11, 4.12, 4.13, 4.14, 4.15 · newly passing 4.1`,
		`• :x: *dev* ` + "`" + devID + "`" + ` 0/15 · newly failing 4.1, 4.2,`,
		`"action_id":"cis_fix_start","value":"prod"`,
		`"value":"dev"`,
		"Audited <!date^",
	} {
		if !strings.Contains(first.Blocks, want) {
			t.Errorf("the first summary lacks %s:\n%s", want, first.Blocks)
		}
	}

	// The next tick compares each (account, control) with the results the first one recorded.
	second := slack.wait(t, 30*time.Second)
	if !strings.Contains(second.Text, "1 of 30 checks pass, as many as at ") || strings.Contains(second.Text, "then") {
		t.Errorf("second headline %q", second.Text)
	}
	if !strings.Contains(second.Blocks, "• :x: *dev* `"+devID+"` 0/15 · still failing 4.1, 4.2,") ||
		!strings.Contains(second.Blocks, "• :x: *prod* `"+prodID+"` 1/15 · still failing 4.2,") || strings.Contains(second.Blocks, "newly") {
		t.Errorf("the second summary should show both accounts still failing and nothing new:\n%s", second.Blocks)
	}

	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the scheduler did not stop")
	}
	t.Logf("stopped %v after cancel", time.Since(stopped).Round(time.Millisecond))
	done <- nil // for the deferred receive

	latest, err := st.LatestAudits(ctx, nil)
	if err != nil || len(latest) != 30 {
		t.Fatalf("history: %d records, %v", len(latest), err)
	}
	for _, r := range latest {
		switch {
		case r.Account == "dev" && r.Control == "4.1":
			if r.Status != store.AuditFail || r.FailedStep != "metric_filter" || r.Verdict != store.AuditFail || !r.Since.Before(second.At) {
				t.Errorf("dev's latest 4.1 record %+v", r)
			}
		case r.Account == "prod" && r.Control == "4.1":
			if r.Status != store.AuditPass || r.Source != spec.ID {
				t.Errorf("prod's latest 4.1 record %+v", r)
			}
		case r.Status != store.AuditFail || r.Source != spec.ID:
			t.Errorf("%s's latest %s record %+v, want a failure", r.Account, r.Control, r)
		}
	}
	// No post after Run returned.
	slack.mu.Lock()
	n := len(slack.posts)
	slack.mu.Unlock()
	time.Sleep(1500 * time.Millisecond)
	slack.mu.Lock()
	defer slack.mu.Unlock()
	if len(slack.posts) != n {
		t.Errorf("%d summaries posted after the scheduler stopped", len(slack.posts)-n)
	}
}

// claims counts every claim attempt of the replicas and its outcome.
type claims struct {
	mu   sync.Mutex
	wins map[time.Time]int
	all  map[time.Time]int
}

// counted wraps one replica's store to count its claims in c.
type counted struct {
	summary.Ticks
	c *claims
}

func (w counted) ClaimTick(ctx context.Context, schedule string, tick time.Time, owner string, at time.Time, lease time.Duration) (bool, error) {
	ok, err := w.Ticks.ClaimTick(ctx, schedule, tick, owner, at, lease)
	c := w.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all[tick]++
	if ok {
		c.wins[tick]++
	}
	return ok, err
}

// TestTwoSchedulersOnePostPerTick: two replicas, each with its own handle on one store file and
// the same schedule, post one summary per tick between them.
func TestTwoSchedulersOnePostPerTick(t *testing.T) {
	auditor, _, _ := estate(t)
	path := filepath.Join(t.TempDir(), "cisbot.db")
	slack := newFakeSlack(t)
	spec := everySecond(t, "shared")
	c := &claims{wins: map[time.Time]int{}, all: map[time.Time]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, owner := range []string{"replica-a", "replica-b"} {
		st := openStore(t, path)
		r := &summary.Runner{Auditor: auditor, History: st, Ticks: counted{st, c}, Poster: slack.poster(), Owner: owner}
		wg.Go(func() { _ = (&summary.Scheduler{Runner: r, Specs: []summary.Spec{spec}}).Run(ctx) })
	}
	// Three summaries, then stop.
	for range 3 {
		slack.wait(t, 30*time.Second)
	}
	cancel()
	wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	slack.mu.Lock()
	defer slack.mu.Unlock()
	won, contested := 0, 0
	for tick, n := range c.wins {
		if n != 1 {
			t.Errorf("tick %v won %d times", tick, n)
		}
		won += n
		if c.all[tick] == 2 {
			contested++
		}
	}
	if len(slack.posts) != won {
		t.Errorf("%d summaries posted for %d ticks won", len(slack.posts), won)
	}
	if contested == 0 {
		t.Errorf("no tick was claimed by both replicas (claims %v): the test did not race them", c.all)
	}
	for tick, n := range c.all {
		if n > 2 {
			t.Errorf("tick %v claimed %d times by two replicas", tick, n)
		}
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(slack.posts[0].Blocks), &blocks); err != nil || len(blocks) == 0 {
		t.Errorf("blocks %v: %v", slack.posts[0].Blocks, err)
	}
	t.Logf("%d ticks claimed, %d by both replicas, %d summaries posted", len(c.all), contested, len(slack.posts))
}
