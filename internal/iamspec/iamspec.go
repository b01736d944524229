// Package iamspec declares the AWS operations the bot calls, each with the IAM action it needs
// and the feature that needs it, so that the policies in deploy/aws and `cisbot iam-policy` are
// generated from the code instead of kept in sync by hand. Each package that calls AWS declares
// its operations next to its interfaces; internal/iampolicy collects them.
package iamspec

// Feature is what a user turns on that needs a permission.
type Feature string

// The features, in the order policies list them.
const (
	Audit        Feature = "audit"        // reading accounts for /cis audit, summaries and doctor
	Fix          Feature = "fix"          // remediation with approval
	Alerts       Feature = "alerts"       // the alert relay: subscriptions and the events behind an alarm
	Queues       Feature = "queues"       // alerts read from SQS queues instead of an HTTPS endpoint
	Organization Feature = "organization" // listing the organization's accounts
)

// Features lists every feature in policy order.
var Features = []Feature{Audit, Fix, Alerts, Queues, Organization}

// Principal is the identity that needs a permission.
type Principal string

const (
	// Member is the role the bot assumes in each audited account (deploy/aws/member-role.yaml).
	Member Principal = "member"
	// Bot is the bot's own identity, which assumes the member roles (deploy/aws/bot-policy.json).
	Bot Principal = "bot"
)

// Operation is one AWS call the bot makes.
type Operation struct {
	Action  string    // the IAM action, e.g. "cloudtrail:DescribeTrails"
	Feature Feature   // what needs it
	On      Principal // whose policy grants it
	Why     string    // what the bot does with it, for reviewers of the policy
	// Resource is what the action may act on; empty means "*". RoleName in it stands for the
	// member role's name.
	Resource string
}

// RoleName is replaced by the member role's name in an Operation's Resource.
const RoleName = "{role}"
