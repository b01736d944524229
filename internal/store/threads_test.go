package store

import (
	"context"
	"testing"
	"time"
)

// threadState returns the recorded state and time of key's thread in channel.
func threadState(t *testing.T, s Store, key, channel string) (string, time.Time) {
	t.Helper()
	var state string
	var at int64
	queryRow(t, s, `SELECT state, updated_at FROM threads WHERE key = $1 AND channel = $2`, []any{key, channel}, &state, &at)
	return state, fromMillis(at)
}

func TestThreads(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		const key = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:CIS-4.1"
		at := time.Date(2026, 3, 2, 10, 20, 0, 123456789, time.UTC)

		if ts, _, found, err := s.Thread(ctx, key, "C1"); err != nil || found || ts != "" {
			t.Fatalf("Thread before any = %q, %v, %v; want not found", ts, found, err)
		}
		if err := s.SetThread(ctx, key, "C1", "1700000000.000100", "ALARM", nil, at); err != nil {
			t.Fatal(err)
		}
		if ts, _, found, err := s.Thread(ctx, key, "C1"); err != nil || !found || ts != "1700000000.000100" {
			t.Fatalf("Thread = %q, %v, %v; want 1700000000.000100", ts, found, err)
		}
		if state, got := threadState(t, s, key, "C1"); state != "ALARM" || !got.Equal(ms(at)) {
			t.Errorf("state %q at %v, want ALARM at %v", state, got, ms(at))
		}
		// Another channel, and another key, have their own threads.
		if _, _, found, err := s.Thread(ctx, key, "C2"); err != nil || found {
			t.Errorf("Thread in another channel: found %v, %v", found, err)
		}
		if _, _, found, err := s.Thread(ctx, "111122223333/eu-west-1/other", "C1"); err != nil || found {
			t.Errorf("Thread of another key: found %v, %v", found, err)
		}
		// Setting again updates the state and time.
		later := at.Add(time.Minute)
		if err := s.SetThread(ctx, key, "C1", "1700000000.000100", "OK", nil, later); err != nil {
			t.Fatal(err)
		}
		if state, got := threadState(t, s, key, "C1"); state != "OK" || !got.Equal(ms(later)) {
			t.Errorf("state %q at %v, want OK at %v", state, got, ms(later))
		}
		var n int
		if queryRow(t, s, `SELECT count(*) FROM threads`, nil, &n); n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
	})
}

func TestSetThreadInvalid(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		s := d.newStore(t)
		at := time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)
		for name, call := range map[string]func() error{
			"empty key":     func() error { return s.SetThread(ctx, "", "C1", "1.2", "ALARM", nil, at) },
			"empty channel": func() error { return s.SetThread(ctx, "k", "", "1.2", "ALARM", nil, at) },
			"empty ts":      func() error { return s.SetThread(ctx, "k", "C1", "", "ALARM", nil, at) },
			"zero time":     func() error { return s.SetThread(ctx, "k", "C1", "1.2", "ALARM", nil, time.Time{}) },
		} {
			if err := call(); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

// TestThreadsSurviveRestart: a thread recorded before a restart is found after it.
func TestThreadsSurviveRestart(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		ctx := context.Background()
		path := d.newDB(t)
		s := d.open(t, path)
		if err := s.SetThread(ctx, "k", "C1", "1.2", "ALARM", nil, time.Unix(1, 0)); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = d.open(t, path)
		if ts, _, found, err := s.Thread(ctx, "k", "C1"); err != nil || !found || ts != "1.2" {
			t.Errorf("Thread after restart = %q, %v, %v", ts, found, err)
		}
	})
}

// What the first message showed is kept when later changes record only the state.
func TestThreadKeepsFirst(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		s := d.newStore(t)
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		if err := s.SetThread(ctx, "k", "C1", "1.2", "ALARM", []byte(`{"Kind":"alarm"}`), at); err != nil {
			t.Fatal(err)
		}
		if err := s.SetThread(ctx, "k", "C1", "1.2", "OK", nil, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, first, found, err := s.Thread(ctx, "k", "C1"); err != nil || !found || string(first) != `{"Kind":"alarm"}` {
			t.Errorf("first = %q, %v, %v", first, found, err)
		}
	})
}
