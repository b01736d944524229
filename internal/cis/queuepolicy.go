package cis

// The SQS queue policy of a queue subscribed to the alarms' topic: the statement that lets the
// topic send to it, merged like the topic policy. Pure JSON work; the applier reads and writes.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// QueuePolicySid begins the Sid of the statement cisbot adds to a queue policy; queueSendSid
// completes it.
const QueuePolicySid = "cisbot-topic-send"

// queueSendSid is the Sid of the statement letting topic send to a queue: the topic's name, for
// people reading the policy, then a hash of its whole ARN, so that a queue subscribed to topics
// of one name in two regions or accounts gets a statement for each (Sids are unique within a
// policy).
func queueSendSid(topicARN string) string {
	h := sha256.Sum256([]byte(topicARN))
	return QueuePolicySid + "-" + sidSafe(arnResource(topicARN)) + "-" + hex.EncodeToString(h[:4])
}

// sidSafe keeps the letters and digits of s: a Sid is made of them (hyphens aside).
func sidSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, s)
}

// TopicSend is the statement that lets a topic send to a queue: its Sid and the topic.
type TopicSend struct {
	Sid      string
	TopicARN string
}

// MergeQueuePolicy makes sure a topic may send to a queue subscribed to it (sqs:SendMessage from
// sns.amazonaws.com with aws:SourceArn the topic).
type MergeQueuePolicy struct {
	StepInfo
	QueueARN string
	QueueURL string
	Send     TopicSend
}

// Kind is the step's name on the wire.
func (MergeQueuePolicy) Kind() string { return KindMergeQueuePolicy }

func (s MergeQueuePolicy) params() map[string]string {
	return map[string]string{pQueueARN: s.QueueARN, pQueueURL: s.QueueURL, pSid: s.Send.Sid, pTopicARN: s.Send.TopicARN}
}

// MarshalJSON writes the step's wire form.
func (s MergeQueuePolicy) MarshalJSON() ([]byte, error) { return marshalStep(s) }

// Grant returns the queue's policy with the statement that lets the topic send merged in;
// changed is false, and the policy returned as it is, when a statement allows that already (an
// Allow of sqs:SendMessage on the queue to sns.amazonaws.com or everyone whose only condition is
// the topic as aws:SourceArn; a statement is judged by what it says, not by its Sid, so another
// topic's statement or a Deny never counts). A policy that cannot be merged is an
// error, never replaced.
func (p TopicSend) Grant(policy, queueARN string) (merged string, changed bool, err error) {
	if allowsTopic(policy, queueARN, p) {
		return policy, false, nil
	}
	stmt := map[string]any{
		"Sid":       p.Sid,
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "sns.amazonaws.com"},
		"Action":    "sqs:SendMessage",
		"Resource":  queueARN,
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": p.TopicARN}},
	}
	merged, err = mergeStatement(policy, stmt)
	if err != nil {
		return "", false, err
	}
	return merged, true, nil
}

func allowsTopic(policy, queueARN string, p TopicSend) bool {
	for _, s := range allowStatements(policy) {
		if allows(s, "sqs:sendmessage", queueARN, "sns.amazonaws.com") && sourceIsTopic(s["Condition"], p.TopicARN) {
			return true
		}
	}
	return false
}

// sourceIsTopic: exactly one condition, aws:SourceArn equal to (or a pattern matching) topic.
func sourceIsTopic(v any, topic string) bool {
	conds, ok := v.(map[string]any)
	if !ok || len(conds) != 1 {
		return false
	}
	for op, kv := range conds {
		m, ok := kv.(map[string]any)
		if !ok || len(m) != 1 {
			return false
		}
		for k, val := range m {
			if !strings.EqualFold(k, "aws:SourceArn") {
				return false
			}
			switch op {
			case "ArnEquals", "StringEquals":
				return anyString(val, func(s string) bool { return s == topic })
			case "ArnLike", "StringLike":
				return anyString(val, func(s string) bool { return wildcard(s, topic) })
			}
		}
	}
	return false
}

// queueURL is the URL of the queue with ARN arn (arn:PARTITION:sqs:REGION:ACCOUNT:NAME).
func queueURL(arn string) string {
	a := parseARN(arn)
	host := "sqs." + a.Region + ".amazonaws.com"
	if strings.HasPrefix(a.Region, "cn-") {
		host += ".cn"
	}
	return fmt.Sprintf("https://%s/%s/%s", host, a.AccountID, a.Resource)
}
