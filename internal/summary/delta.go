package summary

import (
	"strings"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/store"
)

// Compare sorts the results of an audit at time at into the sections of a summary, against
// each account's previous record (by account name), and returns the records to store for
// them, tagged with source.
//
// An account is compared by its verdict, the last PASS or FAIL it had: an audit that could
// not run (ERROR) says nothing about compliance, so an account that failed, could not be
// audited once, and fails again is still failing, since its first failure. An account with no
// earlier verdict that passes is unchanged; one that fails is newly failing.
func Compare(results []cis.Result, prev map[string]store.AuditRecord, at time.Time, source string) (Digest, []store.AuditRecord) {
	var s Digest
	recs := make([]store.AuditRecord, 0, len(results))
	for _, res := range results {
		p, had := prev[res.Account]
		verdict, since := "", time.Time{}
		if had {
			verdict, since = p.Verdict, p.Since
		}
		line := Line{Account: res.Account, AccountID: res.AccountID, Status: res.Status, Reason: res.Reason, Verdict: verdict}
		if res.FailedStep != nil {
			line.FailedStep = string(*res.FailedStep)
			if res.Status == cis.StatusFail {
				// A failure's step is shown on its own ("fails at subscriber: …"): its reason
				// is kept without it. An error's reason keeps it ("trail: AccessDenied").
				line.Reason = strings.TrimPrefix(res.Reason, line.FailedStep+": ")
			}
		}
		rec := store.AuditRecord{
			Account: res.Account, AccountID: res.AccountID, At: at, Status: string(res.Status),
			FailedStep: line.FailedStep, Reason: line.Reason, Source: source,
		}
		switch res.Status {
		case cis.StatusPass:
			s.Pass++
			rec.Verdict, rec.Since = store.AuditPass, at
			if verdict == store.AuditPass && !since.IsZero() {
				rec.Since = since
			}
			line.Since = rec.Since
			if verdict == store.AuditFail {
				s.NewlyPassing = append(s.NewlyPassing, line)
			} else {
				s.Unchanged++
			}
		case cis.StatusFail:
			rec.Verdict, rec.Since = store.AuditFail, at
			if verdict == store.AuditFail && !since.IsZero() {
				rec.Since = since
			}
			line.Since = rec.Since
			if verdict == store.AuditFail {
				s.StillFailing = append(s.StillFailing, line)
			} else {
				s.NewlyFailing = append(s.NewlyFailing, line)
			}
		default:
			rec.Status = store.AuditError
			rec.Verdict, rec.Since = verdict, since
			line.Since = since
			s.Errors = append(s.Errors, line)
		}
		recs = append(recs, rec)
	}
	s.Total = len(results)
	s.At = at
	return s, recs
}
