package filterpattern

import "strings"

// termPattern is the unstructured form: plain terms must all appear, at least one ?term must
// appear when there are any, and no -term may appear. Terms match as substrings.
type termPattern struct {
	all, any, none []string
}

func parseTerms(text string) (*termPattern, error) {
	l := &lexer{src: text}
	tp := &termPattern{}
	for {
		l.skipSpace()
		if l.pos >= len(l.src) {
			break
		}
		start := l.pos
		prefix := byte(0)
		if c := l.src[l.pos]; c == '?' || c == '-' {
			prefix = c
			l.pos++
			l.skipSpace() // the old documented spelling: "ERROR" - "Exiting"
			if l.pos >= len(l.src) {
				return nil, l.errorf(start, "expected a term after '%c'", prefix)
			}
		}
		var term string
		if l.src[l.pos] == '"' {
			t, err := l.quoted()
			if err != nil {
				return nil, err
			}
			term = t
		} else {
			ts := l.pos
			for l.pos < len(l.src) && !isSpace(l.src[l.pos]) && l.src[l.pos] != '"' {
				l.pos++
			}
			term = l.src[ts:l.pos]
			if term == "" {
				return nil, l.errorf(l.pos, "expected a term, found '\"'")
			}
		}
		switch prefix {
		case '?':
			tp.any = append(tp.any, term)
		case '-':
			tp.none = append(tp.none, term)
		default:
			tp.all = append(tp.all, term)
		}
	}
	return tp, nil
}

func (tp *termPattern) match(msg string) bool {
	for _, t := range tp.all {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range tp.none {
		if strings.Contains(msg, t) {
			return false
		}
	}
	if len(tp.any) == 0 {
		return true
	}
	for _, t := range tp.any {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}
