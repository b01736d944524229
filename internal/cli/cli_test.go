package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/testutil/goldenfile"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) { t.Helper(); goldenfile.Check(t, name, []byte(got)) }

const allOr = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`

func TestPatternCheck(t *testing.T) {
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		golden string // compared with stdout (stderr when stdout is empty)
	}{
		{"securityhub text", "", []string{"pattern", "check", cis.PatternSecurityHub}, 0, "check-securityhub.txt"},
		{"cis v3 json", "", []string{"pattern", "check", "--format", "json", cis.PatternCISv3}, 0, "check-cisv3.json"},
		{"all-or text", "", []string{"pattern", "check", allOr}, 1, "check-allor.txt"},
		{"exact codes json", "", []string{"pattern", "check", "--format=json", `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`}, 1, "check-exact.json"},
		{"parse error text", "", []string{"pattern", "check", `{ ($.errorCode = ) }`}, 2, "check-invalid.txt"},
		{"parse error json", "", []string{"pattern", "check", "--format", "json", `{ ($.errorCode = ) }`}, 2, "check-invalid.json"},
		{"pattern from stdin", cis.PatternSecurityHub + "\n", []string{"pattern", "check", "-"}, 0, "check-securityhub.txt"},
		{"control by Security Hub id", "", []string{"pattern", "check", "--control", "CloudWatch.2", cis.PatternSecurityHub}, 0, "check-securityhub.txt"},
		{"exclusion term after --", "", []string{"pattern", "check", "--", "-AccessDenied"}, 1, ""},
		{"unknown control", "", []string{"pattern", "check", "--control", "9.9", "x"}, 2, "check-unknown-control.txt"},
		{"bad format", "", []string{"pattern", "check", "--format", "yaml", "x"}, 2, ""},
		{"missing pattern", "", []string{"pattern", "check"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if tc.code == 2 && errOut == "" && !strings.Contains(out, `"invalid"`) {
				t.Error("exit 2 without a message")
			}
			if tc.golden == "" {
				return
			}
			got := out
			if got == "" {
				got = errOut
			}
			golden(t, tc.golden, got)
		})
	}
}

func TestPatternCheckJSONContract(t *testing.T) {
	code, out, _ := run(t, "", "pattern", "check", "--format", "json", allOr)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"verdict", "control", "pattern", "satisfies", "reason", "counterexample", "securityhub_exact", "canonical", "cases_evaluated"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("JSON output lacks %q", key)
		}
	}
	ce := doc["counterexample"].(map[string]any)
	if ce["probe"] != "over-broad" || ce["pattern_matches"] != true {
		t.Errorf("counterexample %v", ce)
	}
	if _, ok := ce["event"].(map[string]any); !ok {
		t.Errorf("counterexample event is not an object: %T", ce["event"])
	}
}

func TestPatternMatch(t *testing.T) {
	events, err := os.ReadFile("testdata/cloudtrail-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(events), "\n")
	pick := func(nums ...int) string {
		var b strings.Builder
		for _, n := range nums {
			b.WriteString(lines[n-1])
		}
		return b.String()
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"securityhub from stdin", string(events), []string{"pattern", "match", cis.PatternSecurityHub}, 0, pick(1, 2, 3, 4, 7, 8, 9, 10)},
		{"cis v3 from file", "", []string{"pattern", "match", cis.PatternCISv3, "testdata/cloudtrail-sample.jsonl"}, 0, pick(1, 2, 3, 4, 7, 8)},
		{"file as -", string(events), []string{"pattern", "match", `{ $.errorCode NOT EXISTS }`, "-"}, 0, pick(6, 12)},
		{"term pattern", string(events), []string{"pattern", "match", `AuthorizationError`}, 0, pick(11)},
		{"nothing matches", string(events), []string{"pattern", "match", `{ $.eventName = "Nope" }`}, 0, ""},
		{"non-JSON lines are skipped", "plain text\n[1,2]\n" + lines[1] + "{broken\n", []string{"pattern", "match", `{ $.errorCode = * }`}, 0, lines[1]},
		{"CRLF and no final newline kept", "x AccessDenied\r\ny\nz AccessDenied", []string{"pattern", "match", "AccessDenied"}, 0, "x AccessDenied\r\nz AccessDenied\n"},
		{"empty pattern matches all", "a\nb\n", []string{"pattern", "match", ""}, 0, "a\nb\n"},
		{"bad pattern", "", []string{"pattern", "match", `{ $.a = `}, 2, ""},
		{"missing file", "", []string{"pattern", "match", "x", "testdata/does-not-exist"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			if out != tc.want {
				t.Errorf("stdout:\n%q\nwant:\n%q", out, tc.want)
			}
			if code == 2 && !strings.HasPrefix(errOut, "cisbot: ") {
				t.Errorf("stderr %q lacks a cisbot: message", errOut)
			}
		})
	}
}

func TestPatternMatchLongLine(t *testing.T) {
	long := `{"errorCode":"AccessDenied","pad":"` + strings.Repeat("x", 600*1024) + `"}`
	code, out, _ := run(t, "short\n"+long+"\n", "pattern", "match", `{ $.errorCode = "AccessDenied*" }`)
	if code != 0 || out != long+"\n" {
		t.Errorf("exit %d, %d bytes out; want the %d-byte line", code, len(out), len(long)+1)
	}
}

func TestTopLevel(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 0, "Usage:"},
		{[]string{"--help"}, 0, "pattern"},
		{[]string{"version"}, 0, "cisbot "},
		{[]string{"nope"}, 2, "unknown command"},
		{[]string{"pattern"}, 0, "check"},
		{[]string{"demo"}, 0, "the all-|| reprint"},
	}
	for _, tc := range tests {
		code, out, errOut := run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("cisbot %v: exit %d, output %q; want exit %d containing %q", tc.args, code, out+errOut, tc.code, tc.want)
		}
	}
}
