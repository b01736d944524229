package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/filterpattern"
)

// checkAllJSON is the --format json document of pattern check --control all.
type checkAllJSON struct {
	Verdict   string          `json:"verdict"` // pass (satisfies at least one control), fail, invalid
	Pattern   string          `json:"pattern"`
	Benchmark string          `json:"benchmark"`
	Canonical string          `json:"canonical,omitempty"`
	Satisfies []string        `json:"satisfies"` // the ids of the controls it satisfies
	Controls  []checkJSON     `json:"controls"`  // one per control, in table order
	Error     *parseErrorJSON `json:"error,omitempty"`
}

// allVerdict is one control's entry: its verdict, or why the benchmark has no such control.
type allVerdict struct {
	ctl *cis.Control
	v   cis.PatternVerdict
	na  string
}

func (a allVerdict) status() string {
	switch {
	case a.na != "":
		return "n/a"
	case a.v.Satisfies:
		return "pass"
	}
	return "fail"
}

// checkAll judges the pattern against every control; a control the chosen benchmark does not
// have (4.15 before CIS v1.3.0, or in Security Hub) is n/a.
func checkAll(text, benchmark string) ([]allVerdict, error) {
	out := make([]allVerdict, 0, len(cis.Controls))
	for i := range cis.Controls {
		ctl := &cis.Controls[i]
		if _, err := ctl.Requirement(benchmark); err != nil {
			out = append(out, allVerdict{ctl: ctl, v: cis.PatternVerdict{Control: ctl.ID, Pattern: text}, na: err.Error()})
			continue
		}
		v, err := cis.CheckPatternAt(ctl, text, benchmark)
		if err != nil {
			return nil, err
		}
		out = append(out, allVerdict{ctl: ctl, v: v})
	}
	return out, nil
}

func runCheckAll(stdio IO, text, benchmark, format string) error {
	label := cis.BenchmarkLabel(benchmark)
	pat, err := filterpattern.Parse(text)
	var pe *filterpattern.ParseError
	if errors.As(err, &pe) {
		return invalidPattern(stdio, text, format, pe, checkAllJSON{Verdict: "invalid", Pattern: text, Benchmark: label, Satisfies: []string{}, Controls: []checkJSON{},
			Error: &parseErrorJSON{Offset: pe.Offset, Message: pe.Msg}})
	}
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	all, err := checkAll(text, benchmark)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	satisfied := []string{}
	for _, a := range all {
		if a.status() == "pass" {
			satisfied = append(satisfied, a.ctl.ID)
		}
	}
	if format == "json" {
		doc := checkAllJSON{Verdict: "fail", Pattern: text, Benchmark: label, Satisfies: satisfied}
		if len(satisfied) > 0 {
			doc.Verdict = "pass"
		}
		if pat.Form() == filterpattern.FormJSON {
			doc.Canonical = pat.Canonical()
		}
		for _, a := range all {
			v := a.v
			if a.na != "" {
				v.Reason = a.na
			}
			doc.Controls = append(doc.Controls, checkJSON{Verdict: a.status(), PatternVerdict: &v})
		}
		if err := writeJSON(stdio.Out, doc); err != nil {
			return &exitError{code: ExitError, err: err}
		}
	} else {
		writeAll(stdio.Out, pat, text, label, all, satisfied)
	}
	if len(satisfied) == 0 {
		return &exitError{code: ExitFail}
	}
	return nil
}

// writeAll prints one entry per control: its status, id and title, then why.
func writeAll(w io.Writer, pat *filterpattern.Pattern, text, label string, all []allVerdict, satisfied []string) {
	fmt.Fprintf(w, "pattern:   %s\n", text)
	if pat.Form() == filterpattern.FormJSON && pat.Canonical() != text {
		fmt.Fprintf(w, "read as:   %s\n", pat.Canonical())
	}
	fmt.Fprintf(w, "judged as: %s\n\n", label)
	for _, a := range all {
		fmt.Fprintf(w, "%-4s  %-5s %s\n", strings.ToUpper(a.status()), a.ctl.ID, a.ctl.Title)
		switch {
		case a.na != "":
			fmt.Fprintf(w, "            %s\n", a.na)
			continue
		case !a.v.Satisfies:
			fmt.Fprintf(w, "            %s\n", a.v.Reason)
		}
		if sum := cis.VersionSummary(a.v.Versions); sum != "" {
			fmt.Fprintf(w, "            versions: %s\n", sum)
		}
		if a.v.Satisfies {
			fmt.Fprintf(w, "            %s\n", securityHubLine(a.ctl, a.v))
			for _, n := range a.v.Notes {
				fmt.Fprintf(w, "            note: the pattern %s, e.g. %s\n", n.Problem, fieldsText(n.Fields))
			}
		}
	}
	if len(satisfied) == 0 {
		fmt.Fprintf(w, "\nsatisfies none of the %d controls\n", len(all))
		return
	}
	fmt.Fprintf(w, "\nsatisfies %d of %d controls: %s\n", len(satisfied), len(all), strings.Join(satisfied, ", "))
}
