package store

import (
	"context"
	"strings"
	"testing"
)

// TestRedactDSN: a DSN's password, wherever it is written, never reaches a message.
func TestRedactDSN(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://cisbot:s3cret@db.example.com:5432/cisbot?sslmode=require", "postgres://cisbot:xxxxx@db.example.com:5432/cisbot?sslmode=require"},
		{"postgresql://cisbot@db/cisbot", "postgresql://cisbot@db/cisbot"},
		{"postgres://db/cisbot?user=cisbot&password=s3cret", "postgres://db/cisbot?password=xxxxx&user=cisbot"},
		{"postgres://cisbot:p%40ss@db/cisbot", "postgres://cisbot:xxxxx@db/cisbot"},
		{"host=db user=cisbot password=s3cret dbname=cisbot", "host=db user=cisbot password=xxxxx dbname=cisbot"},
		{"host=db password = 's3 cret\\' x' dbname=cisbot", "host=db password = xxxxx dbname=cisbot"},
		{"host=db PASSWORD=s3cret", "host=db PASSWORD=xxxxx"},
		{"host=/run/postgresql dbname=cisbot", "host=/run/postgresql dbname=cisbot"},
		{"postgres://cisbot:s3cret@db:notaport/x%zz", "(a postgres URL that does not parse)"},
	}
	for _, tt := range tests {
		if got := RedactDSN(tt.dsn); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// TestOpenPostgresHidesPassword: a database that cannot be reached is reported with its
// address, and without its password.
func TestOpenPostgresHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://cisbot:s3cret@127.0.0.1:1/cisbot?connect_timeout=5",
		"host=127.0.0.1 port=1 user=cisbot password=s3cret dbname=cisbot connect_timeout=5",
		"postgres://cisbot:s3cret@127.0.0.1:notaport/cisbot",
	} {
		_, err := OpenPostgres(context.Background(), dsn)
		if err == nil {
			t.Fatalf("OpenPostgres(%q) = nil error", RedactDSN(dsn))
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("error does not say which database: %v", err)
		}
	}
}
