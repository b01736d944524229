package sns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cisbot/cisbot/internal/store"
)

// Enqueuer writes a verified message to the outbox, keyed by its MessageId so that SNS
// redeliveries are stored once.
func Enqueuer(st store.Outbox, now func() time.Time) func(ctx context.Context, m *Message, raw []byte) (bool, error) {
	return func(ctx context.Context, m *Message, raw []byte) (bool, error) {
		kind := store.OutboxNotification
		switch m.Type {
		case TypeSubscriptionConfirmation:
			kind = store.OutboxSubscriptionConfirmation
		case TypeUnsubscribeConfirmation:
			kind = store.OutboxUnsubscribeConfirmation
		}
		t := now()
		return st.Enqueue(ctx, store.OutboxItem{ID: m.MessageId, TopicARN: m.TopicArn, Kind: kind, Body: raw, CreatedAt: t, NextAt: t})
	}
}

// ConfirmAPI is the SNS call a Confirmer makes with the bot's credentials, with the SDK's
// signature.
type ConfirmAPI interface {
	ConfirmSubscription(context.Context, *awssns.ConfirmSubscriptionInput, ...func(*awssns.Options)) (*awssns.ConfirmSubscriptionOutput, error)
}

var _ ConfirmAPI = (*awssns.Client)(nil)

// Clients gives SNS in an account and region where the bot holds credentials; ok is false
// where it holds none.
type Clients interface {
	SNSClient(ctx context.Context, account, region string) (api ConfirmAPI, ok bool)
}

// Confirmer confirms subscriptions of allowed topics: with sns:ConfirmSubscription and
// AuthenticateOnUnsubscribe when the bot holds credentials in the topic's account (so nobody can
// unsubscribe the bot without AWS credentials), otherwise by fetching the SubscribeURL after
// checking that it points at SNS.
type Confirmer struct {
	Clients Clients // nil: always through the SubscribeURL
	Logger  *slog.Logger
	// Client fetches SubscribeURLs; nil means a client with a timeout that follows no redirect.
	Client *http.Client
}

// Confirm confirms the subscription a verified SubscriptionConfirmation asks for.
func (c *Confirmer) Confirm(ctx context.Context, m *Message) error {
	topic, err := arn.Parse(m.TopicArn)
	if err != nil {
		return fmt.Errorf("confirm subscription: %q is not a topic ARN", m.TopicArn)
	}
	if c.Clients != nil {
		if api, ok := c.Clients.SNSClient(ctx, topic.AccountID, topic.Region); ok {
			_, err := api.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{
				TopicArn: aws.String(m.TopicArn), Token: aws.String(m.Token), AuthenticateOnUnsubscribe: aws.String("true"),
			})
			if err == nil {
				return nil
			}
			if c.Logger != nil {
				c.Logger.Warn("sns:ConfirmSubscription failed; confirming through the SubscribeURL", "topic", m.TopicArn, "err", err)
			}
		}
	}
	return c.visit(ctx, m.SubscribeURL, m.TopicArn)
}

// CheckSubscribeURL accepts only an https URL on the SNS host of the topic's region and
// partition (awsregion's table) asking to confirm a subscription to that topic.
func CheckSubscribeURL(raw, topicArn string) error {
	want, err := topicSNSHost(topicArn)
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Host != want {
		return fmt.Errorf("SubscribeURL is not an https URL on %s, the SNS host of the topic's region", want)
	}
	q := u.Query()
	if q.Get("Action") != "ConfirmSubscription" {
		return errors.New("SubscribeURL does not ask to confirm a subscription")
	}
	if q.Get("TopicArn") != topicArn {
		return errors.New("SubscribeURL confirms a subscription to another topic")
	}
	return nil
}

func (c *Confirmer) visit(ctx context.Context, raw, topicArn string) error {
	if err := CheckSubscribeURL(raw, topicArn); err != nil {
		return fmt.Errorf("confirm subscription: %w", err)
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return fmt.Errorf("confirm subscription: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		// The URL holds the subscription token: report the cause without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("confirm subscription through SNS: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("confirm subscription through SNS: status %d", resp.StatusCode)
	}
	return nil
}
