package cis

// Status is the verdict of an account or of one step.
type Status string

// The statuses. ERROR means the audit could not decide (a call failed or a resource is out of
// reach); it is never a silent pass.
const (
	StatusPass  Status = "PASS"
	StatusFail  Status = "FAIL"
	StatusError Status = "ERROR"
)

// Step names the links of the CIS chain, in order. Other tools rely on these names.
type Step string

// The steps of control 4.1's chain.
const (
	StepTrail            Step = "trail"
	StepLogging          Step = "logging"
	StepManagementEvents Step = "management_events"
	StepMetricFilter     Step = "metric_filter"
	StepAlarm            Step = "alarm"
	StepAlarmAction      Step = "alarm_action"
	StepSubscriber       Step = "subscriber"
)

// Steps is the chain in order.
var Steps = []Step{StepTrail, StepLogging, StepManagementEvents, StepMetricFilter, StepAlarm, StepAlarmAction, StepSubscriber}

// Check is one step's verdict with its evidence.
type Check struct {
	Step     Step   `json:"step"`
	Status   Status `json:"status"`
	Resource string `json:"resource,omitempty"` // the ARN (or name) the verdict is about
	Detail   string `json:"detail"`
}

// Result is the audit of one account. Its JSON form is a contract (cisbot audit --format json).
type Result struct {
	Account    string   `json:"account"`
	AccountID  string   `json:"account_id"`
	Status     Status   `json:"status"`
	FailedStep *Step    `json:"failed_step"`
	Reason     string   `json:"reason"`
	Fix        string   `json:"fix,omitempty"`
	Checks     []Check  `json:"checks"`
	Warnings   []string `json:"warnings"`
}

// Report is a whole audit run. Its JSON form is a contract.
type Report struct {
	Control string       `json:"control"`
	Results []Result     `json:"results"`
	Summary StatusCounts `json:"summary"`
}

// StatusCounts counts the results by status.
type StatusCounts struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Error int `json:"error"`
}

// NewReport assembles a report, keeping the results in the order given.
func NewReport(control string, results []Result) Report {
	r := Report{Control: control, Results: results}
	for _, res := range results {
		r.Summary.Add(res.Status)
	}
	return r
}

// Add counts one status.
func (c *StatusCounts) Add(s Status) {
	switch s {
	case StatusPass:
		c.Pass++
	case StatusFail:
		c.Fail++
	default:
		c.Error++
	}
}

// ControlResult is one account's result for one control, in a report of several controls; its
// JSON form is the Result's with the control's id first.
type ControlResult struct {
	Control string `json:"control"`
	Result
}

// ControlsReport is an audit run of several controls. Its JSON form is a contract (cisbot audit
// --format json with more than one control): the controls audited, one result per (account,
// control) in account order and then control order, and the summary over all of them.
type ControlsReport struct {
	Controls []string        `json:"controls"`
	Results  []ControlResult `json:"results"`
	Summary  StatusCounts    `json:"summary"`
}

// NewControlsReport assembles a report of several controls: results[i][j] is account i's result
// for controls[j], as audit.Runner.RunControls returns them.
func NewControlsReport(controls []string, results [][]Result) ControlsReport {
	r := ControlsReport{Controls: controls, Results: []ControlResult{}}
	for _, rs := range results {
		for j, res := range rs {
			r.Results = append(r.Results, ControlResult{Control: controls[j], Result: res})
			r.Summary.Add(res.Status)
		}
	}
	return r
}
