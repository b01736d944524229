package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/testutil/pgtest"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		driver  string
		dsn     func(t testing.TB) string
		wantErr string // "" for success
	}{
		{"sqlite", sqliteFile, ""},
		{"postgres", pgtest.NewDatabase, ""},
		{"postgres", func(testing.TB) string { return "" }, "empty DSN: set store.dsn"},
		{"postgres", sqliteFile, "postgres store"},
		{"mysql", sqliteFile, `unknown store driver "mysql": valid drivers are "sqlite" and "postgres"`},
		{"", sqliteFile, `unknown store driver "": valid drivers are "sqlite" and "postgres"`},
		{"SQLite", sqliteFile, `unknown store driver "SQLite"`},
	}
	for _, tt := range tests {
		t.Run(tt.driver, func(t *testing.T) {
			s, err := Open(context.Background(), tt.driver, tt.dsn(t))
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

func sqliteFile(t testing.TB) string { return filepath.Join(t.TempDir(), "cisbot.db") }

func TestOpenErrorIsNilInterface(t *testing.T) {
	for _, driver := range []string{DriverSQLite, DriverPostgres} {
		s, err := Open(context.Background(), driver, "")
		if err == nil || s != nil {
			t.Errorf("Open(%s, \"\") = %v, %v; want a nil Store and an error", driver, s, err)
		}
	}
}
