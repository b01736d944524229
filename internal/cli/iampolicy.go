package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/iampolicy"
	"github.com/cisbot/cisbot/internal/iamspec"
)

func newIAMPolicyCmd(stdio IO) *cobra.Command {
	var features, forWhom, roleName, partition string
	cmd := &cobra.Command{
		Use:   "iam-policy [--feature audit,fix,alerts,queues,organization] [--for member|bot] [--partition aws|aws-cn|aws-us-gov]",
		Short: "Print the IAM policy the bot needs, generated from the AWS calls it makes",
		Long: `Print the IAM policy document the bot needs for the features named, one statement per
feature. --for member (the default) is the policy of the role the bot assumes in each account
(deploy/aws/member-role.yaml); --for bot is the policy of the bot's own identity
(deploy/aws/bot-policy.json), which assumes that role by --role-name. Its ARNs are in
--partition: aws, or aws-cn and aws-us-gov for China and GovCloud accounts.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fs, err := iampolicy.ParseFeatures(features)
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("--feature: %w", err)}
			}
			on := iamspec.Principal(forWhom)
			if on != iamspec.Member && on != iamspec.Bot {
				return &exitError{code: ExitError, err: fmt.Errorf("--for %q: use member (the role in each account) or bot (the bot's own identity)", forWhom)}
			}
			if !slices.Contains(iampolicy.Partitions, partition) {
				return &exitError{code: ExitError, err: fmt.Errorf("--partition %q: use one of %s", partition, strings.Join(iampolicy.Partitions, ", "))}
			}
			_, err = stdio.Out.Write(iampolicy.Policy(iampolicy.All(), on, fs, roleName).InPartition(partition).JSON())
			return err
		},
	}
	cmd.Flags().StringVar(&features, "feature", "all", "comma-separated features: audit, fix, alerts, queues, organization, or all")
	cmd.Flags().StringVar(&forWhom, "for", string(iamspec.Member), "member (the role assumed in each account) or bot (the bot's own identity)")
	cmd.Flags().StringVar(&roleName, "role-name", iampolicy.DefaultRoleName, "the member role's name, which the bot's policy lets it assume")
	cmd.Flags().StringVar(&partition, "partition", "aws", "the partition of the policy's ARNs: aws, aws-cn (China) or aws-us-gov (GovCloud)")
	return cmd
}
