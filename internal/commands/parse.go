package commands

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/cisbot/cisbot/internal/suggest"
)

// Call is a parsed command line: the command's name and its arguments.
type Call struct {
	Name string
	Args []string
}

// ParseError is command text that names no known command.
type ParseError struct {
	Input      string
	Suggestion string // the closest command name, if any is near
}

func (e *ParseError) Error() string {
	if e.Input == "" {
		return "no command given"
	}
	if e.Suggestion != "" {
		return fmt.Sprintf("unknown command %q (did you mean %q?)", e.Input, e.Suggestion)
	}
	return fmt.Sprintf("unknown command %q", e.Input)
}

// maxArgs bounds what a request may ask for in one go; an organization has at most a few
// thousand accounts, and a Slack command's text at most 4000 characters.
const maxArgs = 1000

// Parse splits the text after the slash command into a call of one of the defined commands. It
// is pure: no I/O, no state. Slack's markup for mentions (<@U123|name>, <#C123|name>) is reduced
// to the plain name, trailing punctuation users type (commas) is dropped, and what is quoted is
// one argument ("Log Archive": an organization account's name may hold spaces).
func Parse(defs []Def, text string) (Call, error) {
	fields := splitFields(text)
	if len(fields) == 0 {
		return Call{Name: "help"}, nil
	}
	name := strings.ToLower(fields[0])
	args := make([]string, 0, min(len(fields)-1, maxArgs))
	for _, f := range fields[1:] {
		if len(args) == maxArgs {
			break
		}
		if a := unescape.Replace(unmark(f)); a != "" {
			args = append(args, a)
		}
	}
	for _, d := range defs {
		if d.Name == name || slices.Contains(d.Aliases, name) {
			return Call{Name: d.Name, Args: args}, nil
		}
	}
	names := make([]string, 0, len(defs))
	for _, d := range defs {
		names = append(names, d.Name)
	}
	return Call{}, &ParseError{Input: fields[0], Suggestion: suggest.Closest(name, names)}
}

// unescape undoes the escaping Slack applies to a command's text (&, < and > the user typed
// arrive as entities), once the markup Slack added has been read.
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// splitFields splits text at white space and commas, keeping what is between quotes as one
// field: straight ones, or the curly ones Slack's clients often type instead (“…”). Any quote
// opens or closes (quotes do not nest), and a quote left open runs to the end.
func splitFields(text string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if f := strings.TrimSpace(cur.String()); f != "" {
			out = append(out, f)
		}
		cur.Reset()
	}
	for _, r := range text {
		switch {
		case r == '"' || r == '\u201c' || r == '\u201d':
			flush()
			quoted = !quoted
		case !quoted && (unicode.IsSpace(r) || r == ','):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// unmark turns Slack's <…|label> markup into its label, and <…> into its inside.
func unmark(s string) string {
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[i+1:]
		}
		s = strings.TrimLeft(s, "@#!")
	}
	return s
}
