package commands

import (
	"context"
	"errors"

	"github.com/cisbot/cisbot/internal/store"
)

// AuditHistory is the part of the store /cis status reads.
type AuditHistory interface {
	LatestAudits(ctx context.Context, accounts []string) ([]store.AuditRecord, error)
}

// runStatus shows the latest stored result of the named accounts (none: every configured
// account, then any other account the history holds, such as organization accounts), without
// auditing.
func runStatus(ctx context.Context, b *Dispatcher, _ Request, call Call, rep Replier) error {
	if b.opts.History == nil {
		_, err := rep.Post(ctx, Problem{Text: "The audit history is not configured in this bot: it needs the store (store.path) and is filled by the scheduled summaries (summaries in the config)."})
		return err
	}
	for _, a := range call.Args {
		if p, bad := b.unknownAccount("status", a); bad {
			_, err := rep.Post(ctx, p)
			return err
		}
	}
	names := call.Args
	if len(names) == 0 && b.opts.Directory != nil {
		for _, a := range b.opts.Directory.Accounts() {
			names = append(names, a.Name)
		}
	}
	recs, err := b.opts.History.LatestAudits(ctx, call.Args)
	if err != nil {
		_, perr := rep.Post(ctx, Problem{Text: "cisbot could not read the audit history: " + err.Error()})
		return errors.Join(err, perr)
	}
	byName := make(map[string]store.AuditRecord, len(recs))
	for _, r := range recs {
		byName[r.Account] = r
	}
	var st Status
	seen := map[string]bool{}
	add := func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		e := StatusEntry{Account: name}
		if r, ok := byName[name]; ok {
			e = StatusEntry{Account: name, AccountID: r.AccountID, Status: r.Status, FailedStep: r.FailedStep, Reason: r.Reason, At: r.At}
			if r.Status == store.AuditFail {
				e.Since = r.Since
			}
		}
		st.Entries = append(st.Entries, e)
	}
	for _, n := range names {
		add(n)
	}
	if len(call.Args) == 0 {
		for _, r := range recs { // recorded but not configured (organization accounts), by name
			add(r.Account)
		}
	}
	if b.remediation() {
		for _, e := range st.Entries {
			if e.Status == store.AuditFail {
				st.Actions = append(st.Actions, Action{ID: ActionFix, Label: "Fix: " + e.Account, Value: e.Account})
			}
		}
	}
	_, err = rep.Post(ctx, st)
	return err
}
