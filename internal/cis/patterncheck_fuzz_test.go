package cis

import (
	"errors"
	"testing"

	"github.com/cisbot/cisbot/internal/filterpattern"
)

// FuzzCheckPattern: any text either fails to parse or gets a verdict; a verdict's counterexample
// always reproduces (CheckPattern returns an error when it does not).
func FuzzCheckPattern(f *testing.F) {
	for _, s := range []string{
		PatternSecurityHub, PatternCISv3, "", "AccessDenied", `?AccessDenied ?UnauthorizedOperation`,
		`{ $.errorCode = * }`, `{ $.a[0].b IS NULL || $.a NOT EXISTS && $.errorCode = "x*" }`,
		`{ $.errorCode = %AccessDenied.*% }`, `[a, b = AccessDenied*, ...]`, `{ $.n > 10e-3 && $.n <= +1000 }`,
		`{ $.userIdentity = "x" || $.userIdentity.type IS FALSE }`,
	} {
		f.Add(s)
	}
	ctl, _ := Lookup("4.1")
	f.Fuzz(func(t *testing.T, pattern string) {
		v, err := CheckPattern(ctl, pattern)
		var pe *filterpattern.ParseError
		if errors.As(err, &pe) {
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", pattern, err)
		}
		if !v.Satisfies && v.Counterexample == nil && v.Reason == "" {
			t.Fatalf("%q: a failing verdict with no reason", pattern)
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
