package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIsTerminalNot: what scripts and CI hand the console (a pipe, a file, /dev/null, a reader
// that is not a file) is not a terminal.
func TestIsTerminalNot(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Create(filepath.Join(t.TempDir(), "input"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var nilFile *os.File
	for name, in := range map[string]any{"pipe": r, "file": f, "null device": null, "reader": strings.NewReader("x"), "nil file": nilFile, "nil": nil} {
		if IsTerminal(in) {
			t.Errorf("%s: IsTerminal = true, want false", name)
		}
	}
}
