package config

import (
	"strings"
)

// refError is one bad ${...} reference in a value.
type refError struct {
	msg, fix string
}

// expand replaces every ${NAME} in s with the variable's value, so deployments can keep
// per-environment values (role ARNs, external ids) out of the file. Only the braced form is
// expanded: "$NAME" stays as written, because a bare "$" is legal in some values and shells
// would have expanded it anyway. "$${" writes a literal "${". Values are not expanded again.
// It returns the result, the names of the variables used, and one refError per reference that
// could not be expanded.
func expand(s string, getenv func(string) (string, bool)) (string, []string, []refError) {
	if !strings.Contains(s, "${") {
		return s, nil, nil
	}
	var (
		b    strings.Builder
		vars []string
		errs []refError
	)
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				errs = append(errs, refError{
					msg: `"${" has no closing "}"`,
					fix: `write ${NAME}, or $${ for a literal "${"`,
				})
				b.WriteString(s[i:])
				i = len(s)
				continue
			}
			name := s[i+2 : i+2+end]
			ref := s[i : i+3+end]
			i += 3 + end
			switch {
			case !validVarName(name):
				errs = append(errs, refError{
					msg: quote(ref) + " is not a variable reference",
					fix: `variable names are letters, digits and "_", not starting with a digit, and defaults such as ${NAME:-x} are not supported; write $${ for a literal "${"`,
				})
				b.WriteString(ref)
			default:
				v, ok := getenv(name)
				if !ok {
					errs = append(errs, refError{
						msg: "${" + name + "} is not set",
						fix: "set " + name + " in cisbot's environment, or write the value in the file",
					})
					b.WriteString(ref)
					continue
				}
				vars = append(vars, name)
				b.WriteString(v)
			}
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), vars, errs
}

// validVarName reports whether name is a portable environment variable name.
func validVarName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
