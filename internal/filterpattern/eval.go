package filterpattern

import (
	"bytes"
	"strconv"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Match reports whether the pattern matches one log event message.
func (p *Pattern) Match(message string) bool {
	switch p.form {
	case FormAll:
		return true
	case FormJSON:
		return p.matchJSON([]byte(message))
	case FormTerms:
		return p.terms.match(message)
	case FormDelimited:
		return p.delim.match(message)
	default:
		return p.regex.re.MatchString(message)
	}
}

// MatchBytes is Match for a message held in a byte slice, without copying it for JSON patterns.
func (p *Pattern) MatchBytes(message []byte) bool {
	if p.form == FormJSON {
		return p.matchJSON(message)
	}
	return p.Match(string(message))
}

// Eval evaluates a JSON pattern with a caller-supplied lookup in place of a JSON event. The audit
// uses it to evaluate the pattern over generated events without serialising each one.
func (p *Pattern) Eval(lookup func(Selector) Node) bool {
	if p.form != FormJSON {
		return false
	}
	nodes := make([]Node, len(p.sels))
	done := make([]bool, len(p.sels))
	return eval(p.expr, func(c *Cond) Node {
		if !done[c.slot] {
			nodes[c.slot] = lookup(p.sels[c.slot])
			done[c.slot] = true
		}
		return nodes[c.slot]
	})
}

// JSON patterns match only messages that are a JSON object.
func (p *Pattern) matchJSON(msg []byte) bool {
	msg = bytes.TrimSpace(msg)
	if len(msg) == 0 || msg[0] != '{' || !gjson.ValidBytes(msg) {
		return false
	}
	// gjson.ParseBytes would copy the message into a string; alias it instead. Nothing derived
	// from doc outlives this call.
	doc := gjson.Parse(unsafe.String(unsafe.SliceData(msg), len(msg)))
	// Each selector is looked up at most once per event; most patterns have few.
	var small [8]Node
	var smallDone [8]bool
	nodes, done := small[:0], smallDone[:0]
	if len(p.sels) <= len(small) {
		nodes, done = small[:len(p.sels)], smallDone[:len(p.sels)]
	} else {
		nodes, done = make([]Node, len(p.sels)), make([]bool, len(p.sels))
	}
	return eval(p.expr, func(c *Cond) Node {
		if !done[c.slot] {
			nodes[c.slot] = lookup(doc, p.sels[c.slot])
			done[c.slot] = true
		}
		return nodes[c.slot]
	})
}

func eval(e Expr, node func(*Cond) Node) bool {
	switch n := e.(type) {
	case *Or:
		for _, t := range n.Terms {
			if eval(t, node) {
				return true
			}
		}
		return false
	case *And:
		for _, t := range n.Terms {
			if !eval(t, node) {
				return false
			}
		}
		return true
	case *Cond:
		return n.Test(node(n))
	}
	return false
}

// lookup walks a selector through a parsed JSON document. A name step needs an object and an
// index step an array; anything else is Missing.
func lookup(doc gjson.Result, sel Selector) Node {
	cur := doc
	for _, st := range sel.Steps {
		if st.IsIndex {
			if !cur.IsArray() {
				return Node{}
			}
			cur = cur.Get(strconv.Itoa(st.Index))
		} else {
			if !cur.IsObject() {
				return Node{}
			}
			cur = cur.Get(st.Name)
		}
		if !cur.Exists() {
			return Node{}
		}
	}
	switch cur.Type {
	case gjson.Null:
		return Node{Kind: Null, Text: "null"}
	case gjson.False:
		return Node{Kind: False, Text: "false"}
	case gjson.True:
		return Node{Kind: True, Text: "true"}
	case gjson.Number:
		return Node{Kind: Number, Text: cur.Raw}
	case gjson.String:
		return Node{Kind: String, Text: cur.Str}
	}
	if cur.IsArray() {
		return Node{Kind: Array}
	}
	return Node{Kind: Object}
}
