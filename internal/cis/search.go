package cis

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	fp "github.com/cisbot/cisbot/internal/filterpattern"
)

// The search looks for one event in a probe's set on which the candidate pattern does the wrong
// thing. Events are built from fields: every field any of the patterns (the candidate's and the
// probe's) names, each taking values drawn from those patterns' own conditions, from values real
// CloudTrail records hold, and from the other JSON types (absent, null, number, boolean, object,
// array). Values that every condition on a field treats alike are tried once. Fields are assigned
// one at a time; after each, the patterns are evaluated in three-valued logic, so a branch is
// abandoned as soon as its outcome is decided. Non-JSON candidates are evaluated on the finished
// event's text.

type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

type field struct {
	sel     fp.Selector
	key     string
	parents []int // fields whose selector is a strict prefix of this one
	domain  []fp.Node
	def     fp.Node // the template record's value
}

type search struct {
	cand     *fp.Pattern
	include  []*fp.Pattern
	exclude  []*fp.Pattern
	want     bool
	probe    Probe
	fields   []field
	index    map[string]int
	assigned []bool
	value    []fp.Node
	template []byte

	cases     int
	exhausted bool
}

func newSearch(cand *fp.Pattern, probe Probe) (*search, error) {
	s := &search{cand: cand, want: probe.WantMatch, probe: probe, index: map[string]int{}}
	for _, text := range probe.Include {
		p, err := fp.Parse(text)
		if err != nil {
			return nil, err
		}
		s.include = append(s.include, p)
	}
	for _, text := range probe.Exclude {
		p, err := fp.Parse(text)
		if err != nil {
			return nil, err
		}
		s.exclude = append(s.exclude, p)
	}
	tmpl, err := json.Marshal(templateRecord())
	if err != nil {
		return nil, err
	}
	s.template = tmpl

	// Collect the fields and every condition on each.
	conds := map[string][]*fp.Cond{}
	var order []fp.Selector
	addSel := func(sel fp.Selector) {
		k := sel.String()
		if _, ok := conds[k]; !ok {
			conds[k] = nil
			order = append(order, sel)
		}
	}
	collect := func(p *fp.Pattern) {
		if p.Form() != fp.FormJSON {
			return
		}
		fp.Walk(p.Expr(), func(c *fp.Cond) {
			addSel(c.Sel)
			conds[c.Sel.String()] = append(conds[c.Sel.String()], c)
		})
	}
	for _, p := range s.include {
		collect(p)
	}
	for _, p := range s.exclude {
		collect(p)
	}
	collect(cand)
	var words []string
	if cand.Form() != fp.FormJSON && cand.Form() != fp.FormAll {
		words = cand.Words()
		addSel(mustSelector(freeTextPath))
	}

	// Prefixes first, so a parent is assigned before its children; otherwise keep the order in
	// which the control and then the candidate name them.
	sort.SliceStable(order, func(i, j int) bool { return len(order[i].Steps) < len(order[j].Steps) })
	for _, sel := range order {
		f := field{sel: sel, key: sel.String(), def: fp.LookupJSON(tmpl, sel)}
		var extra []string
		if f.key == freeTextPath {
			extra = words
		}
		f.domain = domain(f.key, conds[f.key], extra)
		s.index[f.key] = len(s.fields)
		s.fields = append(s.fields, f)
	}
	for i := range s.fields {
		for j := range s.fields {
			if i != j && isPrefix(s.fields[j].sel, s.fields[i].sel) {
				s.fields[i].parents = append(s.fields[i].parents, j)
			}
		}
	}
	s.assigned = make([]bool, len(s.fields))
	s.value = make([]fp.Node, len(s.fields))
	return s, nil
}

func mustSelector(path string) fp.Selector {
	var sel fp.Selector
	for _, name := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
		sel.Steps = append(sel.Steps, fp.Step{Name: name})
	}
	return sel
}

func isPrefix(p, s fp.Selector) bool {
	if len(p.Steps) >= len(s.Steps) {
		return false
	}
	for i, st := range p.Steps {
		if st != s.Steps[i] {
			return false
		}
	}
	return true
}

// domain lists the values to try for a field, one per class of values that the conditions on
// it cannot tell apart; realistic values come first so they represent their class.
func domain(key string, conds []*fp.Cond, words []string) []fp.Node {
	var cands []fp.Node
	str := func(s string) { cands = append(cands, fp.Node{Kind: fp.String, Text: s}) }
	for _, v := range realValues[key] {
		str(v)
	}
	for _, c := range conds {
		cands = append(cands, condValues(c)...)
	}
	for _, w := range words {
		str(w)
		str("x " + w + " x")
	}
	str("example")
	str("")
	cands = append(cands,
		fp.Node{Kind: fp.Missing}, fp.Node{Kind: fp.Null, Text: "null"},
		fp.Node{Kind: fp.Number, Text: "0"}, fp.Node{Kind: fp.Number, Text: "1"},
		fp.Node{Kind: fp.True, Text: "true"}, fp.Node{Kind: fp.False, Text: "false"},
		fp.Node{Kind: fp.Object}, fp.Node{Kind: fp.Array})

	var out []fp.Node
	seen := map[string]bool{}
	for _, n := range cands {
		if alwaysString[key] && n.Kind != fp.String || alwaysObject[key] && n.Kind != fp.Object {
			continue
		}
		// A class: the node's shape (scalars are alike unless a condition or a planted word
		// tells them apart; objects and arrays differ in what their children can be), then
		// what each condition says of it, then which planted words it contains.
		sig := make([]byte, 0, 1+len(conds)+len(words))
		switch {
		case n.Scalar():
			sig = append(sig, 's')
		default:
			sig = append(sig, byte('0'+n.Kind))
		}
		for _, c := range conds {
			sig = append(sig, bit(c.Test(n)))
		}
		for _, w := range words {
			sig = append(sig, bit(n.Scalar() && strings.Contains(n.Text, w)))
		}
		if seen[string(sig)] {
			continue
		}
		seen[string(sig)] = true
		out = append(out, n)
	}
	return out
}

func bit(b bool) byte {
	if b {
		return '1'
	}
	return '0'
}

// condValues are the values a condition singles out, and their near misses.
func condValues(c *fp.Cond) []fp.Node {
	switch c.Op {
	case fp.OpIsNull:
		return []fp.Node{{Kind: fp.Null, Text: "null"}}
	case fp.OpIsTrue:
		return []fp.Node{{Kind: fp.True, Text: "true"}}
	case fp.OpIsFalse:
		return []fp.Node{{Kind: fp.False, Text: "false"}}
	case fp.OpNotExists:
		return []fp.Node{{Kind: fp.Missing}}
	}
	v := c.Value
	var out []fp.Node
	str := func(s string) { out = append(out, fp.Node{Kind: fp.String, Text: s}) }
	num := func(f float64) {
		if !math.IsInf(f, 0) && !math.IsNaN(f) {
			t := strconv.FormatFloat(f, 'g', -1, 64)
			out = append(out, fp.Node{Kind: fp.Number, Text: t}, fp.Node{Kind: fp.String, Text: t})
		}
	}
	switch v.Kind {
	case fp.ValueNumber:
		num(v.Num)
		num(v.Num - 1)
		num(v.Num + 1)
		num(v.Num - 0.5)
		num(v.Num + 0.5)
		str(v.Raw)
	case fp.ValueAny:
		str("x")
	case fp.ValueRegex:
		lit := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == ':' || r == '/' {
				return r
			}
			return -1
		}, v.Text)
		str(lit)
		str("x" + lit + "x")
	default:
		t := v.Text
		str(t)
		if v.Prefix {
			str(t + "Exception")
		}
		if v.Suffix {
			str("Client." + t)
		}
		str("x" + t)
		str(t + "x")
		str("x" + t + "x")
		if len(t) > 1 {
			str(t[1:])
			str(t[:len(t)-1])
		}
		if f := flipFirst(t); f != t {
			str(f)
		}
		str(strings.ToLower(t))
		str(strings.ToUpper(t))
		if _, ok := strconv.ParseFloat(t, 64); ok == nil {
			out = append(out, fp.Node{Kind: fp.Number, Text: t})
		}
	}
	return out
}

func flipFirst(s string) string {
	for i, r := range s {
		if unicode.IsLower(r) {
			return s[:i] + string(unicode.ToUpper(r)) + s[i+len(string(r)):]
		}
		if unicode.IsUpper(r) {
			return s[:i] + string(unicode.ToLower(r)) + s[i+len(string(r)):]
		}
	}
	return s
}

// node is what a selector reaches under the current partial assignment.
func (s *search) node(sel fp.Selector) (fp.Node, bool) {
	i, ok := s.index[sel.String()]
	if !ok {
		return fp.Node{}, false
	}
	return s.effective(i)
}

// effective is field i's value, Missing when a parent's value cannot hold it.
func (s *search) effective(i int) (fp.Node, bool) {
	f := &s.fields[i]
	for _, p := range f.parents {
		if !s.assigned[p] {
			continue
		}
		next := f.sel.Steps[len(s.fields[p].sel.Steps)]
		pk := s.value[p].Kind
		if !(pk == fp.Object && !next.IsIndex || pk == fp.Array && next.IsIndex) {
			return fp.Node{}, true
		}
	}
	if !s.assigned[i] {
		return fp.Node{}, false
	}
	return s.value[i], true
}

func (s *search) eval3(p *fp.Pattern) tri {
	if p.Form() != fp.FormJSON {
		return triUnknown
	}
	return eval3(p.Expr(), func(c *fp.Cond) (fp.Node, bool) { return s.node(c.Sel) })
}

func eval3(e fp.Expr, node func(*fp.Cond) (fp.Node, bool)) tri {
	switch n := e.(type) {
	case *fp.Or:
		r := triFalse
		for _, t := range n.Terms {
			switch eval3(t, node) {
			case triTrue:
				return triTrue
			case triUnknown:
				r = triUnknown
			}
		}
		return r
	case *fp.And:
		r := triTrue
		for _, t := range n.Terms {
			switch eval3(t, node) {
			case triFalse:
				return triFalse
			case triUnknown:
				r = triUnknown
			}
		}
		return r
	case *fp.Cond:
		v, ok := node(n)
		if !ok {
			return triUnknown
		}
		if n.Test(v) {
			return triTrue
		}
		return triFalse
	}
	return triFalse
}

// goal is whether the current (partial) event is a counterexample: in the probe's set, and
// handled by the candidate other than the probe wants.
func (s *search) goal(complete bool) tri {
	r := triTrue
	and := func(t tri) bool {
		if t == triFalse {
			r = triFalse
			return false
		}
		if t == triUnknown {
			r = triUnknown
		}
		return true
	}
	for _, p := range s.include {
		if !and(s.eval3(p)) {
			return triFalse
		}
	}
	for _, p := range s.exclude {
		if !and(not(s.eval3(p))) {
			return triFalse
		}
	}
	var c tri
	switch {
	case s.cand.Form() == fp.FormAll:
		c = triTrue
	case s.cand.Form() == fp.FormJSON:
		c = s.eval3(s.cand)
	case complete:
		c = fromBool(s.cand.MatchBytes(s.materialize()))
	default:
		c = triUnknown
	}
	if s.want {
		c = not(c)
	}
	and(c)
	return r
}

func not(t tri) tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

func fromBool(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// run searches for a counterexample; nil when there is none (or the budget ran out).
func (s *search) run() (*Counterexample, error) {
	if !s.dfs(0) {
		return nil, nil
	}
	s.minimise()
	return s.counterexample()
}

func (s *search) dfs(i int) bool {
	s.cases++
	if s.cases > searchBudget {
		s.exhausted = true
		return false
	}
	switch s.goal(i == len(s.fields)) {
	case triFalse:
		return false
	case triTrue:
		s.fillDefaults(i)
		return true
	}
	if i == len(s.fields) {
		return false
	}
	if n, known := s.effective(i); known && !s.assigned[i] {
		// A parent rules this field out: it can only be missing.
		s.assigned[i], s.value[i] = true, n
		if s.dfs(i + 1) {
			return true
		}
		s.assigned[i] = false
		return false
	}
	// Values that leave the same formula to decide lead to the same subtree: explore it once.
	// (Only for JSON candidates: a non-JSON one is judged on the whole event's text.)
	dedupe := s.cand.Form() == fp.FormJSON
	hasChildren := s.hasChildren(i)
	seen := map[string]bool{}
	for _, v := range s.fields[i].domain {
		s.assigned[i], s.value[i] = true, v
		if dedupe {
			key := s.residualKey()
			if hasChildren {
				key += "\x00" + v.Kind.String()
			}
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		if s.dfs(i + 1) {
			return true
		}
		if s.exhausted {
			break
		}
	}
	s.assigned[i] = false
	return false
}

// fillDefaults gives the fields a decided branch left open their template values.
func (s *search) fillDefaults(from int) {
	for j := from; j < len(s.fields); j++ {
		s.assigned[j], s.value[j] = true, s.fields[j].def
	}
}

// minimise resets each field to its template value where the counterexample survives, so the
// report names only the fields that matter.
func (s *search) minimise() {
	for i := range s.fields {
		f := &s.fields[i]
		if s.value[i] == f.def {
			continue
		}
		old := s.value[i]
		s.value[i] = f.def
		if s.goal(true) != triTrue {
			s.value[i] = old
		}
	}
}

// materialize builds the event for the current complete assignment on the template record.
func (s *search) materialize() []byte {
	rec := templateRecord()
	for i := range s.fields {
		n, _ := s.effective(i)
		setPath(rec, s.fields[i].sel, n)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("cis: marshal generated event: %v", err)) // only plain values are set
	}
	return b
}

func jsonValue(n fp.Node, old any) any {
	switch n.Kind {
	case fp.Null:
		return nil
	case fp.True:
		return true
	case fp.False:
		return false
	case fp.Number:
		return json.Number(n.Text)
	case fp.String:
		return n.Text
	case fp.Object:
		if m, ok := old.(map[string]any); ok {
			return m
		}
		return map[string]any{}
	case fp.Array:
		if a, ok := old.([]any); ok {
			return a
		}
		return []any{}
	}
	return nil
}

// setPath sets (or, for Missing, deletes) the value at sel, creating the containers on the way.
func setPath(root map[string]any, sel fp.Selector, n fp.Node) {
	setIn(root, sel.Steps, n)
}

func setIn(cur any, steps []fp.Step, n fp.Node) any {
	st, last := steps[0], len(steps) == 1
	if st.IsIndex {
		a, ok := cur.([]any)
		if !ok {
			if n.Kind == fp.Missing {
				return cur
			}
			a = nil
		}
		if st.Index >= len(a) {
			if n.Kind == fp.Missing {
				return a
			}
			a = append(a, make([]any, st.Index+1-len(a))...)
		}
		switch {
		case last && n.Kind == fp.Missing:
			return a[:st.Index] // an element can only be missing at the array's end
		case last:
			a[st.Index] = jsonValue(n, a[st.Index])
		default:
			a[st.Index] = setIn(a[st.Index], steps[1:], n)
		}
		return a
	}
	m, ok := cur.(map[string]any)
	if !ok {
		if n.Kind == fp.Missing {
			return cur
		}
		m = map[string]any{}
	}
	if last {
		if n.Kind == fp.Missing {
			delete(m, st.Name)
		} else {
			m[st.Name] = jsonValue(n, m[st.Name])
		}
		return m
	}
	child, exists := m[st.Name]
	if !exists && n.Kind == fp.Missing {
		return m
	}
	m[st.Name] = setIn(child, steps[1:], n)
	return m
}

// counterexample reports the found event, after checking it with the real matcher on its JSON
// text: the report must be something anyone can reproduce with `pattern match`.
func (s *search) counterexample() (*Counterexample, error) {
	ev := s.materialize()
	matches := s.cand.MatchBytes(ev)
	inSet := true
	for _, p := range s.include {
		inSet = inSet && p.MatchBytes(ev)
	}
	for _, p := range s.exclude {
		inSet = inSet && !p.MatchBytes(ev)
	}
	if !inSet || matches == s.want {
		return nil, fmt.Errorf("internal error: generated counterexample does not reproduce on its JSON text: %s", ev)
	}
	ce := &Counterexample{Probe: s.probe.Name, Problem: s.probe.Problem, PatternMatches: matches, Event: json.RawMessage(ev)}
	if or, ok := s.cand.Expr().(*fp.Or); ok && matches {
		for _, t := range or.Terms {
			if fp.EvalJSON(t, ev) {
				ce.Branch = t.String()
				break
			}
		}
	}
	for i, f := range s.fields {
		n, _ := s.effective(i)
		if n == f.def && !s.inInclude(f.key) && !s.decides(i) {
			continue
		}
		fv := FieldValue{Path: f.key, Value: Absent}
		switch n.Kind {
		case fp.Missing:
		case fp.String:
			b, _ := json.Marshal(n.Text)
			fv.Value = string(b)
		case fp.Object:
			fv.Value = "{…}"
		case fp.Array:
			fv.Value = "[…]"
		default:
			fv.Value = n.Text
		}
		ce.Fields = append(ce.Fields, fv)
	}
	return ce, nil
}

// inInclude reports whether a field defines the probe's set, so it belongs in every report.
func (s *search) inInclude(key string) bool {
	for _, p := range s.include {
		found := false
		if p.Form() == fp.FormJSON {
			fp.Walk(p.Expr(), func(c *fp.Cond) { found = found || c.Sel.String() == key })
		}
		if found {
			return true
		}
	}
	return false
}

// decides reports whether some other value of field i, all else equal, would change what the
// candidate does on the counterexample: the field is part of why the pattern fails.
func (s *search) decides(i int) bool {
	if _, blocked := s.effective(i); blocked && !s.assigned[i] {
		return false
	}
	base := s.cand.MatchBytes(s.materialize())
	old := s.value[i]
	defer func() { s.value[i] = old }()
	for _, v := range s.fields[i].domain {
		s.value[i] = v
		if s.cand.MatchBytes(s.materialize()) != base {
			return true
		}
	}
	return false
}

func (s *search) hasChildren(i int) bool {
	for j := range s.fields {
		for _, p := range s.fields[j].parents {
			if p == i {
				return true
			}
		}
	}
	return false
}

// residualKey identifies what remains to be decided under the current partial assignment: the
// patterns with their decided parts folded away.
func (s *search) residualKey() string {
	var b strings.Builder
	for _, group := range [][]*fp.Pattern{s.include, s.exclude, {s.cand}} {
		for _, p := range group {
			if p.Form() == fp.FormJSON {
				s.residual(&b, p.Expr())
			}
			b.WriteByte(';')
		}
	}
	return b.String()
}

// residual writes e with its decided parts folded away and returns e's value.
func (s *search) residual(b *strings.Builder, e fp.Expr) tri {
	switch n := e.(type) {
	case *fp.Or, *fp.And:
		var terms []fp.Expr
		absorbing, sep := triTrue, " | "
		if a, ok := n.(*fp.And); ok {
			terms, absorbing, sep = a.Terms, triFalse, " & "
		} else {
			terms = n.(*fp.Or).Terms
		}
		var sub strings.Builder
		open := 0
		for _, t := range terms {
			var tb strings.Builder
			switch s.residual(&tb, t) {
			case absorbing:
				b.WriteString(map[tri]string{triTrue: "T", triFalse: "F"}[absorbing])
				return absorbing
			case triUnknown:
				if open > 0 {
					sub.WriteString(sep)
				}
				sub.WriteString(tb.String())
				open++
			}
		}
		if open == 0 {
			v := not(absorbing)
			b.WriteString(map[tri]string{triTrue: "T", triFalse: "F"}[v])
			return v
		}
		b.WriteByte('(')
		b.WriteString(sub.String())
		b.WriteByte(')')
		return triUnknown
	case *fp.Cond:
		v, ok := s.node(n.Sel)
		if !ok {
			fmt.Fprintf(b, "%p", n)
			return triUnknown
		}
		if n.Test(v) {
			b.WriteByte('T')
			return triTrue
		}
		b.WriteByte('F')
		return triFalse
	}
	return triFalse
}
