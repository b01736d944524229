package app

import (
	"context"
	"strings"
	"testing"

	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/pgtest"
)

// TestOpenStorePostgres: store.driver postgres opens store.dsn; when the database cannot be
// reached, the error names the DSN without its password.
func TestOpenStorePostgres(t *testing.T) {
	ctx := context.Background()
	_, dsn := pgtest.OwnCluster(t)
	st, err := OpenStore(ctx, &config.Config{Store: config.Store{Driver: "postgres", DSN: dsn}})
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	defer st.Close()
	if _, ok := st.(*store.Postgres); !ok {
		t.Errorf("OpenStore gave a %T, want *store.Postgres", st)
	}

	bad := "postgres://cisbot:s3cret@127.0.0.1:1/cisbot?connect_timeout=5"
	_, err = OpenStore(ctx, &config.Config{Store: config.Store{Driver: "postgres", DSN: bad, Path: "ignored.db"}})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "store.dsn postgres://cisbot:xxxxx@127.0.0.1:1/cisbot") {
		t.Errorf("OpenStore of an unreachable database: %v; want the DSN named without its password", err)
	}
}
