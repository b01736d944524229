package cis

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/filterpattern"
)

// corpusEntry is one line of testdata/events/<control>.jsonl: a CloudTrail record as CloudWatch
// Logs stores it, and what a pattern satisfying the control must do with it.
type corpusEntry struct {
	Want string `json:"want"` // match, no-match, either
	Note string `json:"note"`
	// Since is the CIS version from which the event is required; Versions narrows the
	// requirement to "cis" (not Security Hub) or "prowler".
	Since    string          `json:"since"`
	Versions string          `json:"versions"`
	Event    json.RawMessage `json:"event"`
}

func loadCorpus(t *testing.T, id string) []corpusEntry {
	t.Helper()
	f, err := os.Open("testdata/events/" + id + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e corpusEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// requiredBy reports whether the requirement asks for the entry's event to be matched.
func (e corpusEntry) requiredBy(r *Requirement) bool {
	if e.Want != "match" {
		return false
	}
	switch e.Versions {
	case "prowler":
		return r.Benchmark == BenchmarkProwler
	case "cis":
		return r.Benchmark == BenchmarkCIS
	}
	if e.Since == "" {
		return true
	}
	since, _ := parseVersion(e.Since)
	return r.covers(since) || r.Benchmark == BenchmarkCIS && r.Since != "" && cmpVersion(mustVersion(r.Since), since) >= 0
}

func mustVersion(s string) [3]int {
	v, _ := parseVersion(s)
	return v
}

// replay checks a pattern that a requirement's verdict says satisfies the control against the
// corpus: it matches every event the requirement asks for and no event it must not match.
func replay(t *testing.T, c *Control, r *Requirement, name, pattern string) {
	t.Helper()
	pat := filterpattern.MustParse(pattern)
	for _, e := range loadCorpus(t, c.ID) {
		got := pat.MatchBytes(e.Event)
		switch {
		case e.requiredBy(r) && !got:
			t.Errorf("control %s %s, %s: does not match %q", c.ID, r.Label(), name, e.Note)
		case e.Want == "no-match" && got:
			t.Errorf("control %s %s, %s: matches %q", c.ID, r.Label(), name, e.Note)
		}
	}
}

// The corpus is made of CloudTrail records, and every control has one with both kinds.
func TestCorpusShape(t *testing.T) {
	for _, c := range Controls {
		entries := loadCorpus(t, c.ID)
		kinds := map[string]int{}
		for _, e := range entries {
			kinds[e.Want]++
			var ev map[string]any
			if err := json.Unmarshal(e.Event, &ev); err != nil {
				t.Fatalf("%s %q: %v", c.ID, e.Note, err)
			}
			for _, f := range []string{"eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress"} {
				if _, ok := ev[f].(string); !ok {
					t.Errorf("%s %q: %s is %T, not a string", c.ID, e.Note, f, ev[f])
				}
			}
			if _, ok := ev["userIdentity"].(map[string]any); !ok {
				t.Errorf("%s %q: no userIdentity object", c.ID, e.Note)
			}
			if e.Note == "" || !slices.Contains([]string{"match", "no-match", "either"}, e.Want) {
				t.Errorf("%s: entry %+v needs a note and a want", c.ID, e)
			}
		}
		if kinds["match"] == 0 || kinds["no-match"] == 0 {
			t.Errorf("control %s: the corpus needs events to match and events not to match: %v", c.ID, kinds)
		}
	}
}

// Every published pattern handles the corpus as the versions that publish it require.
func TestCorpusPublishedPatterns(t *testing.T) {
	for i := range Controls {
		c := &Controls[i]
		for j := range c.Requirements {
			r := &c.Requirements[j]
			replay(t, c, r, r.Pattern, c.Patterns[r.Pattern])
		}
	}
}

type controlVariant struct {
	line                      int
	control, version, verdict string
	probes                    []string
	shubExact                 bool
	name, pattern             string
}

func loadControlVariants(t *testing.T) []controlVariant {
	t.Helper()
	b, err := os.ReadFile("testdata/patterns-by-control.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out []controlVariant
	for n, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.SplitN(line, "\t", 7)
		if len(cols) != 7 {
			t.Fatalf("line %d: want 7 tab-separated columns, got %d", n+1, len(cols))
		}
		v := controlVariant{line: n + 1, control: cols[0], version: cols[1], verdict: cols[2], shubExact: cols[4] == "yes", name: cols[5], pattern: cols[6]}
		if v.version == "-" {
			v.version = ""
		}
		if cols[3] != "-" {
			v.probes = strings.Split(cols[3], ",")
		}
		out = append(out, v)
	}
	return out
}

func TestCheckPatternByControl(t *testing.T) {
	variants := loadControlVariants(t)
	perControl := map[string]int{}
	for _, tc := range variants {
		perControl[tc.control]++
		t.Run(tc.control+"/"+tc.name, func(t *testing.T) {
			c, err := Lookup(tc.control)
			if err != nil {
				t.Fatal(err)
			}
			v, err := CheckPatternAt(c, tc.pattern, tc.version)
			var pe *filterpattern.ParseError
			if tc.verdict == "invalid" {
				if !errors.As(err, &pe) {
					t.Fatalf("line %d: want a parse error, got %v", tc.line, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("line %d: %v", tc.line, err)
			}
			if got := map[bool]string{true: "pass", false: "fail"}[v.Satisfies]; got != tc.verdict {
				t.Fatalf("line %d: verdict %s, want %s (%s)", tc.line, got, tc.verdict, v.Reason)
			}
			if v.SecurityHubExact != tc.shubExact {
				t.Errorf("line %d: securityhub_exact = %v, want %v", tc.line, v.SecurityHubExact, tc.shubExact)
			}
			if tc.verdict == "fail" {
				if v.Counterexample == nil || len(tc.probes) != 1 || v.Counterexample.Probe != tc.probes[0] {
					t.Fatalf("line %d: failing probe %v, want %v (%s)", tc.line, v.Counterexample, tc.probes, v.Reason)
				}
				return
			}
			var notes []string
			for _, n := range v.Notes {
				notes = append(notes, n.Probe)
			}
			slices.Sort(notes)
			want := slices.Sorted(slices.Values(tc.probes))
			if !slices.Equal(notes, want) {
				t.Errorf("line %d: notes %v, want %v", tc.line, notes, want)
			}
			r, _ := c.Requirement(tc.version)
			replay(t, c, r, tc.name, tc.pattern)
		})
	}
	for _, c := range Controls[1:] {
		if perControl[c.ID] < 6 {
			t.Errorf("control %s has %d pattern variants; want at least 6", c.ID, perControl[c.ID])
		}
	}
}
