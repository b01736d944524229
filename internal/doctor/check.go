// Package doctor checks a whole set-up before users meet it: the config, the store, Slack, each
// account's role and permissions, the alert endpoint and the clock. Each checker is small and
// reaches the outside world through interfaces declared here, so tests give it the real
// clients pointed at the Slack fake and moto.
package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Status is a check's outcome.
type Status string

// The outcomes, from best to worst. A SKIP is a check that did not apply (a feature not
// configured, a token not set) and says why; it fails nothing.
const (
	Pass Status = "PASS"
	Skip Status = "SKIP"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Check is one line of the checklist.
type Check struct {
	Name   string `json:"name"`   // what was checked, e.g. "slack: scopes"
	Status Status `json:"status"` // PASS, SKIP, WARN or FAIL
	Detail string `json:"detail"` // what was found
	Fix    string `json:"fix,omitempty"`
}

// Exit codes of cisbot doctor.
const (
	ExitOK     = 0 // every check passed (warnings and skips allowed)
	ExitFail   = 1 // a check failed
	ExitNotRun = 2 // the checks could not run
)

// Report is the checklist in the order the checks ran.
type Report struct {
	Checks []Check `json:"checks"`
}

// Add appends checks.
func (r *Report) Add(c ...Check) { r.Checks = append(r.Checks, c...) }

// Counts counts the checks by status.
func (r Report) Counts() map[Status]int {
	n := map[Status]int{}
	for _, c := range r.Checks {
		n[c.Status]++
	}
	return n
}

// ExitCode is ExitFail when any check failed, else ExitOK.
func (r Report) ExitCode() int {
	if r.Counts()[Fail] > 0 {
		return ExitFail
	}
	return ExitOK
}

// WriteText writes one line per check, its fix on the next line, and a summary line.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-4s  %s: %s\n", c.Status, c.Name, c.Detail)
		if c.Fix != "" && c.Status != Pass {
			fmt.Fprintf(&b, "      fix: %s\n", c.Fix)
		}
	}
	n := r.Counts()
	fmt.Fprintf(&b, "%d checks: %d pass, %d warn, %d fail, %d skipped\n", len(r.Checks), n[Pass], n[Warn], n[Fail], n[Skip])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one document with the counts and the exit code.
func (r Report) WriteJSON(w io.Writer) error {
	n := r.Counts()
	doc := struct {
		OK     bool    `json:"ok"`
		Exit   int     `json:"exit"`
		Pass   int     `json:"pass"`
		Warn   int     `json:"warn"`
		Fail   int     `json:"fail"`
		Skip   int     `json:"skip"`
		Checks []Check `json:"checks"`
	}{r.ExitCode() == ExitOK, r.ExitCode(), n[Pass], n[Warn], n[Fail], n[Skip], r.Checks}
	if doc.Checks == nil {
		doc.Checks = []Check{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func pass(name, detail string) Check { return Check{Name: name, Status: Pass, Detail: detail} }

func skip(name, detail string) Check { return Check{Name: name, Status: Skip, Detail: detail} }

func warn(name, detail, fix string) Check {
	return Check{Name: name, Status: Warn, Detail: detail, Fix: fix}
}

func fail(name, detail, fix string) Check {
	return Check{Name: name, Status: Fail, Detail: detail, Fix: fix}
}
