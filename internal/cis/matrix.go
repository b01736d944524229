package cis

import (
	"fmt"
	"strings"
)

// AccountRow is one account's line of a ControlsReport: its results in control order and the
// ids of the controls by status. Every view of an audit of several controls (the command line,
// Slack, the console) shows an account this way.
type AccountRow struct {
	Account   string
	AccountID string
	// Status is the account's worst: ERROR if any control could not be audited, else FAIL if
	// any fails, else PASS.
	Status  Status
	Pass    []string
	Fail    []string
	Error   []string
	Results []ControlResult
}

// Rows groups a report's results by account, in the report's account order.
func (r ControlsReport) Rows() []AccountRow {
	var rows []AccountRow
	index := map[string]int{}
	for _, res := range r.Results {
		i, ok := index[res.Account]
		if !ok {
			i = len(rows)
			index[res.Account] = i
			rows = append(rows, AccountRow{Account: res.Account, AccountID: res.AccountID, Status: StatusPass})
		}
		row := &rows[i]
		if row.AccountID == "" {
			row.AccountID = res.AccountID
		}
		row.Results = append(row.Results, res)
		switch res.Status {
		case StatusPass:
			row.Pass = append(row.Pass, res.Control)
		case StatusFail:
			row.Fail = append(row.Fail, res.Control)
			if row.Status == StatusPass {
				row.Status = StatusFail
			}
		default:
			row.Error = append(row.Error, res.Control)
			row.Status = StatusError
		}
	}
	return rows
}

// ControlIDs lists control ids, a run of three or more that are next to each other in the
// table as a range: 4.1, 4.3–4.15. Ids the table does not know are listed as they are.
func ControlIDs(ids []string) string {
	index := func(id string) int {
		for i := range Controls {
			if Controls[i].ID == id {
				return i
			}
		}
		return -1
	}
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && index(ids[j]) >= 0 && index(ids[j+1]) == index(ids[j])+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, ids[i]+"–"+ids[j])
		case j > i:
			parts = append(parts, ids[i], ids[j])
		default:
			parts = append(parts, ids[i])
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// ControlTitle is the title of the control with this id, or "" for an id the table does not
// know.
func ControlTitle(id string) string {
	for i := range Controls {
		if Controls[i].ID == id {
			return Controls[i].Title
		}
	}
	return ""
}

// Tally is how many of the account's controls pass and which do not, as the text views show
// it after the account: "13/15 pass  fail 4.3, 4.10  error 4.5".
func (r AccountRow) Tally() string {
	s := fmt.Sprintf("%d/%d pass", len(r.Pass), len(r.Results))
	if len(r.Fail) > 0 {
		s += "  fail " + ControlIDs(r.Fail)
	}
	if len(r.Error) > 0 {
		s += "  error " + ControlIDs(r.Error)
	}
	return s
}
