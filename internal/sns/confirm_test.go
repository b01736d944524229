package sns

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/store"
)

func TestCheckSubscribeURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=x", true},
		{"https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&Token=x", true},
		{"https://sns.us-iso-east-1.c2s.ic.gov/?Action=ConfirmSubscription&Token=x", true},
		{"https://sns.us-gov-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x", true},
		{"https://sns.cn-north-1.amazonaws.com/?Action=ConfirmSubscription&Token=x", false},
		{"http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", false},
		{"https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription", false},
		{"https://evil.example/?Action=ConfirmSubscription&host=sns.us-east-1.amazonaws.com", false},
		{"https://user@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", false},
		{"https://sns.us-east-1.amazonaws.com:8443/?Action=ConfirmSubscription", false},
		{"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe", false},
		{"", false},
	}
	for _, tc := range tests {
		if err := CheckSubscribeURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckSubscribeURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
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
