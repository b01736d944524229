// Package goldenfile compares test output with files under testdata/golden, and rewrites them
// when the test binary runs with -update (go test ./internal/x -update), so that a change of
// output is reviewed as a diff of the files.
package goldenfile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Check compares got with testdata/golden/name (relative to the test's package), or writes it
// there with -update.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it, to review as a diff)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
