// Package replicacheck holds what two replicas of the bot sharing one store must do in Slack,
// for the tests that run them in one process and the tests that run them as two: answer a
// button on a report the other rendered, run a redelivered command once, and apply a fix
// approved by many concurrent clicks once.
package replicacheck

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/testutil/slackfake"
)

// The users of the checks: Approver must be the config's only remediation approver.
const (
	Requester = "U0REQUESTER"
	Approver  = "U0APPROVER"
)

// Requests is the part of the shared store the checks read.
type Requests interface {
	InState(ctx context.Context, state store.State) ([]store.Request, error)
	GetRequest(ctx context.Context, id string) (store.Request, error)
	Events(ctx context.Context, requestID string) ([]store.Event, error)
}

// Replicas is two replicas connected to Slack in order: Deliver(0, …) reaches the first,
// Deliver(1, …) the second.
type Replicas struct {
	Slack     *slackfake.Workspace
	Responses *slackfake.Responses
	Store     Requests
	Channel   string        // where the commands are typed
	Account   string        // the account audited and fixed; its checks fail
	Logs      func() string // both replicas' logs, for failures
}

// EvidenceAcross audits the account on the first replica and presses the report's Evidence
// button on the second, which must find the report in the store.
func (r Replicas) EvidenceAcross(t *testing.T) {
	t.Helper()
	rec := r.Responses
	r.Slack.Deliver(0, slackfake.SlashCommand("e-audit", "audit "+r.Account, Requester, r.Channel, rec.URL("audit")))
	report := rec.Wait(t, "audit", commands.ActionEvidence, 60*time.Second)
	m := regexp.MustCompile(`"value":"([0-9a-f]{12}/` + regexp.QuoteMeta(r.Account) + `)"`).FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("no Evidence button for %s in %s", r.Account, report)
	}
	r.Slack.Deliver(1, slackfake.ButtonPress("e-evidence", Requester, r.Channel, rec.URL("evidence"), commands.ActionEvidence, m[1]))
	evidence := rec.Wait(t, "evidence", "4.1", 30*time.Second)
	if strings.Contains(evidence, "no longer held") {
		t.Errorf("the second replica did not find the first one's report: %s", evidence)
	}
}

// RedeliveredOnce sends a command to the first replica and, once answered, Slack's retry of
// it to the second, which must not run it again.
func (r Replicas) RedeliveredOnce(t *testing.T) {
	t.Helper()
	rec := r.Responses
	env := slackfake.SlashCommand("e-redelivered", "help", Requester, r.Channel, rec.URL("redelivered"))
	r.Slack.Deliver(0, env)
	rec.Wait(t, "redelivered", "/cis", 30*time.Second)
	r.Slack.Deliver(1, slackfake.Redelivered(env, 1))
	// The second replica says it dropped the retry, having found the delivery claimed.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(r.Logs(), "ignored a delivery already run"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the retry was not dropped as a delivery already run; replies %q\n%s", rec.Posts("redelivered"), r.Logs())
		}
	}
	time.Sleep(200 * time.Millisecond) // a second reply, were the retry run all the same, would come now
	if n := len(rec.Posts("redelivered")); n != 1 {
		t.Errorf("%d replies to a command delivered twice, want 1", n)
	}
}

// ApprovalsOnce asks for a fix of the account on the first replica and sends 20 concurrent
// Approve clicks spread over both: the fix is approved and applied once, and the 19 other
// clicks are told it was decided already.
func (r Replicas) ApprovalsOnce(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	rec := r.Responses
	r.Slack.Deliver(0, slackfake.SlashCommand("e-fix", "fix "+r.Account, Requester, r.Channel, rec.URL("fix")))
	var pending []store.Request
	var err error
	for deadline := time.Now().Add(60 * time.Second); len(pending) == 0; time.Sleep(50 * time.Millisecond) {
		if pending, err = r.Store.InState(ctx, store.StatePending); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending fix request; replies %q\n%s", rec.Posts("fix"), r.Logs())
		}
	}
	id := pending[0].ID
	const clicks = 20
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Go(func() {
			r.Slack.Deliver(i, slackfake.ButtonPress(fmt.Sprintf("e-approve-%d", i), Approver, r.Channel,
				rec.URL(fmt.Sprintf("approve-%d", i)), commands.ActionApprove, id))
		})
	}
	wg.Wait()
	var req store.Request
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if req, err = r.Store.GetRequest(ctx, id); err != nil {
			t.Fatal(err)
		}
		if req.State != store.StatePending && req.State != store.StateApplying {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s still %s\n%s", id, req.State, r.Logs())
		}
	}
	if req.State != store.StateApplied {
		t.Errorf("request %s ended %s, want applied\n%s", id, req.State, r.Logs())
	}
	evs, err := r.Store.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range evs {
		counts[e.Kind]++
	}
	if counts[store.EventApproved] != 1 || counts[store.EventApplied] != 1 {
		t.Errorf("events %v: want one approval and one apply", counts)
	}
	refused := 0
	for i := range clicks {
		for _, p := range rec.Posts(fmt.Sprintf("approve-%d", i)) {
			if strings.Contains(p, "was already decided") {
				refused++
			}
		}
	}
	if refused != clicks-1 {
		t.Errorf("%d clicks told the request was decided already, want %d", refused, clicks-1)
	}
}
