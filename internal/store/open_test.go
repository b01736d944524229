package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		driver  string
		wantErr string // "" for success
	}{
		{"sqlite", ""},
		{"postgres", `store driver "postgres": not implemented yet: use sqlite`},
		{"mysql", `unknown store driver "mysql": valid drivers are "sqlite"`},
		{"", `unknown store driver "": valid drivers are "sqlite"`},
		{"SQLite", `unknown store driver "SQLite"`},
	}
	for _, tt := range tests {
		t.Run(tt.driver, func(t *testing.T) {
			s, err := Open(context.Background(), tt.driver, filepath.Join(t.TempDir(), "cisbot.db"))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer s.Close()
				if err := s.Ping(context.Background()); err != nil {
					t.Errorf("Ping: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open error = %v, want it to contain %q", err, tt.wantErr)
			}
			if s != nil {
				t.Errorf("Open returned a non-nil Store with an error")
			}
		})
	}
}

func TestOpenErrorIsNilInterface(t *testing.T) {
	s, err := Open(context.Background(), DriverSQLite, "")
	if err == nil || s != nil {
		t.Errorf("Open(sqlite, \"\") = %v, %v; want a nil Store and an error", s, err)
	}
}
