package iampolicy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/cisbot/cisbot/internal/iamspec"
)

const (
	memberTemplate = "../../deploy/aws/member-role.yaml"
	botPolicy      = "../../deploy/aws/bot-policy.json"
)

// templatePolicies reads what each policy the template gives its role grants, by policy name:
// the role's inline policies and AWS::IAM::Policy resources, whatever their condition. Each
// grant is "action on resource", the resource written as the code declares it: "*", or an
// Fn::Sub with the partition as aws, any account and the role's name as iamspec.RoleName.
func templatePolicies(t *testing.T, path string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sub := strings.NewReplacer("${AWS::Partition}", "aws", "${AWS::AccountId}", "*", "${RoleName}", iamspec.RoleName)
	out := map[string][]string{}
	add := func(p any) {
		b, _ := json.Marshal(p)
		var pol struct {
			PolicyName     string
			PolicyDocument struct {
				Statement []struct {
					Action   []string
					Resource any
				}
			}
		}
		if err := json.Unmarshal(b, &pol); err != nil {
			t.Fatalf("%s: policy %s: %v", path, b, err)
		}
		for _, s := range pol.PolicyDocument.Statement {
			var resource string
			switch r := s.Resource.(type) {
			case string:
				resource = r
			case map[string]any:
				f, _ := r["Fn::Sub"].(string)
				resource = sub.Replace(f)
			}
			if resource == "" {
				t.Fatalf("%s: policy %s: resource %v is neither a string nor an Fn::Sub", path, pol.PolicyName, s.Resource)
			}
			for _, a := range s.Action {
				out[pol.PolicyName] = append(out[pol.PolicyName], a+" on "+resource)
			}
		}
	}
	for _, r := range tpl.Resources {
		switch r.Type {
		case "AWS::IAM::Role":
			inline, _ := r.Properties["Policies"].([]any)
			for _, p := range inline {
				add(p)
			}
		case "AWS::IAM::Policy":
			add(r.Properties)
		}
	}
	return out
}

// declaredGrants are the member operations of feature f as "action on resource".
func declaredGrants(f iamspec.Feature) []string {
	var out []string
	for _, op := range All() {
		if op.On == iamspec.Member && op.Feature == f {
			if g := op.Action + " on " + cmp.Or(op.Resource, "*"); !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestMemberTemplateMatchesDeclaredOperations fails when deploy/aws/member-role.yaml grants an
// action the code does not declare, lacks one it does, or grants one on other resources than
// the code declares, for each feature's policy.
func TestMemberTemplateMatchesDeclaredOperations(t *testing.T) {
	got := templatePolicies(t, memberTemplate)
	for _, f := range iamspec.Features {
		want := declaredGrants(f)
		name := "cisbot-" + string(f)
		have := slices.Sorted(slices.Values(got[name]))
		if len(want) == 0 {
			if _, ok := got[name]; ok {
				t.Errorf("%s: policy %s grants %v, but no member operation of feature %s is declared", memberTemplate, name, have, f)
			}
			continue
		}
		for _, g := range want {
			if !slices.Contains(have, g) {
				t.Errorf("%s: policy %s lacks %s, which the code declares for %s: `cisbot iam-policy --feature %s` prints the policy", memberTemplate, name, g, f, f)
			}
		}
		for _, g := range have {
			if !slices.Contains(want, g) {
				t.Errorf("%s: policy %s grants %s, which no operation of feature %s declares: remove it or declare it where it is called", memberTemplate, name, g, f)
			}
		}
		delete(got, name)
	}
	for name := range got {
		t.Errorf("%s: policy %s matches no feature", memberTemplate, name)
	}
}

// TestBotPolicyMatchesDeclaredOperations fails when deploy/aws/bot-policy.json is not what
// `cisbot iam-policy --for bot` prints.
func TestBotPolicyMatchesDeclaredOperations(t *testing.T) {
	got, err := os.ReadFile(botPolicy)
	if err != nil {
		t.Fatal(err)
	}
	want := Policy(All(), iamspec.Bot, iamspec.Features, DefaultRoleName).JSON()
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the declared operations; regenerate it with `cisbot iam-policy --for bot > %s`\n--- got ---\n%s\n--- want ---\n%s", botPolicy, botPolicy, got, want)
	}
}
