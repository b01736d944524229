package cis

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNewControlsReport(t *testing.T) {
	logging := StepLogging
	pass := Result{Account: "prod", AccountID: "111111111111", Status: StatusPass, Checks: []Check{}, Warnings: []string{}}
	fail := Result{Account: "dev", AccountID: "222222222222", Status: StatusFail, FailedStep: &logging, Reason: "logging: the trail is not logging", Checks: []Check{}, Warnings: []string{}}
	errored := Result{Account: "dev", Status: StatusError, Checks: []Check{}, Warnings: []string{}}
	tests := []struct {
		name     string
		controls []string
		results  [][]Result
		want     StatusCounts
		prefix   string // of the JSON
	}{
		{"none", []string{"4.1", "4.3"}, nil, StatusCounts{}, `{"controls":["4.1","4.3"],"results":[],"summary"`},
		{"two accounts, two controls", []string{"4.1", "4.3"}, [][]Result{{pass, pass}, {fail, errored}}, StatusCounts{Pass: 2, Fail: 1, Error: 1},
			`{"controls":["4.1","4.3"],"results":[{"control":"4.1","account":"prod","account_id":"111111111111","status":"PASS","failed_step":null,`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewControlsReport(tc.controls, tc.results)
			if r.Summary != tc.want {
				t.Errorf("summary %+v, want %+v", r.Summary, tc.want)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), tc.prefix) {
				t.Errorf("JSON %s\nwant it to start %s", b, tc.prefix)
			}
			for i, cr := range r.Results {
				if want := tc.controls[i%len(tc.controls)]; cr.Control != want || cr.Account != tc.results[i/len(tc.controls)][i%len(tc.controls)].Account {
					t.Errorf("result %d: control %s account %s, want account-major order", i, cr.Control, cr.Account)
				}
			}
		})
	}
}
