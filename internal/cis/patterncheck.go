package cis

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cisbot/cisbot/internal/filterpattern"
)

// PatternVerdict is the judgement of one metric filter pattern against one control.
type PatternVerdict struct {
	Control   string `json:"control"`
	Pattern   string `json:"pattern"`
	Satisfies bool   `json:"satisfies"`
	// Reason says in one sentence why the pattern does or does not satisfy the control.
	Reason string `json:"reason"`
	// Counterexample is an event the pattern handles wrongly, when it does not satisfy.
	Counterexample *Counterexample `json:"counterexample,omitempty"`
	// Notes are counterexamples of warning probes: the pattern satisfies, but behaves so.
	Notes []Counterexample `json:"notes,omitempty"`
	// SecurityHubExact tells whether Security Hub's string comparison accepts the text as is.
	SecurityHubExact bool `json:"securityhub_exact"`
	// Canonical is the pattern in a fixed layout (JSON patterns only).
	Canonical string `json:"canonical,omitempty"`
	// Cases is how many generated events and partial events the search evaluated.
	Cases int `json:"cases_evaluated"`
	// Benchmark is the requirement the pattern was judged against ("CIS v5.0.0+"), and Versions
	// the verdict of each of the control's requirements; both only for controls whose versions
	// ask different things of a pattern.
	Benchmark string           `json:"benchmark,omitempty"`
	Versions  []VersionVerdict `json:"versions,omitempty"`
}

// VersionVerdict says whether a pattern satisfies one requirement of a control.
type VersionVerdict struct {
	Benchmark string `json:"benchmark"` // Requirement.Label
	Satisfies bool   `json:"satisfies"`
	// Reason is what the pattern does wrong for this requirement; empty when it satisfies.
	Reason string `json:"reason,omitempty"`
}

// VersionSummary says in one line which versions a verdict satisfies and why it misses the
// others: "satisfies CIS v1.2.0, CIS v1.3.0–v4.0.1; CIS v5.0.0+: misses …; Security Hub: its
// exact-text check rejects the text". It is empty when every version rejects the pattern for
// the same reason: the verdict's own reason says it all.
func VersionSummary(vs []VersionVerdict) string {
	same := true
	for _, v := range vs {
		same = same && !v.Satisfies && v.Reason == vs[0].Reason
	}
	if same {
		return ""
	}
	var ok, bad []string
	for _, v := range vs {
		if v.Satisfies {
			ok = append(ok, v.Benchmark)
		} else {
			bad = append(bad, v.Benchmark+": "+v.Reason)
		}
	}
	parts := bad
	if len(ok) > 0 {
		parts = append([]string{"satisfies " + strings.Join(ok, ", ")}, bad...)
	}
	return strings.Join(parts, "; ")
}

// Counterexample is one concrete CloudTrail event that shows a probe failing.
type Counterexample struct {
	Probe   string `json:"probe"`
	Problem string `json:"problem"`
	// PatternMatches is what the pattern does on the event.
	PatternMatches bool `json:"pattern_matches"`
	// Fields are the fields of Event that make it a counterexample (all others are ordinary).
	Fields []FieldValue `json:"fields"`
	// Branch is the top-level || branch of the pattern that matches the event, when one does.
	Branch string `json:"branch,omitempty"`
	// Event is the whole record, one line of JSON as CloudWatch Logs stores it.
	Event json.RawMessage `json:"event"`
}

// FieldValue is one field of a counterexample; Value is JSON text, or "(absent)".
type FieldValue struct {
	Path  string `json:"path"`
	Value string `json:"value"`
}

// Absent is the FieldValue.Value of a field the event does not carry.
const Absent = "(absent)"

// searchBudget bounds the search; patterns near the 1024-character limit with many fields stay
// far below it, and a pattern that reaches it is reported as too complex to verify.
const searchBudget = 2_000_000

// CheckPattern judges a filter pattern against the control, as the newest CIS version requires
// it, by evaluating it over generated CloudTrail events, never by comparing its text. It returns
// a *filterpattern.ParseError when the pattern does not parse.
func CheckPattern(c *Control, text string) (PatternVerdict, error) {
	return CheckPatternAt(c, text, "")
}

// CheckPatternAt judges a filter pattern against the control as one benchmark version requires
// it: "" for the newest CIS version, a CIS version ("v3.0.0"), "securityhub" or "prowler" (see
// Control.Requirement). When the control's versions ask different things, the verdict also says
// which of them the pattern satisfies.
func CheckPatternAt(c *Control, text, version string) (PatternVerdict, error) {
	req, err := c.Requirement(version)
	if err != nil {
		return PatternVerdict{}, err
	}
	pat, err := filterpattern.Parse(text)
	if err != nil {
		return PatternVerdict{}, err
	}
	v := PatternVerdict{Control: c.ID, Pattern: text}
	for _, accepted := range c.SecurityHubAccepted {
		if text == accepted {
			v.SecurityHubExact = true
		}
	}
	if pat.Form() == filterpattern.FormJSON {
		v.Canonical = pat.Canonical()
	}
	j := judge{ctl: c, pat: pat, verdict: &v, extras: map[string]probeResult{}}
	shared, err := j.probes(c.Probes)
	if err != nil {
		return PatternVerdict{}, err
	}
	result := shared
	if shared.ok() {
		if result, err = j.probes(req.Probes); err != nil {
			return PatternVerdict{}, err
		}
	}
	switch {
	case result.tooComplex != "":
		v.Reason = result.tooComplex
		return v, nil
	case result.failed != nil:
		v.Counterexample = result.failed
		v.Reason = "the pattern " + result.problem + ": " + describe(result.failed.Fields)
		if result.failed.Branch != "" {
			v.Reason += ", through its branch " + result.failed.Branch
		}
	default:
		v.Satisfies = true
		v.Reason = fmt.Sprintf("the pattern matches every event control %s requires and %s", c.ID, c.LeavesAlone)
	}
	if c.versionsDiffer() {
		v.Benchmark = req.Label()
		if v.Versions, err = j.versions(shared); err != nil {
			return PatternVerdict{}, err
		}
	}
	return v, nil
}

// probeResult is the outcome of a list of probes: the first failing one, if any.
type probeResult struct {
	failed     *Counterexample
	problem    string
	tooComplex string
}

func (r probeResult) ok() bool { return r.failed == nil && r.tooComplex == "" }

// judge runs probes of one control on one pattern, adding cases and notes to the verdict, and
// remembers the outcome of each version's own probes.
type judge struct {
	ctl     *Control
	pat     *filterpattern.Pattern
	verdict *PatternVerdict
	extras  map[string]probeResult
}

func (j *judge) probes(probes []Probe) (probeResult, error) {
	for _, probe := range probes {
		if r, ok := j.extras[probe.Name]; ok {
			if !r.ok() {
				return r, nil
			}
			continue
		}
		s, err := newSearch(j.pat, probe)
		if err != nil {
			return probeResult{}, fmt.Errorf("control %s probe %s: %w", j.ctl.ID, probe.Name, err)
		}
		found, err := s.run()
		j.verdict.Cases += s.cases
		if err != nil {
			return probeResult{}, fmt.Errorf("control %s probe %s: %w", j.ctl.ID, probe.Name, err)
		}
		var r probeResult
		switch {
		case s.exhausted && probe.Severity == Fail:
			r.tooComplex = fmt.Sprintf("the pattern is too complex to verify (more than %d cases over %d fields); simplify it", searchBudget, len(s.fields))
		case found == nil:
		case probe.Severity == Warn:
			j.verdict.Notes = append(j.verdict.Notes, *found)
		default:
			r.failed, r.problem = found, probe.Problem
		}
		j.extras[probe.Name] = r
		if !r.ok() {
			return r, nil
		}
	}
	return probeResult{}, nil
}

// versions judges the pattern against every requirement of the control, given the outcome of
// the control's shared probes.
func (j *judge) versions(shared probeResult) ([]VersionVerdict, error) {
	out := make([]VersionVerdict, 0, len(j.ctl.Requirements))
	for _, req := range j.ctl.Requirements {
		vv := VersionVerdict{Benchmark: req.Label()}
		r := shared
		if r.ok() {
			var err error
			if r, err = j.probes(req.Probes); err != nil {
				return nil, err
			}
		}
		switch {
		case r.tooComplex != "":
			vv.Reason = "too complex to verify"
		case r.failed != nil:
			vv.Reason = r.problem
		case req.Benchmark == BenchmarkSecurityHub && !j.verdict.SecurityHubExact:
			vv.Reason = "its exact-text check rejects the text"
		default:
			vv.Satisfies = true
		}
		out = append(out, vv)
	}
	return out, nil
}

// describe renders a counterexample's deciding fields for a sentence.
func describe(fields []FieldValue) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		name := strings.TrimPrefix(f.Path, "$.")
		if f.Value == Absent {
			parts[i] = "no " + name
		} else {
			parts[i] = name + "=" + f.Value
		}
	}
	if len(parts) == 0 {
		return "an ordinary event"
	}
	return "an event with " + strings.Join(parts, ", ")
}
