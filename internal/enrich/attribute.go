package enrich

import (
	"slices"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/cisbot/cisbot/internal/cis"
)

// Attribution names the CIS control an alarm belongs to, as its alert shows it.
type Attribution struct {
	Control string    // cis.Control.ID: "4.3"
	Title   string    // cis.Control.AlertTitle: "Root user used"
	Count   [2]string // cis.Control.AlertCount
	Shows   []string  `json:",omitempty"` // cis.Control.AlertShows
}

// attributions remembers the control of each pattern text judged (nil: none): judging a
// pattern against every control takes milliseconds per control, and an account's alarms
// keep their filters.
var attributions = mustLRU(512)

func mustLRU(size int) *lru.Cache[string, *cis.Control] {
	c, err := lru.New[string, *cis.Control](size)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

// Attribute finds the control a metric filter's pattern satisfies, as cis.CheckPattern judges
// it (by what the pattern matches, never by a name), or nil when it satisfies none or does not
// parse. A pattern satisfies a control when it satisfies the control as any of its benchmark
// versions asks (Security Hub's security-group pattern, without the ModifySecurityGroupRules of
// CIS v5.0.0, is still a security-group filter). A pattern that satisfies several controls
// belongs to the first of them in the order of cis.Controls, so that an alarm is always
// attributed the same way. The answer is cached per pattern text.
func Attribute(pattern string) *cis.Control {
	if c, ok := attributions.Get(pattern); ok {
		return c
	}
	c := judgeAttribution(pattern)
	attributions.Add(pattern, c)
	return c
}

// judgeAttribution is Attribute without the cache.
func judgeAttribution(pattern string) *cis.Control {
	for i := range cis.Controls {
		if v, err := cis.CheckPattern(&cis.Controls[i], pattern); err == nil && satisfies(v) {
			return &cis.Controls[i]
		}
	}
	return nil
}

// satisfies tells whether v says the pattern satisfies its control as one of its versions asks.
func satisfies(v cis.PatternVerdict) bool {
	return v.Satisfies || slices.ContainsFunc(v.Versions, func(vv cis.VersionVerdict) bool { return vv.Satisfies })
}

// attribute is the control of the first of filters whose pattern satisfies one, or nil.
func attribute(filters []FilterRef) *Attribution {
	for _, f := range filters {
		if c := Attribute(f.Pattern); c != nil {
			return &Attribution{Control: c.ID, Title: c.AlertTitle, Count: c.AlertCount, Shows: c.AlertShows}
		}
	}
	return nil
}
