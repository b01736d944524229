package accountchanger

import "github.com/cisbot/cisbot/internal/iamspec"

// Operations are the IAM actions of the interfaces above, granted by the member role's
// remediation policy (off unless the stack turns it on). Creating an alarm or a topic with
// tags also needs the service's TagResource, though the bot never calls it on its own.
var Operations = []iamspec.Operation{
	{Action: "logs:DescribeMetricFilters", Feature: iamspec.Fix, On: iamspec.Member, Why: "checks what exists before creating a metric filter"},
	{Action: "logs:PutMetricFilter", Feature: iamspec.Fix, On: iamspec.Member, Why: "creates a control's metric filter"},
	{Action: "cloudwatch:DescribeAlarms", Feature: iamspec.Fix, On: iamspec.Member, Why: "checks what exists before creating an alarm"},
	{Action: "cloudwatch:PutMetricAlarm", Feature: iamspec.Fix, On: iamspec.Member, Why: "creates a control's alarm"},
	{Action: "cloudwatch:TagResource", Feature: iamspec.Fix, On: iamspec.Member, Why: "tags the alarm at creation (PutMetricAlarm with Tags)"},
	{Action: "sns:GetTopicAttributes", Feature: iamspec.Fix, On: iamspec.Member, Why: "reads a topic's policy before merging the alarms' statement"},
	{Action: "sns:SetTopicAttributes", Feature: iamspec.Fix, On: iamspec.Member, Why: "lets CloudWatch publish to the topic"},
	{Action: "sns:CreateTopic", Feature: iamspec.Fix, On: iamspec.Member, Why: "creates the alarms' shared topic"},
	{Action: "sns:TagResource", Feature: iamspec.Fix, On: iamspec.Member, Why: "tags the topic at creation (CreateTopic with Tags)"},
	{Action: "sns:ListSubscriptionsByTopic", Feature: iamspec.Fix, On: iamspec.Member, Why: "checks what exists before subscribing"},
	{Action: "sns:Subscribe", Feature: iamspec.Fix, On: iamspec.Member, Why: "subscribes the alert endpoint or a mailbox to the topic"},
	{Action: "cloudtrail:GetTrailStatus", Feature: iamspec.Fix, On: iamspec.Member, Why: "checks whether the trail is logging"},
	{Action: "cloudtrail:StartLogging", Feature: iamspec.Fix, On: iamspec.Member, Why: "starts a stopped trail"},
	{Action: "sqs:GetQueueAttributes", Feature: iamspec.Fix, On: iamspec.Member, Why: "reads a subscribed queue's policy before merging the statement that lets the topic send"},
	{Action: "sqs:SetQueueAttributes", Feature: iamspec.Fix, On: iamspec.Member, Why: "merges into a subscribed queue's policy the statement that lets the topic send (remediation.subscribe sqs:)"},
}
