package cli

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/demo"
	"github.com/cisbot/cisbot/internal/filterpattern"
)

// sampleEvents are twelve CloudTrail records as CloudWatch Logs stores them, some real, some
// synthetic, covering the codes CIS 4.1 does and does not catch.
//
//go:embed demodata/cloudtrail-sample.jsonl
var sampleEvents []byte

// demoPatterns are the pattern variants found in the wild that the demo judges; the first is
// the reference the others are compared with on the sample events.
var demoPatterns = []struct{ name, text string }{
	{"Security Hub / CIS v1.2", cis.PatternSecurityHub},
	{"CIS v1.4–v3.0, with exclusions", cis.PatternCISv3},
	{"the all-|| reprint (an erratum)", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`},
	{"exact codes, no wildcards", demo.ExactCodes},
}

func newDemoCmd(stdio IO) *cobra.Command {
	var script bool
	cmd := &cobra.Command{
		Use:   "demo [--script]",
		Short: "Show cisbot at work on built-in data, with no Slack or AWS credentials",
		Long: `The demo first judges four metric filter patterns found in the wild by what they match.
Then it runs the whole bot against two AWS accounts held by a local moto_server (the AWS
emulator; install it with: pip install "moto[server]"), with the terminal in place of
Slack. In a terminal you then type the /cis commands yourself; otherwise, or with --script,
a scripted tour runs and the demo exits. Your AWS configuration is never read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := patternTour(stdio.Out); err != nil {
				return &exitError{code: ExitError, err: err}
			}
			err := demo.Run(cmd.Context(), demo.Options{
				In: stdio.In, Out: stdio.Out,
				Interactive: !script && console.IsTerminal(stdio.In),
				Logger:      slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelWarn})),
			})
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&script, "script", false, "play the scripted tour even in a terminal")
	return cmd
}

// patternTour judges the demo patterns, then shows on the sample events where each differs
// from the first.
func patternTour(w io.Writer) error {
	ctl, err := cis.Lookup("4.1")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "# cisbot demo, part 1: CIS 4.1 metric filter patterns judged by what they match   (cisbot pattern check)")
	for _, d := range demoPatterns {
		v, err := cis.CheckPattern(ctl, d.text)
		if err != nil {
			return err
		}
		status := "PASS"
		if !v.Satisfies {
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %-32s %s\n", status, d.name, d.text)
		if !v.Satisfies {
			fmt.Fprintf(w, "        %s\n", v.Reason)
		}
	}

	var events []gjson.Result
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(sampleEvents))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
		events = append(events, gjson.ParseBytes(sc.Bytes()))
	}
	fmt.Fprintf(w, "# On %d sample CloudTrail events, compared with the %s pattern   (cisbot pattern match):\n", len(lines), demoPatterns[0].name)
	ref := filterpattern.MustParse(demoPatterns[0].text)
	for _, d := range demoPatterns[1:] {
		p := filterpattern.MustParse(d.text)
		var more, fewer []string
		for i, line := range lines {
			switch in, inRef := p.MatchBytes(line), ref.MatchBytes(line); {
			case in && !inRef:
				more = append(more, eventName(events[i]))
			case !in && inRef:
				fewer = append(fewer, eventName(events[i]))
			}
		}
		diff := "counts the same events"
		switch {
		case len(more) > 0 && len(fewer) > 0:
			diff = "also counts " + strings.Join(more, ", ") + "; misses " + strings.Join(fewer, ", ")
		case len(more) > 0:
			diff = "also counts " + strings.Join(more, ", ")
		case len(fewer) > 0:
			diff = "leaves out " + strings.Join(fewer, ", ")
		}
		fmt.Fprintf(w, "  %-32s %s\n", d.name, diff)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "# cisbot demo, part 2: the bot, with AWS in a local emulator and this terminal in place of Slack")
	return nil
}

// eventName is "kms Decrypt (AccessDeniedException)" for a sample event.
func eventName(ev gjson.Result) string {
	source, _, _ := strings.Cut(ev.Get("eventSource").String(), ".")
	code := ev.Get("errorCode").String()
	if code == "" {
		code = "success"
	}
	return fmt.Sprintf("%s %s (%s)", source, ev.Get("eventName").String(), code)
}
