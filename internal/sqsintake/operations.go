package sqsintake

import "github.com/cisbot/cisbot/internal/iamspec"

// Operations are the AWS calls of the queue intake (Receiver), granted to the bot's own
// identity, or to the queue's role_arn when the queue is in another account.
var Operations = []iamspec.Operation{
	{Action: "sqs:ReceiveMessage", Feature: iamspec.Queues, On: iamspec.Bot, Why: "receives the alarm notifications delivered to the queue"},
	{Action: "sqs:DeleteMessage", Feature: iamspec.Queues, On: iamspec.Bot, Why: "deletes a notification once it is stored"},
	{Action: "sqs:GetQueueAttributes", Feature: iamspec.Queues, On: iamspec.Bot, Why: "checks that the queue exists and is readable at start and in doctor"},
}
