package cli

import (
	"encoding/json"
	"testing"

	"github.com/cisbot/cisbot/internal/cis"
)

func TestPatternCheckAll(t *testing.T) {
	iam := cis.Controls[3].Patterns["securityhub"]
	sg := cis.Controls[9].Patterns["securityhub"]
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"all text", []string{"pattern", "check", "--control", "all", iam}, 0, "check-all.txt"},
		{"all json", []string{"pattern", "check", "--control", "all", "--format", "json", iam}, 0, "check-all.json"},
		{"all, none satisfied", []string{"pattern", "check", "--control", "all", `{ $.eventName = "GetRole" }`}, 1, "check-all-none.txt"},
		{"all, parse error json", []string{"pattern", "check", "--control", "ALL", "--format", "json", `{ ($.errorCode = ) }`}, 2, "check-all-invalid.json"},
		{"all against Security Hub", []string{"pattern", "check", "--control", "all", "--benchmark", "securityhub", sg}, 0, "check-all-securityhub.txt"},
		{"4.10 misses v5.0", []string{"pattern", "check", "--control", "4.10", sg}, 1, "check-4.10-securityhub.txt"},
		{"4.10 at v3.0.0", []string{"pattern", "check", "--control", "CloudWatch.10", "--benchmark", "v3.0.0", "--format", "json", sg}, 0, "check-4.10-v3.json"},
		{"4.15 has no Security Hub check", []string{"pattern", "check", "--control", "4.15", "--benchmark", "securityhub", "x"}, 2, ""},
		{"unknown version", []string{"pattern", "check", "--control", "4.2", "--benchmark", "v9.0.0", "x"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if tc.golden == "" {
				if errOut == "" {
					t.Error("no message")
				}
				return
			}
			golden(t, tc.golden, out)
		})
	}
}

func TestPatternCheckAllJSONContract(t *testing.T) {
	_, out, _ := run(t, "", "pattern", "check", "--control", "all", "--format", "json", cis.PatternSecurityHub)
	var doc struct {
		Verdict   string           `json:"verdict"`
		Satisfies []string         `json:"satisfies"`
		Controls  []map[string]any `json:"controls"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Verdict != "pass" || len(doc.Satisfies) != 1 || doc.Satisfies[0] != "4.1" || len(doc.Controls) != len(cis.Controls) {
		t.Fatalf("verdict %s, satisfies %v, %d controls", doc.Verdict, doc.Satisfies, len(doc.Controls))
	}
	for i, c := range doc.Controls {
		if c["control"] != cis.Controls[i].ID {
			t.Errorf("controls[%d] is %v, want %s", i, c["control"], cis.Controls[i].ID)
		}
		for _, key := range []string{"verdict", "pattern", "satisfies", "reason", "securityhub_exact", "cases_evaluated"} {
			if _, ok := c[key]; !ok {
				t.Errorf("controls[%d] lacks %q", i, key)
			}
		}
	}
}
