package accountreader

import "github.com/cisbot/cisbot/internal/iamspec"

// Operations are the IAM actions of the interfaces above, all read-only, granted by the member
// role's audit policy. sts:GetCallerIdentity needs no permission and is not listed.
var Operations = []iamspec.Operation{
	{Action: "cloudtrail:DescribeTrails", Feature: iamspec.Audit, On: iamspec.Member, Why: "lists every region's trails, shadow trails included"},
	{Action: "cloudtrail:GetTrailStatus", Feature: iamspec.Audit, On: iamspec.Member, Why: "checks that a multi-region trail is logging"},
	{Action: "cloudtrail:GetEventSelectors", Feature: iamspec.Audit, On: iamspec.Member, Why: "checks that the trail records management events, read and write"},
	{Action: "logs:DescribeMetricFilters", Feature: iamspec.Audit, On: iamspec.Member, Why: "reads the metric filters of the trail's log group"},
	{Action: "cloudwatch:DescribeAlarms", Feature: iamspec.Audit, On: iamspec.Member, Why: "finds the alarms on each filter's metric"},
	{Action: "sns:ListSubscriptionsByTopic", Feature: iamspec.Audit, On: iamspec.Member, Why: "checks that an alarm's topic has a confirmed subscriber"},
}
