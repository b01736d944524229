package filterpattern

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"
)

// TestCloudTrailSample checks both CIS patterns against the CloudTrail sample, line by line.
func TestCloudTrailSample(t *testing.T) {
	s := loadCloudTrailSample(t)
	if len(s.lines) != 12 {
		t.Fatalf("sample has %d lines, want 12", len(s.lines))
	}
	patterns := []struct {
		name    string
		pattern string
		want    func(cloudTrailExpectation) bool
	}{
		{"cis v1.2", cisV12, func(e cloudTrailExpectation) bool { return e.v12 }},
		{"cis v1.4", cisV14, func(e cloudTrailExpectation) bool { return e.v14 }},
	}
	for _, pc := range patterns {
		p := MustParse(pc.pattern)
		matched := 0
		for i, row := range s.rows {
			if row.line != i+1 {
				t.Fatalf("expected.tsv row %d is for line %d", i+1, row.line)
			}
			line := s.lines[i]
			// The TSV's description of the record must agree with the record, or the verdict
			// would be checked against the wrong event.
			if got := gjson.GetBytes(line, "eventName").Str; got != row.eventName {
				t.Fatalf("line %d: eventName %q, expected.tsv says %q", row.line, got, row.eventName)
			}
			want := pc.want(row)
			if got := p.MatchBytes(line); got != want {
				t.Errorf("%s: line %d (%s %s): MatchBytes = %v, want %v", pc.name, row.line, row.eventName, row.errorCode, got, want)
			}
			if got := p.Match(string(line)); got != want {
				t.Errorf("%s: line %d (%s %s): Match = %v, want %v", pc.name, row.line, row.eventName, row.errorCode, got, want)
			}
			if want {
				matched++
			}
		}
		t.Logf("%s matches %d of %d sample lines", pc.name, matched, len(s.lines))
	}
	// The two patterns must disagree exactly where CIS v1.4's exclusions apply.
	var differ []int
	for _, row := range s.rows {
		if row.v12 != row.v14 {
			differ = append(differ, row.line)
		}
	}
	if want := []int{9, 10}; !reflect.DeepEqual(differ, want) {
		t.Errorf("the expected verdicts differ on lines %v, want %v (HeadBucket, delivery.logs)", differ, want)
	}
}

// TestCISPrecedence pins down the consequence of && binding tighter than || in CIS v1.4: the
// exclusions only cover the AccessDenied branch.
func TestCISPrecedence(t *testing.T) {
	ev := func(code, ip, name string) string {
		return fmt.Sprintf(`{"errorCode":%q,"sourceIPAddress":%q,"eventName":%q}`, code, ip, name)
	}
	runMatchCases(t, []matchCase{
		{"unauthorized from delivery.logs still counts", cisV14, ev("Client.UnauthorizedOperation", "delivery.logs.amazonaws.com", "RunInstances"), true},
		{"unauthorized HeadBucket still counts", cisV14, ev("UnauthorizedOperation", "1.2.3.4", "HeadBucket"), true},
		{"access denied from delivery.logs excluded", cisV14, ev("AccessDenied", "delivery.logs.amazonaws.com", "GetBucketAcl"), false},
		{"access denied HeadBucket excluded", cisV14, ev("AccessDeniedException", "1.2.3.4", "HeadBucket"), false},
		{"access denied elsewhere counts", cisV14, ev("AccessDeniedException", "1.2.3.4", "Decrypt"), true},
		{"v1.2 has no exclusions", cisV12, ev("AccessDenied", "delivery.logs.amazonaws.com", "HeadBucket"), true},
		// != on a missing property is false, so the AccessDenied branch needs both properties.
		{"access denied without sourceIPAddress", cisV14, `{"errorCode":"AccessDenied","eventName":"GetObject"}`, false},
		{"unauthorized without sourceIPAddress", cisV14, `{"errorCode":"Client.UnauthorizedOperation"}`, true},
		{"other error code", cisV14, ev("AuthorizationError", "1.2.3.4", "Subscribe"), false},
		{"no error code", cisV12, `{"eventName":"ConsoleLogin"}`, false},
		{"error code null", cisV12, `{"errorCode":null}`, false},
		{"error code lower case", cisV12, ev("accessdenied", "1.2.3.4", "x"), false},
		{"unauthorized not at the end", cisV12, ev("UnauthorizedOperationX", "1.2.3.4", "x"), false},
		{"access denied not at the start", cisV12, ev("S3AccessDenied", "1.2.3.4", "x"), false},
	})
}

// compoundDoc is the JSON document the reference's compound examples (§3.6) describe.
const compoundDoc = `{
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [{"id": 2, "email": "John.Doe@example.com"}],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1], [2, 3]]
}`

func TestCompoundExamples(t *testing.T) {
	runMatchCases(t, []matchCase{
		// The data is what the examples say it is.
		{"data user.id", `{ $.user.id = 1 }`, compoundDoc, true},
		{"data users[0].email", `{ $.users[0].email = "John.Doe@example.com" }`, compoundDoc, true},
		{"data actions[2]", `{ $.actions[2] = "DELETE" }`, compoundDoc, true},
		{"data coordinates[0][1]", `{ $.coordinates[0][1] = 1 }`, compoundDoc, true},
		// The four examples of §3.6.
		{"both true", `{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, compoundDoc, true},
		{"F || F", `{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, compoundDoc, false},
		{"A || (B && C)", `{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`, compoundDoc, true},
		{"(T) && F", `{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`, compoundDoc, false},
	})
}

func TestValueNodeRule(t *testing.T) {
	const arr = `{"users":[1,2,3]}`
	const obj = `{"user":{"id":1,"name":"x"}}`
	runMatchCases(t, []matchCase{
		{"array =", `{ $.users = 1 }`, arr, false},
		{"array !=", `{ $.users != 1 }`, arr, false},
		{"array = string", `{ $.users = "1" }`, arr, false},
		{"array != string", `{ $.users != "x" }`, arr, false},
		{"array = *", `{ $.users = * }`, arr, false},
		{"array <", `{ $.users < 5 }`, arr, false},
		{"array IS NULL", `{ $.users IS NULL }`, arr, false},
		{"array NOT EXISTS", `{ $.users NOT EXISTS }`, arr, false},
		{"array element =", `{ $.users[0] = 1 }`, arr, true},
		{"array element !=", `{ $.users[1] != 1 }`, arr, true},
		{"object =", `{ $.user = 1 }`, obj, false},
		{"object !=", `{ $.user != 1 }`, obj, false},
		{"object != string", `{ $.user != "x" }`, obj, false},
		{"object = *", `{ $.user = * }`, obj, false},
		{"object = wildcard", `{ $.user = "*id*" }`, obj, false},
		{"object IS FALSE", `{ $.user IS FALSE }`, obj, false},
		{"object NOT EXISTS", `{ $.user NOT EXISTS }`, obj, false},
		{"empty object !=", `{ $.user != 1 }`, `{"user":{}}`, false},
		{"empty array !=", `{ $.users != 1 }`, `{"users":[]}`, false},
		{"object member", `{ $.user.id = 1 }`, obj, true},
	})
}

func TestMissingProperty(t *testing.T) {
	const ev = `{"a":1,"n":null,"o":{"p":"q"}}`
	runMatchCases(t, []matchCase{
		{"=", `{ $.b = 1 }`, ev, false},
		{"!=", `{ $.b != 1 }`, ev, false},
		{"!= string", `{ $.b != "x" }`, ev, false},
		{"= *", `{ $.b = * }`, ev, false},
		{"<", `{ $.b < 5 }`, ev, false},
		{">=", `{ $.b >= 0 }`, ev, false},
		{"IS NULL", `{ $.b IS NULL }`, ev, false},
		{"IS TRUE", `{ $.b IS TRUE }`, ev, false},
		{"IS FALSE", `{ $.b IS FALSE }`, ev, false},
		{"NOT EXISTS", `{ $.b NOT EXISTS }`, ev, true},
		{"nested NOT EXISTS", `{ $.o.x NOT EXISTS }`, ev, true},
		{"nested != on missing", `{ $.o.x != "q" }`, ev, false},
		{"deep under missing", `{ $.x.y.z NOT EXISTS }`, ev, true},
		{"present NOT EXISTS", `{ $.a NOT EXISTS }`, ev, false},
		{"null NOT EXISTS", `{ $.n NOT EXISTS }`, ev, false},
		{"null IS NULL", `{ $.n IS NULL }`, ev, true},
		{"object NOT EXISTS", `{ $.o NOT EXISTS }`, ev, false},
		{"NOT EXISTS in ||", `{ $.b NOT EXISTS || $.a = 2 }`, ev, true},
		{"NOT EXISTS in &&", `{ $.b NOT EXISTS && $.a = 2 }`, ev, false},
		{"empty object", `{ $.a NOT EXISTS }`, `{}`, true},
	})
}

func TestWildcards(t *testing.T) {
	ev := func(v string) string { return fmt.Sprintf(`{"e":%s}`, v) }
	runMatchCases(t, []matchCase{
		// Leading *: the value must end with the text.
		{"", `{ $.e = *Event }`, ev(`"PutEvent"`), true},
		{"", `{ $.e = *Event }`, ev(`"GetEvent"`), true},
		{"", `{ $.e = *Event }`, ev(`"Event"`), true},
		{"", `{ $.e = *Event }`, ev(`"EventId"`), false},
		{"", `{ $.e = *Event }`, ev(`"PutEvents"`), false},
		{"", `{ $.e = "*UnauthorizedOperation" }`, ev(`"Client.UnauthorizedOperation"`), true},
		// Trailing *: the value must start with the text.
		{"", `{ $.e = Event* }`, ev(`"EventId"`), true},
		{"", `{ $.e = Event* }`, ev(`"Event"`), true},
		{"", `{ $.e = Event* }`, ev(`"PutEvent"`), false},
		{"", `{ $.e = "AccessDenied*" }`, ev(`"AccessDeniedException"`), true},
		{"", `{ $.sourceIPAddress != 123.123.* }`, `{"sourceIPAddress":"123.123.4.5"}`, false},
		{"", `{ $.sourceIPAddress != 123.123.* }`, `{"sourceIPAddress":"123.124.4.5"}`, true},
		// Both: the value must contain the text.
		{"", `{ $.e = *html* }`, ev(`"/index.html?x=1"`), true},
		{"", `{ $.e = *html* }`, ev(`"html"`), true},
		{"", `{ $.e = *html* }`, ev(`"htm"`), false},
		{"", `{ $.e = "*a*b*" }`, ev(`"xa*by"`), true},
		{"", `{ $.e = "*a*b*" }`, ev(`"xaby"`), false},
		// A * in the middle is literal.
		{"", `{ $.e = Ev*ent }`, ev(`"Ev*ent"`), true},
		{"", `{ $.e = Ev*ent }`, ev(`"Event"`), false},
		{"", `{ $.e = Ev*ent }`, ev(`"EvXent"`), false},
		{"", `{ $.e = Ev*ent }`, ev(`"Ev*entX"`), false},
		{"", `{ $.e = "Ev*ent" }`, ev(`"Ev*ent"`), true},
		{"", `{ $.e != Ev*ent }`, ev(`"Event"`), true},
		// A bare * matches any scalar.
		{"", `{ $.e = * }`, ev(`"x"`), true},
		{"", `{ $.e = * }`, ev(`""`), true},
		{"", `{ $.e = * }`, ev(`5`), true},
		{"", `{ $.e = * }`, ev(`null`), true},
		{"", `{ $.e = * }`, ev(`true`), true},
		{"", `{ $.e = * }`, ev(`false`), true},
		{"", `{ $.e = * }`, ev(`{}`), false},
		{"", `{ $.e = * }`, ev(`[]`), false},
		{"", `{ $.e = * }`, `{}`, false},
		{"", `{ $.e != * }`, ev(`"x"`), false},
		// A wildcard on a number compares with its JSON text.
		{"", `{ $.e = 4* }`, ev(`404`), true},
		{"", `{ $.e = 4* }`, ev(`500`), false},
	})
}

func TestExactMatchAndCase(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"", `{ $.errorCode = "AccessDenied" }`, `{"errorCode":"AccessDenied"}`, true},
		{"", `{ $.errorCode = "AccessDenied" }`, `{"errorCode":"AccessDeniedException"}`, false},
		{"", `{ $.errorCode = AccessDenied }`, `{"errorCode":"AccessDeniedException"}`, false},
		{"", `{ $.errorCode = "AccessDenied" }`, `{"errorCode":"S3AccessDenied"}`, false},
		{"", `{ $.errorCode != "AccessDenied" }`, `{"errorCode":"AccessDeniedException"}`, true},
		{"", `{ $.errorCode = "" }`, `{"errorCode":""}`, true},
		{"", `{ $.errorCode = "" }`, `{"errorCode":" "}`, false},
		// Values are case sensitive.
		{"", `{ $.errorCode = "accessdenied" }`, `{"errorCode":"AccessDenied"}`, false},
		{"", `{ $.errorCode = "ACCESSDENIED*" }`, `{"errorCode":"AccessDeniedException"}`, false},
		{"", `{ $.errorCode = "*unauthorizedoperation" }`, `{"errorCode":"Client.UnauthorizedOperation"}`, false},
		// Property names are case sensitive.
		{"", `{ $.ErrorCode = "AccessDenied" }`, `{"errorCode":"AccessDenied"}`, false},
		{"", `{ $.ErrorCode NOT EXISTS }`, `{"errorCode":"AccessDenied"}`, true},
		// Quoted values keep spaces and punctuation; JSON escapes in the event are decoded.
		{"", `{ $.m = "Access Denied" }`, `{"m":"Access Denied"}`, true},
		{"", `{ $.m = "say \"hi\"" }`, `{"m":"say \"hi\""}`, true},
		{"", `{ $.m = "C:\\temp" }`, `{"m":"C:\\temp"}`, true},
		{"", `{ $.m = "é" }`, `{"m":"\u00e9"}`, true},
		{"", `{ $.a = 1 }`, `{"\u0061":1}`, true},
		{"", `{ $.x-amz-id-2 = "abc" }`, `{"x-amz-id-2":"abc"}`, true},
	})
}

func TestNumbers(t *testing.T) {
	const n400 = `{"n":400}`
	runMatchCases(t, []matchCase{
		// All six operators, around 400.
		{"", `{ $.n = 400 }`, n400, true},
		{"", `{ $.n = 400.0 }`, n400, true},
		{"", `{ $.n = 4e2 }`, n400, true},
		{"", `{ $.n = 401 }`, n400, false},
		{"", `{ $.n != 400 }`, n400, false},
		{"", `{ $.n != 401 }`, n400, true},
		{"", `{ $.n < 401 }`, n400, true},
		{"", `{ $.n < 400 }`, n400, false},
		{"", `{ $.n > 399 }`, n400, true},
		{"", `{ $.n > 400 }`, n400, false},
		{"", `{ $.n <= 400 }`, n400, true},
		{"", `{ $.n <= 399.9 }`, n400, false},
		{"", `{ $.n >= 400 }`, n400, true},
		{"", `{ $.n >= 400.5 }`, n400, false},
		// Numeric, not textual, ordering: 9 < 10 although "9" > "10".
		{"", `{ $.n < 10 }`, `{"n":9}`, true},
		{"", `{ $.n > 10 }`, `{"n":9}`, false},
		// Exponent, decimal and signed forms, in the pattern and in the event.
		{"", `{ $.n = 10e3 }`, `{"n":10000}`, true},
		{"", `{ $.n = 10000 }`, `{"n":1e4}`, true},
		{"", `{ $.n = 10e-3 }`, `{"n":0.01}`, true},
		{"", `{ $.n = 1E-2 }`, `{"n":10e-3}`, true},
		{"", `{ $.n = +1000 }`, `{"n":1000}`, true},
		{"", `{ $.n > 55 }`, `{"n":55.5}`, true},
		{"", `{ $.n = 55.5 }`, `{"n":55.50}`, true},
		{"", `{ $.n < -2.5 }`, `{"n":-3}`, true},
		{"", `{ $.n >= -3 }`, `{"n":-3}`, true},
		{"", `{ $.n > -3 }`, `{"n":-3}`, false},
		{"", `{ $.n = 0 }`, `{"n":-0}`, true},
		{"", `{ $.n > 1e21 }`, `{"n":1.5e21}`, true},
		{"", `{ $.n = 1e999 }`, `{"n":2e999}`, true}, // both overflow to +Inf
		// Relational operators on non-numbers are false.
		{"", `{ $.n < 5 }`, `{"n":"abc"}`, false},
		{"", `{ $.n > 5 }`, `{"n":"abc"}`, false},
		{"", `{ $.n >= 0 }`, `{"n":null}`, false},
		{"", `{ $.n > 0 }`, `{"n":true}`, false},
		{"", `{ $.n <= 0 }`, `{"n":false}`, false},
		// doc.go: a numeric value compared with a string compares numerically when the string
		// is a number, and is otherwise unequal.
		{"", `{ $.n = 400 }`, `{"n":"400"}`, true},
		{"", `{ $.n = 400 }`, `{"n":"4e2"}`, true},
		{"", `{ $.n = 400 }`, `{"n":"400.0"}`, true},
		{"", `{ $.n > 300 }`, `{"n":"400"}`, true},
		{"", `{ $.n < 300 }`, `{"n":"400"}`, false},
		{"", `{ $.n = 400 }`, `{"n":"abc"}`, false},
		{"", `{ $.n != 400 }`, `{"n":"abc"}`, true},
		{"", `{ $.n = 400 }`, `{"n":" 400"}`, false},
		{"", `{ $.n = 400 }`, `{"n":"0x190"}`, false},
		{"", `{ $.n != 0 }`, `{"n":null}`, true},
		{"", `{ $.n = 1 }`, `{"n":true}`, false},
		{"", `{ $.n != 1 }`, `{"n":true}`, true},
		// doc.go: a string value compared with a number, boolean or null is compared with that
		// value's JSON text.
		{"", `{ $.n = "400" }`, n400, true},
		{"", `{ $.n = "400" }`, `{"n":4e2}`, false},
		{"", `{ $.n = "400" }`, `{"n":400.0}`, false},
		{"", `{ $.n != "400" }`, `{"n":400.0}`, true},
		{"", `{ $.n = "4*" }`, n400, true},
		{"", `{ $.n = "*00" }`, n400, true},
		{"", `{ $.n = "true" }`, `{"n":true}`, true},
		{"", `{ $.n = true }`, `{"n":true}`, true},
		{"", `{ $.n != "true" }`, `{"n":false}`, true},
		{"", `{ $.n = "null" }`, `{"n":null}`, true},
		{"", `{ $.n = null }`, `{"n":null}`, true},
		{"", `{ $.n = "nul*" }`, `{"n":null}`, true},
	})
}

func TestBooleansAndNull(t *testing.T) {
	ev := func(v string) string { return `{"b":` + v + `}` }
	tests := []struct {
		value                     string
		isTrue, isFalse, isNull   bool
		notExists, eqAny, neFalse bool
	}{
		// value              IS TRUE IS FALSE IS NULL NOT EXISTS = *  != "false"
		{`true`, true, false, false, false, true, true},
		{`false`, false, true, false, false, true, false},
		{`null`, false, false, true, false, true, true},
		{`"true"`, false, false, false, false, true, true},
		{`"false"`, false, false, false, false, true, false},
		{`"null"`, false, false, false, false, true, true},
		{`0`, false, false, false, false, true, true},
		{`1`, false, false, false, false, true, true},
		{`""`, false, false, false, false, true, true},
		{`{}`, false, false, false, false, false, false},
		{`[true]`, false, false, false, false, false, false},
	}
	var cases []matchCase
	for _, tc := range tests {
		cases = append(cases,
			matchCase{"", `{ $.b IS TRUE }`, ev(tc.value), tc.isTrue},
			matchCase{"", `{ $.b IS FALSE }`, ev(tc.value), tc.isFalse},
			matchCase{"", `{ $.b IS NULL }`, ev(tc.value), tc.isNull},
			matchCase{"", `{ $.b NOT EXISTS }`, ev(tc.value), tc.notExists},
			matchCase{"", `{ $.b = * }`, ev(tc.value), tc.eqAny},
			matchCase{"", `{ $.b != "false" }`, ev(tc.value), tc.neFalse},
		)
	}
	cases = append(cases,
		matchCase{"", `{ $.b[0] IS TRUE }`, ev(`[true]`), true},
		matchCase{"", `{ $.b is true }`, ev(`true`), true},
		matchCase{"", `{ $.c IS NULL }`, ev(`null`), false},
	)
	runMatchCases(t, cases)
}

func TestSelectorSteps(t *testing.T) {
	runMatchCases(t, []matchCase{
		// Index steps need an array.
		{"index on string", `{ $.a[0] = "x" }`, `{"a":"xyz"}`, false},
		{"index on string NOT EXISTS", `{ $.a[0] NOT EXISTS }`, `{"a":"xyz"}`, true},
		{"index on object with key 0", `{ $.a[0] = "x" }`, `{"a":{"0":"x"}}`, false},
		{"index on number", `{ $.a[0] != 1 }`, `{"a":5}`, false},
		{"index on null", `{ $.a[0] IS NULL }`, `{"a":null}`, false},
		{"index out of range", `{ $.a[1] = "x" }`, `{"a":["x"]}`, false},
		{"index out of range !=", `{ $.a[1] != "x" }`, `{"a":["x"]}`, false},
		{"index out of range NOT EXISTS", `{ $.a[1] NOT EXISTS }`, `{"a":["x"]}`, true},
		{"index in range", `{ $.a[2] = "z" }`, `{"a":["x","y","z"]}`, true},
		{"index null element", `{ $.a[1] IS NULL }`, `{"a":[1,null]}`, true},
		{"chained indexes", `{ $.a[1][0] = 3 }`, `{"a":[[1,2],[3,4]]}`, true},
		{"chained index on flat array", `{ $.a[1][0] = 3 }`, `{"a":[1,3]}`, false},
		{"large index", `{ $.a[999999999] = 1 }`, `{"a":[1]}`, false},
		// Name steps need an object.
		{"name on array", `{ $.a.0 = "x" }`, `{"a":["x"]}`, false},
		{"digit name on object", `{ $.a.0 = "x" }`, `{"a":{"0":"x"}}`, true},
		{"name on string", `{ $.a.b = "s" }`, `{"a":"s"}`, false},
		{"name on number !=", `{ $.a.b != 1 }`, `{"a":5}`, false},
		{"name on null", `{ $.a.b IS NULL }`, `{"a":null}`, false},
		{"name on null NOT EXISTS", `{ $.a.b NOT EXISTS }`, `{"a":null}`, true},
		// $.list[1].id when the element is not an object, or has no id.
		{"list element not object", `{ $.list[1].id = 1 }`, `{"list":[{"id":1},5]}`, false},
		{"list element without id", `{ $.list[1].id = 1 }`, `{"list":[{"id":1},{"x":1}]}`, false},
		{"list element with id", `{ $.list[0].id = 1 }`, `{"list":[{"id":1},5]}`, true},
		{"users[0].email", `{ $.users[0].email = "*@example.com" }`, `{"users":[{"email":"a@example.com"}]}`, true},
		// Deep nesting.
		{"deep", `{ $.a.b.c.d.e = 1 }`, `{"a":{"b":{"c":{"d":{"e":1}}}}}`, true},
	})
}

// TestNonJSONEvents checks that JSON patterns match only events that are a JSON object, and
// that no input makes them panic.
func TestNonJSONEvents(t *testing.T) {
	patterns := []string{`{ $.a = * }`, `{ $.a NOT EXISTS }`, `{ $.a != 1 }`, cisV14}
	events := []string{
		"",
		"   ",
		"plain text AccessDenied",
		`[{"a":1}]`,
		`[]`,
		`"a string"`,
		`123`,
		`null`,
		`true`,
		`{"a":1`,
		`{"a":1} trailing`,
		`{"a":1}{"a":2}`,
		`{not json}`,
		`{'a':1}`,
		"{\"a\":1}\n{\"a\":2}",
		"\x00\xff{",
		`{"a":"\ud800"`,
		`2024-01-01T00:00:00Z {"a":1}`,
	}
	for _, pat := range patterns {
		p := MustParse(pat)
		for _, ev := range events {
			if p.Match(ev) || p.MatchBytes([]byte(ev)) {
				t.Errorf("%s matches the non-object %q", pat, ev)
			}
		}
	}
	if p := MustParse(`{ $.a NOT EXISTS }`); p.MatchBytes(nil) {
		t.Errorf("MatchBytes(nil) = true")
	}
	// Blanks around an object are ignored.
	runMatchCases(t, []matchCase{
		{"leading and trailing blanks", `{ $.a = 1 }`, " \t{\"a\":1}\r\n", true},
		{"empty object NOT EXISTS", `{ $.a NOT EXISTS }`, `{}`, true},
	})
}

func TestTermPatterns(t *testing.T) {
	runMatchCases(t, []matchCase{
		// A bare term is a case-sensitive substring.
		{"", `ERROR`, `Exiting with ERRORCODE: -1`, true},
		{"", `ERROR`, `error: disk full`, false},
		{"", `ERROR`, ``, false},
		// Several terms are AND-ed, in any order.
		{"", `Failed to process the request`, `the request to process Failed`, true},
		{"", `Failed to process the request`, `Failed to process`, false},
		{"", "  ERROR \t WARN  ", `WARN then ERROR`, true},
		// A quoted term is a phrase.
		{"", `"INTERNAL SERVER ERROR"`, `500 INTERNAL SERVER ERROR`, true},
		{"", `"INTERNAL SERVER ERROR"`, `INTERNAL ERROR SERVER`, false},
		{"", `"user@example.com" login`, `login by user@example.com`, true},
		{"", `"say \"hi\""`, `they say "hi" loudly`, true},
		{"", `"say \"hi\""`, `they say hi loudly`, false},
		{"", `"a\\b"`, `path a\b`, true},
		{"", `""`, `anything`, true},
		// ?terms are OR-ed.
		{"", `?ERROR ?WARN`, `a WARN here`, true},
		{"", `?ERROR ?WARN`, `ERROR`, true},
		{"", `?ERROR ?WARN`, `INFO`, false},
		{"", `?"disk full" ?timeout`, `the disk full`, true},
		// -terms exclude.
		{"", `ERROR -WARN`, `ERROR x`, true},
		{"", `ERROR -WARN`, `ERROR WARN`, false},
		{"", `ERROR -WARN`, `WARN`, false},
		{"", `-debug`, `anything`, true},
		{"", `-debug`, `debug line`, false},
		// The old documented spelling, with a space after the minus.
		{"", `"ERROR" - "Exiting"`, `ERROR: disk full`, true},
		{"", `"ERROR" - "Exiting"`, `ERROR Exiting`, false},
		{"", `"ERROR" -"Exiting now"`, `ERROR Exiting later`, true},
		{"", `"ERROR" -"Exiting now"`, `ERROR Exiting now`, false},
		// doc.go: plain terms required, one ?term, no -term.
		{"", `ERROR ?timeout ?refused -debug`, `ERROR timeout`, true},
		{"", `ERROR ?timeout ?refused -debug`, `ERROR connection refused`, true},
		{"", `ERROR ?timeout ?refused -debug`, `ERROR`, false},
		{"", `ERROR ?timeout ?refused -debug`, `ERROR timeout debug`, false},
		{"", `ERROR ?timeout ?refused -debug`, `timeout refused`, false},
		// JSON text is just text to a term pattern.
		{"", `AccessDenied`, `{"errorCode":"AccessDeniedException"}`, true},
	})
}

// Apache-style access log lines: the [timestamp] and the "request" are one field each.
const (
	apache200 = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`
	apache500 = `127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324`
	apache404 = `127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /index.html HTTP/1.0" 404 -`
	apache403 = `10.1.2.3 - - [10/Oct/2000:14:00:00 -0700] "GET /secret.html HTTP/1.0" 403 2048`
)

func TestSplitFields(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{apache200, []string{"127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "200", "1534"}},
		{"  a \t b  ", []string{"a", "b"}},
		{`"" []`, []string{"", ""}},
		{`"unclosed quote`, []string{`"unclosed`, "quote"}},
		{`[unclosed bracket`, []string{`[unclosed`, "bracket"}},
		{``, nil},
	}
	for _, tc := range tests {
		if got := splitFields(tc.line); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitFields(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestDelimitedPatterns(t *testing.T) {
	type row struct {
		pattern string
		// want lists which of the four Apache lines (200, 500, 404, 403) match.
		want [4]bool
	}
	lines := [4]string{apache200, apache500, apache404, apache403}
	rows := []row{
		{`[ip, user, username, timestamp, request, status_code, bytes]`, [4]bool{true, true, true, true}},
		{`[ip, user, username, timestamp, request, status_code]`, [4]bool{}},
		{`[ip, user, username, timestamp, request, status_code, bytes, extra]`, [4]bool{}},
		{`[ip, user, username, timestamp, request, status_code = 4*, bytes]`, [4]bool{false, false, true, true}},
		{`[ip, user, username, timestamp, request, status_code = "4*", bytes]`, [4]bool{false, false, true, true}},
		{`[ip, user, username, timestamp, request, status_code != 200, bytes]`, [4]bool{false, true, true, true}},
		// ... at the start, in the middle, at the end.
		{`[..., status_code = 500, bytes]`, [4]bool{false, true, false, false}},
		{`[ip, ...]`, [4]bool{true, true, true, true}},
		{`[ip = 127.0.0.*, ...]`, [4]bool{true, true, true, false}},
		{`[ip = 10.*, ...]`, [4]bool{false, false, false, true}},
		{`[ip, ..., bytes > 1000]`, [4]bool{true, true, false, true}},
		{`[ip, ..., bytes >= 1534]`, [4]bool{true, true, false, true}},
		{`[ip, ..., bytes < 2000]`, [4]bool{true, false, false, false}},
		{`[ip, ..., bytes > 1.5e3]`, [4]bool{true, true, false, true}},
		{`[ip, ..., bytes = -]`, [4]bool{false, false, true, false}},
		{`[..., request = *html*, status_code, bytes]`, [4]bool{false, false, true, true}},
		{`[..., request = "GET /index.html HTTP/1.0", ...]`, [4]bool{false, false, true, false}},
		{`[ip, user, username, timestamp = *13:25*, ...]`, [4]bool{true, false, false, false}},
		{`[ip, user, username = frank, ...]`, [4]bool{true, true, true, false}},
		{`[ip, user = -, username != frank, ...]`, [4]bool{false, false, false, true}},
		{`[..., ..., status_code = 200, ...]`, [4]bool{true, false, false, false}},
		// && and || within a field, and across fields.
		{`[..., status_code = 403 || status_code = 404, bytes]`, [4]bool{false, false, true, true}},
		{`[..., status_code >= 400 && status_code < 500, bytes]`, [4]bool{false, false, true, true}},
		{`[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000, bytes]`, [4]bool{false, false, false, true}},
		{`[ip, user, username, timestamp, request, status_code = 5* || bytes < 2000, bytes]`, [4]bool{true, true, false, false}},
		{`[ip = 10.* || username = frank, user, username, ...]`, [4]bool{true, true, true, true}},
		{`[ip = 10.* || username = frank, ...]`, [4]bool{false, false, false, true}}, // username is never bound
		// A condition on a field the pattern never names reads a missing field: false.
		{`[ip = 10.* || nosuch = x, ...]`, [4]bool{false, false, false, true}},
		{`[ip != 10.* && nosuch != x, ...]`, [4]bool{}},
		// Regular expressions.
		{`[..., request = %GET /[a-z_]+\.gif%, status_code, bytes]`, [4]bool{true, true, false, false}},
		{`[..., status_code = %^[45]%, bytes]`, [4]bool{false, true, true, true}},
	}
	var cases []matchCase
	for _, r := range rows {
		for i, l := range lines {
			cases = append(cases, matchCase{fmt.Sprintf("%s ~ line %d", r.pattern, i), r.pattern, l, r.want[i]})
		}
	}
	cases = append(cases,
		// The docs' [w1!=ERROR&&w1!=WARN, w2]: two fields, the first neither ERROR nor WARN.
		matchCase{"", `[w1!=ERROR&&w1!=WARN, w2]`, `INFO ok`, true},
		matchCase{"", `[w1!=ERROR&&w1!=WARN, w2]`, `ERROR ok`, false},
		matchCase{"", `[w1!=ERROR&&w1!=WARN, w2]`, `WARN ok`, false},
		matchCase{"", `[w1!=ERROR&&w1!=WARN, w2]`, `INFO`, false},
		matchCase{"", `[w1!=ERROR&&w1!=WARN, w2]`, `INFO ok more`, false},
		// ... alone matches every line, the empty one included.
		matchCase{"", `[...]`, ``, true},
		matchCase{"", `[...]`, `a b c`, true},
		matchCase{"", `[a]`, ``, false},
		matchCase{"", `[a]`, `   `, false},
		matchCase{"", `[a, ...]`, ``, false},
		// Several ... need a consistent layout.
		matchCase{"", `[a, ..., b = x, ...]`, `1 2 x 3`, true},
		matchCase{"", `[a, ..., b = x, ...]`, `x 2 3`, false},
		matchCase{"", `[a, ..., b = x, ..., c = y]`, `1 x 2 x 3 y`, true},
		matchCase{"", `[a, ..., b = x, ..., c = y]`, `1 y x`, false},
		// A trailing comma is allowed.
		matchCase{"", `[a, b,]`, `1 2`, true},
		// Blanks of any kind separate fields.
		matchCase{"", `[a, b = 2]`, "1\t 2", true},
		// Case sensitive.
		matchCase{"", `[a = error]`, `ERROR`, false},
	)
	runMatchCases(t, cases)
}

func TestRegexPatterns(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"", `%AUTHORIZED%`, `UNAUTHORIZED`, true},
		{"", `%AUTHORIZED%`, `authorized`, false},
		{"", `%^ERROR%`, `ERROR at start`, true},
		{"", `%^ERROR%`, `an ERROR`, false},
		{"", `%ERROR|WARN%`, `a WARN`, true},
		{"", `%[0-9]{3} [0-9]+$%`, `"GET /" 404 512`, true},
		{"", `%[0-9]{3} [0-9]+$%`, `"GET /" 404 -`, false},
		{"", `  %x%  `, `axb`, true},
		// Regex values in JSON patterns match the value's text.
		{"", `{ $.eventName = %^Describe% }`, `{"eventName":"DescribeInstances"}`, true},
		{"", `{ $.eventName = %^Describe% }`, `{"eventName":"ListDescribe"}`, false},
		{"", `{ $.eventName != %^Describe% }`, `{"eventName":"ListDescribe"}`, true},
		{"", `{ $.eventName = %^Describe% }`, `{"other":"DescribeInstances"}`, false},
		{"", `{ $.eventName != %^Describe% }`, `{"other":"DescribeInstances"}`, false},
		{"", `{ $.n = %^4[0-9]{2}$% }`, `{"n":404}`, true},
		{"", `{ $.n = %^4[0-9]{2}$% }`, `{"n":4040}`, false},
		{"", `{ $.errorCode = %^AccessDenied% || $.errorCode = %UnauthorizedOperation$% }`, `{"errorCode":"Client.UnauthorizedOperation"}`, true},
	})
}

// TestEvalLookup evaluates JSON patterns with a caller-supplied lookup.
func TestEvalLookup(t *testing.T) {
	const pat = `{ ($.a = "x" || $.b > 5) && $.a != "y" && $.users[0].email NOT EXISTS }`
	p := MustParse(pat)
	tests := []struct {
		name  string
		nodes map[string]Node
		want  bool
	}{
		{"a is x", map[string]Node{"$.a": {Kind: String, Text: "x"}}, true},
		{"a is y, b big", map[string]Node{"$.a": {Kind: String, Text: "y"}, "$.b": {Kind: Number, Text: "6"}}, false},
		{"a missing, b big", map[string]Node{"$.b": {Kind: Number, Text: "6"}}, false},
		{"a other, b big", map[string]Node{"$.a": {Kind: String, Text: "z"}, "$.b": {Kind: Number, Text: "6"}}, true},
		{"a other, b small", map[string]Node{"$.a": {Kind: String, Text: "z"}, "$.b": {Kind: Number, Text: "5"}}, false},
		{"b numeric string", map[string]Node{"$.a": {Kind: String, Text: "z"}, "$.b": {Kind: String, Text: "7.5"}}, true},
		{"email present", map[string]Node{"$.a": {Kind: String, Text: "x"}, "$.users[0].email": {Kind: String, Text: "e"}}, false},
		{"email null", map[string]Node{"$.a": {Kind: String, Text: "x"}, "$.users[0].email": {Kind: Null, Text: "null"}}, false},
		{"a is an object", map[string]Node{"$.a": {Kind: Object}, "$.b": {Kind: Number, Text: "6"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[string]int{}
			got := p.Eval(func(s Selector) Node {
				calls[s.String()]++
				return tc.nodes[s.String()]
			})
			if got != tc.want {
				t.Errorf("Eval = %v, want %v", got, tc.want)
			}
			for sel, n := range calls {
				if n != 1 {
					t.Errorf("lookup(%s) called %d times, want once per evaluation", sel, n)
				}
			}
		})
	}

	// The lookup receives the selector's parsed steps.
	var steps [][]Step
	MustParse(`{ $.users[0].email = "e" || $.coordinates[0][1] = 1 }`).Eval(func(s Selector) Node {
		steps = append(steps, s.Steps)
		return Node{Kind: Missing}
	})
	want := [][]Step{
		{{Name: "users"}, {Index: 0, IsIndex: true}, {Name: "email"}},
		{{Name: "coordinates"}, {Index: 0, IsIndex: true}, {Index: 1, IsIndex: true}},
	}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("lookups got %+v, want %+v", steps, want)
	}

	// Eval and Match agree when the lookup reads the same document.
	s := loadCloudTrailSample(t)
	cis := MustParse(cisV14)
	for i, line := range s.lines {
		doc := gjson.ParseBytes(line)
		got := cis.Eval(func(sel Selector) Node {
			r := doc.Get(strings.TrimPrefix(sel.String(), "$."))
			switch {
			case !r.Exists():
				return Node{}
			case r.Type == gjson.String:
				return Node{Kind: String, Text: r.Str}
			}
			t.Fatalf("unexpected node %s for %s", r.Raw, sel)
			return Node{}
		})
		if got != s.rows[i].v14 {
			t.Errorf("line %d: Eval = %v, want %v", i+1, got, s.rows[i].v14)
		}
	}

	// Non-JSON patterns never call the lookup and are false.
	for _, pat := range []string{`ERROR`, `[a]`, `%x%`, ``} {
		if MustParse(pat).Eval(func(Selector) Node { t.Fatalf("%q: lookup called", pat); return Node{} }) {
			t.Errorf("Eval(%q) = true", pat)
		}
	}
}

// TestEvalLookupOnce checks that a selector used by several conditions is looked up once.
func TestEvalLookupOnce(t *testing.T) {
	p := MustParse(`{ $.a = "p" || $.a = "q" || $.a = "r" || $.b = 1 }`)
	calls := 0
	if p.Eval(func(s Selector) Node {
		calls++
		if s.String() != "$.a" && s.String() != "$.b" {
			t.Errorf("lookup(%s)", s)
		}
		return Node{Kind: String, Text: "zzz"}
	}) {
		t.Error("Eval = true, want false")
	}
	if calls != 2 {
		t.Errorf("lookup called %d times, want 2 (once per distinct selector)", calls)
	}
}

// TestCondTest checks Cond.Test for every kind of node.
func TestCondTest(t *testing.T) {
	nodes := []Node{
		{Kind: Missing},
		{Kind: Null, Text: "null"},
		{Kind: String, Text: "abc"},
		{Kind: String, Text: "5"},
		{Kind: Number, Text: "5"},
		{Kind: True, Text: "true"},
		{Kind: False, Text: "false"},
		{Kind: Object},
		{Kind: Array},
	}
	const (
		T = true
		F = false
	)
	tests := []struct {
		cond string
		// want is the result for each node above, in order:
		//          missing null "abc" "5" 5 true false object array
		want [9]bool
	}{
		{`$.x = *`, [9]bool{F, T, T, T, T, T, T, F, F}},
		{`$.x != *`, [9]bool{F, F, F, F, F, F, F, F, F}},
		{`$.x = "abc"`, [9]bool{F, F, T, F, F, F, F, F, F}},
		{`$.x != "abc"`, [9]bool{F, T, F, T, T, T, T, F, F}},
		{`$.x = "a*"`, [9]bool{F, F, T, F, F, F, F, F, F}},
		{`$.x = 5`, [9]bool{F, F, F, T, T, F, F, F, F}},
		{`$.x != 5`, [9]bool{F, T, T, F, F, T, T, F, F}},
		{`$.x = 5.0`, [9]bool{F, F, F, T, T, F, F, F, F}},
		{`$.x > 4`, [9]bool{F, F, F, T, T, F, F, F, F}},
		{`$.x >= 5`, [9]bool{F, F, F, T, T, F, F, F, F}},
		{`$.x < 4`, [9]bool{F, F, F, F, F, F, F, F, F}},
		{`$.x <= 5`, [9]bool{F, F, F, T, T, F, F, F, F}},
		{`$.x = "5"`, [9]bool{F, F, F, T, T, F, F, F, F}},
		{`$.x = "null"`, [9]bool{F, T, F, F, F, F, F, F, F}},
		{`$.x = "true"`, [9]bool{F, F, F, F, F, T, F, F, F}},
		{`$.x IS NULL`, [9]bool{F, T, F, F, F, F, F, F, F}},
		{`$.x IS TRUE`, [9]bool{F, F, F, F, F, T, F, F, F}},
		{`$.x IS FALSE`, [9]bool{F, F, F, F, F, F, T, F, F}},
		{`$.x NOT EXISTS`, [9]bool{T, F, F, F, F, F, F, F, F}},
		{`$.x = %^[a-c]+$%`, [9]bool{F, F, T, F, F, F, F, F, F}},
		{`$.x != %^[a-c]+$%`, [9]bool{F, T, F, T, T, T, T, F, F}},
	}
	for _, tc := range tests {
		c, ok := MustParse("{ " + tc.cond + " }").Expr().(*Cond)
		if !ok {
			t.Fatalf("%s did not parse to one condition", tc.cond)
		}
		for i, n := range nodes {
			if got := c.Test(n); got != tc.want[i] {
				t.Errorf("(%s).Test(%v %q) = %v, want %v", tc.cond, n.Kind, n.Text, got, tc.want[i])
			}
		}
	}

	// A relational condition built by hand with a non-number value is false rather than
	// comparing text.
	c := &Cond{Sel: Selector{Steps: []Step{{Name: "x"}}}, Op: OpLt, Value: Value{Kind: ValueString, Text: "9"}}
	if c.Test(Node{Kind: Number, Text: "1"}) {
		t.Errorf("< with a string value compared numbers")
	}
}

// TestMatchConcurrent checks that one Pattern can be used from many goroutines (run with -race).
func TestMatchConcurrent(t *testing.T) {
	s := loadCloudTrailSample(t)
	pats := []*Pattern{MustParse(cisV14), MustParse(`ERROR ?a -b`), MustParse(`[a, ..., b]`), MustParse(`%Access%`)}
	want := make([][]bool, len(pats))
	for i, p := range pats {
		for _, l := range s.lines {
			want[i] = append(want[i], p.MatchBytes(l))
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 20; round++ {
				for i, p := range pats {
					for j, l := range s.lines {
						if got := p.MatchBytes(l); got != want[i][j] {
							t.Errorf("pattern %d line %d: concurrent MatchBytes = %v, want %v", i, j, got, want[i][j])
							return
						}
					}
				}
				pats[0].Eval(func(Selector) Node { return Node{Kind: String, Text: "AccessDenied"} })
			}
		}()
	}
	wg.Wait()
}

// TestManySelectors exercises a JSON pattern with more distinct selectors than the evaluator's
// fixed-size cache.
func TestManySelectors(t *testing.T) {
	var conds []string
	var doc []string
	for i := 0; i < 12; i++ {
		conds = append(conds, fmt.Sprintf("$.k%d = %d", i, i))
		doc = append(doc, fmt.Sprintf(`"k%d":%d`, i, i))
	}
	p := MustParse("{ " + strings.Join(conds, " && ") + " }")
	ev := "{" + strings.Join(doc, ",") + "}"
	runMatchCases(t, []matchCase{
		{"all present", p.Text(), ev, true},
		{"last differs", p.Text(), strings.Replace(ev, `"k11":11`, `"k11":12`, 1), false},
	})
}

// TestMatchBytesNoCopy checks MatchBytes's documented promise: a JSON pattern matches a byte
// slice without copying it, so matching allocates nothing.
func TestMatchBytesNoCopy(t *testing.T) {
	lines := loadCloudTrailSample(t).lines
	p := MustParse(cisV14)
	allocs := testing.AllocsPerRun(50, func() {
		for _, l := range lines {
			p.MatchBytes(l)
		}
	})
	if allocs != 0 {
		t.Errorf("MatchBytes allocates %.0f times per pass over the sample, want 0", allocs)
	}
}

func TestLookupJSON(t *testing.T) {
	sel := func(s string) Selector { return MustParse("{ " + s + " NOT EXISTS }").Expr().(*Cond).Sel }
	tests := []struct {
		msg, sel string
		want     Node
	}{
		{compoundDoc, "$.users[0].email", Node{Kind: String, Text: "John.Doe@example.com"}},
		{compoundDoc, "$.coordinates[1][0]", Node{Kind: Number, Text: "2"}},
		{compoundDoc, "$.actions", Node{Kind: Array}},
		{compoundDoc, "$.user", Node{Kind: Object}},
		{compoundDoc, "$.user.nosuch", Node{Kind: Missing}},
		{`{"a":null,"b":true,"c":false,"d":-1.5e3}`, "$.a", Node{Kind: Null, Text: "null"}},
		{`{"a":null,"b":true,"c":false,"d":-1.5e3}`, "$.b", Node{Kind: True, Text: "true"}},
		{`{"a":null,"b":true,"c":false,"d":-1.5e3}`, "$.c", Node{Kind: False, Text: "false"}},
		{`{"a":null,"b":true,"c":false,"d":-1.5e3}`, "$.d", Node{Kind: Number, Text: "-1.5e3"}},
		{" \n{\"a\":\"x\\\"y\"}\n", "$.a", Node{Kind: String, Text: `x"y`}},
		{`[{"a":1}]`, "$.a", Node{Kind: Missing}},
		{`{"a":1`, "$.a", Node{Kind: Missing}},
		{`not json`, "$.a", Node{Kind: Missing}},
	}
	for _, tc := range tests {
		if got := LookupJSON([]byte(tc.msg), sel(tc.sel)); got != tc.want {
			t.Errorf("LookupJSON(%q, %s) = %+v, want %+v", tc.msg, tc.sel, got, tc.want)
		}
	}
}

// TestEvalJSON evaluates each branch of the CIS v1.4+ pattern on its own.
func TestEvalJSON(t *testing.T) {
	s := loadCloudTrailSample(t)
	or, ok := MustParse(cisV14).Expr().(*Or)
	if !ok || len(or.Terms) != 2 {
		t.Fatalf("CIS v1.4 is not an OR of two branches")
	}
	unauthorized, accessDenied := or.Terms[0], or.Terms[1]
	for i, l := range s.lines {
		row := s.rows[i]
		wantU := strings.HasSuffix(row.errorCode, "UnauthorizedOperation")
		wantA := strings.HasPrefix(row.errorCode, "AccessDenied") && row.v14
		if got := EvalJSON(unauthorized, l); got != wantU {
			t.Errorf("line %d: unauthorized branch = %v, want %v", row.line, got, wantU)
		}
		if got := EvalJSON(accessDenied, l); got != wantA {
			t.Errorf("line %d: AccessDenied branch = %v, want %v", row.line, got, wantA)
		}
		if got := EvalJSON(or, l); got != row.v14 {
			t.Errorf("line %d: whole pattern = %v, want %v", row.line, got, row.v14)
		}
	}
	if EvalJSON(unauthorized, []byte(`Client.UnauthorizedOperation`)) {
		t.Errorf("EvalJSON matched a non-JSON message")
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
	}{
		{`ERROR "a b" ?timeout -debug`, []string{"ERROR", "a b", "timeout", "debug"}},
		{`[ip, ..., status = 4* || status = %^5%, bytes > 1000]`, []string{"4", "^5", "1000"}},
		{`%AUTH%`, []string{"AUTH"}},
		{cisV14, nil},
		{``, nil},
	}
	for _, tc := range tests {
		if got := MustParse(tc.pattern).Words(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Words(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}
