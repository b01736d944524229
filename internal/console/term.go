package console

import (
	"os"

	"golang.org/x/term"
)

// IsTerminal reports whether r is a terminal: an *os.File open on a tty. A pipe, a file and
// /dev/null are not, so scripts and CI get the non-interactive behaviour.
func IsTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}
