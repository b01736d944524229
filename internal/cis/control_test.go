package cis

import (
	"slices"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/filterpattern"
)

func TestControlsAreComplete(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range Controls {
		if ids[c.ID] {
			t.Errorf("duplicate control id %q", c.ID)
		}
		ids[c.ID] = true
		if c.Title == "" || len(c.Refs) == 0 || len(c.Patterns) == 0 || len(c.Probes) == 0 {
			t.Errorf("control %s: title, refs, patterns and probes are all required", c.ID)
		}
		if c.Defaults == (Names{}) || c.Defaults.FilterName == "" || c.Defaults.MetricName == "" ||
			c.Defaults.MetricNamespace == "" || c.Defaults.AlarmName == "" || c.Defaults.TopicName == "" {
			t.Errorf("control %s: every default name is required: %+v", c.ID, c.Defaults)
		}
		if c.Alarm.Statistic == "" || c.Alarm.Period <= 0 || c.Alarm.EvaluationPeriods <= 0 || c.Alarm.ComparisonOperator == "" {
			t.Errorf("control %s: incomplete alarm spec %+v", c.ID, c.Alarm)
		}
		if _, ok := c.Patterns[c.DefaultPattern]; !ok {
			t.Errorf("control %s: default pattern %q is not among its patterns", c.ID, c.DefaultPattern)
		}
		for _, r := range c.Refs {
			if r.Benchmark == "" || r.ID == "" || r.Title == "" {
				t.Errorf("control %s: incomplete ref %+v", c.ID, r)
			}
		}
		hasFail := false
		for _, p := range c.Probes {
			hasFail = hasFail || p.Severity == Fail
			if p.Name == "" || p.Problem == "" || len(p.Include) == 0 {
				t.Errorf("control %s: probe %+v needs a name, a problem and an event set", c.ID, p)
			}
			for _, text := range append(append([]string{}, p.Include...), p.Exclude...) {
				pat, err := filterpattern.Parse(text)
				if err != nil || pat.Form() != filterpattern.FormJSON {
					t.Errorf("control %s probe %s: %q must be a JSON pattern (%v)", c.ID, p.Name, text, err)
				}
			}
		}
		if !hasFail {
			t.Errorf("control %s: no probe can fail a pattern", c.ID)
		}
		checkRequirements(t, &c)
		if c.LeavesAlone == "" || len(c.AlertFields) == 0 {
			t.Errorf("control %s: LeavesAlone and AlertFields are required", c.ID)
		}
		for _, path := range c.AlertFields {
			if pat, err := filterpattern.Parse("{ " + path + " = * }"); err != nil || pat.Form() != filterpattern.FormJSON {
				t.Errorf("control %s: alert field %q is not a JSON path (%v)", c.ID, path, err)
			}
		}
		if c.AlertTitle == "" {
			t.Errorf("control %s: AlertTitle is required", c.ID)
		}
		for _, path := range c.AlertShows {
			if !slices.Contains(c.AlertFields, path) {
				t.Errorf("control %s: AlertShows field %q is not one of AlertFields", c.ID, path)
			}
		}
	}
}

// checkRequirements: every CIS version from the control's first to the newest is covered by
// exactly one requirement; each names a published pattern; a version's probes can only fail a
// pattern (a note would leak into the verdicts of other versions) and their names are unique.
func checkRequirements(t *testing.T, c *Control) {
	t.Helper()
	if len(c.Requirements) == 0 {
		t.Errorf("control %s: no requirements", c.ID)
		return
	}
	probeNames := map[string]bool{}
	for _, p := range c.Probes {
		if probeNames[p.Name] {
			t.Errorf("control %s: duplicate probe name %q", c.ID, p.Name)
		}
		probeNames[p.Name] = true
	}
	for _, r := range c.Requirements {
		if _, ok := c.Patterns[r.Pattern]; !ok {
			t.Errorf("control %s %s: pattern %q is not among its patterns", c.ID, r.Label(), r.Pattern)
		}
		if (r.Benchmark == BenchmarkCIS) != (r.Since != "") {
			t.Errorf("control %s %s: CIS requirements and only they have versions", c.ID, r.Label())
		}
		for _, p := range r.Probes {
			if p.Severity != Fail || p.Name == "" || p.Problem == "" {
				t.Errorf("control %s %s: probe %q must be a named FAIL probe", c.ID, r.Label(), p.Name)
			}
			if probeNames[p.Name] && !sharedAcross(c, p) {
				t.Errorf("control %s: probe name %q is used twice", c.ID, p.Name)
			}
			probeNames[p.Name] = true
		}
	}
	started := false
	for _, v := range CISVersions {
		n := 0
		for _, r := range c.Requirements {
			pv, _ := parseVersion(v)
			if r.covers(pv) {
				n++
			}
		}
		started = started || n > 0
		if started && n != 1 {
			t.Errorf("control %s: CIS %s is covered by %d requirements, want 1", c.ID, v, n)
		}
	}
	if (c.SecurityHubRef() != "") != (len(c.SecurityHubAccepted) > 0) {
		t.Errorf("control %s: a Security Hub ref and Security Hub texts go together", c.ID)
	}
}

// sharedAcross reports whether the probe is the very same one another requirement uses (4.2's
// CIS versions share theirs).
func sharedAcross(c *Control, p Probe) bool {
	n := 0
	for _, r := range c.Requirements {
		for _, q := range r.Probes {
			if q.Name == p.Name && q.Include[0] == p.Include[0] {
				n++
			}
		}
	}
	return n > 1
}

// Every published pattern satisfies the requirement of the versions that publish it, the Security
// Hub texts are exact, and the default pattern satisfies the newest CIS version.
func TestPublishedPatternsSatisfyTheirControl(t *testing.T) {
	for _, c := range Controls {
		for _, r := range c.Requirements {
			version := r.Since
			if version == "" {
				version = strings.ToLower(strings.ReplaceAll(r.Benchmark, " ", ""))
			}
			v, err := CheckPatternAt(&c, c.Patterns[r.Pattern], version)
			if err != nil || !v.Satisfies {
				t.Errorf("control %s pattern %s at %s: %s, %v", c.ID, r.Pattern, version, v.Reason, err)
			}
		}
		for _, text := range c.SecurityHubAccepted {
			v, err := CheckPatternAt(&c, text, "securityhub")
			if err != nil || !v.Satisfies || !v.SecurityHubExact {
				t.Errorf("control %s Security Hub text %q: %s, %v", c.ID, text, v.Reason, err)
			}
		}
		v, err := CheckPattern(&c, c.Patterns[c.DefaultPattern])
		if err != nil || !v.Satisfies {
			t.Errorf("control %s default pattern %s: %s, %v", c.ID, c.DefaultPattern, v.Reason, err)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"4.1", "4.1"}, {" 4.1 ", "4.1"}, {"3.1", "4.1"}, {"5.1", "4.1"},
		{"CloudWatch.2", "4.1"}, {"cloudwatch.2", "4.1"}, {"CWL-002", "4.1"},
		{"4.2", "4.2"}, {"3.2", "4.2"}, {"CloudWatch.1", "4.3"}, {"CloudWatch.14", "4.14"}, {"5.15", "4.15"}, {"4.10", "4.10"},
		{"4.16", ""}, {"3.15", ""}, {"", ""}, {"CloudWatch.15", ""},
	}
	for _, tc := range tests {
		c, err := Lookup(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("Lookup(%q) = %s, want an error", tc.in, c.ID)
		case tc.want != "" && (err != nil || c.ID != tc.want):
			t.Errorf("Lookup(%q) = %v, %v; want %s", tc.in, c, err, tc.want)
		}
	}
}
