package cis

import (
	"errors"
	"testing"

	"github.com/cisbot/cisbot/internal/filterpattern"
)

// FuzzCheckPattern: any text either fails to parse or gets a verdict from every control; a
// verdict's counterexample always reproduces (CheckPattern returns an error when it does not).
func FuzzCheckPattern(f *testing.F) {
	for _, s := range []string{
		PatternSecurityHub, PatternCISv3, "", "AccessDenied", `?AccessDenied ?UnauthorizedOperation`,
		`{ $.errorCode = * }`, `{ $.a[0].b IS NULL || $.a NOT EXISTS && $.errorCode = "x*" }`,
		`{ $.errorCode = %AccessDenied.*% }`, `[a, b = AccessDenied*, ...]`, `{ $.n > 10e-3 && $.n <= +1000 }`,
		`{ $.userIdentity = "x" || $.userIdentity.type IS FALSE }`,
		`{ ($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = DeleteRoute) }`,
		`{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" && $.userIdentity.type = "IAMUser" }`,
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`,
	} {
		f.Add(s)
	}
	for _, c := range Controls {
		for _, p := range c.Patterns {
			f.Add(p)
		}
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		for i := range Controls {
			c := &Controls[i]
			v, err := CheckPattern(c, pattern)
			var pe *filterpattern.ParseError
			if errors.As(err, &pe) {
				return
			}
			if err != nil {
				t.Fatalf("control %s, %q: %v", c.ID, pattern, err)
			}
			if !v.Satisfies && v.Counterexample == nil && v.Reason == "" {
				t.Fatalf("control %s, %q: a failing verdict with no reason", c.ID, pattern)
			}
			if v.Satisfies && v.Counterexample != nil {
				t.Fatalf("control %s, %q: a passing verdict with a counterexample", c.ID, pattern)
			}
		}
	})
}

func BenchmarkCheckPattern(b *testing.B) {
	ctl, _ := Lookup("4.1")
	for _, bc := range []struct{ name, pattern string }{
		{"securityhub", PatternSecurityHub},
		{"cis-v3", PatternCISv3},
		{"all-or-reprint", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`},
		{"terms", `?AccessDenied ?UnauthorizedOperation`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CheckPattern(ctl, bc.pattern); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckAll judges one pattern against every control, as pattern check --control all does.
func BenchmarkCheckAll(b *testing.B) {
	iam, _ := Lookup("4.4")
	for _, bc := range []struct{ name, pattern string }{
		{"securityhub-4.4", iam.Patterns["securityhub"]},
		{"securityhub-4.1", PatternSecurityHub},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range Controls {
					if _, err := CheckPattern(&Controls[i], bc.pattern); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
