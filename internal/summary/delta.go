package summary

import (
	"strings"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// Pair names one (account, control) of the audit history.
type Pair struct{ Account, Control string }

// PreviousByPair indexes the latest records by (account, control); a record that names no
// control is 4.1's.
func PreviousByPair(recs []store.AuditRecord) map[Pair]store.AuditRecord {
	prev := make(map[Pair]store.AuditRecord, len(recs))
	for _, r := range recs {
		c := r.Control
		if c == "" {
			c = store.DefaultControl
		}
		prev[Pair{r.Account, c}] = r
	}
	return prev
}

// Compare sorts the results of an audit at time at into the sections of a summary, each
// (account, control) pair against that pair's previous record, groups them per account, and
// returns the records to store for them, tagged with source.
//
// A pair is compared by its verdict, the last PASS or FAIL it had: an audit that could not run
// (ERROR) says nothing about compliance, so a pair that failed, could not be audited once, and
// fails again is still failing, since its first failure. A pair with no earlier verdict (the
// first audit of an account, or of a control) that passes is unchanged; one that fails is newly
// failing.
func Compare(results []cis.ControlResult, prev map[Pair]store.AuditRecord, at time.Time, source string) (Digest, []store.AuditRecord) {
	s := Digest{At: at, Total: len(results)}
	recs := make([]store.AuditRecord, 0, len(results))
	index := map[string]int{} // account → its index in s.Accounts
	for _, res := range results {
		i, ok := index[res.Account]
		if !ok {
			i = len(s.Accounts)
			index[res.Account] = i
			s.Accounts = append(s.Accounts, Account{Account: res.Account, AccountID: res.AccountID})
		}
		acct := &s.Accounts[i]
		acct.Total++
		line, rec := comparePair(res, prev[Pair{res.Account, res.Control}], at, source)
		switch res.Status {
		case cis.StatusPass:
			s.Pass++
			acct.Pass++
			if line.Verdict == store.AuditFail {
				s.NewlyPassing = append(s.NewlyPassing, line)
				acct.NewlyPassing = append(acct.NewlyPassing, line)
			} else {
				s.Unchanged++
			}
		case cis.StatusFail:
			if line.Verdict == store.AuditFail {
				s.StillFailing = append(s.StillFailing, line)
				acct.StillFailing = append(acct.StillFailing, line)
			} else {
				s.NewlyFailing = append(s.NewlyFailing, line)
				acct.NewlyFailing = append(acct.NewlyFailing, line)
			}
		default:
			s.Errors = append(s.Errors, line)
			acct.Errors = append(acct.Errors, line)
		}
		recs = append(recs, rec)
	}
	return s, recs
}

// comparePair is one pair's line and the record kept for it, given its previous record (zero
// when it has none).
func comparePair(res cis.ControlResult, p store.AuditRecord, at time.Time, source string) (Line, store.AuditRecord) {
	verdict, since := p.Verdict, p.Since
	line := Line{Account: res.Account, AccountID: res.AccountID, Control: res.Control, Status: res.Status, Reason: res.Reason, Verdict: verdict}
	if res.FailedStep != nil {
		line.FailedStep = string(*res.FailedStep)
		if res.Status == cis.StatusFail {
			// A failure's step is shown on its own ("fails at subscriber: …"): its reason is
			// kept without it. An error's reason keeps it ("trail: AccessDenied").
			line.Reason = strings.TrimPrefix(res.Reason, line.FailedStep+": ")
		}
	}
	rec := store.AuditRecord{
		Account: res.Account, Control: res.Control, AccountID: res.AccountID, At: at, Status: string(res.Status),
		FailedStep: line.FailedStep, Reason: line.Reason, Source: source,
	}
	switch res.Status {
	case cis.StatusPass, cis.StatusFail:
		rec.Verdict, rec.Since = string(res.Status), at
		if verdict == rec.Verdict && !since.IsZero() {
			rec.Since = since
		}
	default:
		line.Status = cis.StatusError
		rec.Status = store.AuditError
		rec.Verdict, rec.Since = verdict, since
	}
	line.Since = rec.Since
	return line, rec
}
