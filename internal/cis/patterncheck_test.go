package cis

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/filterpattern"
)

type variant struct {
	line      int
	verdict   string // pass or fail
	probe     string // fail: the failing probe; pass: "-" or the expected note's probe
	shubExact bool
	name      string
	pattern   string
}

func loadVariants(t *testing.T, path string) []variant {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []variant
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.SplitN(line, "\t", 5)
		if len(cols) != 5 {
			t.Fatalf("%s:%d: want 5 tab-separated columns, got %d", path, n, len(cols))
		}
		pat := strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(cols[4])
		out = append(out, variant{line: n, verdict: cols[0], probe: cols[1], shubExact: cols[2] == "yes", name: cols[3], pattern: pat})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// requiredByCIS is an oracle independent of the pattern engine: what control 4.1 requires of an
// event, in plain string logic.
func requiredByCIS(ev map[string]any) (required, success bool) {
	code, hasCode := ev["errorCode"]
	s, isString := code.(string)
	if !hasCode {
		return false, true
	}
	if !isString || !(strings.HasSuffix(s, "UnauthorizedOperation") || strings.HasPrefix(s, "AccessDenied")) {
		return false, false
	}
	excluded := ev["sourceIPAddress"] == "delivery.logs.amazonaws.com" || ev["eventName"] == "HeadBucket"
	return !excluded, false
}

func TestCheckPatternVariants(t *testing.T) {
	ctl, err := Lookup("4.1")
	if err != nil {
		t.Fatal(err)
	}
	variants := loadVariants(t, "testdata/patterns-4.1.tsv")
	if len(variants) < 25 {
		t.Fatalf("only %d variants; the control needs at least 25", len(variants))
	}
	for _, tc := range variants {
		t.Run(tc.name, func(t *testing.T) {
			v, err := CheckPattern(ctl, tc.pattern)
			if err != nil {
				t.Fatalf("line %d: CheckPattern: %v", tc.line, err)
			}
			if got := map[bool]string{true: "pass", false: "fail"}[v.Satisfies]; got != tc.verdict {
				t.Fatalf("line %d: verdict %s, want %s (%s)", tc.line, got, tc.verdict, v.Reason)
			}
			if v.SecurityHubExact != tc.shubExact {
				t.Errorf("securityhub_exact = %v, want %v", v.SecurityHubExact, tc.shubExact)
			}
			if v.Reason == "" {
				t.Error("empty reason")
			}
			if tc.verdict == "pass" {
				if v.Counterexample != nil {
					t.Errorf("a passing pattern has a counterexample: %+v", v.Counterexample)
				}
				var notes []string
				for _, n := range v.Notes {
					notes = append(notes, n.Probe)
				}
				want := []string{}
				if tc.probe != "-" {
					want = []string{tc.probe}
				}
				if strings.Join(notes, ",") != strings.Join(want, ",") {
					t.Errorf("notes %v, want %v", notes, want)
				}
				return
			}
			ce := v.Counterexample
			if ce == nil {
				t.Fatal("a failing pattern has no counterexample")
			}
			if ce.Probe != tc.probe {
				t.Errorf("failing probe %q, want %q (%s)", ce.Probe, tc.probe, v.Reason)
			}
			checkCounterexample(t, tc.pattern, ce)
		})
	}
}

// checkCounterexample replays the event with the real matcher and judges it with the oracle, so
// a wrong report cannot pass.
func checkCounterexample(t *testing.T, pattern string, ce *Counterexample) {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(ce.Event, &ev); err != nil {
		t.Fatalf("counterexample is not a JSON object: %v", err)
	}
	for _, f := range []string{"eventName", "sourceIPAddress", "awsRegion", "eventSource", "eventTime", "eventID"} {
		if _, ok := ev[f].(string); !ok {
			t.Errorf("counterexample is not a CloudTrail record: %s is %T", f, ev[f])
		}
	}
	matches := filterpattern.MustParse(pattern).Match(string(ce.Event))
	if matches != ce.PatternMatches {
		t.Errorf("report says pattern_matches=%v, the matcher says %v", ce.PatternMatches, matches)
	}
	required, success := requiredByCIS(ev)
	switch ce.Probe {
	case "missed":
		if !required || matches {
			t.Errorf("missed: event required=%v, pattern matches=%v: %s", required, matches, ce.Event)
		}
	case "over-broad":
		if !success || !matches {
			t.Errorf("over-broad: event is a success=%v, pattern matches=%v: %s", success, matches, ce.Event)
		}
	}
	if len(ce.Fields) == 0 {
		t.Error("the counterexample names no field")
	}
}

func TestCheckPatternParseError(t *testing.T) {
	ctl, _ := Lookup("4.1")
	tests := []struct {
		pattern string
		offset  int
	}{
		{`{ $.errorCode = }`, 16},
		{`{ $.errorCode = "AccessDenied*" || }`, 35},
		{`{ $.errorCode = "AccessDenied*"`, 31},
		{strings.Repeat("a", 1025), 1024},
	}
	for _, tc := range tests {
		_, err := CheckPattern(ctl, tc.pattern)
		var pe *filterpattern.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v, want a ParseError", tc.pattern, err)
			continue
		}
		if pe.Offset != tc.offset {
			t.Errorf("%q: offset %d, want %d (%s)", tc.pattern, pe.Offset, tc.offset, pe.Msg)
		}
	}
}

func TestCheckPatternFieldsExplainFailure(t *testing.T) {
	ctl, _ := Lookup("4.1")
	tests := []struct {
		pattern string
		path    string
		value   string
	}{
		{`{ ($.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*") && $.awsRegion = "us-east-1" }`, "$.awsRegion", ""},
		{`{ ($.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*") && $.userIdentity.userName NOT EXISTS }`, "$.userIdentity.userName", `"example"`},
		{`{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" || $.foo NOT EXISTS }`, "$.foo", Absent},
		{`{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" || $.foo NOT EXISTS }`, "$.errorCode", Absent},
	}
	for _, tc := range tests {
		v, err := CheckPattern(ctl, tc.pattern)
		if err != nil || v.Counterexample == nil {
			t.Fatalf("%s: want a counterexample, got %+v, %v", tc.pattern, v, err)
		}
		found := false
		for _, f := range v.Counterexample.Fields {
			if f.Path == tc.path && (tc.value == "" || f.Value == tc.value) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: fields %v do not name %s=%s", tc.pattern, v.Counterexample.Fields, tc.path, tc.value)
		}
		if !strings.Contains(v.Reason, strings.TrimPrefix(tc.path, "$.")) {
			t.Errorf("reason %q does not mention %s", v.Reason, tc.path)
		}
	}
}
