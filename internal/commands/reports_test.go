package commands

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/testutil/fakeclock"
)

// TestEvidenceFromAnotherReplica: a report rendered by one dispatcher answers its Evidence
// button on another sharing the store, until ReportTTL has passed; without the store it would
// not (the other's cache is empty).
func TestEvidenceFromAnotherReplica(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "cisbot.db"))
	clock := fakeclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	newBot := func() *Dispatcher {
		return New(Options{Auditor: &fakeAuditor{report: report(cis.StatusPass, cis.StatusFail)}, Directory: fakeDirectory{},
			Now: clock.Now, Reports: st, ReportTTL: time.Hour})
	}
	one := newBot()
	rec := &recorder{}
	one.Handle(context.Background(), Request{Text: "audit prod dev"}, rec)
	rep := rec.last["2"].(Report)
	press := ActionRequest{ActionID: rep.Actions[0].ID, Value: rep.Actions[0].Value}

	for _, tc := range []struct {
		name     string
		after    time.Duration
		evidence bool
	}{
		{"at once", 0, true},
		{"before the TTL", 59 * time.Minute, true},
		{"after the TTL", 2 * time.Minute, false},
	} {
		clock.Advance(tc.after)
		other := newBot() // a replica that has not cached the report
		ev := &recorder{}
		other.HandleAction(context.Background(), press, ev)
		if e, ok := ev.last["1"].(Evidence); ok != tc.evidence || (ok && (len(e.Results) != 1 || e.Results[0].Account != "dev")) {
			t.Errorf("%s: evidence reply %+v, want evidence %v", tc.name, ev.last["1"], tc.evidence)
		}
	}
}

type failingReports struct{}

func (failingReports) PutReport(context.Context, string, []byte, time.Time) error {
	return errors.New("database down")
}

func (failingReports) GetReport(context.Context, string, time.Time) ([]byte, error) {
	return nil, errors.New("database down")
}

// TestEvidenceWithoutStore: a report the store could not keep still answers on the dispatcher
// that rendered it, from its cache.
func TestEvidenceWithoutStore(t *testing.T) {
	b := New(Options{Auditor: &fakeAuditor{report: report(cis.StatusPass, cis.StatusFail)}, Directory: fakeDirectory{}, Reports: failingReports{}})
	rec := &recorder{}
	b.Handle(context.Background(), Request{Text: "audit prod dev"}, rec)
	rep := rec.last["2"].(Report)
	ev := &recorder{}
	b.HandleAction(context.Background(), ActionRequest{ActionID: rep.Actions[0].ID, Value: rep.Actions[0].Value}, ev)
	if _, ok := ev.last["1"].(Evidence); !ok {
		t.Errorf("evidence reply %+v, want the cached evidence", ev.last["1"])
	}
}
