package cli

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/filterpattern"
)

// sampleEvents are twelve CloudTrail records as CloudWatch Logs stores them, some real, some
// synthetic, covering the codes CIS 4.1 does and does not catch.
//
//go:embed demodata/cloudtrail-sample.jsonl
var sampleEvents []byte

// demoPatterns are the pattern variants found in the wild that the demo judges.
var demoPatterns = []struct{ name, text string }{
	{"Security Hub / CIS v1.2", cis.PatternSecurityHub},
	{"CIS v1.4–v3.0, with exclusions", cis.PatternCISv3},
	{"the all-|| reprint (an erratum)", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`},
	{"exact codes, no wildcards", `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`},
}

func newDemoCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Show cisbot at work on built-in data, with no Slack or AWS credentials",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runDemo(stdio)
		},
	}
}

func runDemo(stdio IO) error {
	w := stdio.Out
	ctl, err := cis.Lookup("4.1")
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	fmt.Fprintln(w, "cisbot demo: CIS 4.1 metric filter patterns judged by what they match (built-in data, no credentials needed)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "1. Does the pattern satisfy control 4.1?   (cisbot pattern check PATTERN)")
	for _, d := range demoPatterns {
		v, err := cis.CheckPattern(ctl, d.text)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		status := "PASS"
		if !v.Satisfies {
			status = "FAIL"
		}
		fmt.Fprintf(w, "   %s  %-32s %s\n", status, d.name, d.text)
		if !v.Satisfies {
			fmt.Fprintf(w, "         %s\n", v.Reason)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "2. Which sample CloudTrail events does each pattern count?   (cisbot pattern match PATTERN FILE)")
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(sampleEvents))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	header := fmt.Sprintf("   %-2s %-30s %-30s", "#", "event", "errorCode")
	for i := range demoPatterns {
		header += fmt.Sprintf(" %c", 'A'+i)
	}
	fmt.Fprintln(w, header)
	pats := make([]*filterpattern.Pattern, len(demoPatterns))
	for i, d := range demoPatterns {
		pats[i] = filterpattern.MustParse(d.text)
	}
	for n, line := range lines {
		ev := gjson.ParseBytes(line)
		code := ev.Get("errorCode").String()
		if code == "" {
			code = "(none: success or sign-in)"
		}
		row := fmt.Sprintf("   %-2d %-30s %-30s", n+1, ev.Get("eventSource").String()[:strings.IndexByte(ev.Get("eventSource").String()+".", '.')]+" "+ev.Get("eventName").String(), code)
		for _, p := range pats {
			mark := "."
			if p.MatchBytes(line) {
				mark = "x"
			}
			row += " " + mark
		}
		fmt.Fprintln(w, row)
	}
	for i, d := range demoPatterns {
		fmt.Fprintf(w, "   %c = %s\n", 'A'+i, d.name)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Next: cisbot pattern check --help, cisbot pattern match --help")
	return nil
}
