package filterpattern

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzPatterns seeds both fuzz targets: the reference's examples, the CIS patterns and a few
// awkward spellings. testdata/fuzz/ holds more, in Go's corpus file format.
var fuzzPatterns = []string{
	"",
	"   ",
	cisV12,
	cisV14,
	`{$.errorCode="*UnauthorizedOperation"||$.errorCode="AccessDenied*"}`,
	`{ $.eventName = "ConsoleLogin" && $.errorMessage = "Failed authentication" }`,
	`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`,
	`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`,
	`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`,
	`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`,
	`{ $.users = 1 }`,
	`{ $.users != 1 }`,
	`{ $.sourceIPAddress != 123.123.* }`,
	`{ $.eventType = *Event }`,
	`{ $.eventType = Ev*ent }`,
	`{ $.latency = * }`,
	`{ $.bandwidth > 75 }`,
	`{ $.latency < 50 }`,
	`{ $.n = 10e3 || $.n = 10e-3 || $.n >= +1000 || $.n <= 55.5 }`,
	`{ $.n != -2.5E+2 }`,
	`{ $.x IS NULL }`,
	`{ $.x NOT EXISTS }`,
	`{ $.x IS TRUE || $.y is false }`,
	`{ $.eventName = %Describe.*% }`,
	`{ $.a = "say \"hi\" \\ C:\temp" }`,
	"{\n\t$.a\n=\n\"x\"\n}",
	`ERROR`,
	`Failed to process the request`,
	`"INTERNAL SERVER ERROR"`,
	`?ERROR ?WARN`,
	`ERROR -WARN`,
	`"ERROR" - "Exiting"`,
	`ERROR ?timeout ?refused -debug`,
	`[ip, user, username, timestamp, request, status_code, bytes]`,
	`[ip, user, ..., status_code = 4*, bytes > 1000]`,
	`[..., status_code = 403 || status_code = 404, bytes]`,
	`[ip, ..., request = *html*, status_code = 4* && bytes > 1000, bytes]`,
	`[w1!=ERROR&&w1!=WARN, w2]`,
	`[...]`,
	`%AUTHORIZED%`,
	`%something!%`,
	`%a(b)%`,
	`{ $.a = }`,
	`{ $.a = "x" && }`,
	`{ $.a = "日本語" || é }`,
}

// fuzzEvents are the events the round-trip property compares matches on; the CloudTrail
// sample is added to them.
var fuzzEvents = []string{
	compoundDoc,
	`{"a":1,"b":"x","c":null,"d":true,"e":false,"f":[1,"2",{"g":3}],"h":{"i":"j"},"n":400,"s":"400"}`,
	`{"users":[1,2,3],"user":{"id":1}}`,
	`{"x":"Event","y":"Ev*ent","z":"123.123.4.5","n":1e4,"m":-250}`,
	`{}`,
	`not json ERROR timeout`,
	apache404,
}

func addSeeds(f *testing.F, events bool) {
	for _, p := range fuzzPatterns {
		if !events {
			f.Add(p)
			continue
		}
		for _, e := range fuzzEvents[:3] {
			f.Add(p, e)
		}
		f.Add(p, apache403)
		f.Add(p, `ERROR: connection refused`)
	}
}

// FuzzParse checks that Parse never panics, that its errors are well formed, and that the
// canonical spelling of a JSON pattern parses again to a pattern that matches the same events.
func FuzzParse(f *testing.F) {
	addSeeds(f, false)
	events := append([]string(nil), fuzzEvents...)
	for _, l := range loadCloudTrailSample(f).lines {
		events = append(events, string(l))
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse(text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v is %T, not *ParseError", text, err, err)
			}
			if n := utf8.RuneCountInString(text); pe.Offset < 0 || pe.Offset > n {
				t.Fatalf("Parse(%q): offset %d outside the %d-character pattern", text, pe.Offset, n)
			}
			if pe.Msg == "" {
				t.Fatalf("Parse(%q): empty error message", text)
			}
			return
		}
		for _, e := range events {
			p.Match(e) // must not panic
		}
		if p.Form() != FormJSON {
			if p.Canonical() != text || p.Expr() != nil {
				t.Fatalf("Parse(%q): form %v with canonical %q and expr %v", text, p.Form(), p.Canonical(), p.Expr())
			}
			return
		}
		canon := p.Canonical()
		if utf8.RuneCountInString(canon) > MaxLength {
			// Canonical spacing and quoting can push a long pattern over the limit; such a
			// canonical form cannot be parsed back, by design of the limit.
			return
		}
		q, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q): canonical form %q does not parse: %v", text, canon, err)
		}
		if q.Form() != FormJSON || q.Canonical() != canon {
			t.Fatalf("Parse(%q): canonical %q re-renders as %q", text, canon, q.Canonical())
		}
		for _, e := range events {
			if a, b := p.Match(e), q.Match(e); a != b {
				t.Fatalf("pattern %q matches %v but its canonical form %q matches %v on %q", text, a, canon, b, e)
			}
		}
		compareByLookup(t, p, q)
	})
}

// compareByLookup evaluates two JSON patterns over assignments of nodes to their selectors,
// the nodes drawn from the patterns' own values and every kind of node.
func compareByLookup(t *testing.T, p, q *Pattern) {
	t.Helper()
	index := map[string]int{}
	candidates := []Node{
		{Kind: Missing}, {Kind: Null, Text: "null"}, {Kind: True, Text: "true"}, {Kind: False, Text: "false"},
		{Kind: Object}, {Kind: Array}, {Kind: Number, Text: "0"}, {Kind: String, Text: ""},
	}
	Walk(p.Expr(), func(c *Cond) {
		if _, ok := index[c.Sel.String()]; !ok {
			index[c.Sel.String()] = len(index)
		}
		v := c.Value
		candidates = append(candidates,
			Node{Kind: String, Text: v.Text},
			Node{Kind: String, Text: "x" + v.Text},
			Node{Kind: String, Text: v.Text + "x"},
			Node{Kind: String, Text: v.Raw},
		)
		if v.Kind == ValueNumber {
			candidates = append(candidates,
				Node{Kind: Number, Text: v.Raw},
				Node{Kind: Number, Text: strconv.FormatFloat(v.Num, 'g', -1, 64)},
				Node{Kind: Number, Text: strconv.FormatFloat(v.Num+1, 'g', -1, 64)},
			)
		}
	})
	for k := 0; k < 32; k++ {
		lookup := func(s Selector) Node {
			j, ok := index[s.String()]
			if !ok {
				t.Fatalf("lookup of %s, which the original pattern does not use", s)
			}
			return candidates[(k*(2*j+1)+j*5+k*k)%len(candidates)]
		}
		if a, b := p.Eval(lookup), q.Eval(lookup); a != b {
			var desc []string
			for s, j := range index {
				n := candidates[(k*(2*j+1)+j*5+k*k)%len(candidates)]
				desc = append(desc, fmt.Sprintf("%s=%v(%q)", s, n.Kind, n.Text))
			}
			t.Fatalf("pattern %q evaluates to %v but its canonical form %q to %v with %s", p.Text(), a, q.Text(), b, strings.Join(desc, " "))
		}
	}
}

// FuzzMatch checks that matching never panics, that Match and MatchBytes agree, and that a JSON
// pattern's canonical form matches the same events.
func FuzzMatch(f *testing.F) {
	addSeeds(f, true)
	for _, l := range loadCloudTrailSample(f).lines {
		f.Add(cisV14, string(l))
	}
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		m := p.Match(event)
		if mb := p.MatchBytes([]byte(event)); mb != m {
			t.Fatalf("Parse(%q): Match(%q) = %v but MatchBytes = %v", pattern, event, m, mb)
		}
		switch p.Form() {
		case FormAll:
			if !m {
				t.Fatalf("blank pattern %q does not match %q", pattern, event)
			}
		case FormJSON:
			if m && !strings.HasPrefix(strings.TrimSpace(event), "{") {
				t.Fatalf("JSON pattern %q matches the non-object %q", pattern, event)
			}
			canon := p.Canonical()
			if utf8.RuneCountInString(canon) > MaxLength {
				return
			}
			q, err := Parse(canon)
			if err != nil {
				t.Fatalf("Parse(%q): canonical form %q does not parse: %v", pattern, canon, err)
			}
			if mq := q.Match(event); mq != m {
				t.Fatalf("pattern %q matches %v but its canonical form %q matches %v on %q", pattern, m, canon, mq, event)
			}
			// Differential check of the JSON lookup: the same conditions over a document decoded
			// by encoding/json must give the same answer.
			if !json.Valid([]byte(event)) {
				if m {
					t.Fatalf("JSON pattern %q matches %q, which encoding/json rejects", pattern, event)
				}
				return
			}
			doc, ok := decodeObject(event)
			if !ok {
				return // not an object, or duplicate keys
			}
			if e := p.Eval(stdLookup(doc)); e != m {
				t.Fatalf("pattern %q on %q: Match = %v, but %v over encoding/json's decoding", pattern, event, m, e)
			}
		}
	})
}

// decodeObject decodes a JSON object with encoding/json, numbers kept as written. It refuses
// objects with duplicate keys, on which JSON decoders legitimately differ.
func decodeObject(s string) (map[string]any, bool) {
	if !json.Valid([]byte(s)) || !strings.HasPrefix(strings.TrimSpace(s), "{") || hasDuplicateKeys(s) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

func hasDuplicateKeys(s string) bool {
	dec := json.NewDecoder(strings.NewReader(s))
	type frame struct {
		object bool
		keys   map[string]bool
		atKey  bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.atKey {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				k := tok.(string)
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.atKey = false
				continue
			}
		}
		if top != nil && top.object {
			top.atKey = true // the next token after a value is a key or '}'
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, atKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].atKey = true
			}
		}
	}
}

// stdLookup is a selector lookup over an encoding/json decoding, written independently of the
// package's gjson-based one.
func stdLookup(doc map[string]any) func(Selector) Node {
	return func(s Selector) Node {
		var cur any = doc
		for _, st := range s.Steps {
			if st.IsIndex {
				a, ok := cur.([]any)
				if !ok || st.Index >= len(a) {
					return Node{}
				}
				cur = a[st.Index]
				continue
			}
			m, ok := cur.(map[string]any)
			if !ok {
				return Node{}
			}
			if cur, ok = m[st.Name]; !ok {
				return Node{}
			}
		}
		switch x := cur.(type) {
		case nil:
			return Node{Kind: Null, Text: "null"}
		case string:
			return Node{Kind: String, Text: x}
		case json.Number:
			return Node{Kind: Number, Text: string(x)}
		case bool:
			if x {
				return Node{Kind: True, Text: "true"}
			}
			return Node{Kind: False, Text: "false"}
		case map[string]any:
			return Node{Kind: Object}
		}
		return Node{Kind: Array}
	}
}

// TestFuzzOracle checks the fuzz targets' own encoding/json helpers.
func TestFuzzOracle(t *testing.T) {
	dups := []struct {
		doc  string
		want bool
	}{
		{`{"a":1,"b":2}`, false},
		{`{"a":1,"a":2}`, true},
		{`{"a":{"b":1},"c":{"b":2}}`, false},
		{`{"a":{"b":1,"b":2}}`, true},
		{`{"a":[1,{"x":1}],"a":2}`, true},
		{`{"a":[{"x":1},{"x":2}]}`, false},
		{`{"a":"b","b":"a"}`, false},
	}
	for _, tc := range dups {
		if got := hasDuplicateKeys(tc.doc); got != tc.want {
			t.Errorf("hasDuplicateKeys(%s) = %v, want %v", tc.doc, got, tc.want)
		}
	}
	doc, ok := decodeObject(compoundDoc)
	if !ok {
		t.Fatal("decodeObject(compoundDoc) failed")
	}
	look := stdLookup(doc)
	nodes := map[string]Node{
		"$.user.id":            {Kind: Number, Text: "1"},
		"$.users[0].email":     {Kind: String, Text: "John.Doe@example.com"},
		"$.coordinates[0][1]":  {Kind: Number, Text: "1"},
		"$.actions":            {Kind: Array},
		"$.user":               {Kind: Object},
		"$.actions[3]":         {Kind: Missing},
		"$.user.id.x":          {Kind: Missing},
		"$.coordinates[0].x":   {Kind: Missing},
		"$.users[0].email[0]":  {Kind: Missing},
		"$.users[0].nosuchkey": {Kind: Missing},
	}
	for sel, want := range nodes {
		c := MustParse("{ " + sel + " NOT EXISTS }").Expr().(*Cond)
		if got := look(c.Sel); got != want {
			t.Errorf("stdLookup(%s) = %+v, want %+v", sel, got, want)
		}
	}
	for _, bad := range []string{`[1]`, `{"a":1`, `{"a":1,"a":2}`, `"x"`} {
		if _, ok := decodeObject(bad); ok {
			t.Errorf("decodeObject(%s) accepted it", bad)
		}
	}
}
