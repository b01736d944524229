package filterpattern

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Expr is a node of a JSON pattern's boolean expression: *Or, *And or *Cond.
type Expr interface {
	// String renders the node in a canonical spelling, fully parenthesised where precedence
	// matters, so that two patterns that differ only in layout render alike.
	String() string
	isExpr()
}

// Or is true when any of its terms is.
type Or struct{ Terms []Expr }

// And is true when all of its terms are.
type And struct{ Terms []Expr }

// Op is a condition's operator.
type Op int

// The operators of a JSON or delimited condition.
const (
	OpEq Op = iota
	OpNe
	OpLt
	OpGt
	OpLe
	OpGe
	OpIsNull
	OpIsTrue
	OpIsFalse
	OpNotExists
)

var opText = [...]string{"=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"}

func (o Op) String() string { return opText[o] }

// Relational reports whether the operator orders numbers (<, >, <=, >=).
func (o Op) Relational() bool { return o >= OpLt && o <= OpGe }

// Cond is one condition: a selector, an operator and, for the comparison operators, a value.
type Cond struct {
	Sel   Selector
	Op    Op
	Value Value
	// Pos is the character offset of the condition in the pattern text.
	Pos int
	// slot indexes the pattern's distinct selectors, so each is looked up once per event.
	slot int
}

// Step is one step of a selector: a property name or an array index.
type Step struct {
	Name    string
	Index   int
	IsIndex bool
}

// Selector is a path from the root of a JSON event, such as $.userIdentity.arn or $.a[0].
type Selector struct{ Steps []Step }

func (s Selector) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, st := range s.Steps {
		if st.IsIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(st.Index))
			b.WriteByte(']')
		} else {
			b.WriteByte('.')
			b.WriteString(st.Name)
		}
	}
	return b.String()
}

// ValueKind tells how a condition's value compares.
type ValueKind int

// The kinds of value a condition can hold.
const (
	// ValueString compares text, with a leading and/or trailing * wildcard.
	ValueString ValueKind = iota
	// ValueNumber compares numerically.
	ValueNumber
	// ValueAny is a bare *: any scalar.
	ValueAny
	// ValueRegex is %regex%.
	ValueRegex
)

// Value is the right-hand side of a comparison.
type Value struct {
	Kind ValueKind
	// Text is the literal to compare with, wildcards removed (ValueString), or the regex source.
	Text string
	// Prefix is a trailing * (Text must start the value); Suffix a leading * (Text must end it).
	Prefix, Suffix bool
	Num            float64
	// Raw is the value as written in the pattern, quotes included.
	Raw string
	re  *regexp.Regexp
}

func (c *Cond) String() string {
	switch c.Op {
	case OpIsNull, OpIsTrue, OpIsFalse, OpNotExists:
		return c.Sel.String() + " " + c.Op.String()
	}
	return c.Sel.String() + " " + c.Op.String() + " " + c.Value.canonical()
}

func (v Value) canonical() string {
	switch v.Kind {
	case ValueNumber:
		// A number too large for a float64 is ±Inf, which FormatFloat spells "+Inf": a word,
		// not a number, when parsed back. Spell it as a number that overflows alike.
		if math.IsInf(v.Num, 0) {
			if v.Num < 0 {
				return "-1e999"
			}
			return "1e999"
		}
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case ValueAny:
		return "*"
	case ValueRegex:
		return "%" + v.Text + "%"
	}
	s := v.Text
	if v.Suffix {
		s = "*" + s
	}
	if v.Prefix {
		s += "*"
	}
	return quote(s)
}

func (o *Or) String() string  { return join(o.Terms, " || ") }
func (a *And) String() string { return join(a.Terms, " && ") }

func join(terms []Expr, sep string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t.String()
		if _, ok := t.(*Cond); !ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, sep)
}

func (*Or) isExpr()   {}
func (*And) isExpr()  {}
func (*Cond) isExpr() {}

// Walk calls fn for every condition under e, left to right.
func Walk(e Expr, fn func(*Cond)) {
	switch n := e.(type) {
	case *Or:
		for _, t := range n.Terms {
			Walk(t, fn)
		}
	case *And:
		for _, t := range n.Terms {
			Walk(t, fn)
		}
	case *Cond:
		fn(n)
	}
}
