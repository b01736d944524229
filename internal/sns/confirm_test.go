package sns

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/store"
)

// TestCheckSubscribeURL: only SNS's host in the topic's own region and partition, asked to
// confirm that topic, is ever fetched.
func TestCheckSubscribeURL(t *testing.T) {
	const (
		topic   = "arn:aws:sns:us-east-1:111111111111:cis-alarms"
		cnTopic = "arn:aws-cn:sns:cn-north-1:111111111111:cis-alarms"
		q       = "/?Action=ConfirmSubscription&TopicArn="
	)
	tests := []struct {
		name, url, topic string
		ok               bool
	}{
		{"commercial", "https://sns.us-east-1.amazonaws.com" + q + topic + "&Token=x", topic, true},
		{"topic escaped", "https://sns.us-east-1.amazonaws.com" + q + "arn%3Aaws%3Asns%3Aus-east-1%3A111111111111%3Acis-alarms&Token=x", topic, true},
		{"China", "https://sns.cn-north-1.amazonaws.com.cn" + q + cnTopic + "&Token=x", cnTopic, true},
		{"ISO", "https://sns.us-iso-east-1.c2s.ic.gov" + q + "arn:aws-iso:sns:us-iso-east-1:1:t&Token=x", "arn:aws-iso:sns:us-iso-east-1:1:t", true},
		{"GovCloud", "https://sns.us-gov-west-1.amazonaws.com" + q + "arn:aws-us-gov:sns:us-gov-west-1:1:t", "arn:aws-us-gov:sns:us-gov-west-1:1:t", true},
		{"host of another region", "https://sns.eu-west-1.amazonaws.com" + q + topic + "&Token=x", topic, false},
		{"host of another partition", "https://sns.cn-north-1.amazonaws.com.cn" + q + topic + "&Token=x", topic, false},
		{"China's region on the commercial suffix", "https://sns.cn-north-1.amazonaws.com" + q + cnTopic, cnTopic, false},
		{"another topic", "https://sns.us-east-1.amazonaws.com" + q + "arn:aws:sns:us-east-1:111111111111:other&Token=x", topic, false},
		{"no topic", "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=x", topic, false},
		{"bogus region in TopicArn", "https://sns.s3-us-west-2.amazonaws.com" + q + "arn:aws:sns:s3-us-west-2:1:t", "arn:aws:sns:s3-us-west-2:1:t", false},
		{"made-up region in TopicArn", "https://sns.evil-east-1.amazonaws.com" + q + "arn:aws:sns:evil-east-1:1:t", "arn:aws:sns:evil-east-1:1:t", false},
		{"http", "http://sns.us-east-1.amazonaws.com" + q + topic, topic, false},
		{"suffix appended", "https://sns.us-east-1.amazonaws.com.evil.example" + q + topic, topic, false},
		{"host in the query", "https://evil.example/?Action=ConfirmSubscription&host=sns.us-east-1.amazonaws.com&TopicArn=" + topic, topic, false},
		{"userinfo", "https://user@sns.us-east-1.amazonaws.com" + q + topic, topic, false},
		{"port", "https://sns.us-east-1.amazonaws.com:8443" + q + topic, topic, false},
		{"unsubscribe", "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&TopicArn=" + topic, topic, false},
		{"empty", "", topic, false},
	}
	for _, tc := range tests {
		if err := CheckSubscribeURL(tc.url, tc.topic); (err == nil) != tc.ok {
			t.Errorf("%s: CheckSubscribeURL(%q, %q) = %v, want ok=%v", tc.name, tc.url, tc.topic, err, tc.ok)
		}
	}
}

// The outbox keeps one copy of a message SNS delivers twice.
func TestEnqueuer(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	enqueue := Enqueuer(st, func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) })
	m := &Message{Type: "Notification", MessageId: "m-1", TopicArn: "arn:aws:sns:us-east-1:111111111111:cis-alarms"}
	for i, want := range []bool{true, false} {
		added, err := enqueue(context.Background(), m, []byte(`{"Type":"Notification"}`))
		if err != nil || added != want {
			t.Fatalf("delivery %d: added %v, %v; want %v", i+1, added, err, want)
		}
	}
	if n, err := st.Pending(context.Background()); err != nil || n != 1 {
		t.Errorf("pending %d, %v; want 1", n, err)
	}
}
