package filterpattern

import (
	"bytes"

	"github.com/tidwall/gjson"
)

// Words returns the literal text a term, delimited or regex pattern looks for: its terms and
// phrases, its string values, its regular expressions' sources. Callers that generate events
// to probe a pattern plant these words; JSON patterns expose their conditions through Expr.
func (p *Pattern) Words() []string {
	var out []string
	switch p.form {
	case FormTerms:
		out = append(out, p.terms.all...)
		out = append(out, p.terms.any...)
		out = append(out, p.terms.none...)
	case FormDelimited:
		for _, it := range p.delim.items {
			if it.cond != nil {
				Walk(it.cond, func(c *Cond) { out = append(out, c.Value.Text) })
			}
		}
	case FormRegex:
		out = append(out, p.regex.Text)
	}
	return out
}

// LookupJSON returns the node a selector reaches in a JSON message, Missing when the message is
// not a JSON object.
func LookupJSON(msg []byte, sel Selector) Node {
	msg = bytes.TrimSpace(msg)
	if len(msg) == 0 || msg[0] != '{' || !gjson.ValidBytes(msg) {
		return Node{}
	}
	return lookup(gjson.ParseBytes(msg), sel)
}

// EvalJSON evaluates one expression of a JSON pattern (a branch of it, say) on a JSON message.
func EvalJSON(e Expr, msg []byte) bool {
	msg = bytes.TrimSpace(msg)
	if len(msg) == 0 || msg[0] != '{' || !gjson.ValidBytes(msg) {
		return false
	}
	doc := gjson.ParseBytes(msg)
	return eval(e, func(c *Cond) Node { return lookup(doc, c.Sel) })
}
