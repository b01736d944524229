package awsenv

import "github.com/cisbot/cisbot/internal/iamspec"

// Operations are the calls made with the bot's own credentials, granted by its own policy.
var Operations = []iamspec.Operation{
	{Action: "sts:AssumeRole", Feature: iamspec.Audit, On: iamspec.Bot, Why: "assumes the member role in each account, for every feature", Resource: "arn:aws:iam::*:role/" + iamspec.RoleName},
	{Action: "organizations:ListAccounts", Feature: iamspec.Organization, On: iamspec.Bot, Why: "lists the organization's ACTIVE accounts (management account or delegated administrator)"},
}
