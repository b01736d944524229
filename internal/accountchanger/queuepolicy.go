package accountchanger

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/cisbot/cisbot/internal/cis"
)

// mergeQueuePolicy merges the statement that lets the topic send into the queue's policy, unless
// a statement allows that already, keeping the rest of the policy, as ensurePublish does for a
// topic: read again just before the write (a change since restarts the merge), read back after
// it (the statement must be there and nothing merged into may be gone), a bounded number of
// times.
func mergeQueuePolicy(ctx context.Context, c QueuesWriter, s cis.MergeQueuePolicy) cis.StepOutcome {
	policy, err := readQueuePolicy(ctx, c, s.QueueURL)
	if err != nil {
		return failed("sqs:GetQueueAttributes", s.QueueARN, err)
	}
	g := s.Send
	wrote := false
	for try := 1; ; try++ {
		merged, changed, err := g.Grant(policy, s.QueueARN)
		switch {
		case err != nil:
			return refused(fmt.Sprintf("the policy of %s cannot be merged (%v); cisbot does not replace it: add statement %s by hand", s.QueueARN, err, g.Sid))
		case !changed && wrote:
			return succeeded(true, "statement "+g.Sid+" merged into its policy, so topic "+g.TopicARN+" may send (the policy was changed by someone else meanwhile, and that change is kept)")
		case !changed:
			return succeeded(false, "its policy lets topic "+g.TopicARN+" send already")
		}
		current, err := readQueuePolicy(ctx, c, s.QueueURL)
		if err != nil {
			return failed("sqs:GetQueueAttributes", s.QueueARN, err)
		}
		if current == policy {
			if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &s.QueueURL,
				Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): merged}}); err != nil {
				return failed("sqs:SetQueueAttributes", s.QueueARN, err)
			}
			wrote = true
			if current, err = readQueuePolicy(ctx, c, s.QueueURL); err != nil {
				return failed("sqs:GetQueueAttributes", s.QueueARN, err)
			}
			if _, missing, err := g.Grant(current, s.QueueARN); err == nil && !missing && keeps(current, policy) {
				return succeeded(true, "statement "+g.Sid+" merged into its policy, so topic "+g.TopicARN+" may send")
			}
		}
		if try == policyTries {
			return refused(fmt.Sprintf("the policy of %s kept changing while cisbot merged statement %s into it (%d tries); it was not overwritten: approve the fix again once nobody else is changing it, or add the statement by hand", s.QueueARN, g.Sid, policyTries))
		}
		policy = current
	}
}

// readQueuePolicy is the queue's policy as it is now ("" when it has none).
func readQueuePolicy(ctx context.Context, c QueuesWriter, url string) (string, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		return "", err
	}
	return out.Attributes[string(sqstypes.QueueAttributeNamePolicy)], nil
}
