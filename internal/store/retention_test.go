package store

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestPrune: what was finished before the cutoff goes; what is undelivered, pending, recent, or
// an (account, control)'s or a schedule's latest stays; a second Prune finds nothing.
func TestPrune(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		t.Run("one batch", func(t *testing.T) { testPrune(t, d) })
		t.Run("batches of one row", func(t *testing.T) {
			defer func(n int) { pruneBatch = n }(pruneBatch)
			pruneBatch = 1
			testPrune(t, d)
		})
	})
}

func testPrune(t *testing.T, d testDriver) {
	s := d.newStore(t)
	ctx := context.Background()
	now := base.Add(365 * 24 * time.Hour)
	day := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	cutoff := day(90)

	// Outbox: delivered long ago (goes), delivered yesterday, never delivered.
	for _, it := range []struct {
		id        string
		created   time.Time
		delivered bool
	}{{"old-delivered", day(100), true}, {"new-delivered", day(1), true}, {"old-undelivered", day(200), false}} {
		if _, err := s.Enqueue(ctx, OutboxItem{ID: it.id, Kind: OutboxKinds[0], Body: []byte("{}"), NextAt: it.created, CreatedAt: it.created}); err != nil {
			t.Fatal(err)
		}
		if it.delivered {
			if _, err := s.Claim(ctx, "me", it.created, time.Minute, 10); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.Delivered(ctx, it.id, "me", it.created); !ok || err != nil {
				t.Fatalf("Delivered(%s) = %v, %v", it.id, ok, err)
			}
		}
	}

	// Requests: finished long ago (its plan is reduced), pending long ago, finished yesterday.
	plan := []byte(`{"account":"prod","account_id":"111111111111","passes":false,"steps":[` +
		`{"kind":"create_topic","region":"us-east-1","resource":"arn:aws:sns:us-east-1:111111111111:cis-alarms","detail":"Create…","params":{"TopicName":"cis-alarms"}},` +
		`{"kind":"put_metric_alarm","region":"us-east-1","resource":"arn:aws:cloudwatch:us-east-1:111111111111:alarm:a","detail":"Create…","params":{"AlarmName":"a"}}],` +
		`"manual":["do it"],"hash":"abc"}`)
	for _, r := range []struct {
		id    string
		at    time.Time
		state State
	}{{"old-applied", day(100), StateApplied}, {"old-interrupted", day(100), StateInterrupted}, {"old-pending", day(100), StatePending}, {"new-applied", day(1), StateApplied}} {
		if err := s.CreateRequest(ctx, Request{ID: r.id, Account: "prod", Plan: plan, PlanHash: "abc", CreatedAt: r.at, ExpiresAt: r.at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if r.state != StatePending {
			for _, tr := range [][2]State{{StatePending, StateApplying}, {StateApplying, r.state}} {
				if ok, err := s.Transition(ctx, r.id, tr[0], tr[1], "U1", EventApplied, "", r.at); !ok || err != nil {
					t.Fatalf("Transition(%s) = %v, %v", r.id, ok, err)
				}
			}
		}
	}

	// Audit history: prod's 4.1 audited three times, its 4.3 once long ago and dev's 4.1 once
	// long ago (each the latest of its pair, so they stay though prod has newer records).
	var recs []AuditRecord
	for _, r := range []struct {
		account, control string
		at               time.Time
	}{{"prod", "4.1", day(200)}, {"prod", "4.1", day(100)}, {"prod", "4.1", day(1)}, {"prod", "4.3", day(150)}, {"dev", "4.1", day(200)}} {
		recs = append(recs, AuditRecord{Account: r.account, Control: r.control, At: r.at, Status: AuditPass, Verdict: AuditPass, Since: day(200)})
	}
	if err := s.RecordAudits(ctx, recs); err != nil {
		t.Fatal(err)
	}
	latestBefore, err := s.LatestAudits(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Summary ticks: a daily schedule's old ticks go; a quarterly one keeps its latest.
	for _, tk := range []struct {
		schedule string
		tick     time.Time
	}{{"daily", day(200)}, {"daily", day(100)}, {"daily", day(1)}, {"quarterly", day(120)}} {
		if ok, err := s.ClaimTick(ctx, tk.schedule, tk.tick, "me", tk.tick, time.Minute); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := s.FinishTick(ctx, tk.schedule, tk.tick, "me", 1, 1, "", tk.tick); err != nil {
			t.Fatal(err)
		}
	}

	got, err := s.Prune(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Pruned{Outbox: 1, RequestBodies: 2, AuditHistory: 2, SummaryTicks: 2}); got != want {
		t.Errorf("Prune = %+v, want %+v", got, want)
	}
	if again, err := s.Prune(ctx, cutoff); err != nil || again.Total() != 0 {
		t.Errorf("second Prune = %+v, %v; want nothing", again, err)
	}

	if n, err := s.Pending(ctx); err != nil || n != 1 {
		t.Errorf("Pending = %d, %v; the undelivered item must stay", n, err)
	}
	if _, added, err := enqueueAgain(ctx, s, "new-delivered"); err != nil || added {
		t.Errorf("the recent delivered item was removed (re-enqueue added = %v, %v)", added, err)
	}
	checkPrunedPlan(t, s, "old-applied", true)
	checkPrunedPlan(t, s, "old-interrupted", true)
	checkPrunedPlan(t, s, "old-pending", false)
	checkPrunedPlan(t, s, "new-applied", false)
	if evs, err := s.Events(ctx, "old-applied"); err != nil || len(evs) == 0 {
		t.Errorf("the pruned request's events = %v, %v; want them kept", evs, err)
	}
	latestAfter, err := s.LatestAudits(ctx, nil)
	if err != nil || !reflect.DeepEqual(latestAfter, latestBefore) {
		t.Errorf("LatestAudits changed by Prune:\n got %+v, %v\nwant %+v", latestAfter, err, latestBefore)
	}
	if prod, err := s.AccountAudits(ctx, "prod", 10); err != nil || len(prod) != 2 || prod[0].Control != "4.1" || prod[1].Control != "4.3" {
		t.Errorf("prod's audits after Prune = %+v, %v; want 4.1's recent one and 4.3's only one", prod, err)
	}
	if len(latestAfter) != 3 {
		t.Errorf("LatestAudits after Prune = %d records, want 3 (prod 4.1, prod 4.3, dev 4.1)", len(latestAfter))
	}
	if tk, ok, err := s.LastPosted(ctx, "quarterly", now); err != nil || !ok || !tk.Tick.Equal(ms(day(120))) {
		t.Errorf("quarterly's last posted tick = %+v, %v, %v; want it kept", tk, ok, err)
	}
}

func enqueueAgain(ctx context.Context, s Store, id string) (OutboxItem, bool, error) {
	it := OutboxItem{ID: id, Kind: OutboxKinds[0], Body: []byte("{}"), NextAt: base, CreatedAt: base}
	added, err := s.Enqueue(ctx, it)
	return it, added, err
}

// checkPrunedPlan: a pruned plan still decodes, with its steps' kinds and resources and hash;
// an unpruned one is byte for byte what was stored.
func checkPrunedPlan(t *testing.T, s Store, id string, pruned bool) {
	t.Helper()
	r, err := s.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Account string `json:"account"`
		Steps   []struct {
			Kind     string            `json:"kind"`
			Resource string            `json:"resource"`
			Params   map[string]string `json:"params"`
		} `json:"steps"`
		Manual []string `json:"manual"`
		Hash   string   `json:"hash"`
		Pruned bool     `json:"pruned"`
	}
	if err := json.Unmarshal(r.Plan, &p); err != nil {
		t.Fatalf("%s: plan %s does not decode: %v", id, r.Plan, err)
	}
	if p.Pruned != pruned {
		t.Fatalf("%s: pruned = %v, want %v: %s", id, p.Pruned, pruned, r.Plan)
	}
	if len(p.Steps) != 2 || p.Steps[1].Kind != "put_metric_alarm" || p.Steps[0].Resource != "arn:aws:sns:us-east-1:111111111111:cis-alarms" || p.Hash != "abc" || p.Account != "prod" {
		t.Errorf("%s: plan lost what history shows: %s", id, r.Plan)
	}
	if pruned && (p.Steps[0].Params != nil || len(p.Manual) != 0) {
		t.Errorf("%s: pruned plan kept its parameters: %s", id, r.Plan)
	}
}

// TestDatabaseFileMode: the database holds plans and alert bodies, so only its owner reads it,
// whether the file is new or was left readable by others by an older version.
func TestDatabaseFileMode(t *testing.T) {
	for _, existing := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "sub", "cisbot.db")
		if existing {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
				t.Fatal(err)
			}
		}
		checkFileMode(t, path)
	}
}

func checkFileMode(t *testing.T, path string) {
	t.Helper()
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RecordAudits(context.Background(), []AuditRecord{{Account: "prod", At: base, Status: AuditPass}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(name), mode)
		}
	}
}
