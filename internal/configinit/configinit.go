// Package configinit writes a first, commented config file: by default one account on the
// bot's own credentials, or, from the organization, one account per ACTIVE member reached
// through the role deploy/aws/member-role.yaml creates.
package configinit

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cisbot/cisbot/internal/awsenv"
)

// Options say what the file holds.
type Options struct {
	Region     string              // aws.region; empty: us-east-1
	Accounts   []awsenv.OrgAccount // empty: one account on the bot's own credentials
	RoleName   string              // the member role's name (with Accounts)
	ExternalID string              // its trust policy's sts:ExternalId (with Accounts)
	Partition  string              // empty: aws
}

// notName is a run of what an account name may not hold (config: letters, digits, - _ .).
var notName = regexp.MustCompile(`[^a-z0-9._-]+`)

// Names turns the organization's account names into names users type after /cis audit:
// lower case, other characters dashes, at most 64 characters, "all" reserved; a name taken
// (ignoring case) gets -2, -3… in the order of the accounts' ids, so a re-run gives the same.
func Names(accounts []awsenv.OrgAccount) map[string]string {
	byID := slices.Clone(accounts)
	slices.SortFunc(byID, func(a, b awsenv.OrgAccount) int { return strings.Compare(a.ID, b.ID) })
	out := map[string]string{}
	taken := map[string]bool{}
	for _, a := range byID {
		base := strings.Trim(notName.ReplaceAllString(strings.ToLower(a.Name), "-"), "-._")
		base = cmp.Or(base, "account-"+a.ID)
		if base == "all" {
			base = "all-accounts"
		}
		base = base[:min(len(base), 60)]
		name := base
		for i := 2; taken[name]; i++ {
			name = base + "-" + strconv.Itoa(i)
		}
		taken[name] = true
		out[a.ID] = name
	}
	return out
}

// Render writes the config file.
func Render(o Options) []byte {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "aws:\n  region: %s                # where account-level calls go (STS, Organizations)\n\n", cmp.Or(o.Region, "us-east-1"))
	b.WriteString("# The accounts users audit by name: /cis audit <name>, or /cis audit all for every one.\n")
	b.WriteString("# Names: letters, digits, - _ . (1-64); unique ignoring case; \"all\" is reserved.\n")
	b.WriteString("accounts:\n")
	if len(o.Accounts) == 0 {
		b.WriteString("  # The account cisbot runs in: no role_arn, so its own credentials are used.\n")
		b.WriteString("  - name: default\n")
		b.WriteString("    # channel: C0123ABCDE              # optional: the Slack channel id for its results\n")
		b.WriteString("  # An account reached through the role deploy/aws/member-role.yaml creates:\n")
		b.WriteString("  # - name: prod\n  #   role_arn: arn:aws:iam::111111111111:role/cisbot\n  #   external_id: your-external-id\n")
	} else {
		names := Names(o.Accounts)
		part := cmp.Or(o.Partition, "aws")
		fmt.Fprintf(&b, "  # One per ACTIVE account of the organization, each through role %s (deploy/aws/member-role.yaml).\n", o.RoleName)
		for _, a := range o.Accounts {
			fmt.Fprintf(&b, "  - name: %s\n", names[a.ID])
			fmt.Fprintf(&b, "    role_arn: arn:%s:iam::%s:role/%s   # %s\n", part, a.ID, o.RoleName, yamlComment(a.Name))
			if o.ExternalID != "" {
				fmt.Fprintf(&b, "    external_id: %s\n", strconv.Quote(o.ExternalID))
			}
			b.WriteString("    # channel: C0123ABCDE\n")
		}
		b.WriteString("\n# Accounts the organization gains later are audited with --all (and /cis audit all) through\n")
		b.WriteString("# the same role; the StackSet's auto-deployment creates it there.\n")
		fmt.Fprintf(&b, "organization:\n  role_name: %s\n", o.RoleName)
		if o.ExternalID != "" {
			fmt.Fprintf(&b, "  external_id: %s\n", strconv.Quote(o.ExternalID))
		}
	}
	b.WriteString(footer)
	return []byte(b.String())
}

// yamlComment keeps a comment on one line.
func yamlComment(s string) string { return strings.Join(strings.Fields(s), " ") }

const header = `# cisbot configuration, written by cisbot config init. Point cisbot at it with --config FILE or
# CISBOT_CONFIG; check it with cisbot config check, and the whole set-up with cisbot doctor.
# internal/config/example.yml in the source describes every setting.
#
# - Unknown keys are errors; ${NAME} is replaced by the environment variable NAME.
# - Credentials never go in this file: AWS's come from the usual AWS sources, Slack's tokens
#   from SLACK_BOT_TOKEN and SLACK_APP_TOKEN.

`

const footer = `
# Optional: the alert relay, the SNS endpoint that posts alarms to Slack.
# alerts:
#   listen: ":8080"
#   topics: [arn:aws:sns:us-east-1:111111111111:cis-alarms]
#   default_channel: C0123ABCDE

# Optional: who may approve /cis fix, and what it creates.
# remediation:
#   approvers: [U0123ABCDE]
`
