package sns

// This file holds the endpoint's trust between the fields of a verified message: an alarm
// belongs to the account that owns its topic, and only a topic of one of the bot's accounts is
// subscribed to.

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/cisbot/cisbot/internal/alarm"
)

// checkAlarmAccount refuses a notification whose Message is a CloudWatch alarm naming another
// account than its topic's (any principal of the topic's account may publish to it). A Message
// that is not an alarm, or an alarm that does not parse, passes: the relay posts it as text to
// the topic's account.
func checkAlarmAccount(m *Message) error {
	a, err := alarm.Parse(m.Message)
	if err != nil {
		return nil
	}
	return a.CheckTopic(m.TopicArn)
}

// topicAccount is the account in a topic ARN, "" when it is not one.
func topicAccount(topicArn string) string {
	t, err := arn.Parse(topicArn)
	if err != nil {
		return ""
	}
	return t.AccountID
}

// admitAlarm refuses (403) a notification whose alarm names another account than its topic's,
// before anything is stored.
func (h *Handler) admitAlarm(m *Message) error {
	err := checkAlarmAccount(m)
	if err == nil {
		return nil
	}
	if ae, ok := errors.AsType[*alarm.AccountError](err); ok {
		h.logger().Warn("SNS alarm names another account than its topic's", "topic_account", ae.Topic,
			"alarm_account", truncate(ae.Alarm, 32), "alarm_arn_account", truncate(ae.ARN, 32), "message_id", truncate(m.MessageId, 100))
	}
	return &Refusal{Status: http.StatusForbidden, Reason: "account_mismatch", Err: err}
}

// admitSubscription refuses (403) a SubscriptionConfirmation of a topic in an account that is
// not the bot's (Handler.KnownAccount), before it is stored or its SubscribeURL visited; a
// failure (503, so that SNS retries) when the accounts could not be resolved.
func (h *Handler) admitSubscription(ctx context.Context, m *Message) error {
	account := topicAccount(m.TopicArn)
	if h.KnownAccount == nil {
		return &Refusal{Status: http.StatusForbidden, Reason: "unknown_account", Err: errors.New("no accounts are known to confirm subscriptions for")}
	}
	known, err := h.KnownAccount(ctx, account)
	switch {
	case known:
		return nil
	case err != nil:
		return failure(http.StatusServiceUnavailable, "account", fmt.Errorf("is account %s one of ours: %w", account, err))
	}
	return &Refusal{Status: http.StatusForbidden, Reason: "unknown_account", Err: fmt.Errorf(
		"topic account %s is not configured (accounts[] or organization); not subscribing", truncate(account, 32))}
}
