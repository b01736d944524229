package app

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/sqsintake"
	"github.com/cisbot/cisbot/internal/store"
)

// QueuePollers builds a poller for each alerts.queues entry: its SQS client in the queue's
// region (through role_arn when set, with an HTTP timeout longer than the long poll), signed
// SNS envelopes verified and stored by handler exactly as on the endpoint, unsigned alarms
// stored in outbox when the queue trusts them and they are its account's or one of the bot's.
func QueuePollers(cfg *config.Config, accounts *Accounts, handler *sns.Handler, outbox store.Outbox, metrics *sqsintake.Metrics, logger *slog.Logger) ([]*sqsintake.Poller, error) {
	intake := &sqsintake.Intake{SNS: queueHandler(handler).Accept, Outbox: outbox, KnownAccount: accounts.Knows, Logger: logger, Metrics: metrics}
	var pollers []*sqsintake.Poller
	for i, q := range cfg.Alerts.Queues {
		u, err := config.ParseQueueURL(q.URL)
		if err != nil { // validated already
			return nil, fmt.Errorf("alerts.queues[%d].url: %w", i, err)
		}
		client := QueueClient(accounts.factory, i, q, u)
		pollers = append(pollers, &sqsintake.Poller{
			Queue:  sqsintake.Queue{URL: q.URL, ARN: u.ARN(), Account: u.Account, Format: q.MessageFormat(), TrustUnsigned: q.Unsigned()},
			Client: client, Intake: intake, Logger: logger, Metrics: metrics,
		})
	}
	return pollers, nil
}

// QueueClient is the SQS client of alerts.queues[i] (parsed URL u): in the queue's region,
// through role_arn when set, with an HTTP timeout longer than the long poll. cisbot doctor
// checks the queue through the same client.
func QueueClient(f *awsenv.Factory, i int, q config.Queue, u config.QueueURL) *sqs.Client {
	session := f.Session(awsenv.Target{Name: "alerts.queues[" + strconv.Itoa(i) + "]", RoleARN: q.RoleARN, ExternalID: q.ExternalID})
	return sqs.NewFromConfig(session.Config(), func(o *sqs.Options) {
		o.Region = u.Region
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(sqsintake.HTTPTimeout)
	})
}

// QueuedMaxAge is the oldest signed SNS envelope taken from a queue: SQS's longest retention.
// A message waits in a queue while every replica is down or the store is, which is no replay,
// so alerts.max_message_age (the endpoint's replay guard, 1h by default) does not apply; an
// older envelope cannot have come through the queue.
const QueuedMaxAge = 14 * 24 * time.Hour

// queueHandler is the endpoint's handler with the age limit of queued messages: the same
// topics, certificate checks, store and confirmation.
func queueHandler(h *sns.Handler) *sns.Handler {
	q := &sns.Handler{Enqueue: h.Enqueue, Confirm: h.Confirm, KnownAccount: h.KnownAccount, StorePing: h.StorePing,
		Ready: h.Ready, Logger: h.Logger, Metrics: h.Metrics}
	if v := h.Verifier; v != nil {
		q.Verifier = &sns.Verifier{Topics: v.Topics, MaxAge: max(v.MaxAge, QueuedMaxAge), Now: v.Now, Fetch: v.Fetch, CertHostPattern: v.CertHostPattern}
		if v.MaxAge <= 0 {
			q.Verifier.MaxAge = 0 // the age check is off
		}
	}
	return q
}

// checkQueues asks each queue for its attributes: the first that does not exist or may not be
// read stops the start, naming the queue and the permission.
func checkQueues(ctx context.Context, pollers []*sqsintake.Poller) error {
	for _, p := range pollers {
		if err := p.Check(ctx); err != nil {
			return err
		}
	}
	return nil
}

// queuesOnly reports whether alerts arrive through queues alone: queues and no topics, nor a
// listen address asked for. cisbot run then opens no public port.
func queuesOnly(cfg *config.Config) bool {
	a := cfg.Alerts
	return len(a.Queues) > 0 && len(a.Topics) == 0 && a.Listen == ""
}
