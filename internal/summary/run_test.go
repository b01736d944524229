package summary

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

type fakeAuditor struct {
	results []cis.ControlResult
	err     error
	cancel  context.CancelFunc // called during the audit, when set
}

func (f *fakeAuditor) Audit(context.Context, []string, []*cis.Control, func(done, total int)) (cis.ControlsReport, error) {
	if f.cancel != nil {
		f.cancel()
	}
	if f.err != nil {
		return cis.ControlsReport{}, f.err
	}
	return controlsReport(f.results), nil
}

// controlsReport is a report of the results' controls.
func controlsReport(results []cis.ControlResult) cis.ControlsReport {
	r := cis.ControlsReport{Results: results}
	for _, res := range results {
		if !slices.Contains(r.Controls, res.Control) {
			r.Controls = append(r.Controls, res.Control)
		}
		r.Summary.Add(res.Status)
	}
	return r
}

type fakePoster struct {
	posted []Digest
	err    error
}

func (f *fakePoster) PostSummary(_ context.Context, s Digest) error {
	if f.err != nil {
		return f.err
	}
	f.posted = append(f.posted, s)
	return nil
}

// TestRunOutcomes: what a run leaves in the store and Slack when a part fails.
func TestRunOutcomes(t *testing.T) {
	results := []cis.ControlResult{result("prod", cis.StatusPass, ""), controlResult("prod", "4.3", cis.StatusFail, cis.StepMetricFilter), result("dev", cis.StatusFail, cis.StepAlarm)}
	spec := Spec{ID: "s1", Channel: "C0SUMMARY1"}
	for _, tc := range []struct {
		name     string
		auditor  *fakeAuditor
		poster   *fakePoster
		cancel   bool
		err      string // "" for success
		posted   int
		recorded int // (account, control) records afterwards
		tickErr  string
	}{
		{"posted", &fakeAuditor{results: results}, &fakePoster{}, false, "", 1, 3, ""},
		{"post fails", &fakeAuditor{results: results}, &fakePoster{err: errors.New("slack: the bot is not in channel C0SUMMARY1")}, false,
			"post to C0SUMMARY1: slack: the bot is not in channel", 0, 3, "not in channel"},
		{"audit cannot start", &fakeAuditor{err: errors.New("list the organization's accounts: AccessDenied")}, &fakePoster{}, false,
			"the audit could not start: list the organization's accounts", 0, 0, "could not start"},
		{"stopped during the audit", &fakeAuditor{results: results}, &fakePoster{}, true, "stopped before it was posted", 0, 0, "stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cisbot.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				tc.auditor.cancel = cancel
			}
			r := &Runner{Auditor: tc.auditor, History: st, Ticks: st, Poster: tc.poster, Owner: "me", Now: func() time.Time { return t1 }}
			_, err = r.Run(ctx, spec, t1)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("Run = %v, want %q", err, tc.err)
			}
			if len(tc.poster.posted) != tc.posted {
				t.Errorf("%d posted, want %d", len(tc.poster.posted), tc.posted)
			}
			bg := context.Background()
			recs, _ := st.LatestAudits(bg, nil)
			if len(recs) != tc.recorded {
				t.Errorf("%d pairs recorded, want %d", len(recs), tc.recorded)
			}
			// Only a posted summary is the next one's "last summary".
			last, found, err := st.LastPosted(bg, spec.ID, t1.Add(time.Hour))
			if err != nil || found != (tc.posted == 1) || found && (last.Pass != 1 || last.Total != 3) {
				t.Errorf("LastPosted = %+v, %v, %v", last, found, err)
			}
			// The tick stays claimed either way: no second post for it.
			if ok, _ := st.ClaimTick(bg, spec.ID, t1, "other", t1, 0); ok {
				t.Error("the tick could be claimed again")
			}
			if _, err := r.Run(bg, spec, t1); !errors.Is(err, ErrClaimed) {
				t.Errorf("a second run of the tick: %v, want ErrClaimed", err)
			}
		})
	}
}

// TestPreview: a dry run audits and compares, and changes nothing.
func TestPreview(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cisbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.RecordAudits(ctx, []store.AuditRecord{{Account: "dev", At: t0, Status: store.AuditFail, Verdict: store.AuditFail, Since: t0}}); err != nil {
		t.Fatal(err)
	}
	p := &fakePoster{}
	r := &Runner{Auditor: &fakeAuditor{results: []cis.ControlResult{result("dev", cis.StatusFail, cis.StepAlarm)}}, History: st, Ticks: st, Poster: p, Owner: "me", Now: func() time.Time { return t1 }}
	s, err := r.Preview(ctx, Spec{ID: "s1", Channel: "C0SUMMARY1"})
	if err != nil || len(s.StillFailing) != 1 || !s.StillFailing[0].Since.Equal(t0) || s.Channel != "C0SUMMARY1" {
		t.Fatalf("Preview = %+v, %v", s, err)
	}
	if recs, _ := st.AccountAudits(ctx, "dev", 10); len(recs) != 1 || len(p.posted) != 0 {
		t.Errorf("the dry run recorded %d results or posted %d summaries", len(recs)-1, len(p.posted))
	}
	if ok, _ := st.ClaimTick(ctx, "s1", t1, "other", t1, 0); !ok {
		t.Error("the dry run claimed a tick")
	}
}
