package filterpattern

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tLBrace
	tRBrace
	tLParen
	tRParen
	tLBracket
	tRBracket
	tComma
	tEllipsis
	tAnd
	tOr
	tOp
	tSelector
	tWord // a keyword in JSON patterns, a field name in delimited ones
	tValue
)

type token struct {
	kind tokKind
	pos  int // byte offset
	text string
	op   Op
	sel  Selector
	val  Value
}

// describe names a token for an error message.
func (t token) describe() string {
	if t.kind == tEOF {
		return "the end of the pattern"
	}
	return fmt.Sprintf("%q", t.text)
}

// lexer turns pattern text into tokens. It is context sensitive in one way: after a comparison
// operator the next token is always read as a value, since bare values may hold characters
// (. * - :) that elsewhere would be syntax.
type lexer struct {
	src     string
	pos     int
	afterOp bool
	// delimited makes names (not $-selectors) the left-hand side of conditions.
	delimited bool
	regexes   int
}

// ParseError is a pattern that does not parse: what was expected, and where.
type ParseError struct {
	// Offset is the 0-based character (not byte) offset in the pattern.
	Offset int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid filter pattern at character %d: %s", e.Offset, e.Msg)
}

func (l *lexer) errorf(bytePos int, format string, args ...any) *ParseError {
	if bytePos > len(l.src) {
		bytePos = len(l.src)
	}
	return &ParseError{Offset: utf8.RuneCountInString(l.src[:bytePos]), Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '-'
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
}

func (l *lexer) next() (token, error) {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	if l.afterOp {
		l.afterOp = false
		return l.value()
	}
	c := l.src[l.pos]
	two := ""
	if l.pos+1 < len(l.src) {
		two = l.src[l.pos : l.pos+2]
	}
	simple := func(k tokKind, n int) (token, error) {
		l.pos += n
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	switch {
	case c == '{':
		return simple(tLBrace, 1)
	case c == '}':
		return simple(tRBrace, 1)
	case c == '(':
		return simple(tLParen, 1)
	case c == ')':
		return simple(tRParen, 1)
	case c == '[' && l.delimited:
		return simple(tLBracket, 1)
	case c == ']' && l.delimited:
		return simple(tRBracket, 1)
	case c == ',' && l.delimited:
		return simple(tComma, 1)
	case strings.HasPrefix(l.src[l.pos:], "...") && l.delimited:
		return simple(tEllipsis, 3)
	case two == "&&":
		return simple(tAnd, 2)
	case two == "||":
		return simple(tOr, 2)
	case two == "!=" || two == "<=" || two == ">=":
		return l.operator(start, 2)
	case c == '=' || c == '<' || c == '>':
		return l.operator(start, 1)
	case c == '$' && !l.delimited:
		return l.selector()
	case isIdent(c):
		for l.pos < len(l.src) && isIdent(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tWord, pos: start, text: l.src[start:l.pos]}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return token{}, l.errorf(start, "unexpected %q", r)
}

func (l *lexer) operator(start, n int) (token, error) {
	l.pos += n
	text := l.src[start:l.pos]
	var op Op
	switch text {
	case "=":
		op = OpEq
	case "!=":
		op = OpNe
	case "<":
		op = OpLt
	case ">":
		op = OpGt
	case "<=":
		op = OpLe
	case ">=":
		op = OpGe
	}
	l.afterOp = true
	return token{kind: tOp, pos: start, text: text, op: op}, nil
}

// selector reads $ followed by .name and [N] steps.
func (l *lexer) selector() (token, error) {
	start := l.pos
	l.pos++ // $
	var sel Selector
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '.' {
			l.pos++
			ns := l.pos
			for l.pos < len(l.src) && isIdent(l.src[l.pos]) {
				l.pos++
			}
			if l.pos == ns {
				if l.pos < len(l.src) && l.src[l.pos] == '*' {
					return token{}, l.errorf(ns, "wildcard selectors ($.name.*) are not supported: name the property")
				}
				return token{}, l.errorf(ns, "expected a property name after '.'")
			}
			sel.Steps = append(sel.Steps, Step{Name: l.src[ns:l.pos]})
			continue
		}
		if c == '[' {
			if len(sel.Steps) == 0 {
				break
			}
			l.pos++
			ns := l.pos
			for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
				l.pos++
			}
			if l.pos-ns > 9 {
				return token{}, l.errorf(ns, "array index too large: at most 9 digits")
			}
			if l.pos == ns {
				if l.pos < len(l.src) && l.src[l.pos] == '*' {
					return token{}, l.errorf(ns, "wildcard array indexes ([*]) are not supported: name the index")
				}
				return token{}, l.errorf(ns, "expected an array index (digits) after '['")
			}
			n := 0
			for _, d := range l.src[ns:l.pos] {
				n = n*10 + int(d-'0')
			}
			if l.pos >= len(l.src) || l.src[l.pos] != ']' {
				return token{}, l.errorf(l.pos, "expected ']' after the array index")
			}
			l.pos++
			sel.Steps = append(sel.Steps, Step{Index: n, IsIndex: true})
			continue
		}
		break
	}
	if len(sel.Steps) == 0 {
		return token{}, l.errorf(start+1, "expected '.name' after '$'")
	}
	return token{kind: tSelector, pos: start, text: l.src[start:l.pos], sel: sel}, nil
}

// value reads the right-hand side of a comparison: a quoted string, a %regex% or a bare word.
func (l *lexer) value() (token, error) {
	start := l.pos
	c := l.src[l.pos]
	switch c {
	case '"':
		text, err := l.quoted()
		if err != nil {
			return token{}, err
		}
		raw := l.src[start:l.pos]
		return token{kind: tValue, pos: start, text: raw, val: stringValue(raw, text)}, nil
	case '%':
		return l.regex()
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if isSpace(c) || c == '(' || c == ')' || c == '{' || c == '}' || c == '"' ||
			strings.HasPrefix(l.src[l.pos:], "&&") || strings.HasPrefix(l.src[l.pos:], "||") ||
			(l.delimited && (c == ',' || c == ']')) {
			break
		}
		l.pos++
	}
	raw := l.src[start:l.pos]
	if raw == "" || strings.ContainsAny(raw[:1], "=<>!") {
		found := "the end of the pattern"
		if start < len(l.src) {
			r, _ := utf8.DecodeRuneInString(l.src[start:])
			found = fmt.Sprintf("%q", r)
		}
		return token{}, l.errorf(start, "expected a value (a number, a word or a \"quoted string\"), found %s", found)
	}
	if f, ok := parseNumber(raw); ok {
		return token{kind: tValue, pos: start, text: raw, val: Value{Kind: ValueNumber, Num: f, Raw: raw, Text: raw}}, nil
	}
	return token{kind: tValue, pos: start, text: raw, val: stringValue(raw, raw)}, nil
}

// quoted reads a double-quoted string; \" and \\ are its only escapes.
func (l *lexer) quoted() (string, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.pos++
			return b.String(), nil
		case c == '\\' && l.pos+1 < len(l.src) && (l.src[l.pos+1] == '"' || l.src[l.pos+1] == '\\'):
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return "", l.errorf(start, "unterminated string: add the closing '\"'")
}

// maxRegexes is CloudWatch's limit of regular expressions in one JSON or delimited pattern.
const maxRegexes = 2

func (l *lexer) regex() (token, error) {
	start := l.pos
	end := strings.IndexByte(l.src[start+1:], '%')
	if end < 0 {
		return token{}, l.errorf(start, "unterminated regular expression: add the closing '%%'")
	}
	src := l.src[start+1 : start+1+end]
	l.pos = start + end + 2
	l.regexes++
	if l.regexes > maxRegexes {
		return token{}, l.errorf(start, "at most %d regular expressions are allowed in one pattern", maxRegexes)
	}
	re, err := compileRegex(src)
	if err != nil {
		return token{}, l.errorf(start+1, "%v", err)
	}
	raw := l.src[start:l.pos]
	return token{kind: tValue, pos: start, text: raw, val: Value{Kind: ValueRegex, Text: src, Raw: raw, re: re}}, nil
}

// regexAllowed are the characters CloudWatch accepts in a regular expression.
const regexAllowed = "_#=@/;,-: ^$?[]{}|\\*+."

func compileRegex(src string) (*regexp.Regexp, error) {
	if src == "" {
		return nil, fmt.Errorf("empty regular expression")
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || strings.IndexByte(regexAllowed, c) >= 0 {
			continue
		}
		if c == '(' || c == ')' {
			return nil, fmt.Errorf("groups and parentheses are not supported in regular expressions")
		}
		r, _ := utf8.DecodeRuneInString(src[i:])
		return nil, fmt.Errorf("character %q is not allowed in a regular expression", r)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w", err)
	}
	return re, nil
}
