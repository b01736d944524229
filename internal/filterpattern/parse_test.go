package filterpattern

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestParseJSONCanonical parses valid JSON patterns and checks their canonical spelling, which
// shows how the parser grouped them (precedence, flattening) and how it read each value.
func TestParseJSONCanonical(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    string
	}{
		// Layout.
		{"spaced", `{ $.eventName = "ConsoleLogin" }`, `{ $.eventName = "ConsoleLogin" }`},
		{"no spaces", `{$.a="x"}`, `{ $.a = "x" }`},
		{"no spaces compound", `{$.a=1&&$.b=2||$.c=3}`, `{ ($.a = 1 && $.b = 2) || $.c = 3 }`},
		{"no spaces wildcard bare", `{$.a="x"&&$.b=y||$.c=*z*}`, `{ ($.a = "x" && $.b = "y") || $.c = "*z*" }`},
		{"newlines and tabs", "{\n\t$.a\n=\n\"x\"\n\t||\r\n$.b   !=   5\n}", `{ $.a = "x" || $.b != 5 }`},
		{"leading and trailing blanks", "  \n { $.a = 1 }\t\n ", `{ $.a = 1 }`},
		{"padding inside parentheses", `{ (  $.a = 1  ) }`, `{ $.a = 1 }`},

		// Selectors.
		{"nested names", `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }`, `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }`},
		{"index then name", `{ $.users[0].email = "John.Doe@example.com" }`, `{ $.users[0].email = "John.Doe@example.com" }`},
		{"chained indexes", `{ $.coordinates[0][1] = 1 }`, `{ $.coordinates[0][1] = 1 }`},
		{"leading zeros in index", `{ $.a[007] = 1 }`, `{ $.a[7] = 1 }`},
		{"name with dash underscore digits", `{ $.x-amz_id2.B9 = 1 }`, `{ $.x-amz_id2.B9 = 1 }`},

		// Operators.
		{"eq", `{ $.a = 1 }`, `{ $.a = 1 }`},
		{"ne", `{ $.a != 1 }`, `{ $.a != 1 }`},
		{"lt", `{ $.a < 1 }`, `{ $.a < 1 }`},
		{"gt", `{ $.a > 1 }`, `{ $.a > 1 }`},
		{"le", `{ $.a <= 1 }`, `{ $.a <= 1 }`},
		{"ge", `{ $.a >= 1 }`, `{ $.a >= 1 }`},
		{"le no spaces", `{$.a<=1}`, `{ $.a <= 1 }`},
		{"ne no spaces", `{$.a!=x}`, `{ $.a != "x" }`},
		{"ge negative no spaces", `{$.a>=-1}`, `{ $.a >= -1 }`},

		// Values.
		{"quoted", `{ $.a = "hello world" }`, `{ $.a = "hello world" }`},
		{"bare word", `{ $.a = bar }`, `{ $.a = "bar" }`},
		{"bare with dots and star", `{ $.sourceIPAddress != 123.123.* }`, `{ $.sourceIPAddress != "123.123.*" }`},
		{"bare with colons", `{ $.t = 12:30:00 }`, `{ $.t = "12:30:00" }`},
		{"bare with dashes", `{ $.id = i-0abc-12 }`, `{ $.id = "i-0abc-12" }`},
		{"bare leading star", `{ $.e = *Event }`, `{ $.e = "*Event" }`},
		{"bare star", `{ $.a = * }`, `{ $.a = * }`},
		{"quoted star is any", `{ $.a = "*" }`, `{ $.a = * }`},
		{"empty string", `{ $.a = "" }`, `{ $.a = "" }`},
		{"escaped quote and backslash", `{ $.a = "say \"hi\" \\o/" }`, `{ $.a = "say \"hi\" \\o/" }`},
		{"other backslash literal", `{ $.a = "C:\temp" }`, `{ $.a = "C:\\temp" }`},
		{"quoted number stays string", `{ $.a = "400" }`, `{ $.a = "400" }`},
		{"regex", `{ $.eventName = %Describe.*% }`, `{ $.eventName = %Describe.*% }`},
		{"integer", `{ $.n = 1000 }`, `{ $.n = 1000 }`},
		{"decimal", `{ $.n = 55.5 }`, `{ $.n = 55.5 }`},
		{"exponent", `{ $.n = 10e3 }`, `{ $.n = 10000 }`},
		{"negative exponent", `{ $.n = 10e-3 }`, `{ $.n = 0.01 }`},
		{"explicit plus", `{ $.n = +1000 }`, `{ $.n = 1000 }`},
		{"signed exponent upper case", `{ $.n < -2.5E+2 }`, `{ $.n < -250 }`},
		{"large exponent", `{ $.n > 1e21 }`, `{ $.n > 1e+21 }`},
		{"overflow", `{ $.n = 10e1000 }`, `{ $.n = 1e999 }`},
		{"negative overflow", `{ $.n > -1e400 }`, `{ $.n > -1e999 }`},
		{"not quite a number", `{ $.n = 1e }`, `{ $.n = "1e" }`},
		{"dotted but not a number", `{ $.n = 1.2.3 }`, `{ $.n = "1.2.3" }`},

		// Keywords, in any case.
		{"is null", `{ $.a IS NULL }`, `{ $.a IS NULL }`},
		{"not exists", `{ $.a NOT EXISTS }`, `{ $.a NOT EXISTS }`},
		{"is true", `{ $.a IS TRUE }`, `{ $.a IS TRUE }`},
		{"is false", `{ $.a IS FALSE }`, `{ $.a IS FALSE }`},
		{"lower-case keywords", `{ $.a is null || $.b not exists || $.c Is True }`, `{ $.a IS NULL || $.b NOT EXISTS || $.c IS TRUE }`},
		{"keyword then closing brace", `{$.a IS NULL}`, `{ $.a IS NULL }`},

		// Precedence: && binds tighter than ||.
		{"or of and", `{ $.a = 1 || $.b = 2 && $.c = 3 }`, `{ $.a = 1 || ($.b = 2 && $.c = 3) }`},
		{"and then or", `{ $.a = 1 && $.b = 2 || $.c = 3 }`, `{ ($.a = 1 && $.b = 2) || $.c = 3 }`},
		{"parentheses override", `{ ($.a = 1 || $.b = 2) && $.c = 3 }`, `{ ($.a = 1 || $.b = 2) && $.c = 3 }`},
		{"mixed nesting", `{ ($.a = 1 && ($.b = 2 || $.c = 3)) || ($.d = 4 && $.e = 5) }`, `{ ($.a = 1 && ($.b = 2 || $.c = 3)) || ($.d = 4 && $.e = 5) }`},

		// Flattening of redundant grouping.
		{"redundant parentheses", `{ ((((($.a = 1))))) }`, `{ $.a = 1 }`},
		{"left-nested or", `{ (($.a = 1 || $.b = 2) || $.c = 3) }`, `{ $.a = 1 || $.b = 2 || $.c = 3 }`},
		{"right-nested and", `{ $.a = 1 && ($.b = 2 && ($.c = 3)) }`, `{ $.a = 1 && $.b = 2 && $.c = 3 }`},
		{"or inside and is kept", `{ $.a = 1 && ($.b = 2 || $.c = 3) }`, `{ $.a = 1 && ($.b = 2 || $.c = 3) }`},

		// The CIS patterns.
		{"cis v1.2", cisV12, `{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" }`},
		{"cis v1.4", cisV14, `{ $.errorCode = "*UnauthorizedOperation" || ($.errorCode = "AccessDenied*" && $.sourceIPAddress != "delivery.logs.amazonaws.com" && $.eventName != "HeadBucket") }`},
		{"cis v1.4 as printed over two lines", "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") &&\n  ($.sourceIPAddress != \"delivery.logs.amazonaws.com\") && ($.eventName != \"HeadBucket\") }",
			`{ $.errorCode = "*UnauthorizedOperation" || ($.errorCode = "AccessDenied*" && $.sourceIPAddress != "delivery.logs.amazonaws.com" && $.eventName != "HeadBucket") }`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.pattern, err)
			}
			if p.Form() != FormJSON {
				t.Errorf("Form() = %v, want json", p.Form())
			}
			if p.Text() != tc.pattern {
				t.Errorf("Text() = %q, want the pattern as written", p.Text())
			}
			if got := p.Canonical(); got != tc.want {
				t.Errorf("Canonical()\n got  %s\n want %s", got, tc.want)
			}
			// The canonical spelling is itself a valid pattern with the same canonical spelling.
			q, err := Parse(p.Canonical())
			if err != nil {
				t.Fatalf("re-Parse(Canonical()): %v", err)
			}
			if q.Canonical() != p.Canonical() {
				t.Errorf("Canonical() is not a fixed point: %s then %s", p.Canonical(), q.Canonical())
			}
		})
	}
}

// TestParseTreeShape checks the expression tree itself, not just its rendering.
func TestParseTreeShape(t *testing.T) {
	// shape renders the tree as nested OR(...)/AND(...) of the selectors' names.
	var shape func(e Expr) string
	shape = func(e Expr) string {
		switch n := e.(type) {
		case *Or:
			return "OR(" + shapes(n.Terms, shape) + ")"
		case *And:
			return "AND(" + shapes(n.Terms, shape) + ")"
		case *Cond:
			return n.Sel.Steps[0].Name
		}
		return "?"
	}
	tests := []struct {
		pattern, want string
	}{
		{`{ $.a = 1 }`, "a"},
		{`{ $.a = 1 || $.b = 1 && $.c = 1 }`, "OR(a,AND(b,c))"},
		{`{ $.a = 1 && $.b = 1 || $.c = 1 && $.d = 1 }`, "OR(AND(a,b),AND(c,d))"},
		{`{ ($.a = 1 || $.b = 1) && $.c = 1 }`, "AND(OR(a,b),c)"},
		{`{ $.a = 1 || ($.b = 1 || ($.c = 1 || $.d = 1)) }`, "OR(a,b,c,d)"},
		{`{ (($.a = 1 && $.b = 1) && $.c = 1) && $.d = 1 }`, "AND(a,b,c,d)"},
		{`{ (($.a = 1 && $.b = 1)) || (($.c = 1)) }`, "OR(AND(a,b),c)"},
		{cisV14, "OR(errorCode,AND(errorCode,sourceIPAddress,eventName))"},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			p := MustParse(tc.pattern)
			if got := shape(p.Expr()); got != tc.want {
				t.Errorf("tree = %s, want %s", got, tc.want)
			}
		})
	}
}

func shapes(es []Expr, f func(Expr) string) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = f(e)
	}
	return strings.Join(parts, ",")
}

// TestParseConditionParts checks what a single condition holds: its selector steps, operator
// and value.
func TestParseConditionParts(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		steps   []Step
		op      Op
		value   Value // re is not compared
	}{
		{"name", `{ $.errorCode = "AccessDenied*" }`, []Step{{Name: "errorCode"}}, OpEq,
			Value{Kind: ValueString, Text: "AccessDenied", Prefix: true, Raw: `"AccessDenied*"`}},
		{"users[0].email", `{ $.users[0].email = "a@b" }`, []Step{{Name: "users"}, {Index: 0, IsIndex: true}, {Name: "email"}}, OpEq,
			Value{Kind: ValueString, Text: "a@b", Raw: `"a@b"`}},
		{"coordinates[0][1]", `{ $.coordinates[0][1] != 12 }`, []Step{{Name: "coordinates"}, {Index: 0, IsIndex: true}, {Index: 1, IsIndex: true}}, OpNe,
			Value{Kind: ValueNumber, Num: 12, Text: "12", Raw: "12"}},
		{"index 123456789", `{ $.a[123456789] = 1 }`, []Step{{Name: "a"}, {Index: 123456789, IsIndex: true}}, OpEq,
			Value{Kind: ValueNumber, Num: 1, Text: "1", Raw: "1"}},
		{"leading wildcard", `{ $.e = *UnauthorizedOperation }`, []Step{{Name: "e"}}, OpEq,
			Value{Kind: ValueString, Text: "UnauthorizedOperation", Suffix: true, Raw: "*UnauthorizedOperation"}},
		{"both wildcards", `{ $.e = "*html*" }`, []Step{{Name: "e"}}, OpEq,
			Value{Kind: ValueString, Text: "html", Prefix: true, Suffix: true, Raw: `"*html*"`}},
		{"middle star is literal", `{ $.e = Ev*ent }`, []Step{{Name: "e"}}, OpEq,
			Value{Kind: ValueString, Text: "Ev*ent", Raw: "Ev*ent"}},
		{"bare ip prefix", `{ $.ip != 123.123.* }`, []Step{{Name: "ip"}}, OpNe,
			Value{Kind: ValueString, Text: "123.123.", Prefix: true, Raw: "123.123.*"}},
		{"any", `{ $.e = * }`, []Step{{Name: "e"}}, OpEq, Value{Kind: ValueAny, Text: "*", Raw: "*"}},
		{"10e3", `{ $.n >= 10e3 }`, []Step{{Name: "n"}}, OpGe, Value{Kind: ValueNumber, Num: 10000, Text: "10e3", Raw: "10e3"}},
		{"10e-3", `{ $.n <= 10e-3 }`, []Step{{Name: "n"}}, OpLe, Value{Kind: ValueNumber, Num: 0.01, Text: "10e-3", Raw: "10e-3"}},
		{"+1000", `{ $.n > +1000 }`, []Step{{Name: "n"}}, OpGt, Value{Kind: ValueNumber, Num: 1000, Text: "+1000", Raw: "+1000"}},
		{"55.5", `{ $.n < 55.5 }`, []Step{{Name: "n"}}, OpLt, Value{Kind: ValueNumber, Num: 55.5, Text: "55.5", Raw: "55.5"}},
		{"-7", `{ $.n = -7 }`, []Step{{Name: "n"}}, OpEq, Value{Kind: ValueNumber, Num: -7, Text: "-7", Raw: "-7"}},
		{"regex", `{ $.n = %^a+$% }`, []Step{{Name: "n"}}, OpEq, Value{Kind: ValueRegex, Text: "^a+$", Raw: "%^a+$%"}},
		{"is null", `{ $.n IS NULL }`, []Step{{Name: "n"}}, OpIsNull, Value{}},
		{"is true", `{ $.n IS TRUE }`, []Step{{Name: "n"}}, OpIsTrue, Value{}},
		{"is false", `{ $.n IS FALSE }`, []Step{{Name: "n"}}, OpIsFalse, Value{}},
		{"not exists", `{ $.n NOT EXISTS }`, []Step{{Name: "n"}}, OpNotExists, Value{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := MustParse(tc.pattern)
			c, ok := p.Expr().(*Cond)
			if !ok {
				t.Fatalf("Expr() is %T, want *Cond", p.Expr())
			}
			if !reflect.DeepEqual(c.Sel.Steps, tc.steps) {
				t.Errorf("steps = %+v, want %+v", c.Sel.Steps, tc.steps)
			}
			if c.Op != tc.op {
				t.Errorf("op = %v, want %v", c.Op, tc.op)
			}
			got := c.Value
			got.re = nil
			if !reflect.DeepEqual(got, tc.value) {
				t.Errorf("value = %+v, want %+v", got, tc.value)
			}
			if tc.value.Kind == ValueRegex && c.Value.re == nil {
				t.Errorf("regex value was not compiled")
			}
			if c.Pos != 2 {
				t.Errorf("Pos = %d, want 2", c.Pos)
			}
		})
	}
}

// TestParseConditionPos checks that Cond.Pos counts characters, not bytes.
func TestParseConditionPos(t *testing.T) {
	p := MustParse(`{ $.a = "ééé" || $.b = 1 }`)
	var pos []int
	Walk(p.Expr(), func(c *Cond) { pos = append(pos, c.Pos) })
	if want := []int{2, 17}; !reflect.DeepEqual(pos, want) {
		t.Errorf("positions = %v, want %v", pos, want)
	}
}

// TestParseErrors checks that invalid patterns fail with a *ParseError at the right character,
// saying what was expected.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		offset  int
		msg     string
	}{
		// JSON structure.
		{"open brace only", `{`, 1, "expected a condition"},
		{"empty braces", `{}`, 1, "expected a condition"},
		{"missing closing brace", `{ $.a = "x" `, 12, "expected '&&', '||' or '}', found the end of the pattern"},
		{"text after the brace", `{ $.a = 1 } extra`, 12, "expected the end of the pattern after '}'"},
		{"second closing brace", `{$.a="x"}}`, 9, "expected the end of the pattern after '}'"},
		{"unclosed parenthesis", `{ ($.a = 1 }`, 11, "expected '&&', '||' or ')'"},
		{"stray closing parenthesis", `{ $.a = 1) }`, 9, "expected '&&', '||' or '}'"},
		{"empty parentheses", `{ () }`, 3, "expected a condition"},
		{"dangling and", `{ $.a = "x" && }`, 15, "expected a condition"},
		{"double or", `{ $.a = 1 || || $.b = 2 }`, 13, "expected a condition"},
		{"single ampersand", `{ $.a = 1 & $.b = 2 }`, 10, `unexpected '&'`},
		{"bare name without $", `{ a = 1 }`, 2, "expected a condition"},
		// Selectors.
		{"dollar alone", `{ $ = 1 }`, 3, "expected '.name' after '$'"},
		{"index first", `{ $[0] = 1 }`, 3, "expected '.name' after '$'"},
		{"empty name", `{ $. = 1 }`, 4, "expected a property name after '.'"},
		{"wildcard name", `{ $.a.* = 1 }`, 6, "wildcard selectors"},
		{"wildcard index", `{ $.a[*] = 1 }`, 6, "wildcard array indexes"},
		{"non-digit index", `{ $.a[x] = 1 }`, 6, "expected an array index"},
		{"index of ten digits", `{ $.a[1234567890] = 1 }`, 6, "array index too large"},
		{"unclosed index", `{ $.a[0 = 1 }`, 7, "expected ']' after the array index"},
		{"space before index", `{ $.a [0] = 1 }`, 6, `unexpected '['`},
		// Operators and values.
		{"no operator", `{ $.a "x" }`, 6, `unexpected '"'`},
		{"double equals", `{ $.a == 1 }`, 7, "expected a value"},
		{"bang alone", `{ $.a ! 1 }`, 6, `unexpected '!'`},
		{"missing value", `{ $.a = }`, 8, "expected a value"},
		{"missing value at end", `{ $.a =`, 7, "expected a value after '=', found the end of the pattern"},
		{"parenthesised value", `{ $.a = (1) }`, 8, "expected a value"},
		{"relational with word", `{ $.a > abc }`, 8, "expected a number after '>'"},
		{"relational with quoted number", `{ $.a >= "5" }`, 9, "expected a number after '>='"},
		{"relational with star", `{ $.a < * }`, 8, "expected a number after '<'"},
		{"unterminated string", `{ $.a = "x }`, 8, "unterminated string"},
		{"value then junk", `{ $.a = "x"y }`, 11, "expected '&&', '||' or '}'"},
		// Keywords.
		{"IS alone", `{ $.a IS }`, 9, "expected NULL, TRUE or FALSE after IS"},
		{"IS what", `{ $.a IS MAYBE }`, 9, "expected NULL, TRUE or FALSE after IS"},
		{"NOT what", `{ $.a NOT NULL }`, 10, "expected EXISTS after NOT"},
		{"EXISTS alone", `{ $.a EXISTS }`, 6, "expected an operator"},
		// Regular expressions.
		{"unterminated regex", `{ $.a = %abc }`, 8, "unterminated regular expression"},
		{"three regexes", `{ $.a = %a% || $.b = %b% || $.c = %c% }`, 34, "at most 2 regular expressions"},
		{"regex group", `{ $.a = %(ab)+% }`, 9, "parentheses are not supported"},
		// Rune, not byte, offsets: each of these has multi-byte characters before the error.
		{"non-ASCII before error", `{ $.a = "日本語" || é }`, 17, `unexpected 'é'`},
		{"non-ASCII value then bad selector", `{ $.name = "é" && $.x }`, 22, "expected an operator"},
		{"non-ASCII in terms", `ééé "unterminated`, 4, "unterminated string"},
		// Term patterns.
		{"question mark alone", `?`, 0, "expected a term after '?'"},
		{"minus at the end", `ERROR -`, 6, "expected a term after '-'"},
		{"minus then blanks", "ERROR -  \t", 6, "expected a term after '-'"},
		// Space-delimited patterns.
		{"empty brackets", `[]`, 1, "expected a field name or '...'"},
		{"missing comma", `[a b]`, 3, "expected ',' or ']'"},
		{"unclosed bracket", `[a, b`, 5, "expected ',' or ']', found the end of the pattern"},
		{"text after bracket", `[a] x`, 4, "expected the end of the pattern after ']'"},
		{"delimited missing value", `[a = ]`, 5, "expected a value"},
		{"delimited relational with word", `[a > x]`, 5, "expected a number after '>'"},
		{"delimited and without name", `[a = 1 && = 2]`, 10, "expected a field name"},
		{"delimited selector", `[$.a = 1]`, 1, `unexpected '$'`},
		{"delimited three regexes", `[a = %a%, b = %b%, c = %c%]`, 23, "at most 2 regular expressions"},
		// Standalone regular expressions.
		{"regex parentheses", `%a(b)%`, 1, "parentheses are not supported"},
		{"regex bang", `%something!%`, 1, `character '!' is not allowed`},
		{"regex multibyte", `%é%`, 1, `character 'é' is not allowed`},
		{"regex empty", `%%`, 1, "empty regular expression"},
		{"regex unterminated", `%abc`, 0, "unterminated regular expression"},
		{"regex then text", `%abc% x`, 6, "expected the end of the pattern after the regular expression"},
		{"regex invalid", `%[a%`, 1, "bad regular expression"},
		{"regex after blanks", `  %a(b)%`, 3, "parentheses are not supported"},
		// Invalid UTF-8: the offset is that of the first bad byte, in characters.
		{"invalid UTF-8", "{ $.a = \"\xff\" }", 9, "not valid UTF-8"},
		{"invalid UTF-8 after non-ASCII", "é\xc3", 1, "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded (form %v, canonical %q), want an error", tc.pattern, p.Form(), p.Canonical())
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			if pe.Offset != tc.offset {
				t.Errorf("Offset = %d, want %d (%v)", pe.Offset, tc.offset, err)
			}
			if !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", pe.Msg, tc.msg)
			}
			if n := utf8.RuneCountInString(tc.pattern); pe.Offset < 0 || pe.Offset > n {
				t.Errorf("Offset %d is outside the %d-character pattern", pe.Offset, n)
			}
		})
	}
}

func TestParseErrorString(t *testing.T) {
	_, err := Parse(`{ $.a = "é" && }`)
	want := "invalid filter pattern at character 15: expected a condition"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want it to start with %q", err, want)
	}
}

func TestMustParse(t *testing.T) {
	if p := MustParse(cisV12); p.Form() != FormJSON {
		t.Errorf("MustParse(cis).Form() = %v", p.Form())
	}
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("MustParse of an invalid pattern did not panic")
		}
		if _, ok := r.(*ParseError); !ok {
			t.Errorf("MustParse panicked with %T, want *ParseError", r)
		}
	}()
	MustParse(`{ $.a = }`)
}

// TestParseLength checks the 1024-character limit, counted in characters.
func TestParseLength(t *testing.T) {
	jsonOf := func(n int) string {
		// { $.a = "xxx…" } padded to exactly n characters.
		head, tail := `{ $.a = "`, `" }`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		name    string
		pattern string
		ok      bool
	}{
		{"terms 1024", strings.Repeat("a", 1024), true},
		{"terms 1025", strings.Repeat("a", 1025), false},
		{"json 1024", jsonOf(1024), true},
		{"json 1025", jsonOf(1025), false},
		{"blank 1025", strings.Repeat(" ", 1025), false},
		// 1024 two-byte characters are 2048 bytes but still 1024 characters.
		{"non-ASCII 1024", strings.Repeat("é", 1024), true},
		{"non-ASCII 1025", strings.Repeat("é", 1025), false},
		{"non-ASCII json 1024", `{ $.a = "` + strings.Repeat("日", 1024-12) + `" }`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := utf8.RuneCountInString(tc.pattern); n != 1024 && n != 1025 {
				t.Fatalf("test pattern has %d characters", n)
			}
			p, err := Parse(tc.pattern)
			if tc.ok {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse accepted %d characters (form %v)", utf8.RuneCountInString(tc.pattern), p.Form())
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset != MaxLength || !strings.Contains(pe.Msg, "1024") {
				t.Errorf("error = %#v, want a *ParseError at offset 1024 naming the limit", err)
			}
		})
	}
}

// TestParseEmpty checks that empty and blank patterns are FormAll and match every event.
func TestParseEmpty(t *testing.T) {
	events := []string{"", "anything at all", `{"errorCode":"AccessDenied"}`, "[1,2]", "\x00\xff"}
	for _, pat := range []string{"", " ", "\t", "\n\r\n", " \t\f\v "} {
		t.Run(strings.ReplaceAll(pat, "\n", `\n`), func(t *testing.T) {
			p, err := Parse(pat)
			if err != nil {
				t.Fatalf("Parse(%q): %v", pat, err)
			}
			if p.Form() != FormAll {
				t.Errorf("Form() = %v, want all", p.Form())
			}
			if p.Expr() != nil {
				t.Errorf("Expr() = %v, want nil", p.Expr())
			}
			if p.Canonical() != pat {
				t.Errorf("Canonical() = %q, want the text as written", p.Canonical())
			}
			for _, e := range events {
				if !p.Match(e) || !p.MatchBytes([]byte(e)) {
					t.Errorf("blank pattern does not match %q", e)
				}
			}
			if p.Eval(func(Selector) Node { t.Fatal("lookup called"); return Node{} }) {
				t.Errorf("Eval of a non-JSON pattern returned true")
			}
		})
	}
}

// TestParseForm checks form detection by the first non-blank character.
func TestParseForm(t *testing.T) {
	tests := []struct {
		pattern string
		want    Form
	}{
		{"", FormAll},
		{"   \n\t", FormAll},
		{`{ $.a = 1 }`, FormJSON},
		{"\n\t { $.a = 1 }", FormJSON},
		{`[ip, user, ..., status = 4*]`, FormDelimited},
		{`  [a]`, FormDelimited},
		{`[...]`, FormDelimited},
		{`ERROR`, FormTerms},
		{`"ERROR" - "Exiting"`, FormTerms},
		{`?ERROR ?WARN`, FormTerms},
		{`-debug`, FormTerms},
		{` }`, FormTerms},
		{`%AUTHORIZED%`, FormRegex},
		{"  %^ERROR [0-9]+%  ", FormRegex},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.pattern, err)
			}
			if p.Form() != tc.want {
				t.Errorf("Form() = %v, want %v", p.Form(), tc.want)
			}
			if (p.Expr() != nil) != (tc.want == FormJSON) {
				t.Errorf("Expr() = %v for form %v", p.Expr(), p.Form())
			}
			if tc.want != FormJSON && p.Canonical() != tc.pattern {
				t.Errorf("Canonical() = %q, want the text as written for form %v", p.Canonical(), p.Form())
			}
		})
	}
}

// TestParseRegexValues checks the characters a %regex% may hold and the limit of two.
func TestParseRegexValues(t *testing.T) {
	valid := []string{
		`%AUTHORIZED%`,
		`%^[a-z]+\d{2,3}$%`,
		`%ERROR|WARN%`,
		`%user@example\.com%`,
		`%k=v;x,y/z#1%`,
		`%x_y-z:w%`,
		`%\s+ERROR\b%`,
		`%a?b*c+%`,
		`%[0-9]{1,3}\.[0-9]{1,3}%`,
		`{ $.eventName = %Describe.*% }`,
		`{ $.a = %^a% || $.b = %b$% }`,
		`[ip, ..., request = %GET /[a-z]+%, status = %^4%]`,
	}
	for _, pat := range valid {
		if _, err := Parse(pat); err != nil {
			t.Errorf("Parse(%q): %v", pat, err)
		}
	}
	invalid := []struct{ pattern, msg string }{
		{`%(a)%`, "parentheses"},
		{`%a)%`, "parentheses"},
		{`%something!%`, "not allowed"},
		{`%a&b%`, "not allowed"},
		{`%a"b%`, "not allowed"},
		{`%a'b%`, "not allowed"},
		{`%a~b%`, "not allowed"},
		{`%日本%`, "not allowed"},
		{`{ $.a = %(x)% }`, "parentheses"},
		{`{ $.a = %a% && $.b = %b% && $.c = %c% }`, "at most 2"},
		{`[a = %a%, b = %b% || c = %c%]`, "at most 2"},
	}
	for _, tc := range invalid {
		_, err := Parse(tc.pattern)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.pattern, err, tc.msg)
		}
	}
}

// TestCanonicalEquivalence checks that spellings that mean the same render alike and that
// spellings that differ in meaning render differently.
func TestCanonicalEquivalence(t *testing.T) {
	same := [][]string{
		{
			cisV12,
			`{$.errorCode="*UnauthorizedOperation"||$.errorCode="AccessDenied*"}`,
			`{ $.errorCode = *UnauthorizedOperation || $.errorCode = AccessDenied* }`,
			"{\n  ($.errorCode = \"*UnauthorizedOperation\")\n  || (($.errorCode = \"AccessDenied*\"))\n}",
		},
		{
			cisV14,
			`{ $.errorCode = "*UnauthorizedOperation" || ($.errorCode = "AccessDenied*" && $.sourceIPAddress != "delivery.logs.amazonaws.com" && $.eventName != "HeadBucket") }`,
			`{ $.errorCode = "*UnauthorizedOperation" || (($.errorCode = "AccessDenied*" && $.sourceIPAddress != "delivery.logs.amazonaws.com") && $.eventName != "HeadBucket") }`,
		},
		{`{ $.n = 1000 }`, `{ $.n = 10e2 }`, `{ $.n = +1000 }`, `{ $.n = 1000.0 }`, `{ $.n = 1e3 }`},
		{`{ $.a IS NULL }`, `{ $.a is null }`, `{$.a   IS   NULL}`},
	}
	for _, group := range same {
		want := MustParse(group[0]).Canonical()
		for _, pat := range group[1:] {
			if got := MustParse(pat).Canonical(); got != want {
				t.Errorf("Canonical(%q)\n = %s\n want %s", pat, got, want)
			}
		}
	}
	different := [][2]string{
		// The all-|| reprint of CIS v1.4 is not CIS v1.4.
		{cisV14, `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress != "delivery.logs.amazonaws.com") || ($.eventName != "HeadBucket") }`},
		// Nor is the reading CIS probably intended.
		{cisV14, `{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`},
		{cisV12, `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`},
		{`{ $.a = 1 || $.b = 2 && $.c = 3 }`, `{ ($.a = 1 || $.b = 2) && $.c = 3 }`},
		{`{ $.a = "400" }`, `{ $.a = 400 }`},
		{`{ $.a = "*" }`, `{ $.a = "**" }`},
		{`{ $.a = "x" }`, `{ $.A = "x" }`},
	}
	for _, pair := range different {
		a, b := MustParse(pair[0]).Canonical(), MustParse(pair[1]).Canonical()
		if a == b {
			t.Errorf("%q and %q both render as %s", pair[0], pair[1], a)
		}
	}
}

func TestWalkOrder(t *testing.T) {
	p := MustParse(`{ ($.a = 1 && ($.b = 2 || $.c = 3)) || $.d = 4 && $.e NOT EXISTS }`)
	var got []string
	Walk(p.Expr(), func(c *Cond) { got = append(got, c.Sel.String()) })
	if want := []string{"$.a", "$.b", "$.c", "$.d", "$.e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Walk visited %v, want %v", got, want)
	}
}

func TestStringers(t *testing.T) {
	ops := map[Op]string{OpEq: "=", OpNe: "!=", OpLt: "<", OpGt: ">", OpLe: "<=", OpGe: ">=",
		OpIsNull: "IS NULL", OpIsTrue: "IS TRUE", OpIsFalse: "IS FALSE", OpNotExists: "NOT EXISTS"}
	for op, want := range ops {
		if op.String() != want {
			t.Errorf("Op(%d).String() = %q, want %q", int(op), op.String(), want)
		}
		if rel := op == OpLt || op == OpGt || op == OpLe || op == OpGe; op.Relational() != rel {
			t.Errorf("%v.Relational() = %v, want %v", op, op.Relational(), rel)
		}
	}
	forms := map[Form]string{FormAll: "all", FormJSON: "json", FormDelimited: "delimited", FormTerms: "terms", FormRegex: "regex"}
	for f, want := range forms {
		if f.String() != want {
			t.Errorf("Form(%d).String() = %q, want %q", int(f), f.String(), want)
		}
	}
	kinds := map[NodeKind]string{Missing: "missing", Null: "null", String: "string", Number: "number",
		True: "true", False: "false", Object: "object", Array: "array"}
	for k, want := range kinds {
		if k.String() != want {
			t.Errorf("NodeKind(%d).String() = %q, want %q", int(k), k.String(), want)
		}
		if scalar := k != Missing && k != Object && k != Array; (Node{Kind: k}).Scalar() != scalar {
			t.Errorf("Node{%v}.Scalar() = %v, want %v", k, !scalar, scalar)
		}
	}
	sel := Selector{Steps: []Step{{Name: "users"}, {Index: 0, IsIndex: true}, {Name: "email"}, {Index: 12, IsIndex: true}}}
	if got, want := sel.String(), "$.users[0].email[12]"; got != want {
		t.Errorf("Selector.String() = %q, want %q", got, want)
	}
}
