package filterpattern

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The CIS "unauthorized API calls" patterns, spelled exactly as the benchmarks print them.
const (
	// cisV12 is CIS v1.2 (3.1) and AWS Security Hub CloudWatch.2.
	cisV12 = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`
	// cisV14 is CIS v1.4.0+ (4.1 / 5.1), with the exclusions that only cover the AccessDenied
	// branch because && binds tighter than ||.
	cisV14 = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`
)

// cloudTrailSample is the package's copy of the shared CloudTrail sample: one JSON record per
// line, and for each line the verdicts of the two CIS patterns.
type cloudTrailSample struct {
	lines [][]byte
	rows  []cloudTrailExpectation
}

type cloudTrailExpectation struct {
	line      int
	eventName string
	errorCode string
	v12, v14  bool
}

func loadCloudTrailSample(tb testing.TB) cloudTrailSample {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "cloudtrail-sample.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	var s cloudTrailSample
	s.lines = bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))
	f, err := os.Open(filepath.Join("testdata", "cloudtrail-sample.expected.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	header := true
	var col map[string]int
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "\t")
		if header {
			col = map[string]int{}
			for i, c := range cells {
				col[c] = i
			}
			for _, want := range []string{"line", "eventName", "errorCode", "match_cis_v1.2(SecurityHub CloudWatch.2)", "match_cis_v1.4+"} {
				if _, ok := col[want]; !ok {
					tb.Fatalf("expected.tsv: no column %q in header %q", want, sc.Text())
				}
			}
			header = false
			continue
		}
		n, err := strconv.Atoi(cells[col["line"]])
		if err != nil {
			tb.Fatalf("expected.tsv: bad line number %q", cells[col["line"]])
		}
		s.rows = append(s.rows, cloudTrailExpectation{
			line:      n,
			eventName: cells[col["eventName"]],
			errorCode: cells[col["errorCode"]],
			v12:       parseVerdict(tb, cells[col["match_cis_v1.2(SecurityHub CloudWatch.2)"]]),
			v14:       parseVerdict(tb, cells[col["match_cis_v1.4+"]]),
		})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(s.rows) != len(s.lines) {
		tb.Fatalf("expected.tsv has %d rows for %d sample lines", len(s.rows), len(s.lines))
	}
	return s
}

func parseVerdict(tb testing.TB, s string) bool {
	tb.Helper()
	switch s {
	case "True":
		return true
	case "False":
		return false
	}
	tb.Fatalf("expected.tsv: verdict %q is neither True nor False", s)
	return false
}

// matchCase is one pattern, one event and whether the pattern must match it.
type matchCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

// runMatchCases checks every case with both Match and MatchBytes.
func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		name := tc.name
		if name == "" {
			name = tc.pattern + " ~ " + tc.event
		}
		t.Run(name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.pattern, err)
			}
			if got := p.Match(tc.event); got != tc.want {
				t.Errorf("Parse(%q).Match(%q) = %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
			if got := p.MatchBytes([]byte(tc.event)); got != tc.want {
				t.Errorf("Parse(%q).MatchBytes(%q) = %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}
