package cis

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestTopicSendGrant(t *testing.T) {
	send := TopicSend{Sid: QueuePolicySid, TopicARN: topicARN}
	stmt := func(principal, action, resource, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"theirs","Effect":"Allow","Principal":` + principal + `,"Action":"` + action +
			`","Resource":"` + resource + `"` + cond + `}]}`
	}
	fromTopic := `,"Condition":{"ArnEquals":{"aws:SourceArn":"` + topicARN + `"}}`
	sns := `{"Service":"sns.amazonaws.com"}`
	tests := []struct {
		name, policy string
		changed      bool
	}{
		{"no policy", "", true},
		{"cisbot's statement for another topic", `{"Statement":[{"Sid":"` + QueuePolicySid + `-other","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + queueARN + `","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:other"}}}]}`, true},
		{"SNS from the topic", stmt(sns, "sqs:SendMessage", queueARN, fromTopic), false},
		{"everyone from the topic, wildcard action", stmt(`"*"`, "sqs:*", queueARN, fromTopic), false},
		{"from the topic by pattern", stmt(sns, "SQS:SendMessage", "arn:aws:sqs:us-east-1:111111111111:*", `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:*"}}`), false},
		{"from another topic", stmt(sns, "sqs:SendMessage", queueARN, `,"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:other"}}`), true},
		{"no condition", stmt(sns, "sqs:SendMessage", queueARN, ""), true},
		{"another queue", stmt(sns, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:other", fromTopic), true},
		{"another action", stmt(sns, "sqs:ReceiveMessage", queueARN, fromTopic), true},
		{"a Deny", strings.Replace(stmt(sns, "sqs:SendMessage", queueARN, fromTopic), "Allow", "Deny", 1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			merged, changed, err := send.Grant(tc.policy, queueARN)
			if err != nil || changed != tc.changed {
				t.Fatalf("Grant = changed %v, %v; want changed %v", changed, err, tc.changed)
			}
			if !changed {
				if merged != tc.policy {
					t.Errorf("unchanged policy rewritten: %s", merged)
				}
				return
			}
			var doc struct{ Statement []map[string]any }
			if err := json.Unmarshal([]byte(merged), &doc); err != nil {
				t.Fatal(err)
			}
			last := doc.Statement[len(doc.Statement)-1]
			want := map[string]any{"Sid": QueuePolicySid, "Effect": "Allow", "Principal": map[string]any{"Service": "sns.amazonaws.com"},
				"Action": "sqs:SendMessage", "Resource": queueARN, "Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicARN}}}
			if !reflect.DeepEqual(last, want) {
				t.Errorf("merged statement %v, want %v", last, want)
			}
			if tc.policy != "" && len(doc.Statement) != 2 {
				t.Errorf("the policy's own statement is gone: %s", merged)
			}
			if _, again, _ := send.Grant(merged, queueARN); again {
				t.Error("merging again changes the policy")
			}
		})
	}
	for name, policy := range map[string]string{
		"not an object": `[1,2]`,
		// AWS refuses two statements with one Sid, and cisbot replaces no statement.
		"cisbot's Sid on a statement that allows nothing": `{"Statement":[{"Sid":"` + QueuePolicySid + `"}]}`,
	} {
		if merged, _, err := send.Grant(policy, queueARN); err == nil {
			t.Errorf("%s: Grant = %s, want an error", name, merged)
		}
	}
}

// The new step's wire form: a kind of its own, its parameters, and a stored step lacking one
// is a RawStep the applier refuses.
func TestMergeQueuePolicyWire(t *testing.T) {
	s := MergeQueuePolicy{StepInfo: StepInfo{Region: "us-east-1", Resource: queueARN, Detail: "d"}, QueueARN: queueARN,
		QueueURL: "https://sqs.us-east-1.amazonaws.com/111111111111/cis-alarms", Send: TopicSend{Sid: QueuePolicySid, TopicARN: topicARN}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"merge_queue_policy","region":"us-east-1","resource":"` + queueARN + `","detail":"d","params":{"QueueARN":"` + queueARN +
		`","QueueURL":"https://sqs.us-east-1.amazonaws.com/111111111111/cis-alarms","Sid":"cisbot-topic-send","TopicARN":"` + topicARN + `"}}`
	if string(b) != want {
		t.Errorf("wire form\n got %s\nwant %s", b, want)
	}
	back, err := UnmarshalStep(b)
	if err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("UnmarshalStep = %#v, %v", back, err)
	}
	raw, _ := UnmarshalStep([]byte(strings.Replace(want, `"QueueURL"`, `"Other"`, 1)))
	if r, ok := raw.(RawStep); !ok || !strings.Contains(r.Problem, "lacks parameter QueueURL") {
		t.Errorf("a step lacking QueueURL = %#v, want a RawStep saying so", raw)
	}
}

// A queue subscribed to topics of one name in two regions or accounts gets a statement for each:
// their Sids differ, and name the topic for people reading the policy.
func TestQueueSendSid(t *testing.T) {
	sids := map[string]string{}
	for _, arn := range []string{
		"arn:aws:sns:us-east-1:111111111111:cis-alarms",
		"arn:aws:sns:eu-west-1:111111111111:cis-alarms",
		"arn:aws:sns:us-east-1:222222222222:cis-alarms",
		"arn:aws:sns:us-east-1:111111111111:cis_alarms",
		"arn:aws:sns:us-east-1:111111111111:cisalarms",
	} {
		sid := queueSendSid(arn)
		if !strings.HasPrefix(sid, QueuePolicySid+"-cis") {
			t.Errorf("Sid %q of %s", sid, arn)
		}
		if other, dup := sids[sid]; dup {
			t.Errorf("%s and %s share Sid %s", arn, other, sid)
		}
		sids[sid] = arn
	}
}
