package sqsintake

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cisbot/cisbot/internal/sns"
)

// TestIntakeFormats: through a real queue, each format is stored under its dedup key and
// deleted; every message refused is left on the queue and counted by its reason.
func TestIntakeFormats(t *testing.T) {
	f := newFixture(t)
	q := Queue{Account: account, TrustUnsigned: true}
	untrusted := q
	untrusted.TrustUnsigned = false
	signed := f.envelope(t, "sns-msg-1", topicAllowed, alarmJSON(account, "a1"))
	forged := strings.Replace(f.envelope(t, "sns-msg-2", topicAllowed, alarmJSON(account, "a2")), `"Signature":"`, `"Signature":"AAAA`, 1)
	tests := []struct {
		name   string
		queue  Queue
		body   string
		wantID string // "" when refused
		reason string
	}{
		{"signed SNS envelope", q, signed, "sns-msg-1", ""},
		{"raw alarm of the queue's account", q, alarmJSON(account, "a3"), "<sqs>", ""},
		{"raw alarm of a configured account", q, alarmJSON("222222222222", "a4"), "<sqs>", ""},
		{"EventBridge event", q, eventJSON(t, account), "5b2bd1e2-9a43-1c3e-8f0a-6b2f4c2a9d11", ""},
		{"forged signature", q, forged, "", "signature"},
		{"foreign topic", q, f.envelope(t, "sns-msg-3", "arn:aws:sns:us-east-1:999999999999:cis-alarms", alarmJSON("999999999999", "a5")), "", "topic"},
		{"alarm of another account than its topic", q, f.envelope(t, "sns-msg-4", topicAllowed, alarmJSON("999999999999", "a6")), "", "account_mismatch"},
		{"raw alarm of an unknown account", q, alarmJSON("999999999999", "a7"), "", "account_mismatch"},
		{"unsigned without trust_unsigned", untrusted, alarmJSON(account, "a8"), "", "unsigned"},
		{"event without trust_unsigned", untrusted, eventJSON(t, account), "", "unsigned"},
		{"garbage", q, "hello, queue", "", "unknown_format"},
		{"sns format, raw body", Queue{URL: q.URL, Account: account, Format: FormatSNS, TrustUnsigned: true}, alarmJSON(account, "a9"), "", "missing_field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A queue of its own: a receive cut short by the last poller's stop may still take
			// a message on the server's side, hiding it for its visibility timeout.
			f.outbox.items = nil
			c, fresh := newQueue(t)
			q, tc.queue.URL = fresh, fresh.URL
			sqsID := send(t, c, tc.queue, tc.body)
			before := testutil.ToFloat64(f.metrics.Rejected.WithLabelValues(tc.reason))
			p := &Poller{Queue: tc.queue, Client: c, Intake: f.intake, Logger: discard, Metrics: f.metrics, Wait: time.Second, Visibility: 30 * time.Second}
			if tc.wantID == "" {
				runUntil(t, p, func() bool { return testutil.ToFloat64(f.metrics.Rejected.WithLabelValues(tc.reason)) > before })
				if ids := f.outbox.ids(); len(ids) != 0 || left(t, c, q) != 1 {
					t.Errorf("refused message: stored %v, %d left on the queue; want none stored and it left", ids, left(t, c, q))
				}
				return
			}
			want := strings.Replace(tc.wantID, "<sqs>", sqsID, 1)
			runUntil(t, p, func() bool { return len(f.outbox.ids()) == 1 && left(t, c, q) == 0 })
			if ids := f.outbox.ids(); !slices.Equal(ids, []string{want}) {
				t.Errorf("stored %v, want [%s]", ids, want)
			}
		})
	}
}

// killingReceiver fails the first delete, as a bot killed after storing and before deleting.
type killingReceiver struct {
	*sqs.Client
	deletes atomic.Int32
}

func (k *killingReceiver) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if k.deletes.Add(1) == 1 {
		return nil, errors.New("killed")
	}
	return k.Client.DeleteMessageBatch(ctx, in, opts...)
}

// TestKilledBetweenStoreAndDelete: the message comes back after its visibility timeout, is a
// duplicate in the outbox, and is deleted then: stored once, never lost.
func TestKilledBetweenStoreAndDelete(t *testing.T) {
	f := newFixture(t)
	c, q := newQueue(t)
	send(t, c, q, f.envelope(t, "sns-killed", topicAllowed, alarmJSON(account, "k")))
	k := &killingReceiver{Client: c}
	p := &Poller{Queue: q, Client: k, Intake: f.intake, Logger: discard, Metrics: f.metrics, Wait: time.Second, Visibility: 1 * time.Second}
	runUntil(t, p, func() bool { return k.deletes.Load() >= 2 && left(t, c, q) == 0 })
	if ids := f.outbox.ids(); !slices.Equal(ids, []string{"sns-killed"}) {
		t.Errorf("stored %v, want the message once", ids)
	}
	if got := testutil.ToFloat64(f.metrics.Received); got < 2 {
		t.Errorf("received %v times, want the redelivery too", got)
	}
}

// TestStoreFailureLeavesTheMessage: a store that fails is retried by redelivery, not counted
// as a rejection.
func TestStoreFailureLeavesTheMessage(t *testing.T) {
	f := newFixture(t)
	f.outbox.fail = errors.New("disk full")
	c, q := newQueue(t)
	q.TrustUnsigned = true
	send(t, c, q, alarmJSON(account, "s"))
	p := &Poller{Queue: q, Client: c, Intake: f.intake, Logger: discard, Metrics: f.metrics, Wait: time.Second, Visibility: 30 * time.Second}
	runUntil(t, p, func() bool { return testutil.ToFloat64(f.metrics.Failures.WithLabelValues("store")) == 1 })
	if left(t, c, q) != 1 || testutil.CollectAndCount(f.metrics.Rejected) != 0 {
		t.Errorf("%d left, %d rejection series; want the message left and no rejection", left(t, c, q), testutil.CollectAndCount(f.metrics.Rejected))
	}
}

// TestCheck: a queue that does not exist is an error at start naming it; a denied call names
// the permissions.
func TestCheck(t *testing.T) {
	c, q := newQueue(t)
	if err := (&Poller{Queue: q, Client: c, Logger: discard}).Check(context.Background()); err != nil {
		t.Fatalf("existing queue: %v", err)
	}
	missing := q
	missing.URL = "https://sqs.us-east-1.amazonaws.com/" + account + "/no-such-queue"
	err := (&Poller{Queue: missing, Client: c, Logger: discard}).Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), missing.URL) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing queue: %v; want an error naming it and saying it does not exist", err)
	}
	denied := queueError(q.URL, "ReceiveMessage", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"})
	for _, want := range []string{q.URL, "not allowed sqs:ReceiveMessage", "sqs:GetQueueAttributes, sqs:ReceiveMessage and sqs:DeleteMessage"} {
		if !strings.Contains(denied.Error(), want) {
			t.Errorf("denied: %v; want %q", denied, want)
		}
	}
}

// BenchmarkIntake is the intake's throughput against moto: signed SNS envelopes received,
// verified, stored and deleted. moto_ceiling is the same poller with an intake that takes every
// message without looking at it: what moto itself allows, to compare with.
func BenchmarkIntake(b *testing.B) {
	for _, bare := range []bool{false, true} {
		name := "verified"
		if bare {
			name = "moto_ceiling"
		}
		b.Run(name, func(b *testing.B) {
			f := newFixture(b)
			c, q := newQueue(b)
			for i := range b.N {
				send(b, c, q, f.envelope(b, "bench-"+strconv.Itoa(b.N)+"-"+strconv.Itoa(i), topicAllowed, alarmJSON(account, "b")))
			}
			intake := f.intake
			var taken atomic.Int64
			if bare {
				intake = &Intake{SNS: func(context.Context, []byte) (*sns.Message, error) { taken.Add(1); return nil, nil }}
			}
			done := func() bool { return len(f.outbox.ids())+int(taken.Load()) >= b.N }
			p := &Poller{Queue: q, Client: c, Intake: intake, Logger: discard, Metrics: f.metrics, Wait: time.Second, Visibility: 30 * time.Second}
			b.ResetTimer()
			start := time.Now()
			runUntil(b, p, done)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// againReceiver returns the same message at every receive, at once: a queue whose message
// comes back as soon as it was not deleted. (A fake of our own: moto does not honour a
// visibility timeout of 0, so its queue cannot show this.)
type againReceiver struct {
	Receiver
	body     string
	receives atomic.Int32
}

func (a *againReceiver) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	a.receives.Add(1)
	return &sqs.ReceiveMessageOutput{Messages: []types.Message{{MessageId: aws.String("m1"), ReceiptHandle: aws.String("r1"), Body: aws.String(a.body)}}}, nil
}

// TestStoreFailureBacksOff: while the store fails the poller waits before receiving again, so
// that an outage does not count receive after receive towards the dead-letter queue. (Without
// the back-off there are thousands of receives in the same time: checked.)
func TestStoreFailureBacksOff(t *testing.T) {
	f := newFixture(t)
	f.outbox.fail = errors.New("the store does not answer")
	_, q := newQueue(t)
	q.TrustUnsigned = true
	rc := &againReceiver{body: alarmJSON(account, "s")}
	p := &Poller{Queue: q, Client: rc, Intake: f.intake, Logger: discard, Metrics: f.metrics}
	start := time.Now()
	runUntil(t, p, func() bool { return time.Since(start) > 1500*time.Millisecond })
	if n := rc.receives.Load(); n > 3 {
		t.Errorf("%d receives in 1.5 s while the store failed, want at most 3 (back-off from %s)", n, minBackoff)
	}
}
