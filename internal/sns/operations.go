package sns

import "github.com/cisbot/cisbot/internal/iamspec"

// Operations are the IAM actions of ConfirmAPI, granted by the member role's alerts policy.
var Operations = []iamspec.Operation{
	{Action: "sns:ConfirmSubscription", Feature: iamspec.Alerts, On: iamspec.Member, Why: "confirms the alert endpoint's subscription so that nobody can unsubscribe it without AWS credentials"},
}
