package config

import (
	"sort"
	"strconv"
	"strings"
)

// FieldError is one problem, naming the field by its path (e.g. "accounts[1].role_arn") with
// the line when known, and the fix, so the user can go straight to the line and repair it.
type FieldError struct {
	// Field is the path of the field, e.g. "accounts[1].role_arn"; empty for problems with
	// the file as a whole, such as YAML syntax.
	Field string
	// Line is the 1-based line in the file, 0 when unknown.
	Line int
	// Msg says what is wrong. It never holds a secret, nor the value of a variable whose name
	// says it is one.
	Msg string
	// Fix says what to do about it.
	Fix string

	file string // the file name Parse was given, for Error
}

// Error formats the problem the way compilers do, so editors can jump to it:
//
//	cisbot.yml:7: accounts[1].role_arn: "arn:aws:iam::1:role/x" is not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<name>
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.file != "" {
		b.WriteString(e.file)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	if e.Fix != "" {
		b.WriteString("; " + e.Fix)
	}
	return b.String()
}

// Errors is every problem found in one file, so a user fixes them all in one pass.
type Errors []*FieldError

// Error lists the problems one per line, in file order.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// finish stamps the file name on every problem, hides anything secret-shaped that slipped into
// a message (the YAML library quotes tokens in some of its messages), and orders the problems
// by line, problems with no line last.
func finish(name string, errs Errors) error {
	if len(errs) == 0 {
		return nil
	}
	for _, e := range errs {
		e.file = name
		e.Field = redact(e.Field)
		e.Msg = redact(e.Msg)
		e.Fix = redact(e.Fix)
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, lj := errs[i].Line, errs[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	return errs
}

// quote shows a value from the file in a message, shortened so a pasted blob does not bury the
// rest of the output.
func quote(s string) string {
	const max = 80
	if r := []rune(s); len(r) > max {
		return strconv.Quote(string(r[:max])) + "…"
	}
	return strconv.Quote(s)
}
