package cis

import (
	"fmt"
	"strconv"
	"strings"
)

// The benchmarks a Requirement can belong to.
const (
	BenchmarkCIS         = "CIS"
	BenchmarkSecurityHub = "Security Hub"
	// BenchmarkProwler is Prowler's check of a control where it asks for more events than CIS
	// lists (4.15); Prowler compares text, so this records the event set its check looks for.
	BenchmarkProwler = "Prowler"
)

// CISVersions are the versions of the CIS AWS Foundations Benchmark the table knows, oldest
// first; the last is the one a pattern is judged against unless another is asked for.
var CISVersions = []string{"v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0", "v2.0.0", "v3.0.0", "v4.0.0", "v4.0.1", "v5.0.0", "v6.0.0", "v7.0.0"}

// NewestCIS is the default version a pattern is judged against.
func NewestCIS() string { return CISVersions[len(CISVersions)-1] }

// Requirement is what one benchmark, over a range of its versions, asks of a control's pattern:
// the control's Probes and its own, and the pattern text it publishes.
type Requirement struct {
	Benchmark string // BenchmarkCIS, BenchmarkSecurityHub or BenchmarkProwler
	// Since and Until bound the CIS versions the requirement covers, inclusive ("v1.2.0",
	// "v4.0.1"); Until empty means up to the newest. Both are empty for other benchmarks.
	Since, Until string
	// Pattern names the entry of Control.Patterns these versions publish, as far as it parses
	// (see the control's comments where a printing does not).
	Pattern string
	// Probes are what these versions require beyond the control's Probes; what the versions
	// disagree on, as data.
	Probes []Probe
}

// Label names the requirement in verdicts: "CIS v1.2.0–v4.0.1", "CIS v5.0.0+", "Security Hub".
func (r Requirement) Label() string {
	switch {
	case r.Since == "":
		return r.Benchmark
	case r.Until == "":
		return r.Benchmark + " " + r.Since + "+"
	case r.Until == r.Since:
		return r.Benchmark + " " + r.Since
	}
	return r.Benchmark + " " + r.Since + "–" + r.Until
}

// covers reports whether the requirement covers CIS version v (normalised).
func (r Requirement) covers(v [3]int) bool {
	if r.Benchmark != BenchmarkCIS {
		return false
	}
	since, _ := parseVersion(r.Since)
	if cmpVersion(v, since) < 0 {
		return false
	}
	if r.Until == "" {
		return true
	}
	until, _ := parseVersion(r.Until)
	return cmpVersion(v, until) <= 0
}

// parseVersion reads "v1.4.0", "1.4" or "v5" as a CIS version.
func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	s = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "v")
	parts := strings.Split(s, ".")
	if s == "" || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func cmpVersion(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return 0
}

// Requirement finds the requirement a pattern is judged against: "" for the newest CIS version,
// a CIS version ("v3.0.0", "3.0", "cis-v3.0"), "securityhub" or "prowler".
func (c *Control) Requirement(version string) (*Requirement, error) {
	key := strings.ToLower(strings.TrimSpace(version))
	switch key {
	case "securityhub", "security-hub", "security hub":
		return c.requirementOf(BenchmarkSecurityHub)
	case "prowler":
		return c.requirementOf(BenchmarkProwler)
	case "", "cis":
		key = NewestCIS()
	}
	v, ok := parseVersion(strings.TrimPrefix(key, "cis-"))
	if !ok {
		return nil, fmt.Errorf("benchmark version %q: use a CIS version such as %s, securityhub or prowler", version, NewestCIS())
	}
	newest, _ := parseVersion(NewestCIS())
	if cmpVersion(v, newest) > 0 {
		return nil, fmt.Errorf("benchmark version %q: the newest CIS version cisbot knows is %s", version, NewestCIS())
	}
	for i := range c.Requirements {
		if c.Requirements[i].covers(v) {
			return &c.Requirements[i], nil
		}
	}
	return nil, fmt.Errorf("control %s is not in CIS %s", c.ID, version)
}

// BenchmarkLabel names what a version argument of CheckPatternAt judges by: "CIS v7.0.0",
// "CIS v3.0.0", "Security Hub", "Prowler".
func BenchmarkLabel(version string) string {
	key := strings.ToLower(strings.TrimSpace(version))
	switch key {
	case "securityhub", "security-hub", "security hub":
		return BenchmarkSecurityHub
	case "prowler":
		return BenchmarkProwler
	case "", "cis":
		return BenchmarkCIS + " " + NewestCIS()
	}
	return BenchmarkCIS + " " + strings.TrimPrefix(key, "cis-")
}

func (c *Control) requirementOf(benchmark string) (*Requirement, error) {
	for i := range c.Requirements {
		if c.Requirements[i].Benchmark == benchmark {
			return &c.Requirements[i], nil
		}
	}
	return nil, fmt.Errorf("control %s has no %s check", c.ID, benchmark)
}

// versionsDiffer reports whether the control's requirements ask different things of a pattern,
// so that a verdict names the versions it satisfies.
func (c *Control) versionsDiffer() bool {
	for _, r := range c.Requirements {
		if len(r.Probes) > 0 {
			return true
		}
	}
	return false
}

// SecurityHubRef is the control's Security Hub id ("CloudWatch.2"), or "" when it has none.
func (c *Control) SecurityHubRef() string {
	for _, r := range c.Refs {
		if r.Benchmark == "AWS Security Hub" {
			return r.ID
		}
	}
	return ""
}
