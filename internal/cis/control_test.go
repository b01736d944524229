package cis

import (
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
		if c.Title == "" || len(c.Refs) == 0 || len(c.Patterns) == 0 || len(c.Probes) == 0 || len(c.SecurityHubAccepted) == 0 {
			t.Errorf("control %s: title, refs, patterns, probes and Security Hub texts are all required", c.ID)
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
	}
}

// Every published pattern of a control satisfies it, and the Security Hub texts are exact.
func TestPublishedPatternsSatisfyTheirControl(t *testing.T) {
	for _, c := range Controls {
		for name, text := range c.Patterns {
			v, err := CheckPattern(&c, text)
			if err != nil || !v.Satisfies {
				t.Errorf("control %s pattern %s: %+v, %v", c.ID, name, v, err)
			}
		}
		for _, text := range c.SecurityHubAccepted {
			v, err := CheckPattern(&c, text)
			if err != nil || !v.Satisfies || !v.SecurityHubExact {
				t.Errorf("control %s Security Hub text %q: %+v, %v", c.ID, text, v, err)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"4.1", "4.1"}, {" 4.1 ", "4.1"}, {"3.1", "4.1"}, {"5.1", "4.1"},
		{"CloudWatch.2", "4.1"}, {"cloudwatch.2", "4.1"}, {"CWL-002", "4.1"},
		{"4.2", ""}, {"", ""}, {"CloudWatch.1", ""},
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
