package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/cisbot/cisbot/internal/suggest"
)

// Parse is Load for bytes already read; name is used in messages (the file path).
//
// The YAML is parsed into a syntax tree, and the tree is walked against the shape of Config:
// the walk reports every unknown key and wrongly shaped value at once (a decoder stops at the
// first), records each field's line, keeps plain scalars as written (the decoder alone would
// turn external_id: 0123 into "83"), expands ${VAR} and rejects credentials. The cleaned tree
// is then decoded strictly into a Config, defaults are applied, and every field is validated.
// A nil getenv means an empty environment.
func Parse(name string, data []byte, getenv func(string) (string, bool)) (*Config, error) {
	if getenv == nil {
		getenv = func(string) (string, bool) { return "", false }
	}
	if len(data) > maxFileSize {
		return nil, finish(name, Errors{{
			Msg: fmt.Sprintf("the file is larger than %d KiB", maxFileSize>>10),
			Fix: "check that the path names cisbot's YAML config, which is a few kilobytes",
		}})
	}
	if line, n := longestLine(data); n > maxLineLength {
		return nil, finish(name, Errors{{
			Line: line,
			Msg:  fmt.Sprintf("the line is %d bytes long", n),
			Fix:  fmt.Sprintf("split it (write long lists one item per line); the limit is %d bytes", maxLineLength),
		}})
	}
	if depth := flowDepth(data); depth > maxFlowDepth {
		return nil, finish(name, Errors{{
			Msg: fmt.Sprintf("brackets are nested %d deep", depth),
			Fix: fmt.Sprintf("a cisbot config nests [ ] and { } at most a few levels; the limit is %d", maxFlowDepth),
		}})
	}
	file, err := parseYAML(data)
	if err != nil {
		return nil, finish(name, Errors{yamlError(err, "YAML syntax error: ")})
	}
	w := &walker{getenv: getenv, m: newMeta()}
	var body ast.Node
	for i, doc := range file.Docs {
		if i == 0 {
			body = doc.Body
			continue
		}
		if doc.Body != nil && !isEmptyNode(doc.Body) {
			line := lineOf(doc.Body)
			if doc.Start != nil && doc.Start.Position != nil {
				line = doc.Start.Position.Line
			}
			w.add("", line, "the file holds more than one YAML document",
				`remove the "---" line and everything after it, or merge the documents into one`)
			break
		}
	}
	if isEmptyNode(body) {
		body = nil
	}
	body = w.walkStruct(body, configType, "")

	cfg := new(Config)
	if !isEmptyNode(body) {
		if err := decodeYAML(body, cfg); err != nil {
			w.errs = append(w.errs, yamlError(err, "cannot read this value: "))
			return nil, finish(name, w.errs)
		}
	}
	applyDefaults(cfg, w.m)
	errs := append(w.errs, validate(cfg, w.m)...)
	if len(errs) > 0 {
		return nil, finish(name, errs)
	}
	return cfg, nil
}

// maxLineLength bounds a line. The YAML parser's time grows with the square of a line's
// length (a 128 KiB line of "[]" takes seconds), and the longest real line, a 1224-character
// external id, fits with room to spare.
const maxLineLength = 4096

// longestLine returns the 1-based number and the length of the longest line in data.
func longestLine(data []byte) (line, length int) {
	for n := 1; len(data) > 0; n++ {
		l := bytes.IndexByte(data, '\n')
		if l < 0 {
			l = len(data)
		}
		if l > length {
			line, length = n, l
		}
		data = data[min(l+1, len(data)):]
	}
	return line, length
}

// maxFlowDepth bounds the nesting of [ ] and { }. The YAML parser's time grows faster than
// linearly with it (100,000 "[" take minutes), and a real config needs three levels:
// {accounts: [{name: prod}]}.
const maxFlowDepth = 64

// flowDepth is the deepest nesting of [ and { in data. It does not skip quoted text or
// comments: a valid config has no brackets in its values, and overcounting can only reject a
// file with dozens of unbalanced brackets, which is no config.
func flowDepth(data []byte) int {
	depth, deepest := 0, 0
	for _, c := range data {
		switch c {
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return deepest
}

// applyDefaults fills what the file left empty. It runs after decoding, so an explicit empty
// value (cloudwatch_protocol: "") means the default too.
func applyDefaults(c *Config, m *meta) {
	if c.AWS.CloudWatchProtocol == "" {
		c.AWS.CloudWatchProtocol = "auto"
	}
	// "accounts: []" and no accounts key mean the same; one spelling keeps comparisons simple.
	if len(c.Accounts) == 0 {
		c.Accounts = nil
	}
	// "organization:" with nothing under it is an organization section with no role name,
	// which validate reports, rather than no section at all.
	if c.Organization == nil && m.present["organization"] && !m.skipped("organization") {
		c.Organization = &Organization{}
	}
}

// parseYAML and decodeYAML contain panics from the YAML library: bad input must become an
// error the user can act on, not a crash of the bot. Panics in this package are not recovered,
// so the fuzz target still finds them.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this file: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

func decodeYAML(body ast.Node, cfg *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML decoder failed on this file: %v", r)
		}
	}()
	// The walk has already removed unknown keys; strict decoding is the backstop that keeps
	// the walk and the struct tags from drifting apart.
	return yaml.NodeToValue(body, cfg, yaml.DisallowUnknownField())
}

// yamlError turns an error from the YAML library into a FieldError. It uses the library's bare
// message and token position: its Error() prints the surrounding source, which may hold secrets.
func yamlError(err error, prefix string) *FieldError {
	fe := &FieldError{Msg: prefix + err.Error(), Fix: "check the indentation and quoting around this line; example.yml shows the expected layout"}
	var ye yaml.Error
	if errors.As(err, &ye) {
		fe.Msg = prefix + ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			fe.Line = tk.Position.Line
		}
	}
	switch msg := fe.Msg; {
	case strings.Contains(msg, "already defined"), strings.Contains(msg, "duplicate key"):
		fe.Fix = "each key may appear once in a section: delete or merge the repeated one"
	case strings.Contains(msg, "\t"):
		fe.Fix = "indent with spaces, not tabs"
	}
	fe.Msg = strings.ReplaceAll(fe.Msg, "\t", `\t`)
	return fe
}

// meta is what the walk learned about the file that the decoded Config cannot carry.
type meta struct {
	lines     map[string]int    // field path → line of its key (or list item)
	present   map[string]bool   // field paths written in the file, even with an empty value
	skip      map[string]bool   // field paths already reported: validate leaves them and their children alone
	suggested map[string]bool   // field paths an unknown key was probably meant to be: no "required" error for them
	hidden    map[string]string // field path → the secret-named variable its value came from
}

func newMeta() *meta {
	return &meta{
		lines:     map[string]int{},
		present:   map[string]bool{},
		skip:      map[string]bool{},
		suggested: map[string]bool{},
		hidden:    map[string]string{},
	}
}

// line is the line of path, or of its nearest ancestor written in the file.
func (m *meta) line(path string) int {
	for {
		if l, ok := m.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// skipped reports whether path or one of its ancestors was already reported.
func (m *meta) skipped(path string) bool {
	for {
		if m.skip[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// parentPath strips the last element: accounts[1].name → accounts[1] → accounts → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var configType = reflect.TypeFor[Config]()

// sectionNames name each section in "the keys of …" hints.
var sectionNames = map[reflect.Type]string{
	configType:                         "the top level",
	reflect.TypeFor[AWS]():             "aws",
	reflect.TypeFor[Account]():         "an account",
	reflect.TypeFor[Organization]():    "organization",
	reflect.TypeFor[Slack]():           "slack",
	reflect.TypeFor[Remediation]():     "remediation",
	reflect.TypeFor[Store]():           "store",
	reflect.TypeFor[Alerts]():          "alerts",
	reflect.TypeFor[SummarySchedule](): "a summary",
	reflect.TypeFor[Controls]():        "controls",
	reflect.TypeFor[Queue]():           "a queue",
}

// walker checks the syntax tree against the shape of Config. The shape comes from the struct
// tags by reflection, so the walk and the decoder cannot disagree about which keys exist.
type walker struct {
	getenv func(string) (string, bool)
	m      *meta
	errs   Errors
}

func (w *walker) add(field string, line int, msg, fix string) {
	w.errs = append(w.errs, &FieldError{Field: field, Line: line, Msg: msg, Fix: fix})
}

// wrongShape reports a value of the wrong kind and returns a null in its place, so decoding and
// the checks of the other fields go on.
func (w *walker) wrongShape(node ast.Node, path, msg, fix string) ast.Node {
	line := lineOf(node)
	if line == 0 {
		line = w.m.line(path)
	}
	w.add(path, line, msg, fix)
	w.m.skip[path] = true
	return ast.Null(node.GetToken())
}

// unsupported reports YAML features the config does not accept, or "" for other nodes.
// Anchors, aliases and merge keys are refused: a short security config reads best with every
// value written out, the decoder rejects a merge key overridden by a sibling key, and a value
// reached twice through an alias could not be given one field path and one expansion.
// Tags are refused because the decoder applies !!str after converting numbers.
func unsupported(node ast.Node) string {
	switch node.(type) {
	case *ast.AnchorNode:
		return "YAML anchors (&name) are not supported"
	case *ast.AliasNode:
		return "YAML aliases (*name) are not supported"
	case *ast.MergeKeyNode:
		return "YAML merge keys (<<) are not supported"
	case *ast.TagNode:
		return "YAML tags (!!type) are not supported"
	}
	return ""
}

const unsupportedFix = "write the value out in full"

// walkValue dispatches on the Go type the node decodes into.
func (w *walker) walkValue(node ast.Node, t reflect.Type, path string) ast.Node {
	switch t.Kind() {
	case reflect.String:
		return w.walkLeaf(node, path)
	case reflect.Struct:
		return w.walkStruct(node, t, path)
	case reflect.Pointer:
		return w.walkStruct(node, t.Elem(), path)
	case reflect.Slice:
		return w.walkList(node, t.Elem(), path)
	}
	panic("config: the walk has no case for " + t.String()) // a field type added without one
}

// walkStruct checks a mapping against struct t: unknown keys are reported and removed, known
// keys are recorded and walked.
func (w *walker) walkStruct(node ast.Node, t reflect.Type, path string) ast.Node {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return node
	case *ast.MappingValueNode:
		// A one-key mapping, as in [name: prod]: give it the general form.
		return w.walkStruct(ast.Mapping(n.Start, n.IsFlowStyle, n), t, path)
	case *ast.MappingNode:
		kept := make([]*ast.MappingValueNode, 0, len(n.Values))
		for _, mv := range n.Values {
			if mv.Key == nil {
				continue
			}
			if msg := unsupported(mv.Key); msg != "" {
				field := path
				if mv.Key.IsMergeKey() {
					field = joinPath(path, "<<")
				}
				w.add(field, lineOf(mv.Key), msg, unsupportedFix)
				w.m.skip[path] = true
				continue
			}
			key := keyText(mv.Key)
			field := joinPath(path, key)
			sf, ok := fieldByTag(t, key)
			if !ok {
				w.unknownKey(mv, t, path, key)
				continue
			}
			w.m.lines[field] = lineOf(mv.Key)
			w.m.present[field] = true
			mv.Value = w.walkValue(mv.Value, sf.Type, field)
			kept = append(kept, mv)
		}
		n.Values = kept
		return n
	}
	if msg := unsupported(node); msg != "" {
		return w.wrongShape(node, path, msg, unsupportedFix)
	}
	keys := strings.Join(keysOf(t), ", ")
	if path == "" {
		return w.wrongShape(node, path, "the file must be a YAML mapping", "start from example.yml; the top-level keys are "+keys)
	}
	return w.wrongShape(node, path, "must be a mapping, not "+describe(node), "write its keys indented under it: "+keys)
}

// walkList checks a sequence whose items decode into elem: structs (accounts) or strings (ids).
func (w *walker) walkList(node ast.Node, elem reflect.Type, path string) ast.Node {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return node
	case *ast.SequenceNode:
		for i, item := range n.Values {
			ip := path + "[" + strconv.Itoa(i) + "]"
			w.m.lines[ip] = lineOf(item)
			n.Values[i] = w.walkValue(item, elem, ip)
		}
		return n
	}
	if msg := unsupported(node); msg != "" {
		return w.wrongShape(node, path, msg, unsupportedFix)
	}
	if elem.Kind() == reflect.String {
		return w.wrongShape(node, path, "must be a list, not "+describe(node), "write the ids as a list: [C0123ABCDE, C0456FGHIJ]")
	}
	return w.wrongShape(node, path, "must be a list, not "+describe(node),
		`write one "- name: …" item per entry, as in example.yml`)
}

// walkLeaf turns a scalar into a string node holding its final value: as written for plain
// numbers and booleans, then with ${VAR} expanded. Credentials are reported, never echoed.
func (w *walker) walkLeaf(node ast.Node, path string) ast.Node {
	var raw string
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return node
	case *ast.StringNode:
		raw = n.Value
	case *ast.LiteralNode:
		if n.Value != nil {
			raw = n.Value.Value
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		raw = node.GetToken().Value
	default:
		if msg := unsupported(node); msg != "" {
			return w.wrongShape(node, path, msg, unsupportedFix)
		}
		return w.wrongShape(node, path, "must be a single value, not "+describe(node),
			"write it on the same line as its key; quote it if it contains ': ', '#' or starts with '[' or '{'")
	}
	line := w.m.line(path)
	value := raw
	if kind := secretKindAt(path, raw); kind != "" {
		w.add(path, line, "the value looks like "+kind+" (not shown)", credentialFix)
		w.m.skip[path] = true
	} else {
		expanded, vars, errs := expand(raw, w.getenv)
		for _, e := range errs {
			w.add(path, line, e.msg, e.fix)
			w.m.skip[path] = true
		}
		for _, v := range vars {
			if sensitiveVar(v) {
				w.m.hidden[path] = v
				break
			}
		}
		if kind := secretKindAt(path, expanded); kind != "" && !w.m.skip[path] {
			w.add(path, line, "the value from "+refList(vars)+" looks like "+kind+" (not shown)",
				"this field never holds a credential: reference the variable that holds the intended value")
			w.m.skip[path] = true
		}
		value = expanded
	}
	return &ast.StringNode{BaseNode: &ast.BaseNode{}, Token: node.GetToken(), Value: value}
}

// unknownKey reports a key struct t does not have, with the likely intended key or, for a
// credential, where credentials go instead.
func (w *walker) unknownKey(mv *ast.MappingValueNode, t reflect.Type, path, key string) {
	field := joinPath(path, key)
	keys := keysOf(t)
	fix := "the keys of " + sectionNames[t] + " are " + strings.Join(keys, ", ")
	var valueIsSecret bool
	if s, ok := mv.Value.(*ast.StringNode); ok {
		valueIsSecret = secretKind(s.Value) != ""
	}
	switch guess := closestKey(key, keys); {
	case valueIsSecret || credentialKey(key):
		fix = credentialFix
	case guess != "":
		fix = "did you mean " + strconv.Quote(guess) + "? " + fix
		w.m.suggested[joinPath(path, guess)] = true
	}
	w.add(field, lineOf(mv.Key), "unknown key "+quote(key), fix)
}

// closestKey is the valid key the user probably meant: the same letters ignoring case and
// separators (roleArn, role-arn), else at most two edits away (rolearn, regoin), else one
// holding the other (role for role_name, channel_id for channel), else "".
func closestKey(key string, keys []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	nk := norm(key)
	for _, k := range keys {
		if norm(k) == nk {
			return k
		}
	}
	best, bestDist := "", 3
	for _, k := range keys {
		if d := suggest.Distance(nk, norm(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	for _, k := range keys {
		if n := norm(k); len(nk) >= 3 && (strings.Contains(n, nk) || strings.Contains(nk, n)) {
			return k
		}
	}
	return ""
}

// fieldByTag finds the field of struct t whose yaml tag is key. Keys are case-sensitive, as
// in the decoder.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tagName(f) == key && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// keysOf lists the yaml keys of struct t in declaration order.
func keysOf(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			keys = append(keys, tagName(f))
		}
	}
	return keys
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// keyText is a mapping key as the user wrote it.
func keyText(k ast.MapKeyNode) string {
	switch k := k.(type) {
	case *ast.StringNode:
		return k.Value
	case *ast.MappingKeyNode:
		if k.Value != nil {
			if s, ok := k.Value.(*ast.StringNode); ok {
				return s.Value
			}
			if tk := k.Value.GetToken(); tk != nil {
				return tk.Value
			}
		}
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// lineOf is the line a node starts on, 0 when the node has no position.
func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// isEmptyNode reports whether a document body holds no data (only comments, or a null).
func isEmptyNode(n ast.Node) bool {
	switch n.(type) {
	case nil, *ast.NullNode, *ast.CommentGroupNode, *ast.CommentNode:
		return true
	}
	return false
}

// describe names a node's kind for "must be X, not Y" messages, without its content.
func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// refList names the variables a value came from: ${A}, ${B}.
func refList(vars []string) string {
	refs := make([]string, len(vars))
	for i, v := range vars {
		refs[i] = "${" + v + "}"
	}
	return strings.Join(refs, ", ")
}
