package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/sqsintake"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
	"github.com/cisbot/cisbot/internal/testutil/snssign"
)

// timedPoster notes when each alarm's post to the Slack fake returned.
type timedPoster struct {
	relay.Poster
	mu     sync.Mutex
	posted map[string]time.Time
}

func (p *timedPoster) Post(ctx context.Context, post relay.Post) (string, error) {
	ts, err := p.Poster.Post(ctx, post)
	if err == nil && post.Alarm != nil {
		p.mu.Lock()
		p.posted[post.Alarm.AlarmName] = time.Now()
		p.mu.Unlock()
	}
	return ts, err
}

func (p *timedPoster) at(name string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.posted[name]
	return at, ok
}

// BenchmarkQueueToChannel measures the latency from SendMessage of a signed SNS envelope to a
// queue in moto to the relay's post of its alarm returning from the Slack fake, through the
// pollers cisbot run builds (20 s long polls) and a relay with the given pass interval (1 s is
// cisbot run's), CloudTrail lookup included. Messages are sent one at a time, 50 ms apart,
// so that the figure is latency, not queueing; it reports p50 and p99 in milliseconds.
func BenchmarkQueueToChannel(b *testing.B) {
	for _, poll := range []time.Duration{relay.DefaultPoll, 50 * time.Millisecond} {
		b.Run("relay_poll="+poll.String(), func(b *testing.B) { benchQueueToChannel(b, poll) })
	}
}

func benchQueueToChannel(b *testing.B, poll time.Duration) {
	ctx := context.Background()
	id := awsaccount.NewID()
	f := factory(b)
	client := sqs.NewFromConfig(f.Session(awsenv.Target{RoleARN: awsaccount.RoleARN(id)}).Config(), func(o *sqs.Options) { o.Region = "us-east-1" })
	if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("latency")}); err != nil {
		b.Fatal(err)
	}
	url := "https://sqs.us-east-1.amazonaws.com/" + id + "/latency"
	topic := "arn:aws:sns:us-east-1:" + id + ":cis-alarms"
	cfg := parseConfig(b, fmt.Sprintf("accounts:\n  - name: prod\n    role_arn: %s\n    channel: C0LATENCY\nalerts:\n  topics: [%s]\n  queues:\n    - url: %s\n      role_arn: %s\n",
		awsaccount.RoleARN(id), topic, url, awsaccount.RoleARN(id)))
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "cisbot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	logger := slog.New(slog.DiscardHandler)
	accounts := NewAccounts(cfg, f)
	signer := snssign.New(b)
	handler := AlertHandler(cfg, accounts, st, nil, nil, logger)
	handler.Verifier.Fetch = func(context.Context, string) ([]byte, error) { return signer.CertPEM, nil }
	pollers, err := QueuePollers(cfg, accounts, handler, st, sqsintake.NewMetrics(nil), logger)
	if err != nil {
		b.Fatal(err)
	}
	ws := slackfake.New(b, "xoxb-latency")
	poster := &timedPoster{Poster: slackbot.NewAlertPoster(slackbot.Config{BotToken: "xoxb-latency", APIURL: ws.APIURL()}, nil), posted: map[string]time.Time{}}
	r := &relay.Relay{Outbox: st, Threads: st, Poster: poster, Enricher: accounts.Enricher(), Owner: "latency", PerChannel: -1,
		Poll: poll, EnrichTimeout: 5 * time.Second, Logger: logger,
		Channel: func(ctx context.Context, topicARN string, _ *alarm.Alarm) (string, error) {
			return accounts.AlertChannel(ctx, topicAccount(topicARN))
		}}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = pollers[0].Run(runCtx) })
	wg.Go(func() { _ = r.Run(runCtx) })
	defer func() { cancel(); wg.Wait() }()

	sent := map[string]time.Time{}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		name := fmt.Sprintf("latency-%d", n)
		body := signedEnvelope(b, signer, fmt.Sprintf("latency-%s-%d", id, n), topic, queueAlarm(id, name))
		sent[name] = time.Now()
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
			b.Fatal(err)
		}
		n++
		time.Sleep(50 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	var lat []time.Duration
	for name, at := range sent {
		for {
			if posted, ok := poster.at(name); ok {
				lat = append(lat, posted.Sub(at))
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s not posted within 30 s", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
