package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"prod", "staging", "dev", "audit", "accounts", "help"}
	tests := []struct{ in, want string }{
		{"prdo", "prod"}, {"PROD", "prod"}, {"stagin", "staging"}, {"adit", "audit"}, {"acounts", "accounts"},
		{"zzzzzz", ""}, {"", ""}, {"x", ""},
	}
	for _, tc := range tests {
		if got := Closest(tc.in, known); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"prod", "prdo", 2}, {"été", "ete", 2}}
	for _, tc := range tests {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
