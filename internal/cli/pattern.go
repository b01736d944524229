package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/filterpattern"
)

func newPatternCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pattern",
		Short: "Check and test CloudWatch Logs filter patterns",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newPatternCheckCmd(stdio), newPatternMatchCmd(stdio))
	return cmd
}

func newPatternCheckCmd(stdio IO) *cobra.Command {
	var control, format, benchmark string
	cmd := &cobra.Command{
		Use:   "check [--control ID|all] [--benchmark VERSION] [--format text|json] PATTERN",
		Short: "Does a metric filter pattern satisfy a CIS control?",
		Long: `Judges a metric filter pattern by evaluating it over generated CloudTrail events: it must
match every event the control requires and must not fire on the traffic the control is
not about. --control all judges it against every control and says which it satisfies.
--benchmark picks the version whose requirement judges it (default the newest CIS
version; a CIS version such as v3.0.0, securityhub or prowler); where versions disagree,
the verdict says which of them the pattern satisfies.
PATTERN "-" reads the pattern from standard input. Put "--" before a pattern that
starts with "-".

Exit status: 0 the pattern satisfies the control (with all: at least one control), 1 it
does not (an example event is shown), 2 it does not parse (the character offset is
shown) or the input is bad.`,
		Example: `  cisbot pattern check '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
  cisbot pattern check --control 4.10 --benchmark v3.0.0 - < pattern.txt
  cisbot pattern check --control all --format json - < pattern.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: ExitError, err: fmt.Errorf("--format %q: use text or json", format)}
			}
			var ctl *cis.Control
			if !strings.EqualFold(control, "all") {
				var err error
				if ctl, err = cis.Lookup(control); err != nil {
					return &exitError{code: ExitError, err: fmt.Errorf("--control: %w", err)}
				}
				if _, err := ctl.Requirement(benchmark); err != nil {
					return &exitError{code: ExitError, err: fmt.Errorf("--benchmark: %w", err)}
				}
			}
			text, err := patternArg(args[0], stdio.In)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			if ctl == nil {
				return runCheckAll(stdio, text, benchmark, format)
			}
			return runCheck(stdio, ctl, text, benchmark, format)
		},
	}
	cmd.Flags().StringVar(&control, "control", "4.1", "the control to check against (4.1–4.15, or its number in another benchmark: 3.1, 5.1, CloudWatch.2), or all")
	cmd.Flags().StringVar(&benchmark, "benchmark", "", "the benchmark version that judges the pattern: a CIS version (default the newest), securityhub or prowler")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// patternArg returns the pattern argument, or standard input for "-".
func patternArg(arg string, in io.Reader) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	b, err := io.ReadAll(io.LimitReader(in, 64*1024))
	if err != nil {
		return "", fmt.Errorf("read pattern from standard input: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// checkJSON is the --format json document of pattern check.
type checkJSON struct {
	Verdict string `json:"verdict"` // pass, fail, invalid
	*cis.PatternVerdict
	Error *parseErrorJSON `json:"error,omitempty"`
}

type parseErrorJSON struct {
	Offset  int    `json:"offset"`
	Message string `json:"message"`
}

// invalidPattern reports a pattern that does not parse (exit 2): doc in JSON, else the error
// with a caret under its position.
func invalidPattern(stdio IO, text, format string, pe *filterpattern.ParseError, doc any) error {
	if format == "json" {
		if err := writeJSON(stdio.Out, doc); err != nil {
			return &exitError{code: ExitError, err: err}
		}
		return &exitError{code: ExitError}
	}
	return &exitError{code: ExitError, err: fmt.Errorf("%v\n%s", pe, caret(text, pe.Offset))}
}

func runCheck(stdio IO, ctl *cis.Control, text, benchmark, format string) error {
	v, err := cis.CheckPatternAt(ctl, text, benchmark)
	var pe *filterpattern.ParseError
	if errors.As(err, &pe) {
		return invalidPattern(stdio, text, format, pe, checkJSON{Verdict: "invalid", PatternVerdict: &cis.PatternVerdict{Control: ctl.ID, Pattern: text},
			Error: &parseErrorJSON{Offset: pe.Offset, Message: pe.Msg}})
	}
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if format == "json" {
		doc := checkJSON{Verdict: "pass", PatternVerdict: &v}
		if !v.Satisfies {
			doc.Verdict = "fail"
		}
		if err := writeJSON(stdio.Out, doc); err != nil {
			return &exitError{code: ExitError, err: err}
		}
	} else {
		writeVerdict(stdio.Out, ctl, v)
	}
	if !v.Satisfies {
		return &exitError{code: ExitFail}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// caret shows the pattern with a marker under the character at offset.
func caret(text string, offset int) string {
	runes := []rune(text)
	// Show one line of the pattern: the one holding the offset.
	start, end := offset, offset
	for start > 0 && start <= len(runes) && runes[start-1] != '\n' {
		start--
	}
	for end < len(runes) && runes[end] != '\n' {
		end++
	}
	if start > len(runes) {
		start = len(runes)
	}
	line := string(runes[start:end])
	pad := strings.Map(func(r rune) rune {
		if r == '\t' {
			return '\t'
		}
		return ' '
	}, string(runes[start:min(offset, len(runes))]))
	return "  " + line + "\n  " + pad + "^"
}

func writeVerdict(w io.Writer, ctl *cis.Control, v cis.PatternVerdict) {
	status := "PASS"
	if !v.Satisfies {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%s  control %s: %s\n", status, ctl.ID, ctl.Title)
	fmt.Fprintf(w, "  also: %s\n", refsLine(ctl))
	fmt.Fprintf(w, "  pattern:   %s\n", v.Pattern)
	if v.Canonical != "" && v.Canonical != v.Pattern {
		fmt.Fprintf(w, "  read as:   %s\n", v.Canonical)
	}
	fmt.Fprintf(w, "  verdict:   %s\n", v.Reason)
	if v.Benchmark != "" {
		fmt.Fprintf(w, "  judged as: %s\n", v.Benchmark)
	}
	if sum := cis.VersionSummary(v.Versions); sum != "" {
		fmt.Fprintf(w, "  versions:  %s\n", sum)
	}
	fmt.Fprintf(w, "  %s\n", securityHubLine(ctl, v))
	fmt.Fprintf(w, "  checked:   %d generated cases\n", v.Cases)
	if ce := v.Counterexample; ce != nil {
		what := "does not match"
		if ce.PatternMatches {
			what = "matches"
		}
		fmt.Fprintf(w, "  example event (the pattern %s it):\n    %s\n", what, ce.Event)
	}
	for _, n := range v.Notes {
		fmt.Fprintf(w, "  note:      the pattern %s, e.g. %s\n", n.Problem, fieldsText(n.Fields))
	}
}

// securityHubLine says whether Security Hub's exact-text check accepts the pattern.
func securityHubLine(ctl *cis.Control, v cis.PatternVerdict) string {
	id := ctl.SecurityHubRef()
	switch {
	case id == "":
		return "Security Hub: has no check for this control"
	case v.SecurityHubExact:
		return "Security Hub " + id + ": accepts this exact text"
	case ctl.DefaultPattern == "securityhub":
		return "Security Hub " + id + ": does not accept this exact text (it compares strings; the securityhub pattern satisfies both)"
	}
	return "Security Hub " + id + ": does not accept this exact text (it compares strings)"
}

func refsLine(ctl *cis.Control) string {
	parts := make([]string, 0, len(ctl.Refs))
	for _, r := range ctl.Refs {
		s := r.Benchmark + " " + r.ID
		if r.Versions != "" {
			s = fmt.Sprintf("CIS %s %s", r.Versions, r.ID)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func fieldsText(fs []cis.FieldValue) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = strings.TrimPrefix(f.Path, "$.") + "=" + f.Value
	}
	return strings.Join(parts, ", ")
}

func newPatternMatchCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "match PATTERN [FILE]",
		Short: "Print the log lines a filter pattern matches",
		Long: `Reads log events, one per line, from FILE or standard input and prints each line the
pattern matches, unchanged, as the CloudWatch console's "Test pattern" does. Lines that are
not JSON are simply not matched by JSON patterns. Put "--" before a pattern that starts
with "-".

Exit status: 0 (also when nothing matches), 2 when the pattern does not parse or the
input cannot be read.`,
		Example: `  cisbot pattern match '{ $.errorCode = "AccessDenied*" }' events.jsonl
  aws logs filter-log-events ... | jq -c '.events[].message | fromjson' | cisbot pattern match '{ $.errorCode = * }'`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			pat, err := filterpattern.Parse(args[0])
			if err != nil {
				var pe *filterpattern.ParseError
				if errors.As(err, &pe) {
					err = fmt.Errorf("%v\n%s", pe, caret(args[0], pe.Offset))
				}
				return &exitError{code: ExitError, err: err}
			}
			in := stdio.In
			if len(args) == 2 && args[1] != "-" {
				f, err := os.Open(args[1])
				if err != nil {
					return &exitError{code: ExitError, err: fmt.Errorf("open events file: %w", err)}
				}
				defer f.Close()
				in = f
			}
			if err := matchLines(pat, in, stdio.Out); err != nil {
				return &exitError{code: ExitError, err: err}
			}
			return nil
		},
	}
}

// matchLines copies the lines of in that pat matches to out, byte for byte.
func matchLines(pat *filterpattern.Pattern, in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 256*1024)
	w := bufio.NewWriterSize(out, 64*1024)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it whole.
			full := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = r.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if len(line) > 0 {
			msg := bytes.TrimRight(line, "\r\n")
			if pat.MatchBytes(msg) {
				if _, werr := w.Write(line); werr != nil {
					return fmt.Errorf("write output: %w", werr)
				}
				if line[len(line)-1] != '\n' {
					w.WriteByte('\n')
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
