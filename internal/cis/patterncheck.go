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

// CheckPattern judges a filter pattern against the control by evaluating it over generated
// CloudTrail events, never by comparing its text. It returns a *filterpattern.ParseError when
// the pattern does not parse.
func CheckPattern(c *Control, text string) (PatternVerdict, error) {
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
	for _, probe := range c.Probes {
		s, err := newSearch(pat, probe)
		if err != nil {
			return PatternVerdict{}, fmt.Errorf("control %s probe %s: %w", c.ID, probe.Name, err)
		}
		found, err := s.run()
		v.Cases += s.cases
		if err != nil {
			return PatternVerdict{}, fmt.Errorf("control %s probe %s: %w", c.ID, probe.Name, err)
		}
		if s.exhausted && probe.Severity == Fail {
			v.Reason = fmt.Sprintf("the pattern is too complex to verify (more than %d cases over %d fields); simplify it", searchBudget, len(s.fields))
			return v, nil
		}
		if found == nil {
			continue
		}
		if probe.Severity == Warn {
			v.Notes = append(v.Notes, *found)
			continue
		}
		v.Counterexample = found
		v.Reason = "the pattern " + probe.Problem + ": " + describe(found.Fields)
		if found.Branch != "" {
			v.Reason += ", through its branch " + found.Branch
		}
		return v, nil
	}
	v.Satisfies = true
	v.Reason = fmt.Sprintf("the pattern matches every event control %s requires and no successful API call", c.ID)
	return v, nil
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
