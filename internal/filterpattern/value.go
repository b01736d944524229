package filterpattern

import (
	"math"
	"strconv"
	"strings"
)

// NodeKind is the JSON type of the node a selector reaches, or Missing.
type NodeKind int

// The node kinds.
const (
	Missing NodeKind = iota
	Null
	String
	Number
	True
	False
	Object
	Array
)

var nodeKindText = [...]string{"missing", "null", "string", "number", "true", "false", "object", "array"}

func (k NodeKind) String() string { return nodeKindText[k] }

// Node is the value a selector reaches in an event: its kind and, for scalars, its text (the
// string itself, or the number or literal as written in the JSON).
type Node struct {
	Kind NodeKind
	Text string
}

// Scalar reports whether the node is a value node (string, number, boolean or null).
func (n Node) Scalar() bool { return n.Kind >= Null && n.Kind <= False }

// Test reports whether the condition holds for the node its selector reached.
func (c *Cond) Test(n Node) bool {
	switch c.Op {
	case OpIsNull:
		return n.Kind == Null
	case OpIsTrue:
		return n.Kind == True
	case OpIsFalse:
		return n.Kind == False
	case OpNotExists:
		return n.Kind == Missing
	}
	// The value-node rule: a missing property, an object or an array satisfies neither = nor !=.
	if !n.Scalar() {
		return false
	}
	switch c.Op {
	case OpEq:
		return c.Value.equal(n)
	case OpNe:
		return !c.Value.equal(n)
	}
	x, ok := nodeNumber(n)
	if !ok || c.Value.Kind != ValueNumber {
		return false
	}
	switch c.Op {
	case OpLt:
		return x < c.Value.Num
	case OpGt:
		return x > c.Value.Num
	case OpLe:
		return x <= c.Value.Num
	default:
		return x >= c.Value.Num
	}
}

// equal is the = comparison of a scalar node with the value.
func (v *Value) equal(n Node) bool {
	switch v.Kind {
	case ValueAny:
		return true
	case ValueNumber:
		x, ok := nodeNumber(n)
		return ok && x == v.Num
	case ValueRegex:
		return v.re.MatchString(n.Text)
	}
	return v.matchText(n.Text)
}

// matchText applies the string comparison with its wildcards; a * in the middle is literal.
func (v *Value) matchText(s string) bool {
	switch {
	case v.Prefix && v.Suffix:
		return strings.Contains(s, v.Text)
	case v.Prefix:
		return strings.HasPrefix(s, v.Text)
	case v.Suffix:
		return strings.HasSuffix(s, v.Text)
	}
	return s == v.Text
}

func nodeNumber(n Node) (float64, bool) {
	if n.Kind != Number && n.Kind != String {
		return 0, false
	}
	return parseNumber(n.Text)
}

// parseNumber accepts the number syntax of the pattern language: an optional sign, digits with
// an optional fraction, and an optional exponent.
func parseNumber(s string) (float64, bool) {
	if !isNumber(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == start {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == fs {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == es {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// stringValue builds a string value from its text (quotes removed), splitting off the leading
// and trailing wildcards.
func stringValue(raw, text string) Value {
	if text == "*" {
		return Value{Kind: ValueAny, Raw: raw, Text: text}
	}
	v := Value{Kind: ValueString, Raw: raw}
	if strings.HasPrefix(text, "*") {
		v.Suffix = true
		text = text[1:]
	}
	if strings.HasSuffix(text, "*") {
		v.Prefix = true
		text = text[:len(text)-1]
	}
	v.Text = text
	return v
}

// quote renders s as a pattern string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
