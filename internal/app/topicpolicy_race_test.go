package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cisbot/cisbot/internal/accountchanger"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// racingTopics is the real SNS client against moto, with someone else changing the topic's
// policy at chosen points of the merge: SNS has no conditional write.
type racingTopics struct {
	*sns.Client
	t         *testing.T
	topic     string
	gets      int
	sets      int
	afterGet  func(r *racingTopics, n int)             // after the n-th GetTopicAttributes
	aroundSet func(r *racingTopics, n int, set func()) // runs the n-th SetTopicAttributes
}

func (r *racingTopics) GetTopicAttributes(ctx context.Context, in *sns.GetTopicAttributesInput, opts ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
	out, err := r.Client.GetTopicAttributes(ctx, in, opts...)
	r.gets++
	if err == nil && r.afterGet != nil {
		r.afterGet(r, r.gets)
	}
	return out, err
}

func (r *racingTopics) SetTopicAttributes(ctx context.Context, in *sns.SetTopicAttributesInput, opts ...func(*sns.Options)) (*sns.SetTopicAttributesOutput, error) {
	r.sets++
	var (
		out *sns.SetTopicAttributesOutput
		err error
	)
	set := func() { out, err = r.Client.SetTopicAttributes(ctx, in, opts...) }
	if r.aroundSet != nil {
		r.aroundSet(r, r.sets, set)
	} else {
		set()
	}
	return out, err
}

// policy reads the topic's policy as it is, bypassing the race.
func (r *racingTopics) policy() string {
	r.t.Helper()
	out, err := r.Client.GetTopicAttributes(context.Background(), &sns.GetTopicAttributesInput{TopicArn: &r.topic})
	if err != nil {
		r.t.Fatal(err)
	}
	return out.Attributes["Policy"]
}

// write is someone else's write of the topic's policy: policy with a statement sid added.
func (r *racingTopics) write(policy, sid string) {
	r.t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		r.t.Fatal(err)
	}
	stmts, _ := doc["Statement"].([]any)
	doc["Statement"] = append(stmts, map[string]any{"Sid": sid, "Effect": "Allow", "Principal": map[string]any{"AWS": "*"},
		"Action": "sns:Subscribe", "Resource": r.topic})
	b, _ := json.Marshal(doc)
	_, err := r.Client.SetTopicAttributes(context.Background(), &sns.SetTopicAttributesInput{TopicArn: &r.topic,
		AttributeName: aws.String("Policy"), AttributeValue: aws.String(string(b))})
	if err != nil {
		r.t.Fatal(err)
	}
}

// TestMergeTopicPolicyRace: someone else changes the topic policy while cisbot merges its
// statement into it; the statement ends up there and the other change is kept, or, when the
// policy keeps changing, cisbot gives up after a few tries without overwriting anything.
func TestMergeTopicPolicyRace(t *testing.T) {
	tests := []struct {
		name      string
		before    func(r *racingTopics) // before the merge starts
		afterGet  func(r *racingTopics, n int)
		aroundSet func(r *racingTopics, n int, set func())
		wantOK    bool
		detail    string   // in the outcome's detail
		wantSids  []string // in the final policy
		noSid     []string // not in it
	}{
		{name: "changed between the read and the write",
			afterGet: func(r *racingTopics, n int) {
				if n == 1 {
					r.write(r.policy(), "team-b")
				}
			},
			wantOK: true, wantSids: []string{"ops", "team-b", cis.PolicySid}},
		{name: "overwritten right after the write (a writer that read before it)",
			aroundSet: func(r *racingTopics, n int, set func()) {
				read := r.policy()
				set()
				if n == 1 {
					r.write(read, "team-b") // drops cisbot's statement
				}
			},
			wantOK: true, wantSids: []string{"ops", "team-b", cis.PolicySid}},
		{name: "changing all the time",
			afterGet: func(r *racingTopics, n int) { r.write(r.policy(), fmt.Sprintf("team-%d", n)) },
			wantOK:   false, detail: "kept changing", wantSids: []string{"ops", "team-1", "team-2", "team-3", "team-4"}, noSid: []string{cis.PolicySid}},
		// Someone changed cisbot's statement so that it no longer lets the alarms publish: AWS
		// refuses a second statement with its Sid, and cisbot replaces no statement.
		{name: "cisbot's statement changed since it was added",
			before: func(r *racingTopics) { r.write(r.policy(), cis.PolicySid) },
			wantOK: false, detail: "does not allow this, and a policy may hold only one statement per Sid", wantSids: []string{"ops", cis.PolicySid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRemediated(t, awsaccount.Scenario{Datapoints: 2}, restrictTopicPolicy)
			plan, _ := r.plan(t)
			var merge cis.Plan
			for _, s := range plan.Steps {
				if s.Kind() == "merge_topic_policy" {
					merge = cis.Plan{Account: plan.Account, AccountID: plan.AccountID, Steps: cis.PlanSteps{s}}
				}
			}
			if len(merge.Steps) != 1 {
				t.Fatalf("no merge_topic_policy step in %v", plan.Steps)
			}
			merge.Hash = cis.PlanHash(merge.Steps)
			topics := &racingTopics{Client: r.s.SNS(""), t: t, topic: r.topicARN("cis-alarms"), afterGet: tt.afterGet, aroundSet: tt.aroundSet}
			if tt.before != nil {
				tt.before(topics)
			}
			before := topics.policy()
			res := accountchanger.Apply(context.Background(), accountchanger.Writers{SNS: func(string) accountchanger.TopicsWriter { return topics }}, merge, nil)
			out := res.Steps[0].Outcome
			if res.OK != tt.wantOK {
				t.Fatalf("OK %v, want %v: %+v", res.OK, tt.wantOK, out)
			}
			if tt.detail != "" && !strings.Contains(out.Detail, tt.detail) {
				t.Errorf("detail %q, want it to say %q", out.Detail, tt.detail)
			}
			final := topics.policy()
			if tt.before != nil && final != before {
				t.Errorf("the policy was changed:\n%s\nwant it as it was:\n%s", final, before)
			}
			for _, sid := range tt.wantSids {
				if !strings.Contains(final, `"Sid":"`+sid+`"`) {
					t.Errorf("statement %s lost: %s", sid, final)
				}
			}
			for _, sid := range tt.noSid {
				if strings.Contains(final, `"Sid":"`+sid+`"`) {
					t.Errorf("statement %s written: %s", sid, final)
				}
			}
		})
	}
}
