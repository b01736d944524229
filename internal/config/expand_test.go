package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	getenv := env(map[string]string{"A": "alpha", "B": "beta", "EMPTY": "", "NESTED": "${A}"})
	for _, tc := range []struct {
		in      string
		want    string
		vars    []string
		errWant string // fragment of the one expected error, "" for none
	}{
		{in: "", want: ""},
		{in: "plain", want: "plain"},
		{in: "${A}", want: "alpha", vars: []string{"A"}},
		{in: "x-${A}-${B}-y", want: "x-alpha-beta-y", vars: []string{"A", "B"}},
		{in: "${A}${A}", want: "alphaalpha", vars: []string{"A", "A"}},
		{in: "${EMPTY}", want: "", vars: []string{"EMPTY"}},
		{in: "$A", want: "$A"},                                    // only the braced form
		{in: "$", want: "$"},                                      // a lone dollar
		{in: "a$b$", want: "a$b$"},                                // dollars without braces
		{in: "$$A", want: "$$A"},                                  // "$$" is an escape only before "{"
		{in: "$${A}", want: "${A}"},                               // escaped
		{in: "$${", want: "${"},                                   // escape alone
		{in: "$$${A}", want: "$${A}"},                             // "$" then the escape
		{in: "${NESTED}", want: "${A}", vars: []string{"NESTED"}}, // no second expansion
		{in: "{A}", want: "{A}"},
		{in: "${UNSET}", want: "${UNSET}", errWant: "${UNSET} is not set"},
		{in: "${A", want: "${A", errWant: `has no closing "}"`},
		{in: "x${", want: "x${", errWant: `has no closing "}"`},
		{in: "${}", want: "${}", errWant: `"${}" is not a variable reference`},
		{in: "${1A}", want: "${1A}", errWant: "is not a variable reference"},
		{in: "${A:-x}", want: "${A:-x}", errWant: "defaults such as"},
		{in: "${A B}", want: "${A B}", errWant: "is not a variable reference"},
		{in: "${_ok9}", want: "${_ok9}", errWant: "${_ok9} is not set"},
	} {
		got, vars, errs := expand(tc.in, getenv)
		if got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !reflect.DeepEqual(vars, tc.vars) {
			t.Errorf("expand(%q) vars = %v, want %v", tc.in, vars, tc.vars)
		}
		switch {
		case tc.errWant == "" && len(errs) > 0:
			t.Errorf("expand(%q): unexpected %v", tc.in, errs)
		case tc.errWant != "" && (len(errs) != 1 || !strings.Contains(errs[0].msg+"; "+errs[0].fix, tc.errWant)):
			t.Errorf("expand(%q): errors %v, want one with %q", tc.in, errs, tc.errWant)
		}
	}
}

func TestExpandReportsEveryReference(t *testing.T) {
	_, _, errs := expand("${X}-${Y}", env(nil))
	if len(errs) != 2 || !strings.Contains(errs[0].msg, "X") || !strings.Contains(errs[1].msg, "Y") {
		t.Errorf("got %v, want one error for X and one for Y", errs)
	}
}

// TestExpandKeysUntouched: keys are not expanded, so a ${...} key is simply unknown.
func TestExpandKeysUntouched(t *testing.T) {
	_, err := Parse("c.yml", []byte("${KEY}: 1\naccounts: [{name: prod}]\n"), env(map[string]string{"KEY": "aws"}))
	if err == nil || !strings.Contains(err.Error(), `unknown key "${KEY}"`) {
		t.Errorf("got %v", err)
	}
}

// TestHiddenValues: a field whose value came from a secret-named variable never shows it.
func TestHiddenValues(t *testing.T) {
	const secret = "hunter2-not-shown"
	for _, name := range []string{"DB_PASSWORD", "my_token", "API_KEY", "AWS_SECRET"} {
		vars := map[string]string{name: secret}
		src := "aws:\n  region: ${" + name + "}\n  cloudwatch_protocol: ${" + name + "}\n" +
			"accounts:\n  - name: ${" + name + "}\n    role_arn: ${" + name + "}\n    external_id: x${" + name + "}\n    channel: ${" + name + "}\n" +
			"  - name: ${" + name + "}\n" +
			"organization:\n  role_name: ${" + name + "}\n  external_id: ${" + name + "}\n"
		_, err := Parse("c.yml", []byte(src), env(vars))
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: value shown:\n%v", name, err)
		}
		if !strings.Contains(err.Error(), "the value of ${"+name+"}") {
			t.Errorf("%s: the variable is not named:\n%v", name, err)
		}
	}
	// Nor are hints derived from the value.
	vars := map[string]string{"REGION_KEY": "us-east-1a", "PROTO_TOKEN": "CBOR", "ARN_SECRET": "111111111111", "ID_PASSWORD": "a b"}
	src := "aws:\n  region: ${REGION_KEY}\n  cloudwatch_protocol: ${PROTO_TOKEN}\n" +
		"accounts:\n  - name: prod\n    role_arn: ${ARN_SECRET}\n    external_id: ${ID_PASSWORD}\n"
	_, err := Parse("c.yml", []byte(src), env(vars))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, s := range []string{`"us-east-1"`, "availability zone", `"cbor"`, "that is an account id", "111111111111", "' '"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("a hint shows %q:\n%v", s, err)
		}
	}
	if n := len(err.(Errors)); n != 4 {
		t.Errorf("got %d problems, want 4:\n%v", n, err)
	}

	// A variable whose name says nothing is shown, which helps find a wrong value.
	_, err = Parse("c.yml", []byte("accounts:\n  - name: ${ACCOUNT}\n"), env(map[string]string{"ACCOUNT": "prod account"}))
	if err == nil || !strings.Contains(err.Error(), `"prod account"`) {
		t.Errorf("got %v", err)
	}
}
