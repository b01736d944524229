package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/remediate"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// One plan fixes controls 4.1 and 4.3 at once in moto: the stopped trail is started and the
// new topic created once, each control gets its own filter and alarm, both alarms notify the
// one topic, and afterwards an audit of both passes.
func TestRemediateControlsAtOnce(t *testing.T) {
	r := newRemediated(t, awsaccount.Scenario{NotLogging: true}, deleteFilter, deleteAlarm, deleteTopic)
	rem := &Remediator{Accounts: r.accounts, Options: cis.PlanOptions{Subscribe: []string{secops}}}
	ctls := []*cis.Control{mustLookup(t, "4.1"), mustLookup(t, "4.3")}
	fix, err := remediate.Run(context.Background(), rem, "acct", ctls, "req-8", remediate.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range fix.Plan.Steps {
		got = append(got, s.Info().Control+":"+s.Kind())
	}
	want := ":start_logging :create_topic :subscribe 4.1:put_metric_filter 4.1:put_metric_alarm 4.3:put_metric_filter 4.3:put_metric_alarm"
	if strings.Join(got, " ") != want {
		t.Fatalf("plan %s\nwant %s", strings.Join(got, " "), want)
	}
	if len(fix.Before) != 2 || fix.Before[0].Status != cis.StatusFail || fix.Before[1].Control != "4.3" || fix.Before[1].Status != cis.StatusFail {
		t.Errorf("before %+v", fix.Before)
	}
	if fix.Applied == nil || !fix.Applied.OK || fix.ApplyErr != nil || fix.AfterErr != nil {
		t.Fatalf("applied %+v, %v, %v", fix.Applied, fix.ApplyErr, fix.AfterErr)
	}
	if !remediate.AllPass(fix.After) || len(fix.After) != 2 {
		t.Errorf("after %+v", fix.After)
	}
	st := r.state(t)
	if len(st.Alarms) != 2 || !strings.Contains(st.Alarms[0], r.topicARN("cis-alarms")) || !strings.Contains(st.Alarms[1], r.topicARN("cis-alarms")) {
		t.Errorf("alarms %q: both should notify %s", st.Alarms, r.topicARN("cis-alarms"))
	}

	// An audit of its own, not the remediator's, agrees.
	snap := r.accounts.Collector().Collect(context.Background(), "acct", API(r.s))
	for _, c := range ctls {
		if res := cis.Evaluate(c, snap, time.Now()); res.Status != cis.StatusPass {
			t.Errorf("control %s after the fix: %s: %s", c.ID, res.Status, res.Reason)
		}
	}
	// Planning again finds nothing to do.
	if p, _, err := rem.Plan(context.Background(), "acct", ctls, "req-9"); err != nil || !p.Passes || len(p.Steps) != 0 {
		t.Errorf("plan again: %+v, %v", p, err)
	}
}

func mustLookup(t *testing.T, id string) *cis.Control {
	t.Helper()
	c, err := cis.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
