package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// FuzzParse loads arbitrary bytes as a config. Any input must give a config or Errors, never a
// panic; every problem must name a fix and show no credential; and a config that loads must
// validate again unchanged and survive a round trip through YAML. Seeds are the fixtures and
// example.yml; testdata/fuzz/FuzzParse holds regressions in Go's corpus format.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.yml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range append(seeds, "example.yml") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yml", data, fixtureEnv)
		if err != nil {
			if cfg != nil {
				t.Fatalf("a config and an error: %v", err)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is not Errors: %T %v", err, err)
			}
			for _, e := range errs {
				if e.Msg == "" || e.Fix == "" {
					t.Fatalf("problem without message or fix: %#v", e)
				}
			}
			text := err.Error()
			if kind := secretKind(text); kind != "" {
				t.Fatalf("the message shows %s:\n%s", kind, text)
			}
			if strings.Contains(text, fixtureVars["ROLE_KEY"]) {
				t.Fatalf("the message shows a secret-named variable's value:\n%s", text)
			}
			return
		}
		if errs := validate(cfg, newMeta()); len(errs) > 0 {
			t.Fatalf("loaded, but does not validate again: %v\nconfig: %#v", errs, cfg)
		}
		if cfg.AWS.CloudWatchProtocol == "" {
			t.Fatal("the default protocol was not applied")
		}
		out, err := yaml.MarshalWithOptions(cfg, yaml.OmitEmpty())
		if err != nil {
			t.Fatalf("marshal %#v: %v", cfg, err)
		}
		again, err := Parse("again.yml", out, nil)
		if err != nil {
			t.Fatalf("the marshalled config does not load: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Fatalf("round trip changed the config:\n got %#v\nwant %#v\nyaml:\n%s", again, cfg, out)
		}
	})
}
