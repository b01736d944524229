package summary

import (
	"reflect"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

var (
	t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // Monday 09:00 in Berlin
	t1 = t0.Add(24 * time.Hour)
)

func result(account string, st cis.Status, step cis.Step) cis.ControlResult {
	return controlResult(account, "4.1", st, step)
}

func controlResult(account, control string, st cis.Status, step cis.Step) cis.ControlResult {
	r := cis.Result{Account: account, AccountID: "1111", Status: st, Reason: string(st) + " reason"}
	if step != "" {
		r.FailedStep = &step
	}
	return cis.ControlResult{Control: control, Result: r}
}

func record(account, status, verdict string, since time.Time) store.AuditRecord {
	return store.AuditRecord{Account: account, Control: "4.1", At: t0, Status: status, Verdict: verdict, Since: since}
}

// TestCompare: each account's section and the record kept for it, by its previous record.
func TestCompare(t *testing.T) {
	earlier := t0.Add(-72 * time.Hour)
	type want struct {
		section string // newly_failing, newly_passing, still_failing, errors, unchanged
		verdict string
		since   time.Time
		line    time.Time // the Line's Since
	}
	for _, tc := range []struct {
		name string
		res  cis.ControlResult
		prev *store.AuditRecord
		want want
	}{
		{"first audit passes", result("a", cis.StatusPass, ""), nil, want{"unchanged", "PASS", t1, t1}},
		{"first audit fails", result("a", cis.StatusFail, cis.StepAlarm), nil, want{"newly_failing", "FAIL", t1, t1}},
		{"first audit errs", result("a", cis.StatusError, cis.StepTrail), nil, want{"errors", "", time.Time{}, time.Time{}}},
		{"pass after pass keeps since", result("a", cis.StatusPass, ""), new(record("a", "PASS", "PASS", earlier)), want{"unchanged", "PASS", earlier, earlier}},
		{"pass after fail", result("a", cis.StatusPass, ""), new(record("a", "FAIL", "FAIL", earlier)), want{"newly_passing", "PASS", t1, t1}},
		{"fail after pass", result("a", cis.StatusFail, cis.StepSubscriber), new(record("a", "PASS", "PASS", earlier)), want{"newly_failing", "FAIL", t1, t1}},
		{"fail after fail keeps since", result("a", cis.StatusFail, cis.StepAlarm), new(record("a", "FAIL", "FAIL", earlier)), want{"still_failing", "FAIL", earlier, earlier}},
		{"fail after an error that followed a failure", result("a", cis.StatusFail, cis.StepAlarm), new(record("a", "ERROR", "FAIL", earlier)), want{"still_failing", "FAIL", earlier, earlier}},
		{"fail after an error that followed a pass", result("a", cis.StatusFail, cis.StepAlarm), new(record("a", "ERROR", "PASS", earlier)), want{"newly_failing", "FAIL", t1, t1}},
		{"pass after an error that followed a failure", result("a", cis.StatusPass, ""), new(record("a", "ERROR", "FAIL", earlier)), want{"newly_passing", "PASS", t1, t1}},
		{"error keeps the verdict", result("a", cis.StatusError, cis.StepTrail), new(record("a", "FAIL", "FAIL", earlier)), want{"errors", "FAIL", earlier, earlier}},
		{"error after error", result("a", cis.StatusError, cis.StepTrail), new(record("a", "ERROR", "", time.Time{})), want{"errors", "", time.Time{}, time.Time{}}},
		{"fail after a fail without since", result("a", cis.StatusFail, cis.StepAlarm), new(record("a", "FAIL", "FAIL", time.Time{})), want{"still_failing", "FAIL", t1, t1}},
		{"an unknown status is an error", cis.ControlResult{Control: "4.1", Result: cis.Result{Account: "a", Status: "N/A"}}, nil, want{"errors", "", time.Time{}, time.Time{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := []store.AuditRecord{record("other", "FAIL", "FAIL", earlier)} // not audited: not in the summary
			if tc.prev != nil {
				prev = append(prev, *tc.prev)
			}
			s, recs := Compare([]cis.ControlResult{tc.res}, PreviousByPair(prev), t1, "sched")
			sections := map[string][]Line{
				"newly_failing": s.NewlyFailing, "newly_passing": s.NewlyPassing,
				"still_failing": s.StillFailing, "errors": s.Errors,
			}
			var got string
			var line Line
			for name, ls := range sections {
				if len(ls) > 1 {
					t.Fatalf("%s holds %d lines", name, len(ls))
				}
				if len(ls) == 1 {
					if got != "" {
						t.Fatalf("the account is in %s and %s", got, name)
					}
					got, line = name, ls[0]
				}
			}
			if s.Unchanged == 1 {
				if got != "" {
					t.Fatalf("the account is in %s and unchanged", got)
				}
				got = "unchanged"
			}
			if got != tc.want.section {
				t.Errorf("section %q, want %q", got, tc.want.section)
			}
			if got != "unchanged" && !line.Since.Equal(tc.want.line) {
				t.Errorf("line since %v, want %v", line.Since, tc.want.line)
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			r := recs[0]
			wantStatus := string(tc.res.Status)
			if tc.res.Status != cis.StatusPass && tc.res.Status != cis.StatusFail {
				wantStatus = store.AuditError
			}
			if r.Account != "a" || r.Control != "4.1" || r.Status != wantStatus || r.Verdict != tc.want.verdict || !r.Since.Equal(tc.want.since) || !r.At.Equal(t1) || r.Source != "sched" {
				t.Errorf("record %+v, want status %s verdict %q since %v", r, wantStatus, tc.want.verdict, tc.want.since)
			}
			if s.Total != 1 || s.Pass != map[bool]int{true: 1, false: 0}[tc.res.Status == cis.StatusPass] {
				t.Errorf("pass %d of %d", s.Pass, s.Total)
			}
		})
	}
}

// TestCompareOrder: sections keep the audit's order, and carry the failing step and reason.
func TestCompareOrder(t *testing.T) {
	results := []cis.ControlResult{
		result("z", cis.StatusFail, cis.StepAlarm),
		result("b", cis.StatusPass, ""),
		result("a", cis.StatusFail, cis.StepTrail),
		result("y", cis.StatusFail, cis.StepMetricFilter),
		result("c", cis.StatusError, cis.StepTrail),
	}
	prev := PreviousByPair([]store.AuditRecord{record("y", "FAIL", "FAIL", t0)})
	s, recs := Compare(results, prev, t1, "s")
	want := []Line{
		{Account: "z", AccountID: "1111", Control: "4.1", Status: cis.StatusFail, FailedStep: "alarm", Reason: "FAIL reason", Since: t1},
		{Account: "a", AccountID: "1111", Control: "4.1", Status: cis.StatusFail, FailedStep: "trail", Reason: "FAIL reason", Since: t1},
	}
	if !reflect.DeepEqual(s.NewlyFailing, want) {
		t.Errorf("newly failing:\n got %+v\nwant %+v", s.NewlyFailing, want)
	}
	if len(s.StillFailing) != 1 || s.StillFailing[0].FailedStep != "metric_filter" || !s.StillFailing[0].Since.Equal(t0) {
		t.Errorf("still failing: %+v", s.StillFailing)
	}
	if f := s.Failing(); len(f) != 3 || f[0].Account != "z" || f[2].Account != "y" {
		t.Errorf("Failing() = %+v, want newly failing then still failing", f)
	}
	if len(recs) != len(results) || s.Unchanged != 1 || s.Pass != 1 || s.Total != 5 || len(s.Errors) != 1 {
		t.Errorf("%d records, %+v", len(recs), s)
	}
}

// TestCompareReason: a failure's step is shown on its own, so the reason kept and shown loses
// the "step: " the audit puts in front of it; other reasons (and errors') stay whole.
func TestCompareReason(t *testing.T) {
	step := cis.StepSubscriber
	for _, tc := range []struct {
		name string
		res  cis.Result
		want string
	}{
		{"step prefix dropped", cis.Result{Account: "a", Status: cis.StatusFail, FailedStep: &step,
			Reason: "subscriber: topic cis-alarms has no confirmed subscription"}, "topic cis-alarms has no confirmed subscription"},
		{"another prefix kept", cis.Result{Account: "a", Status: cis.StatusFail, FailedStep: &step,
			Reason: "alarm: no alarm"}, "alarm: no alarm"},
		{"no step", cis.Result{Account: "a", Status: cis.StatusPass, Reason: "every step of the CIS chain passes: ok"}, "every step of the CIS chain passes: ok"},
		{"an error keeps its step", cis.Result{Account: "a", Status: cis.StatusError, FailedStep: &step,
			Reason: "subscriber: AccessDenied"}, "subscriber: AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, recs := Compare([]cis.ControlResult{{Control: "4.1", Result: tc.res}}, nil, t1, "s")
			lines := append(append(s.NewlyFailing, s.StillFailing...), s.Errors...)
			if len(recs) != 1 || recs[0].Reason != tc.want {
				t.Errorf("record reason %q, want %q", recs[0].Reason, tc.want)
			}
			for _, l := range lines {
				if l.Reason != tc.want {
					t.Errorf("line reason %q, want %q", l.Reason, tc.want)
				}
			}
		})
	}
}

// TestComparePairs: each (account, control) pair is compared with its own last record, and the
// account counts its controls.
func TestComparePairs(t *testing.T) {
	earlier := t0.Add(-72 * time.Hour)
	rec := func(account, control, status, verdict string) store.AuditRecord {
		return store.AuditRecord{Account: account, Control: control, At: t0, Status: status, Verdict: verdict, Since: earlier}
	}
	// sections is each pair's section, as "account control section".
	type want struct {
		pairs      []string
		pass, tot  int // prod's controls
		accountsOK int
	}
	for _, tc := range []struct {
		name    string
		results []cis.ControlResult
		prev    []store.AuditRecord
		want    want
	}{
		{"a pair newly failing while another of the account passes",
			[]cis.ControlResult{controlResult("prod", "4.1", cis.StatusPass, ""), controlResult("prod", "4.3", cis.StatusFail, cis.StepMetricFilter)},
			[]store.AuditRecord{rec("prod", "4.1", "PASS", "PASS"), rec("prod", "4.3", "PASS", "PASS")},
			want{[]string{"prod 4.1 unchanged", "prod 4.3 newly_failing"}, 1, 2, 0}},
		{"another control's failure does not make a pair still failing",
			[]cis.ControlResult{controlResult("prod", "4.1", cis.StatusPass, ""), controlResult("prod", "4.3", cis.StatusFail, cis.StepAlarm)},
			[]store.AuditRecord{rec("prod", "4.1", "FAIL", "FAIL"), rec("prod", "4.3", "PASS", "PASS")},
			want{[]string{"prod 4.1 newly_passing", "prod 4.3 newly_failing"}, 1, 2, 0}},
		{"an error keeps the pair's verdict",
			[]cis.ControlResult{controlResult("prod", "4.1", cis.StatusError, cis.StepTrail), controlResult("prod", "4.3", cis.StatusFail, cis.StepAlarm)},
			[]store.AuditRecord{rec("prod", "4.1", "FAIL", "FAIL"), rec("prod", "4.3", "ERROR", "FAIL")},
			want{[]string{"prod 4.1 errors FAIL", "prod 4.3 still_failing"}, 0, 2, 0}},
		{"first audit of a new control",
			[]cis.ControlResult{controlResult("prod", "4.1", cis.StatusFail, cis.StepAlarm), controlResult("prod", "4.15", cis.StatusFail, cis.StepMetricFilter), controlResult("dev", "4.15", cis.StatusPass, "")},
			// a record of 4.1 from before controls were recorded names none
			[]store.AuditRecord{{Account: "prod", At: t0, Status: "FAIL", Verdict: "FAIL", Since: earlier}},
			want{[]string{"prod 4.1 still_failing", "prod 4.15 newly_failing", "dev 4.15 unchanged"}, 0, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, recs := Compare(tc.results, PreviousByPair(tc.prev), t1, "sched")
			got := map[string]string{}
			for name, ls := range map[string][]Line{"newly_failing": s.NewlyFailing, "newly_passing": s.NewlyPassing, "still_failing": s.StillFailing, "errors": s.Errors} {
				for _, l := range ls {
					got[l.Account+" "+l.Control] = name
					if name == "errors" {
						got[l.Account+" "+l.Control] += " " + l.Verdict
					}
				}
			}
			var pairs []string
			for _, r := range tc.results {
				k := r.Account + " " + r.Control
				sec, ok := got[k]
				if !ok {
					sec = "unchanged"
				}
				pairs = append(pairs, k+" "+sec)
			}
			if !reflect.DeepEqual(pairs, tc.want.pairs) {
				t.Errorf("pairs %q, want %q", pairs, tc.want.pairs)
			}
			if len(recs) != len(tc.results) {
				t.Fatalf("%d records, want %d", len(recs), len(tc.results))
			}
			for i, r := range recs {
				if r.Account != tc.results[i].Account || r.Control != tc.results[i].Control {
					t.Errorf("record %d is of %s %s, want %s %s", i, r.Account, r.Control, tc.results[i].Account, tc.results[i].Control)
				}
			}
			prod := s.Accounts[0]
			if prod.Account != "prod" || prod.Pass != tc.want.pass || prod.Total != tc.want.tot {
				t.Errorf("prod %s, want %d/%d", prod.Ratio(), tc.want.pass, tc.want.tot)
			}
			if n := s.AccountsPassing(); n != tc.want.accountsOK {
				t.Errorf("%d accounts pass all, want %d", n, tc.want.accountsOK)
			}
		})
	}
}
