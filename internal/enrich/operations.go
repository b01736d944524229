package enrich

import "github.com/cisbot/cisbot/internal/iamspec"

// Operations are the IAM actions of LogsReader, granted by the member role's alerts policy.
var Operations = []iamspec.Operation{
	{Action: "logs:DescribeMetricFilters", Feature: iamspec.Alerts, On: iamspec.Member, Why: "finds the metric filters feeding an alarm's metric"},
	{Action: "logs:FilterLogEvents", Feature: iamspec.Alerts, On: iamspec.Member, Why: "reads the CloudTrail events behind an alarm"},
}
