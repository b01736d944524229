// Package cli is cisbot's command line: the subcommands, their flags, output formats and exit
// codes, which other tools rely on (see the contracts in the design notes).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes shared by the subcommands.
const (
	ExitOK    = 0
	ExitFail  = 1 // a check ran and something does not comply
	ExitError = 2 // bad input, bad config, or the check could not run
)

// Version is set at build time (-ldflags "-X github.com/cisbot/cisbot/internal/cli.Version=…");
// otherwise the module version from the build info is used.
var Version = ""

// exitError carries an exit code through cobra; its message (if any) has been printed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// IO is where a command reads and writes, so tests can run commands in-process.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// Run executes the command line args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdio IO) int {
	root := newRoot(stdio)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stdio.Err, "cisbot: %v\n", ee.err)
		}
		return ee.code
	}
	// Usage errors from cobra itself: unknown command, bad flag, wrong argument count.
	fmt.Fprintf(stdio.Err, "cisbot: %v\nRun 'cisbot --help' for usage.\n", err)
	return ExitError
}

func newRoot(stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "cisbot",
		Short: "Keep AWS accounts compliant with the CIS AWS Foundations monitoring controls",
		Long: `cisbot checks and fixes the CIS AWS Foundations Benchmark monitoring controls 4.1–4.15
(Security Hub CloudWatch.1–14): a CloudTrail metric filter and alarm for unauthorized API
calls, root account use, IAM policy changes and the rest. It judges a metric filter by what
its pattern matches, never by comparing text.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.AddCommand(newRunCmd(stdio), newAuditCmd(stdio), newConfigCmd(stdio), newPatternCmd(stdio), newVersionCmd(stdio), newDemoCmd(stdio), newConsoleCmd(stdio), newFixCmd(stdio), newSummaryCmd(stdio), newIAMPolicyCmd(stdio), newDoctorCmd(stdio))
	return root
}

func newVersionCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdio.Out, "cisbot %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
