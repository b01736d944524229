package commands

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// AuditHistory is the part of the store /cis status reads.
type AuditHistory interface {
	LatestAudits(ctx context.Context, accounts []string) ([]store.AuditRecord, error)
}

// runStatus shows the latest stored result of each control of the named accounts (none: every configured
// account, then any other account the history holds, such as organization accounts), without
// auditing.
func runStatus(ctx context.Context, b *Dispatcher, _ Request, call Call, rep Replier) error {
	if b.opts.History == nil {
		_, err := rep.Post(ctx, Problem{Text: "The audit history is not configured in this bot: it needs the store (store.path) and is filled by the scheduled summaries (summaries in the config)."})
		return err
	}
	var names []string
	for _, a := range call.Args {
		name, p, ok := b.account(ctx, "status", a)
		if !ok {
			_, err := rep.Post(ctx, p)
			return err
		}
		names = append(names, name)
	}
	named := names // the accounts asked for; none reads every account's
	if len(names) == 0 && b.opts.Directory != nil {
		for _, a := range b.opts.Directory.Accounts() {
			names = append(names, a.Name)
		}
	}
	recs, err := b.opts.History.LatestAudits(ctx, named)
	if err != nil {
		_, perr := rep.Post(ctx, Problem{Text: "cisbot could not read the audit history: " + err.Error()})
		return errors.Join(err, perr)
	}
	byName := statusEntries(recs)
	var st Status
	seen := map[string]bool{}
	add := func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		e, ok := byName[name]
		if !ok {
			e = StatusEntry{Account: name}
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
			if len(e.Failing()) > 0 {
				st.Actions = append(st.Actions, FixAction(e.Account, nil))
			}
		}
	}
	_, err = rep.Post(ctx, st)
	return err
}

// statusEntries groups the latest records per account, each account's controls in the order of
// cis.Controls (a control no longer in the table last); a record that names no control is
// 4.1's.
func statusEntries(recs []store.AuditRecord) map[string]StatusEntry {
	order := func(id string) int {
		if i := slices.IndexFunc(cis.Controls, func(c cis.Control) bool { return c.ID == id }); i >= 0 {
			return i
		}
		return len(cis.Controls)
	}
	out := map[string]StatusEntry{}
	for _, r := range recs {
		e := out[r.Account]
		e.Account = r.Account
		e.AccountID = cmp.Or(r.AccountID, e.AccountID)
		cs := ControlStatus{Control: cmp.Or(r.Control, store.DefaultControl), Status: r.Status, FailedStep: r.FailedStep, Reason: r.Reason, At: r.At}
		if r.Status == store.AuditFail {
			cs.Since = r.Since
			if !r.Since.IsZero() && (e.Since.IsZero() || r.Since.Before(e.Since)) {
				e.Since = r.Since
			}
		}
		if r.At.After(e.At) {
			e.At = r.At
		}
		e.Controls = append(e.Controls, cs)
		out[r.Account] = e
	}
	for name, e := range out {
		slices.SortStableFunc(e.Controls, func(a, b ControlStatus) int { return cmp.Compare(order(a.Control), order(b.Control)) })
		out[name] = e
	}
	return out
}
