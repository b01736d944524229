package cli

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/configinit"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/iampolicy"
)

// isTerminal says whether config init may ask for what its flags lack; tests replace it.
var isTerminal = console.IsTerminal

type initFlags struct {
	fromOrg                      bool
	roleName, externalID, output string
	force                        bool
}

func newConfigInitCmd(stdio IO) *cobra.Command {
	var fl initFlags
	cmd := &cobra.Command{
		Use:   "init [--from-organization] [--role-name NAME] [--external-id ID] [--output FILE] [--force]",
		Short: "Write a first, commented config file",
		Long: `Write a commented config file (default cisbot.yml; --output - prints it). With
--from-organization it lists the organization's ACTIVE accounts (organizations:ListAccounts,
from the management account or a delegated administrator) and writes one account per member,
reached through the role deploy/aws/member-role.yaml creates: --role-name and --external-id
name it, asked for on a terminal when missing. An existing file is never overwritten
without --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := configInit(cmd.Context(), stdio, fl); err != nil {
				return &exitError{code: ExitError, err: err}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&fl.fromOrg, "from-organization", false, "one account per ACTIVE account of the organization")
	cmd.Flags().StringVar(&fl.roleName, "role-name", "", "the member role's name (with --from-organization)")
	cmd.Flags().StringVar(&fl.externalID, "external-id", "", "the member role's external id (with --from-organization)")
	cmd.Flags().StringVar(&fl.output, "output", "cisbot.yml", "the file to write; - prints it")
	cmd.Flags().BoolVar(&fl.force, "force", false, "overwrite an existing file")
	return cmd
}

func configInit(ctx context.Context, stdio IO, fl initFlags) error {
	if fl.output != "-" && !fl.force {
		if _, err := os.Stat(fl.output); err == nil {
			return fmt.Errorf("%s exists: choose another --output, or add --force to overwrite it", fl.output)
		}
	}
	o := configinit.Options{}
	if fl.fromOrg {
		if err := askRole(stdio, &fl); err != nil {
			return err
		}
		f, err := awsenv.New(ctx, awsenv.Options{})
		if err != nil {
			return err
		}
		accounts, err := f.OrganizationAccounts(ctx)
		if err != nil {
			return fmt.Errorf("%w (--from-organization needs the management account's or a delegated administrator's credentials)", err)
		}
		if len(accounts) == 0 {
			return errors.New("the organization lists no ACTIVE account")
		}
		o = configinit.Options{Region: f.Region(), Accounts: accounts, RoleName: fl.roleName, ExternalID: fl.externalID}
	} else if fl.roleName != "" || fl.externalID != "" {
		return errors.New("--role-name and --external-id go with --from-organization")
	}
	data := configinit.Render(o)
	if _, err := config.Parse(fl.output, data, nil); err != nil {
		return fmt.Errorf("the config written would not load (nothing was written): %w", err)
	}
	if fl.output == "-" {
		_, err := stdio.Out.Write(data)
		return err
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if fl.force {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	fh, err := os.OpenFile(fl.output, flag, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: choose another --output, or add --force to overwrite it", fl.output)
	}
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Err, "wrote %s (%d account(s)); next: cisbot doctor --config %s\n", fl.output, max(len(o.Accounts), 1), fl.output)
	return nil
}

// askRole asks on a terminal for the role name and external id the flags lack.
func askRole(stdio IO, fl *initFlags) error {
	if fl.roleName != "" && fl.externalID != "" {
		return nil
	}
	if !isTerminal(stdio.In) {
		return errors.New("--from-organization needs --role-name and --external-id (the member role's, as deployed from deploy/aws/member-role.yaml); not on a terminal, so they cannot be asked for")
	}
	in := bufio.NewReader(stdio.In)
	ask := func(prompt, def string) (string, error) {
		fmt.Fprint(stdio.Err, prompt)
		line, err := in.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("reading the answer: %w", err)
		}
		return cmp.Or(strings.TrimSpace(line), def), nil
	}
	var err error
	if fl.roleName == "" {
		if fl.roleName, err = ask(fmt.Sprintf("Member role name [%s]: ", iampolicy.DefaultRoleName), iampolicy.DefaultRoleName); err != nil {
			return err
		}
	}
	for fl.externalID == "" {
		if fl.externalID, err = ask("External id (the stack's ExternalId parameter): ", ""); err != nil {
			return err
		}
	}
	return nil
}
