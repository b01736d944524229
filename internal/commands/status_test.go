package commands

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/store"
)

func TestStatus(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "cisbot.db"))
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	since := at.Add(-48 * time.Hour)
	older := at.Add(-96 * time.Hour)
	if err := st.RecordAudits(context.Background(), []store.AuditRecord{
		{Account: "dev", Control: "4.1", AccountID: "222222222222", At: at.Add(-time.Hour), Status: store.AuditPass, Verdict: store.AuditPass, Since: at},
		{Account: "dev", Control: "4.1", AccountID: "222222222222", At: at, Status: store.AuditFail, FailedStep: "alarm", Reason: "no alarm", Verdict: store.AuditFail, Since: since},
		{Account: "dev", Control: "4.10", AccountID: "222222222222", At: at, Status: store.AuditError, Reason: "Throttling", Verdict: store.AuditPass, Since: older},
		{Account: "dev", Control: "4.3", AccountID: "222222222222", At: at, Status: store.AuditFail, FailedStep: "metric_filter", Reason: "no filter", Verdict: store.AuditFail, Since: older},
		{Account: "dev", Control: "4.2", AccountID: "222222222222", At: at, Status: store.AuditPass, Verdict: store.AuditPass, Since: older},
		// a record from before controls were recorded is 4.1's
		{Account: "123456789012", AccountID: "123456789012", At: at, Status: store.AuditError, Reason: "AccessDenied", Verdict: store.AuditPass, Since: since},
	}); err != nil {
		t.Fatal(err)
	}
	dev := StatusEntry{Account: "dev", AccountID: "222222222222", At: at, Since: older, Controls: []ControlStatus{
		{Control: "4.1", Status: "FAIL", FailedStep: "alarm", Reason: "no alarm", At: at, Since: since},
		{Control: "4.2", Status: "PASS", At: at},
		{Control: "4.3", Status: "FAIL", FailedStep: "metric_filter", Reason: "no filter", At: at, Since: older},
		{Control: "4.10", Status: "ERROR", Reason: "Throttling", At: at},
	}}
	org := StatusEntry{Account: "123456789012", AccountID: "123456789012", At: at, Controls: []ControlStatus{{Control: "4.1", Status: "ERROR", Reason: "AccessDenied", At: at}}}
	if dev.Ratio() != "1/15" || !reflect.DeepEqual(dev.Failing(), []string{"4.1", "4.3"}) || !reflect.DeepEqual(dev.Erroring(), []string{"4.10"}) || len(dev.Unaudited()) != 11 {
		t.Errorf("dev %s, failing %v, erroring %v, unaudited %v", dev.Ratio(), dev.Failing(), dev.Erroring(), dev.Unaudited())
	}
	for _, tc := range []struct {
		name    string
		text    string
		rem     Remediator
		want    []StatusEntry
		actions []string
	}{
		// Configured accounts in config order (prod never audited), then recorded others.
		{"all", "status", nil, []StatusEntry{{Account: "prod"}, dev, org}, nil},
		{"named", "status dev prod dev", nil, []StatusEntry{dev, {Account: "prod"}}, nil},
		{"fix buttons", "status", &fakeRemediator{}, []StatusEntry{{Account: "prod"}, dev, org}, []string{"cis_fix_start dev"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Options{Directory: fakeDirectory{}, History: st, Remediator: tc.rem, Requests: st})
			rec := &recorder{}
			b.Handle(context.Background(), Request{Text: tc.text, UserID: "U1"}, rec)
			if len(rec.events) != 1 || rec.events[0] != "post commands.Status" {
				t.Fatalf("replies %v, want one Status", rec.events)
			}
			got := rec.last["1"].(Status)
			if !reflect.DeepEqual(got.Entries, tc.want) {
				t.Errorf("entries:\n got %+v\nwant %+v", got.Entries, tc.want)
			}
			var actions []string
			for _, a := range got.Actions {
				actions = append(actions, a.ID+" "+a.Value)
			}
			if !reflect.DeepEqual(actions, tc.actions) {
				t.Errorf("actions %v, want %v", actions, tc.actions)
			}
		})
	}
}

func TestStatusProblems(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "cisbot.db"))
	for _, tc := range []struct {
		name    string
		history AuditHistory
		text    string
		want    string
	}{
		{"unknown account", st, "status prdo", "did you mean prod"},
		{"no history", nil, "status", "audit history is not configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Options{Directory: fakeDirectory{}, History: tc.history})
			rec := &recorder{}
			b.Handle(context.Background(), Request{Text: tc.text, UserID: "U1"}, rec)
			p, ok := rec.last["1"].(Problem)
			if !ok || !strings.Contains(p.Text, tc.want) {
				t.Errorf("reply %+v, want a problem saying %q", rec.last["1"], tc.want)
			}
		})
	}
}
