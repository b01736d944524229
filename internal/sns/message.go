// Package sns is the receiving side of the Amazon SNS HTTP/S protocol: it parses a message
// body strictly, verifies its signature (certificate URL, signing certificate, topic allowlist,
// age), serves the endpoint that durably enqueues each verified message before answering 200,
// and confirms the subscriptions of allowed topics. It knows nothing of alarms or of Slack.
package sns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxMessageSize is the largest SNS body ParseMessage accepts. SNS messages
// are at most 256 KiB; the envelope adds a little, so allow some headroom.
const MaxMessageSize = 256*1024 + 16*1024

// SNS message types (the Type field).
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Message is an SNS HTTP/S message body. Fields hold the JSON-decoded values.
type Message struct {
	Type      string
	MessageId string
	Token     string
	TopicArn  string
	// Subject is nil when the key is absent (or JSON null): an absent Subject is
	// left out of the string to sign, while an empty one is included.
	Subject          *string
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	SubscribeURL     string
	UnsubscribeURL   string
	// MessageAttributes is the raw attribute object, if any. It is NOT signed.
	MessageAttributes json.RawMessage
}

// Time parses the message Timestamp (ISO-8601 UTC, e.g. 2022-07-28T21:23:58.317Z).
func (m *Message) Time() (time.Time, error) {
	return time.Parse(time.RFC3339Nano, m.Timestamp)
}

// stringFields maps each accepted JSON key to its field. The Lambda-style
// spellings (…Url) are accepted as aliases; they name unsigned fields only.
func (m *Message) stringField(key string) (dst *string, canonical string) {
	switch key {
	case "Type":
		return &m.Type, key
	case "MessageId":
		return &m.MessageId, key
	case "Token":
		return &m.Token, key
	case "TopicArn":
		return &m.TopicArn, key
	case "Message":
		return &m.Message, key
	case "Timestamp":
		return &m.Timestamp, key
	case "SignatureVersion":
		return &m.SignatureVersion, key
	case "Signature":
		return &m.Signature, key
	case "SigningCertURL", "SigningCertUrl":
		return &m.SigningCertURL, "SigningCertURL"
	case "SubscribeURL", "SubscribeUrl":
		return &m.SubscribeURL, "SubscribeURL"
	case "UnsubscribeURL", "UnsubscribeUrl":
		return &m.UnsubscribeURL, "UnsubscribeURL"
	}
	return nil, ""
}

// ParseMessage decodes an SNS HTTP/S body strictly: a single JSON object of at
// most MaxMessageSize bytes, no duplicate keys, string values for the known
// keys, and the fields required by its Type present and non-empty. Unknown
// keys are ignored. Errors are *RejectError.
func ParseMessage(body []byte) (*Message, error) {
	if len(body) > MaxMessageSize {
		return nil, reject("too_large", fmt.Errorf("SNS body is %d bytes, more than the %d allowed", len(body), MaxMessageSize))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, reject("bad_json", fmt.Errorf("SNS body is not JSON: %w", err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, reject("bad_json", errors.New("SNS body is not a JSON object"))
	}
	m := &Message{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, reject("bad_json", fmt.Errorf("SNS body: %w", err))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, reject("bad_json", errors.New("SNS body: object key is not a string"))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, reject("bad_json", fmt.Errorf("SNS body: value of %q: %w", key, err))
		}
		canonical := key
		dst, c := m.stringField(key)
		if dst != nil {
			canonical = c
		}
		if key == "Subject" || key == "MessageAttributes" {
			canonical = key
		}
		if seen[canonical] {
			return nil, reject("bad_json", fmt.Errorf("SNS body: duplicate key %q", canonical))
		}
		seen[canonical] = true
		isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
		switch {
		case key == "Subject":
			if isNull {
				continue // treated as absent, like the PHP validator
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, reject("bad_json", fmt.Errorf("SNS body: %q is not a string", key))
			}
			m.Subject = &s
		case key == "MessageAttributes":
			if !isNull {
				m.MessageAttributes = append(json.RawMessage(nil), raw...)
			}
		case dst != nil:
			if isNull {
				continue
			}
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, reject("bad_json", fmt.Errorf("SNS body: %q is not a string", key))
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, reject("bad_json", fmt.Errorf("SNS body: %w", err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, reject("bad_json", errors.New("SNS body: data after the JSON object"))
	}
	if err := checkRequired(m); err != nil {
		return nil, err
	}
	return m, nil
}

func checkRequired(m *Message) error {
	if m.Type == "" {
		return reject("missing_field", errors.New("SNS body has no Type"))
	}
	required := []struct{ name, val string }{
		{"MessageId", m.MessageId}, {"TopicArn", m.TopicArn}, {"Message", m.Message},
		{"Timestamp", m.Timestamp}, {"SignatureVersion", m.SignatureVersion},
		{"Signature", m.Signature}, {"SigningCertURL", m.SigningCertURL},
	}
	switch m.Type {
	case TypeNotification:
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		required = append(required,
			struct{ name, val string }{"Token", m.Token},
			struct{ name, val string }{"SubscribeURL", m.SubscribeURL})
	default:
		return reject("unknown_type", fmt.Errorf("SNS body has unknown Type %q", truncate(m.Type, 64)))
	}
	var missing []string
	for _, f := range required {
		if f.val == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return reject("missing_field", fmt.Errorf("SNS %s lacks %s", m.Type, strings.Join(missing, ", ")))
	}
	if _, err := m.Time(); err != nil {
		return reject("bad_timestamp", fmt.Errorf("SNS Timestamp %q is not ISO-8601 UTC", truncate(m.Timestamp, 64)))
	}
	return nil
}

// StringToSign builds the canonical string SNS signs for m, choosing the keys
// by m.Type: for a Notification Message, MessageId, Subject (only when
// present), Timestamp, TopicArn, Type; for Subscription- and
// UnsubscribeConfirmation Message, MessageId, SubscribeURL, Timestamp, Token,
// TopicArn, Type. Each key and value is followed by a newline.
func StringToSign(m *Message) (string, error) {
	if m == nil {
		return "", errors.New("nil SNS message")
	}
	var b strings.Builder
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	switch m.Type {
	case TypeNotification:
		add("Message", m.Message)
		add("MessageId", m.MessageId)
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		add("Message", m.Message)
		add("MessageId", m.MessageId)
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	default:
		return "", fmt.Errorf("no string to sign for SNS message Type %q", truncate(m.Type, 64))
	}
	return b.String(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
