package app

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/summary"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

// tickClaims counts, per tick, the claims the replicas made and the ones they won.
type tickClaims struct {
	mu        sync.Mutex
	all, wins map[time.Time]int
}

// countedTicks passes a replica's tick claims to the store and counts them in c.
type countedTicks struct {
	summary.Ticks
	c *tickClaims
}

func (w countedTicks) ClaimTick(ctx context.Context, schedule string, tick time.Time, owner string, at time.Time, lease time.Duration) (bool, error) {
	ok, err := w.Ticks.ClaimTick(ctx, schedule, tick, owner, at, lease)
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.c.all[tick]++
	if ok {
		w.c.wins[tick]++
	}
	return ok, err
}

// TestReplicasSummaryOncePerTick: two replicas on one PostgreSQL database, both scheduling the
// same summary, post it once per tick to the Slack workspace between them. The configured
// schedule is @every 1m; the test runs it every two seconds (a seconds field, which config
// does not offer) so that several ticks pass in a few seconds, with the same spec id.
//
// Checked to fail: with the claim made to always succeed (countedTicks returning true without
// asking the store), both replicas post the contested ticks and the test reports ticks won
// twice and more posts than ticks.
func TestReplicasSummaryOncePerTick(t *testing.T) {
	_, dsn := pgtest.OwnCluster(t)
	prod := awsaccount.NewID()
	awsaccount.Build(t, factory(t), prod, awsaccount.Scenario{}, proxy)
	ws := slackfake.New(t, serverBotToken)
	const summaryChannel = "C0SUMMARY1"
	everyTwo, err := config.ParseCronSeconds("*/2 * * * * *")
	if err != nil {
		t.Fatal(err)
	}
	c := &tickClaims{all: map[time.Time]int{}, wins: map[time.Time]int{}}
	_, logs := startReplicas(t, ws, func() string {
		return fmt.Sprintf(`accounts:
  - name: prod
    role_arn: %s
store:
  driver: postgres
  dsn: %s
alerts:
  listen: %s
  ops_listen: %s
  topics: [arn:aws:sns:us-east-1:%s:cis-alarms]
  default_channel: C0DEFAULTAL
summaries:
  - cron: "@every 1m"
    channel: %s
    accounts: [prod]
`, awsaccount.RoleARN(prod), dsn, freeAddr(t), freeAddr(t), prod, summaryChannel)
	}, func(s *Server) {
		s.summaries.Specs[0].Schedule = everyTwo
		s.summaries.Runner.Ticks = countedTicks{s.summaries.Runner.Ticks, c}
	})

	const want = 4
	deadline := time.Now().Add(60 * time.Second)
	for len(ws.Messages(summaryChannel)) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d summaries posted within 60 s, want %d\n%s\n%s", len(ws.Messages(summaryChannel)), want, logs[0], logs[1])
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let the ticks under way finish: a second post of a tick would come now.
	time.Sleep(3 * time.Second)

	c.mu.Lock()
	defer c.mu.Unlock()
	won, contested := 0, 0
	for tick, n := range c.wins {
		if n != 1 {
			t.Errorf("tick %s won %d times, want once", tick.Format(time.RFC3339), n)
		}
		won += n
		if c.all[tick] > 1 {
			contested++
		}
	}
	// A won tick under way when the test counts may not be posted yet: at most one a replica.
	if posted := len(ws.Messages(summaryChannel)); posted > won || posted < won-2 {
		t.Errorf("%d summaries posted for %d ticks won, want one each", posted, won)
	}
	if contested == 0 {
		t.Errorf("no tick was claimed by both replicas (claims %v): the test did not race them", c.all)
	}
	t.Logf("%d ticks claimed, %d by both replicas, %d won, %d summaries posted", len(c.all), contested, won, len(ws.Messages(summaryChannel)))
}
