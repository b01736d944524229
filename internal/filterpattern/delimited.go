package filterpattern

import (
	"strings"
	"unicode/utf8"
)

// delimPattern is the space-delimited form: [ip, user, ..., status = 4*, bytes > 1000].
type delimPattern struct {
	items []delimItem
}

type delimItem struct {
	ellipsis bool
	name     string
	cond     Expr     // nil when the field only names its position
	refs     []string // the field names cond reads
}

// maxAlignments bounds the search for a way to lay the pattern's fields over a line's fields
// when several "..." make it ambiguous.
const maxAlignments = 100000

func parseDelimited(text string) (*delimPattern, error) {
	l := &lexer{src: text, delimited: true}
	dp := &delimPattern{}
	tok, err := l.next()
	if err != nil {
		return nil, err
	}
	if tok.kind != tLBracket {
		return nil, l.errorf(tok.pos, "expected '['")
	}
	dp2 := &delimParser{lex: l}
	if err := dp2.advance(); err != nil {
		return nil, err
	}
	for {
		if dp2.tok.kind == tRBracket && len(dp.items) > 0 {
			break
		}
		item, err := dp2.item()
		if err != nil {
			return nil, err
		}
		// Consecutive "..." mean the same as one.
		if !(item.ellipsis && len(dp.items) > 0 && dp.items[len(dp.items)-1].ellipsis) {
			dp.items = append(dp.items, item)
		}
		if dp2.tok.kind == tComma {
			if err := dp2.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if dp2.tok.kind != tRBracket {
			return nil, dp2.unexpected("',' or ']'")
		}
		break
	}
	if err := dp2.advance(); err != nil {
		return nil, err
	}
	if dp2.tok.kind != tEOF {
		return nil, dp2.unexpected("the end of the pattern after ']'")
	}
	return dp, nil
}

type delimParser struct {
	lex *lexer
	tok token
}

func (p *delimParser) advance() error {
	t, err := p.lex.next()
	p.tok = t
	return err
}

func (p *delimParser) unexpected(want string) error {
	return p.lex.errorf(p.tok.pos, "expected %s, found %s", want, p.tok.describe())
}

func (p *delimParser) item() (delimItem, error) {
	if p.tok.kind == tEllipsis {
		return delimItem{ellipsis: true}, p.advance()
	}
	if p.tok.kind != tWord {
		return delimItem{}, p.unexpected("a field name or '...'")
	}
	it := delimItem{name: p.tok.text}
	if err := p.advance(); err != nil {
		return it, err
	}
	if p.tok.kind != tOp {
		return it, nil
	}
	// The field's own condition: its name was already read; further conditions name theirs.
	e, err := p.or(it.name)
	if err != nil {
		return it, err
	}
	it.cond = e
	seen := map[string]bool{}
	Walk(e, func(c *Cond) {
		n := c.Sel.Steps[0].Name
		if !seen[n] {
			seen[n] = true
			it.refs = append(it.refs, n)
		}
	})
	return it, nil
}

func (p *delimParser) or(first string) (Expr, error) {
	var terms []Expr
	for {
		e, err := p.and(first)
		first = ""
		if err != nil {
			return nil, err
		}
		terms = append(terms, e)
		if p.tok.kind != tOr {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &Or{Terms: terms}, nil
}

func (p *delimParser) and(first string) (Expr, error) {
	var terms []Expr
	for {
		c, err := p.cond(first)
		first = ""
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
		if p.tok.kind != tAnd {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &And{Terms: terms}, nil
}

func (p *delimParser) cond(name string) (Expr, error) {
	if name == "" {
		if p.tok.kind != tWord {
			return nil, p.unexpected("a field name")
		}
		name = p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	c := &Cond{Sel: Selector{Steps: []Step{{Name: name}}}, Pos: utf8.RuneCountInString(p.lex.src[:p.tok.pos])}
	if p.tok.kind != tOp {
		return nil, p.unexpected("an operator (= != < > <= >=) after " + name)
	}
	c.Op = p.tok.op
	opText := p.tok.text
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tValue {
		return nil, p.unexpected("a value after '" + opText + "'")
	}
	c.Value = p.tok.val
	if c.Op.Relational() && c.Value.Kind != ValueNumber {
		return nil, p.lex.errorf(p.tok.pos, "expected a number after '%s' (only = and != compare strings), found %s", opText, p.tok.describe())
	}
	return c, p.advance()
}

// splitFields splits a log line on spaces; "quoted" and [bracketed] runs are one field each,
// without their quotes or brackets.
func splitFields(line string) []string {
	var fields []string
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		var closer byte
		switch line[i] {
		case '"':
			closer = '"'
		case '[':
			closer = ']'
		}
		if closer != 0 {
			if end := strings.IndexByte(line[i+1:], closer); end >= 0 {
				fields = append(fields, line[i+1:i+1+end])
				i += end + 2
				continue
			}
		}
		start := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		fields = append(fields, line[start:i])
	}
	return fields
}

func (dp *delimPattern) match(line string) bool {
	fields := splitFields(line)
	bound := map[string]string{}
	budget := maxAlignments
	return dp.align(0, 0, fields, bound, &budget)
}

// align lays items[i:] over fields[j:], checking each condition as soon as the fields it reads
// are bound.
func (dp *delimPattern) align(i, j int, fields []string, bound map[string]string, budget *int) bool {
	*budget--
	if *budget < 0 {
		return false
	}
	if i == len(dp.items) {
		return j == len(fields) && dp.check(bound, true)
	}
	it := dp.items[i]
	if it.ellipsis {
		for k := j; k <= len(fields); k++ {
			if dp.align(i+1, k, fields, bound, budget) {
				return true
			}
		}
		return false
	}
	if j >= len(fields) {
		return false
	}
	prev, had := bound[it.name]
	bound[it.name] = fields[j]
	ok := dp.check(bound, false) && dp.align(i+1, j+1, fields, bound, budget)
	if had {
		bound[it.name] = prev
	} else {
		delete(bound, it.name)
	}
	return ok
}

// check evaluates the conditions whose fields are all bound; final evaluates every condition,
// a name bound to no field counting as missing.
func (dp *delimPattern) check(bound map[string]string, final bool) bool {
	for _, it := range dp.items {
		if it.cond == nil {
			continue
		}
		ready := true
		for _, r := range it.refs {
			if _, ok := bound[r]; !ok {
				ready = false
				break
			}
		}
		if !ready && !final {
			continue
		}
		ok := eval(it.cond, func(c *Cond) Node {
			v, ok := bound[c.Sel.Steps[0].Name]
			if !ok {
				return Node{}
			}
			return Node{Kind: String, Text: v}
		})
		if !ok {
			return false
		}
	}
	return true
}
