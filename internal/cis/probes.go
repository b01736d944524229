package cis

import (
	"fmt"
	"strings"
)

// Helpers that state the usual requirements as probes, so that a row of the table reads as what
// the control watches rather than as filter-pattern text.

// nameSet is a JSON pattern body matching events named one of names.
func nameSet(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf(`$.eventName = "%s"`, n)
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

// changeProbes are the probes of a control that watches changes: successful calls of the named
// APIs of one service. A compliant pattern matches every one of them; matching successful
// read-only calls makes the alarm fire on normal traffic (a FAIL); matching other changes only
// adds alarms (a note). related lists names some version requires beyond names, which the note
// leaves alone. A pattern need not name the service: where another service has an API of the
// same name, sameNames states it.
func changeProbes(what, source string, names []string, related ...string) []Probe {
	all := append(append([]string{}, names...), related...)
	return []Probe{
		requireChanges("missed", "misses "+what, source, names),
		{
			Name:     "over-broad",
			Include:  []string{readOnlyCall},
			Exclude:  []string{"{ " + nameSet(all) + " }"},
			Severity: Fail,
			Problem:  "matches a successful read-only call, so the alarm would fire on normal traffic",
		},
		{
			Name:     "other-changes",
			Include:  []string{`{ $.errorCode NOT EXISTS && $.readOnly IS FALSE }`},
			Exclude:  []string{"{ " + nameSet(all) + " }", readOnlyCall},
			Severity: Warn,
			Problem:  "also counts changes that are not " + what + "; expect more alarms than CIS intends",
		},
	}
}

// sameNames is a note for a pattern that also counts calls of another service whose APIs share
// names with the control's.
func sameNames(what, service, source string, names ...string) Probe {
	return Probe{
		Name:     "same-names-" + strings.TrimSuffix(source, ".amazonaws.com"),
		Include:  []string{fmt.Sprintf(`{ $.eventSource = "%s" && %s }`, source, nameSet(names))},
		Severity: Warn,
		Problem:  fmt.Sprintf("also counts the %s calls of %s, which are not %s; name the event source to leave them out", strings.Join(names, " and "), service, what),
	}
}

// readOnlyCall is a successful read-only call: the traffic of every account. An event's name
// says whether a call reads, so the set is named by the verbs of read-only APIs; the search
// cannot tell from a generated name alone.
const readOnlyCall = `{ $.errorCode NOT EXISTS && $.readOnly IS TRUE && ($.eventName = "Get*" || $.eventName = "Describe*" || $.eventName = "List*") }`

// requireChanges is a probe that the successful calls of the named APIs of source are matched.
func requireChanges(name, problem, source string, names []string) Probe {
	return Probe{
		Name:      name,
		Include:   []string{fmt.Sprintf(`{ $.eventSource = "%s" && $.errorCode NOT EXISTS && $.readOnly IS FALSE && %s }`, source, nameSet(names))},
		WantMatch: true,
		Severity:  Fail,
		Problem:   problem,
	}
}

// changePattern is the CIS layout of a change control's pattern, optionally restricted to one
// event source: { ($.eventSource = s) && (($.eventName = A) || …) }.
func changePattern(source string, names []string, quote bool) string {
	parts := make([]string, len(names))
	for i, n := range names {
		if quote {
			n = `"` + n + `"`
		}
		parts[i] = "($.eventName = " + n + ")"
	}
	body := strings.Join(parts, " || ")
	if source == "" {
		return "{ " + body + " }"
	}
	return "{ ($.eventSource = " + source + ") && (" + body + ") }"
}

// cisRefs are a control's numbers in the CIS versions: 3.n up to v1.2.0 (when it existed then),
// 4.n from v1.3.0 to v5.0.0, 5.n from v6.0.0; the titles changed wording in v4.0.0.
func cisRefs(n int, since12 bool, oldTitle, newTitle string) []Ref {
	const b = "CIS AWS Foundations Benchmark"
	var refs []Ref
	if since12 {
		refs = append(refs, Ref{Benchmark: b, Versions: "v1.0.0–v1.2.0", ID: fmt.Sprintf("3.%d", n), Title: oldTitle})
	}
	return append(refs,
		Ref{Benchmark: b, Versions: "v1.3.0–v3.0.0", ID: fmt.Sprintf("4.%d", n), Title: oldTitle},
		Ref{Benchmark: b, Versions: "v4.0.0–v5.0.0", ID: fmt.Sprintf("4.%d", n), Title: newTitle},
		Ref{Benchmark: b, Versions: "v6.0.0+", ID: fmt.Sprintf("5.%d", n), Title: newTitle},
	)
}

// securityHubRef is a control's Security Hub number.
func securityHubRef(n int, title string) Ref {
	return Ref{Benchmark: "AWS Security Hub", ID: fmt.Sprintf("CloudWatch.%d", n), Title: title}
}

// sameEverywhere are the requirements of a control whose versions all ask the same: CIS v1.2.0
// printed the Security Hub text, later versions the cis-v3 one.
func sameEverywhere() []Requirement {
	return []Requirement{
		{Benchmark: BenchmarkCIS, Since: "v1.2.0", Until: "v1.2.0", Pattern: "securityhub"},
		{Benchmark: BenchmarkCIS, Since: "v1.3.0", Pattern: "cis-v3"},
		{Benchmark: BenchmarkSecurityHub, Pattern: "securityhub"},
	}
}

// names builds the default names of a control's resources from CIS's example metric name.
func names(metric string) Names {
	return Names{
		FilterName:      metric + "_metric",
		MetricName:      metric + "_metric",
		MetricNamespace: "CISBenchmark",
		AlarmName:       metric + "_alarm",
		TopicName:       "cis-alarms",
	}
}

// alertFields are the fields every alert shows, then the control's own.
func alertFields(own ...string) []string {
	return append([]string{"$.eventTime", "$.awsRegion", "$.eventSource", "$.eventName", "$.userIdentity.arn", "$.sourceIPAddress", "$.userAgent"}, own...)
}
