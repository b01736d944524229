package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestExampleParses keeps example.yml, which the README links to, loadable, and checks that it
// shows every field, so a new field cannot be added without documenting it there.
func TestExampleParses(t *testing.T) {
	c, err := Load("example.yml", env(map[string]string{"PROD_EXTERNAL_ID": "cisbot-prod-2f9e"}))
	if err != nil {
		t.Fatalf("example.yml: %v", err)
	}
	seen := map[string]bool{}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				t.Errorf("example.yml leaves %s out", path)
				return
			}
			walk(v.Elem(), path)
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), joinPath(path, tagName(v.Type().Field(i))))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), path)
			}
		case reflect.String:
			if v.String() != "" {
				seen[path] = true
			} else if _, ok := seen[path]; !ok {
				seen[path] = false
			}
		}
	}
	walk(reflect.ValueOf(c), "")
	// store.dsn goes with store.driver postgres, which store.path excludes: the example shows
	// it in a comment.
	for path, set := range seen {
		if !set && path != "store.dsn" {
			t.Errorf("example.yml never sets %s", path)
		}
	}
	if len(seen) != 41 {
		t.Errorf("example.yml covers %d fields, want all 41: %v", len(seen), seen)
	}
	if data, err := os.ReadFile("example.yml"); err != nil || !strings.Contains(string(data), "# dsn: postgres://") {
		t.Errorf("example.yml does not show store.dsn in a comment (%v)", err)
	}
}

// TestExampleNeedsItsVariable: the example's ${PROD_EXTERNAL_ID} shows expansion; without the
// variable the example must say so rather than load with a literal "${".
func TestExampleNeedsItsVariable(t *testing.T) {
	if _, err := Load("example.yml", nil); err == nil {
		t.Error("example.yml loaded without PROD_EXTERNAL_ID set")
	}
}
