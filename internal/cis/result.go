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
		switch res.Status {
		case StatusPass:
			r.Summary.Pass++
		case StatusFail:
			r.Summary.Fail++
		default:
			r.Summary.Error++
		}
	}
	return r
}
