package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/store"
)

// TestRecoverInterruptedAtStart: a request the last run left applying ends interrupted, and
// DrainFixes returns at once with no fix under way.
func TestRecoverInterruptedAtStart(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	r := store.Request{ID: "r1", Account: "prod", Channel: "C1", Plan: []byte(`{}`), State: store.StateApplying, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	d := commands.New(commands.Options{Remediator: &Remediator{}, Requests: st, Owner: processOwner()})
	logger := slog.New(slog.DiscardHandler)
	RecoverInterrupted(ctx, d, nil, logger)
	got, err := st.GetRequest(ctx, "r1")
	if err != nil || got.State != store.StateInterrupted {
		t.Fatalf("state %q, %v; want interrupted", got.State, err)
	}
	done := make(chan struct{})
	go func() { DrainFixes(ctx, d, logger); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("DrainFixes waited with no fix under way")
	}
}
