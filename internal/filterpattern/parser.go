package filterpattern

import (
	"strings"
	"unicode/utf8"
)

// MaxLength is the longest filter pattern CloudWatch Logs accepts, in characters.
const MaxLength = 1024

// Form is which of the pattern language's forms a pattern uses.
type Form int

// The forms, decided by the first non-blank character.
const (
	FormAll       Form = iota // the empty pattern: every event
	FormJSON                  // { ... }
	FormDelimited             // [ ... ]
	FormTerms                 // words and "phrases"
	FormRegex                 // %regex%
)

var formText = [...]string{"all", "json", "delimited", "terms", "regex"}

func (f Form) String() string { return formText[f] }

// Pattern is a parsed filter pattern, safe for concurrent use.
type Pattern struct {
	text  string
	form  Form
	expr  Expr
	sels  []Selector // the distinct selectors of a JSON pattern, indexed by Cond.slot
	terms *termPattern
	delim *delimPattern
	regex Value
}

// Parse parses a filter pattern. Errors are *ParseError.
func Parse(text string) (*Pattern, error) {
	if n := utf8.RuneCountInString(text); n > MaxLength {
		return nil, &ParseError{Offset: MaxLength, Msg: "the pattern is longer than 1024 characters, the most CloudWatch Logs accepts"}
	}
	if !utf8.ValidString(text) {
		bad := 0
		for bad < len(text) {
			r, size := utf8.DecodeRuneInString(text[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		return nil, &ParseError{Offset: utf8.RuneCountInString(text[:bad]), Msg: "the pattern is not valid UTF-8"}
	}
	p := &Pattern{text: text}
	trimmed := strings.TrimLeft(text, " \t\r\n\f\v")
	if trimmed == "" {
		p.form = FormAll
		return p, nil
	}
	var err error
	switch trimmed[0] {
	case '{':
		p.form = FormJSON
		err = p.parseJSON()
	case '[':
		p.form = FormDelimited
		p.delim, err = parseDelimited(text)
	case '%':
		p.form = FormRegex
		err = p.parseRegex()
	default:
		p.form = FormTerms
		p.terms, err = parseTerms(text)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// MustParse is Parse for patterns known to be valid; it panics on error.
func MustParse(text string) *Pattern {
	p, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return p
}

// Text is the pattern as written.
func (p *Pattern) Text() string { return p.text }

// Form is the pattern's form.
func (p *Pattern) Form() Form { return p.form }

// Expr is the root of a JSON pattern's expression, nil for the other forms.
func (p *Pattern) Expr() Expr { return p.expr }

// Canonical renders a JSON pattern in one fixed layout, so that patterns differing only in
// whitespace, redundant parentheses or quoting render alike; other forms are returned as written.
func (p *Pattern) Canonical() string {
	if p.form != FormJSON {
		return p.text
	}
	return "{ " + p.expr.String() + " }"
}

func (p *Pattern) parseRegex() error {
	l := &lexer{src: p.text}
	l.skipSpace()
	tok, err := l.regex()
	if err != nil {
		return err
	}
	l.skipSpace()
	if l.pos < len(l.src) {
		return l.errorf(l.pos, "expected the end of the pattern after the regular expression")
	}
	p.regex = tok.val
	return nil
}

// jsonParser is a recursive-descent parser: || binds looser than &&, parentheses group.
type jsonParser struct {
	lex  *lexer
	tok  token
	pat  *Pattern
	slot map[string]int
}

func (p *Pattern) parseJSON() error {
	jp := &jsonParser{lex: &lexer{src: p.text}, pat: p, slot: map[string]int{}}
	if err := jp.advance(); err != nil {
		return err
	}
	if err := jp.expect(tLBrace, "'{'"); err != nil {
		return err
	}
	e, err := jp.or()
	if err != nil {
		return err
	}
	if jp.tok.kind != tRBrace {
		return jp.unexpected("'&&', '||' or '}'")
	}
	if err := jp.advance(); err != nil {
		return err
	}
	if jp.tok.kind != tEOF {
		return jp.unexpected("the end of the pattern after '}'")
	}
	p.expr = e
	return nil
}

func (jp *jsonParser) advance() error {
	t, err := jp.lex.next()
	if err != nil {
		return err
	}
	jp.tok = t
	return nil
}

func (jp *jsonParser) unexpected(want string) error {
	return jp.lex.errorf(jp.tok.pos, "expected %s, found %s", want, jp.tok.describe())
}

func (jp *jsonParser) expect(k tokKind, want string) error {
	if jp.tok.kind != k {
		return jp.unexpected(want)
	}
	return jp.advance()
}

func (jp *jsonParser) or() (Expr, error) {
	return jp.chain(tOr, jp.and, func(ts []Expr) Expr { return &Or{Terms: ts} })
}

func (jp *jsonParser) and() (Expr, error) {
	return jp.chain(tAnd, jp.primary, func(ts []Expr) Expr { return &And{Terms: ts} })
}

// chain parses operand (sep operand)*, flattening nested nodes of the same kind so that
// (a || b) || c and a || (b || c) give the same tree.
func (jp *jsonParser) chain(sep tokKind, operand func() (Expr, error), build func([]Expr) Expr) (Expr, error) {
	var terms []Expr
	for {
		e, err := operand()
		if err != nil {
			return nil, err
		}
		terms = appendFlat(terms, e, sep)
		if jp.tok.kind != sep {
			break
		}
		if err := jp.advance(); err != nil {
			return nil, err
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return build(terms), nil
}

func appendFlat(terms []Expr, e Expr, sep tokKind) []Expr {
	switch n := e.(type) {
	case *Or:
		if sep == tOr {
			return append(terms, n.Terms...)
		}
	case *And:
		if sep == tAnd {
			return append(terms, n.Terms...)
		}
	}
	return append(terms, e)
}

func (jp *jsonParser) primary() (Expr, error) {
	if jp.tok.kind == tLParen {
		if err := jp.advance(); err != nil {
			return nil, err
		}
		e, err := jp.or()
		if err != nil {
			return nil, err
		}
		if jp.tok.kind != tRParen {
			return nil, jp.unexpected("'&&', '||' or ')'")
		}
		return e, jp.advance()
	}
	return jp.condition()
}

func (jp *jsonParser) condition() (Expr, error) {
	if jp.tok.kind != tSelector {
		return nil, jp.unexpected("a condition such as $.errorCode = \"AccessDenied*\"")
	}
	c := &Cond{Sel: jp.tok.sel, Pos: utf8.RuneCountInString(jp.lex.src[:jp.tok.pos])}
	key := c.Sel.String()
	slot, ok := jp.slot[key]
	if !ok {
		slot = len(jp.pat.sels)
		jp.slot[key] = slot
		jp.pat.sels = append(jp.pat.sels, c.Sel)
	}
	c.slot = slot
	if err := jp.advance(); err != nil {
		return nil, err
	}
	switch jp.tok.kind {
	case tOp:
		c.Op = jp.tok.op
		opTok := jp.tok
		if err := jp.advance(); err != nil {
			return nil, err
		}
		if jp.tok.kind != tValue {
			return nil, jp.unexpected("a value after '" + opTok.text + "'")
		}
		c.Value = jp.tok.val
		if c.Op.Relational() && c.Value.Kind != ValueNumber {
			return nil, jp.lex.errorf(jp.tok.pos, "expected a number after '%s' (only = and != compare strings), found %s", opTok.text, jp.tok.describe())
		}
		return c, jp.advance()
	case tWord:
		return c, jp.keywords(c)
	}
	return nil, jp.unexpected("an operator (= != < > <= >=) or IS NULL, IS TRUE, IS FALSE, NOT EXISTS after " + key)
}

// keywords reads IS NULL, IS TRUE, IS FALSE or NOT EXISTS.
func (jp *jsonParser) keywords(c *Cond) error {
	first := strings.ToUpper(jp.tok.text)
	if first != "IS" && first != "NOT" {
		return jp.unexpected("an operator (= != < > <= >=) or IS NULL, IS TRUE, IS FALSE, NOT EXISTS")
	}
	if err := jp.advance(); err != nil {
		return err
	}
	second := ""
	if jp.tok.kind == tWord {
		second = strings.ToUpper(jp.tok.text)
	}
	switch {
	case first == "IS" && second == "NULL":
		c.Op = OpIsNull
	case first == "IS" && second == "TRUE":
		c.Op = OpIsTrue
	case first == "IS" && second == "FALSE":
		c.Op = OpIsFalse
	case first == "NOT" && second == "EXISTS":
		c.Op = OpNotExists
	case first == "IS":
		return jp.unexpected("NULL, TRUE or FALSE after IS")
	default:
		return jp.unexpected("EXISTS after NOT")
	}
	return jp.advance()
}
