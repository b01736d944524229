package enrich

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
)

func TestAttribute(t *testing.T) {
	cases := []struct {
		name, pattern, want string
	}{
		{"4.1 Security Hub", cis.PatternSecurityHub, "4.1"},
		{"4.1 CIS v3", cis.PatternCISv3, "4.1"},
		{"4.1 reordered, unquoted", `{($.errorCode=AccessDenied*)||($.errorCode=*UnauthorizedOperation)}`, "4.1"},
		{"4.2 CIS v4", `{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }`, "4.2"},
		{"4.2 reordered, quoted", `{ ($.additionalEventData.MFAUsed != "Yes") && ($.eventName = "ConsoleLogin") }`, "4.2"},
		{"4.3 Security Hub", `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`, "4.3"},
		{"4.3 reordered", `{ $.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = "Root" }`, "4.3"},
		{"4.10 CIS v5", cis.Controls[9].Patterns["cis-v5"], "4.10"},
		{"4.10 Security Hub (no ModifySecurityGroupRules)", cis.Controls[9].Patterns["securityhub"], "4.10"},
		{"4.2 Security Hub (IAM users only)", cis.Controls[1].Patterns["securityhub"], "4.2"},
		{"4.10 reordered, quoted", `{ ($.eventName = "DeleteSecurityGroup") || ($.eventName = "CreateSecurityGroup") || ($.eventName = "RevokeSecurityGroupEgress") || ($.eventName = "RevokeSecurityGroupIngress") || ($.eventName = "AuthorizeSecurityGroupEgress") || ($.eventName = "AuthorizeSecurityGroupIngress") || ($.eventName = "ModifySecurityGroupRules") }`, "4.10"},
		{"4.15", cis.Controls[14].Patterns[cis.Controls[14].DefaultPattern], "4.15"},
		{"unrelated", `{ $.eventName = "RunInstances" }`, ""},
		{"every event", ``, ""},
		{"4.1 with ||: matches nearly every event", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress != "delivery.logs.amazonaws.com") || ($.eventName != "HeadBucket") }`, ""},
		{"does not parse", `{ $.eventName = `, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if c := Attribute(tc.pattern); c != nil {
				got = c.ID
			}
			if got != tc.want {
				t.Errorf("Attribute(%q) = %q, want %q", tc.pattern, got, tc.want)
			}
			if again := Attribute(tc.pattern); (again == nil) != (got == "") || (again != nil && again.ID != got) {
				t.Errorf("cached answer %v differs", again)
			}
		})
	}
}

// Every published pattern of every control is attributed to its own control.
func TestAttributePublished(t *testing.T) {
	for i := range cis.Controls {
		c := &cis.Controls[i]
		for name, text := range c.Patterns {
			if got := Attribute(text); got == nil || got.ID != c.ID {
				t.Errorf("control %s's %s pattern %q attributed to %v", c.ID, name, text, got)
			}
		}
	}
}

func TestAttributeFirstFilter(t *testing.T) {
	root := cis.Controls[2].Patterns["securityhub"]
	got := attribute([]FilterRef{{Pattern: `{ $.eventName = "RunInstances" }`}, {Pattern: root}})
	want := &Attribution{Control: "4.3", Title: "Root user used", Shows: []string{"$.userAgent"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attribute: %+v, want %+v", got, want)
	}
	if got := attribute([]FilterRef{{Pattern: `{ $.eventName = "RunInstances" }`}}); got != nil {
		t.Errorf("unrelated filter attributed: %+v", got)
	}
}

func TestGroupDetails(t *testing.T) {
	ev := func(id, params string) event {
		return parseEvent(id, []byte(`{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","eventID":"`+id+`","requestParameters":`+params+`}`), time.Time{})
	}
	groups := group([]event{
		ev("1", `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},{"ipProtocol":"-1","ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}}]}}`),
		ev("2", `{"groupId":"sg-2","ipPermissions":{"items":[{"ipProtocol":"udp","fromPort":1000,"toPort":2000,"groups":{"items":[{"groupId":"sg-9"}]}}]}}`),
		ev("3", `null`),
	}, []string{"$.requestParameters.groupId", "$.requestParameters.groupName", "$.requestParameters.ipPermissions"})
	want := []Detail{
		{Field: "groupId", Values: []string{"sg-1", "sg-2"}},
		{Field: "rules", Values: []string{"all ::/0", "tcp 22 0.0.0.0/0", "udp 1000-2000 sg-9"}},
	}
	if len(groups) != 1 || !reflect.DeepEqual(groups[0].Details, want) {
		t.Errorf("details: %+v", groups)
	}
	if g := group([]event{ev("1", `{"groupId":"sg-1"}`)}, nil); g[0].Details != nil {
		t.Errorf("details without a control: %+v", g[0].Details)
	}
}

// Every variant the cis package judges as passing (reordered, quoted or unquoted, lower case,
// an added event, each version's printing) is attributed to its control.
func TestAttributeVariants(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "cis", "testdata", "patterns-by-control.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if strings.HasPrefix(line, "#") || len(f) < 7 || f[2] != "pass" {
			continue
		}
		n++
		if got := Attribute(f[6]); got == nil || got.ID != f[0] {
			t.Errorf("control %s variant %q attributed to %v", f[0], f[5], got)
		}
	}
	if n < 50 {
		t.Errorf("only %d passing variants read", n)
	}
}

// BenchmarkAttribute judges, uncached, a pattern of the last control (every control is tried)
// and one that satisfies none.
func BenchmarkAttribute(b *testing.B) {
	last := &cis.Controls[len(cis.Controls)-1]
	for _, tc := range []struct{ name, pattern string }{
		{"control-" + last.ID, last.Patterns[last.DefaultPattern]},
		{"none", `{ $.eventName = "RunInstances" }`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				judgeAttribution(tc.pattern)
			}
		})
	}
}
