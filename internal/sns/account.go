package sns

// This file holds the endpoint's trust between the fields of a verified message: an alarm
// belongs to the account that owns its topic, and only a topic of one of the bot's accounts is
// subscribed to.

import (
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

// admitAlarm answers 403 (and returns false) for a notification whose alarm names another
// account than its topic's, before anything is stored.
func (h *Handler) admitAlarm(w http.ResponseWriter, r *http.Request, m *Message) bool {
	err := checkAlarmAccount(m)
	if err == nil {
		return true
	}
	if ae, ok := errors.AsType[*alarm.AccountError](err); ok {
		h.logger().Warn("SNS alarm names another account than its topic's", "topic_account", ae.Topic,
			"alarm_account", truncate(ae.Alarm, 32), "alarm_arn_account", truncate(ae.ARN, 32), "message_id", truncate(m.MessageId, 100))
	}
	h.refuse(w, r, m, http.StatusForbidden, "account_mismatch", err)
	return false
}

// admitSubscription answers 403 (and returns false) for a SubscriptionConfirmation of a topic in
// an account that is not the bot's (Handler.KnownAccount), before it is stored or its
// SubscribeURL visited; 503 when the accounts could not be resolved, so that SNS retries.
func (h *Handler) admitSubscription(w http.ResponseWriter, r *http.Request, m *Message) bool {
	account := topicAccount(m.TopicArn)
	if h.KnownAccount == nil {
		h.refuse(w, r, m, http.StatusForbidden, "unknown_account", errors.New("no accounts are known to confirm subscriptions for"))
		return false
	}
	known, err := h.KnownAccount(r.Context(), account)
	switch {
	case known:
		return true
	case err != nil:
		h.fail(w, r, m, http.StatusServiceUnavailable, "account", fmt.Errorf("is account %s one of ours: %w", account, err))
	default:
		h.refuse(w, r, m, http.StatusForbidden, "unknown_account", fmt.Errorf(
			"topic account %s is not configured (accounts[] or organization); not subscribing", truncate(account, 32)))
	}
	return false
}
