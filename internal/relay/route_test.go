package relay

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/syncbuf"
)

// routePoster records the posts of the route tests.
type routePoster struct {
	mu    sync.Mutex
	posts []Post
}

func (p *routePoster) Post(_ context.Context, post Post) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, post)
	return "1700000000.000001", nil
}

// routeEnricher records the accounts it was asked to read.
type routeEnricher struct {
	mu       sync.Mutex
	accounts []string
}

func (e *routeEnricher) Enrich(_ context.Context, a *alarm.Alarm) enrich.Findings {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.accounts = append(e.accounts, a.AWSAccountID)
	return enrich.Findings{}
}

// routeNotification is a stored SNS notification of topic whose Message is an ALARM naming
// account and, unless arnAccount is "", an AlarmArn of arnAccount.
func routeNotification(t *testing.T, id, topic, account, arnAccount string) []byte {
	t.Helper()
	m := map[string]any{
		"AlarmName": "unauthorized_api_calls_alarm", "AWSAccountId": account, "NewStateValue": "ALARM", "OldStateValue": "OK",
		"StateChangeTime": "2026-03-02T10:20:41.562+0000", "Region": "US East (N. Virginia)",
		"Trigger": map[string]any{"MetricName": "unauthorized_api_calls_metric", "Namespace": "CISBenchmark", "Period": 300, "EvaluationPeriods": 1},
	}
	if arnAccount != "" {
		m["AlarmArn"] = "arn:aws:cloudwatch:us-east-1:" + arnAccount + ":alarm:unauthorized_api_calls_alarm"
	}
	msg, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": id, "TopicArn": topic, "Message": string(msg),
		"Timestamp": "2026-03-02T10:20:42.000Z", "SignatureVersion": "2", "Signature": "c2ln",
		"SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem",
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestRelayRouteRefusesForeignAlarm: an alarm stored before the endpoint checked accounts, from
// a sandbox account's topic but naming prod, is settled with an error log and never posted nor
// enriched; an alarm of the topic's own account goes to that account's channel.
func TestRelayRouteRefusesForeignAlarm(t *testing.T) {
	const (
		prod    = "111111111111"
		sandbox = "222222222222"
		topic   = "arn:aws:sns:us-east-1:" + sandbox + ":cis-alarms"
	)
	tests := []struct {
		name, account, arnAccount string
		posted                    bool
	}{
		{"alarm of the topic's account", sandbox, sandbox, true},
		{"AWSAccountId of another account", prod, sandbox, false},
		{"AlarmArn of another account", sandbox, prod, false},
		{"both of another account", prod, prod, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cisbot.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			at := time.Date(2026, 3, 2, 10, 21, 0, 0, time.UTC)
			if _, err := st.Enqueue(ctx, store.OutboxItem{ID: "m-1", TopicARN: topic, Kind: store.OutboxNotification,
				Body: routeNotification(t, "m-1", topic, tt.account, tt.arnAccount), CreatedAt: at, NextAt: at}); err != nil {
				t.Fatal(err)
			}
			poster, enricher, logs := &routePoster{}, &routeEnricher{}, &syncbuf.Buffer{}
			var routed []string // the accounts the channel was asked for
			r := &Relay{
				Outbox: st, Poster: poster, Enricher: enricher, Owner: "replica-1", PerChannel: -1,
				Channel: func(_ context.Context, topicARN string, a *alarm.Alarm) (string, error) {
					routed = append(routed, a.AWSAccountID)
					return "C-" + a.AWSAccountID, nil
				},
				Now:    func() time.Time { return at },
				Logger: slog.New(slog.NewTextHandler(logs, nil)),
			}
			if n, err := r.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RunOnce = %d, %v; want 1, nil", n, err)
			}
			if n, err := st.Pending(ctx); err != nil || n != 0 {
				t.Errorf("pending = %d, %v; want the item settled", n, err)
			}
			if !tt.posted {
				if len(poster.posts) != 0 || len(enricher.accounts) != 0 || len(routed) != 0 {
					t.Fatalf("posted %d, enriched %v, routed %v; want nothing", len(poster.posts), enricher.accounts, routed)
				}
				if log := logs.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, sandbox) || !strings.Contains(log, prod) {
					t.Errorf("no error log naming both accounts:\n%s", log)
				}
				return
			}
			if len(poster.posts) != 1 || poster.posts[0].Channel != "C-"+sandbox {
				t.Fatalf("posts = %+v, want one to the topic's account's channel", poster.posts)
			}
			if len(enricher.accounts) != 1 || enricher.accounts[0] != sandbox {
				t.Errorf("enriched as %v, want the topic's account", enricher.accounts)
			}
			if key := ThreadKey(poster.posts[0].Alarm); !strings.Contains(key, ":"+sandbox+":") {
				t.Errorf("thread key %q is not of the topic's account", key)
			}
		})
	}
}

// TestRelayRouteRetriesUnknownChannel: when the channel of the topic's account cannot be told
// (its account id did not resolve), the item is retried, never posted to another audience.
func TestRelayRouteRetriesUnknownChannel(t *testing.T) {
	const account = "222222222222"
	topic := "arn:aws:sns:us-east-1:" + account + ":cis-alarms"
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 3, 2, 10, 21, 0, 0, time.UTC)
	if _, err := st.Enqueue(ctx, store.OutboxItem{ID: "m-1", TopicARN: topic, Kind: store.OutboxNotification,
		Body: routeNotification(t, "m-1", topic, account, account), CreatedAt: at, NextAt: at}); err != nil {
		t.Fatal(err)
	}
	poster := &routePoster{}
	r := &Relay{
		Outbox: st, Poster: poster, Enricher: &routeEnricher{}, Owner: "replica-1", PerChannel: -1,
		Channel: func(context.Context, string, *alarm.Alarm) (string, error) {
			return "", errors.New("sts: GetCallerIdentity: connection refused")
		},
		Now:    func() time.Time { return at },
		Logger: slog.New(slog.DiscardHandler),
	}
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(poster.posts) != 0 {
		t.Fatalf("posted %+v with no known channel", poster.posts)
	}
	if n, err := st.Pending(ctx); err != nil || n != 1 {
		t.Errorf("pending = %d, %v; want the item kept for a retry", n, err)
	}
}
