package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestDefault(t *testing.T) {
	want := &Config{
		AWS:      AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "default"}},
	}
	got := Default()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Default() = %#v, want %#v", got, want)
	}
	if errs := validate(got, newMeta()); len(errs) > 0 {
		t.Errorf("Default() does not validate: %v", errs)
	}
	got.Accounts[0].Name = "changed"
	if Default().Accounts[0].Name != "default" {
		t.Error("Default() shares state between calls")
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"flag wins over environment", "flag.yml", map[string]string{EnvVar: "env.yml"}, "flag.yml"},
		{"flag alone", "flag.yml", nil, "flag.yml"},
		{"environment when no flag", "", map[string]string{EnvVar: "env.yml"}, "env.yml"},
		{"empty environment value means default", "", map[string]string{EnvVar: ""}, ""},
		{"neither means default", "", map[string]string{"OTHER": "x.yml"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Resolve(tc.flag, env(tc.env)); got != tc.want {
				t.Errorf("Resolve(%q) = %q, want %q", tc.flag, got, tc.want)
			}
		})
	}
	if got := Resolve("", nil); got != "" {
		t.Errorf("Resolve with nil getenv = %q, want empty", got)
	}
}

func TestAccount(t *testing.T) {
	c := &Config{Accounts: []Account{{Name: "prod", Channel: "C0123ABCDE"}, {Name: "dev"}}}
	for _, tc := range []struct {
		name   string
		wantOK bool
	}{
		{"prod", true},
		{"dev", true},
		{"Prod", false}, // exact match: the file's spelling
		{"", false},
		{"all", false},
		{"staging", false},
	} {
		a, ok := c.Account(tc.name)
		if ok != tc.wantOK {
			t.Errorf("Account(%q) ok = %v, want %v", tc.name, ok, tc.wantOK)
			continue
		}
		if ok && a.Name != tc.name {
			t.Errorf("Account(%q) = %q", tc.name, a.Name)
		}
		if !ok && a != nil {
			t.Errorf("Account(%q) = %v with ok false", tc.name, a)
		}
	}
	a, _ := c.Account("prod")
	if a != &c.Accounts[0] {
		t.Error("Account returns a copy, not the config's account")
	}
}

func TestNames(t *testing.T) {
	c := &Config{Accounts: []Account{{Name: "zeta"}, {Name: "alpha"}, {Name: "mid"}}}
	if got, want := c.Names(), []string{"zeta", "alpha", "mid"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v (file order)", got, want)
	}
	if got := (&Config{}).Names(); len(got) != 0 {
		t.Errorf("Names() of no accounts = %v", got)
	}
	if got := Default().Names(); !reflect.DeepEqual(got, []string{"default"}) {
		t.Errorf("Default().Names() = %v", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yml")
	_, err := Load(path, nil)
	if err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error does not wrap os.ErrNotExist: %v", err)
	}
	var errs Errors
	if errors.As(err, &errs) {
		t.Errorf("a read failure is not a problem in the file: %v", err)
	}
	for _, s := range []string{path, EnvVar} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yml")
	data := []byte("accounts:\n  - name: prod\n" + strings.Repeat("# padding\n", maxFileSize/10+1))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, nil)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Msg, "larger than 256 KiB") {
		t.Fatalf("Load of %d bytes: %v", len(data), err)
	}
	// At the limit is fine.
	if _, err := Parse("at-limit.yml", data[:maxFileSize], nil); err != nil {
		t.Errorf("Parse of exactly %d bytes: %v", maxFileSize, err)
	}
}

// TestParseNilGetenv: a nil getenv is an empty environment, not a crash.
func TestParseNilGetenv(t *testing.T) {
	_, err := Parse("c.yml", []byte("accounts:\n  - name: prod\n    role_arn: ${ROLE}\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "${ROLE} is not set") {
		t.Errorf("got %v", err)
	}
}

// TestExpansionIsNotRepeated: a variable's value is used as is, even when it holds "${".
func TestExpansionIsNotRepeated(t *testing.T) {
	vars := map[string]string{"NAME": "${OTHER}"}
	_, err := Parse("c.yml", []byte("accounts:\n  - name: ${NAME}\n"), env(vars))
	if err == nil || !strings.Contains(err.Error(), `"${OTHER}" is not a valid account name`) {
		t.Errorf("got %v", err)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    *FieldError
		want string
	}{
		{&FieldError{Field: "aws.region", Line: 2, Msg: "bad", Fix: "fix it", file: "c.yml"}, "c.yml:2: aws.region: bad; fix it"},
		{&FieldError{Field: "accounts", Msg: "none", Fix: "add one", file: "c.yml"}, "c.yml: accounts: none; add one"},
		{&FieldError{Line: 3, Msg: "YAML syntax error", file: "c.yml"}, "c.yml:3: YAML syntax error"},
		{&FieldError{Field: "aws.region", Line: 2, Msg: "bad", Fix: "fix it"}, "line 2: aws.region: bad; fix it"},
		{&FieldError{Field: "aws.region", Msg: "bad"}, "aws.region: bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
	errs := Errors{{Field: "a", Line: 1, Msg: "x", file: "f"}, {Field: "b", Msg: "y", file: "f"}}
	if got, want := errs.Error(), "f:1: a: x\nf: b: y"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

// TestFinishOrder: problems come out in line order, problems without a line last, and the
// order among equals is the order they were found.
func TestFinishOrder(t *testing.T) {
	errs := Errors{
		{Field: "none1"}, {Field: "l5", Line: 5}, {Field: "l2a", Line: 2}, {Field: "none2"}, {Field: "l2b", Line: 2},
	}
	if finish("f", nil) != nil {
		t.Error("finish of no problems is not nil")
	}
	got := finish("f", errs).(Errors)
	var order []string
	for _, e := range got {
		order = append(order, e.Field)
	}
	if want := []string{"l2a", "l2b", "l5", "none1", "none2"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

// TestLinesOfNestedFields: a missing field reports the line of the item it is missing from.
func TestLinesOfNestedFields(t *testing.T) {
	src := "accounts:\n  - name: prod\n\n  - channel: C0123ABCDE\n"
	_, err := Parse("c.yml", []byte(src), nil)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != "accounts[1].name" || errs[0].Line != 4 {
		t.Errorf("got %v", err)
	}
}

// TestParseLimits: inputs that would make the YAML parser slow are refused up front, each with
// the reason and the limit.
func TestParseLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		line int
		text string
	}{
		{"long line", "accounts:\n  - name: prod\n# " + strings.Repeat("x", maxLineLength) + "\n", 3, "the line is 4098 bytes long"},
		{"deep brackets", "accounts: " + strings.Repeat("[", maxFlowDepth+1), 0, "nested 65 deep"},
	} {
		_, err := Parse("c.yml", []byte(tc.src), nil)
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Line != tc.line || !strings.Contains(errs[0].Msg, tc.text) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
	// At the limits is fine.
	src := "accounts:\n  - name: prod\n# " + strings.Repeat("x", maxLineLength-2) + "\n" +
		"# " + strings.Repeat("[", maxFlowDepth) + "\n"
	if _, err := Parse("c.yml", []byte(src), nil); err != nil {
		t.Errorf("at the limits: %v", err)
	}
}

func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile("example.yml")
	if err != nil {
		b.Fatal(err)
	}
	getenv := env(map[string]string{"PROD_EXTERNAL_ID": "cisbot-prod-2f9e"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("example.yml", data, getenv); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRetentionPeriod: store.retention in days or as a Go duration, 90 days when unset.
func TestRetentionPeriod(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", DefaultRetention, false},
		{"90d", 90 * 24 * time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"720h", 720 * time.Hour, false},
		{"0d", 0, true},
		{"-5d", 0, true},
		{"d", 0, true},
		{"3 months", 0, true},
		{"-1h", 0, true},
		{"999999d", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseRetention(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRetention(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got := (Store{Retention: tt.in}).RetentionPeriod(); got != tt.want {
				t.Errorf("RetentionPeriod(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestRemediationPattern: every name a control publishes a pattern under is accepted, others
// are refused with the names.
func TestRemediationPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		ok      bool
	}{
		{"securityhub", true}, {"cis-v3", true}, {"cis-v4", true}, {"cis-v5", true},
		{"cis-v9", false}, {"CIS-V4", false}, {"cis v4", false},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			_, err := Parse("c.yml", []byte("accounts:\n  - name: prod\nremediation:\n  pattern: "+tc.pattern+"\n"), func(string) (string, bool) { return "", false })
			if (err == nil) != tc.ok {
				t.Errorf("remediation.pattern %q: error %v, want ok=%v", tc.pattern, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "cis-v3, cis-v4, cis-v5") {
				t.Errorf("the error does not list the known patterns: %v", err)
			}
		})
	}
}

// TestControlsBenchmark: a known CIS version or securityhub is accepted; others are refused
// with the range of versions.
func TestControlsBenchmark(t *testing.T) {
	for _, tc := range []struct {
		benchmark string
		ok        bool
	}{
		{"v5.0.0", true}, {"v3.0.0", true}, {"securityhub", true}, {"v1.2.0", true},
		{"v9.0.0", false}, {"latest", false},
	} {
		t.Run(tc.benchmark, func(t *testing.T) {
			_, err := Parse("c.yml", []byte("accounts:\n  - name: prod\ncontrols:\n  benchmark: "+tc.benchmark+"\n"), func(string) (string, bool) { return "", false })
			if (err == nil) != tc.ok {
				t.Errorf("controls.benchmark %q: error %v, want ok=%v", tc.benchmark, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "controls.benchmark") {
				t.Errorf("the error does not name the field: %v", err)
			}
		})
	}
}
