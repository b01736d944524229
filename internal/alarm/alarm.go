// Package alarm is the CloudWatch alarm model: it parses the message a CloudWatch metric or
// composite alarm publishes to SNS (tolerating the older and the drifting field shapes) into an
// Alarm with its trigger, its state change and its region code, and maps the Region display
// names CloudWatch sends to region codes.
package alarm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/cisbot/cisbot/internal/awsregion"
)

// MaxMessageSize is the largest SNS Message string Parse accepts:
// 256 KiB, the SNS maximum message size.
const MaxMessageSize = 256 * 1024

// ErrNotAlarm is returned (wrapped) by Parse when the message is not a
// CloudWatch metric-alarm notification at all: plain text, or JSON without
// AlarmName and NewStateValue. The relay forwards such messages as plain text.
var ErrNotAlarm = errors.New("not a CloudWatch alarm message")

// ErrTooLarge is returned (wrapped) by Parse for a message larger than
// MaxMessageSize.
var ErrTooLarge = errors.New("alarm message too large")

// Alarm states as CloudWatch sends them in NewStateValue and OldStateValue.
const (
	StateAlarm            = "ALARM"
	StateOK               = "OK"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// RegionSource says where Alarm.RegionCode came from.
type RegionSource string

// Possible values of Alarm.RegionSource.
const (
	// RegionFromARN: RegionCode was taken from AlarmArn (reliable).
	RegionFromARN RegionSource = "arn"
	// RegionFromDisplayName: there was no usable AlarmArn, and RegionCode was
	// looked up from the Region display name in a table of known names.
	RegionFromDisplayName RegionSource = "display-name"
	// RegionUnknown: no usable AlarmArn and a display name not in the table;
	// RegionCode is empty.
	RegionUnknown RegionSource = "unknown"
)

// Dimension is one metric dimension of an alarm's trigger.
type Dimension struct {
	Name  string
	Value string
}

// MetricQuery is one entry of a metric-math alarm's Trigger.Metrics. Only the
// fields the relay may show are kept; MetricStat is left raw.
type MetricQuery struct {
	ID         string
	Expression string
	Label      string
	ReturnData *bool
	MetricStat json.RawMessage
}

// Trigger describes the metric and the condition of the alarm.
type Trigger struct {
	MetricName    string
	Namespace     string
	StatisticType string // "Statistic" or "ExtendedStatistic"; empty in old messages
	// Statistic as sent: upper case with underscores (SUM, SAMPLE_COUNT) or a
	// percentile such as p90. See APIStatistic for the DescribeAlarms spelling.
	Statistic         string
	Unit              string
	Dimensions        []Dimension
	Period            int // seconds
	EvaluationPeriods int
	// DatapointsToAlarm is 0 when the message does not carry it (older
	// messages); CloudWatch then uses EvaluationPeriods.
	DatapointsToAlarm  int
	ComparisonOperator string
	// Threshold is nil for anomaly-detection alarms (and when absent).
	Threshold *float64
	// TreatMissingData normalised to missing, notBreaching, breaching, ignore,
	// or "" when empty or unrecognised; TreatMissingDataRaw is the value as sent
	// (older messages carry oddities like "- TreatMissingData:   NonBreaching").
	TreatMissingData    string
	TreatMissingDataRaw string
	// Metrics is set for metric-math alarms, which have no MetricName/Namespace.
	Metrics []MetricQuery
}

// IsMetricMath reports whether the trigger is a metric-math expression
// (Trigger.Metrics present) rather than a single metric.
func (t Trigger) IsMetricMath() bool { return len(t.Metrics) > 0 }

// APIStatistic returns Statistic in the spelling of the CloudWatch API
// (Sum, Average, Minimum, Maximum, SampleCount); percentiles and unknown values
// are returned unchanged.
func (t Trigger) APIStatistic() string {
	switch strings.ToUpper(strings.ReplaceAll(t.Statistic, "_", "")) {
	case "SUM":
		return "Sum"
	case "AVERAGE":
		return "Average"
	case "MINIMUM":
		return "Minimum"
	case "MAXIMUM":
		return "Maximum"
	case "SAMPLECOUNT":
		return "SampleCount"
	}
	return t.Statistic
}

// Alarm is a parsed CloudWatch metric-alarm notification (the SNS Message).
type Alarm struct {
	AlarmName        string
	AlarmDescription string // "" when null or absent
	AWSAccountID     string // AWSAccountId, else the account in AlarmArn
	// Region is the display name as sent ("US East (N. Virginia)",
	// "Asia Pacific - Seoul"); do not rely on it, use RegionCode.
	Region string
	// RegionCode is the region code (us-east-1); RegionSource says where it came
	// from, and it is empty when RegionSource is RegionUnknown.
	RegionCode   string
	RegionSource RegionSource
	AlarmArn     string // empty in older messages

	NewState       string
	OldState       string
	NewStateReason string
	// StateChangeTime in UTC; zero if the message did not carry it.
	StateChangeTime time.Time
	// ConfigurationUpdated is AlarmConfigurationUpdatedTimestamp (newer
	// messages), zero when absent or unparseable.
	ConfigurationUpdated time.Time

	Trigger Trigger
	// Composite is true when the message has an AlarmRule (a composite alarm);
	// such messages carry no metric trigger.
	Composite bool

	AlarmActions            []string
	OKActions               []string
	InsufficientDataActions []string
}

// DefaultEvaluationPeriod is used by EvaluationWindow when the trigger carries
// no usable Period (composite or malformed alarms).
const DefaultEvaluationPeriod = 5 * time.Minute

// MaxEvaluationWindow bounds EvaluationWindow: CloudWatch limits
// Period × EvaluationPeriods to 7 days.
const MaxEvaluationWindow = 7 * 24 * time.Hour

// EvaluationWindow returns the time range the alarm evaluated before its state
// change, for reading the events that fed the metric: end is StateChangeTime
// and start is end − Period × EvaluationPeriods (at least one period; Period
// defaults to DefaultEvaluationPeriod, the span is capped at
// MaxEvaluationWindow). Because CloudWatch datapoints are aligned to period
// boundaries, start is then rounded down to a multiple of Period since the Unix
// epoch, so the whole first evaluated datapoint is inside the window (the
// window is never shorter than the plain subtraction). Both are zero when
// StateChangeTime is zero.
func (a *Alarm) EvaluationWindow() (start, end time.Time) {
	end = a.StateChangeTime
	if end.IsZero() {
		return time.Time{}, time.Time{}
	}
	period := int64(a.Trigger.Period)
	maxSec := int64(MaxEvaluationWindow / time.Second)
	if period <= 0 {
		period = int64(DefaultEvaluationPeriod / time.Second)
	}
	if period > maxSec {
		period = maxSec
	}
	n := int64(a.Trigger.EvaluationPeriods)
	if n < 1 {
		n = 1
	}
	span := maxSec
	if n <= maxSec/period {
		span = period * n
	}
	s := end.Unix() - span
	if m := s % period; m != 0 {
		if m < 0 {
			m += period
		}
		s -= m
	}
	return time.Unix(s, 0).UTC(), end
}

// rawAlarm mirrors the message with every field left raw, so that type drift
// (null, numbers as strings) can be handled field by field.
type rawAlarm struct {
	AlarmName                          json.RawMessage `json:"AlarmName"`
	AlarmDescription                   json.RawMessage `json:"AlarmDescription"`
	AWSAccountID                       json.RawMessage `json:"AWSAccountId"`
	AlarmConfigurationUpdatedTimestamp json.RawMessage `json:"AlarmConfigurationUpdatedTimestamp"`
	NewStateValue                      json.RawMessage `json:"NewStateValue"`
	NewStateReason                     json.RawMessage `json:"NewStateReason"`
	StateChangeTime                    json.RawMessage `json:"StateChangeTime"`
	Region                             json.RawMessage `json:"Region"`
	AlarmArn                           json.RawMessage `json:"AlarmArn"`
	OldStateValue                      json.RawMessage `json:"OldStateValue"`
	OKActions                          json.RawMessage `json:"OKActions"`
	AlarmActions                       json.RawMessage `json:"AlarmActions"`
	InsufficientDataActions            json.RawMessage `json:"InsufficientDataActions"`
	Trigger                            json.RawMessage `json:"Trigger"`
	AlarmRule                          json.RawMessage `json:"AlarmRule"`
}

type rawTrigger struct {
	MetricName         json.RawMessage `json:"MetricName"`
	Namespace          json.RawMessage `json:"Namespace"`
	StatisticType      json.RawMessage `json:"StatisticType"`
	Statistic          json.RawMessage `json:"Statistic"`
	Unit               json.RawMessage `json:"Unit"`
	Dimensions         json.RawMessage `json:"Dimensions"`
	Period             json.RawMessage `json:"Period"`
	EvaluationPeriods  json.RawMessage `json:"EvaluationPeriods"`
	DatapointsToAlarm  json.RawMessage `json:"DatapointsToAlarm"`
	ComparisonOperator json.RawMessage `json:"ComparisonOperator"`
	Threshold          json.RawMessage `json:"Threshold"`
	TreatMissingData   json.RawMessage `json:"TreatMissingData"`
	Metrics            json.RawMessage `json:"Metrics"`
}

// Parse parses the Message string of an SNS notification sent by a
// CloudWatch metric alarm. It returns an error wrapping ErrNotAlarm when the
// message is not an alarm (plain text, a JSON value that is not an object, or
// an object without AlarmName and NewStateValue), an error wrapping
// ErrTooLarge above MaxMessageSize, and another error when an alarm
// message is malformed (bad JSON, wrong field types, unparseable
// StateChangeTime). Unknown fields are ignored.
func Parse(message string) (*Alarm, error) {
	if len(message) > MaxMessageSize {
		return nil, fmt.Errorf("alarm: %w: %d bytes, limit %d", ErrTooLarge, len(message), MaxMessageSize)
	}
	data := bytes.TrimSpace([]byte(message))
	if len(data) == 0 || data[0] != '{' {
		return nil, fmt.Errorf("alarm: %w: not a JSON object", ErrNotAlarm)
	}
	if !json.Valid(data) {
		// Text that merely starts with "{" is not an alarm; a broken document
		// that names the alarm fields is a malformed alarm.
		if bytes.Contains(data, []byte(`"AlarmName"`)) && bytes.Contains(data, []byte(`"NewStateValue"`)) {
			return nil, errors.New("alarm: malformed CloudWatch alarm: invalid JSON")
		}
		return nil, fmt.Errorf("alarm: %w: invalid JSON", ErrNotAlarm)
	}
	var raw rawAlarm
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("alarm: malformed CloudWatch alarm: %w", err)
	}
	if isAbsent(raw.AlarmName) || isAbsent(raw.NewStateValue) {
		return nil, fmt.Errorf("alarm: %w: no AlarmName/NewStateValue", ErrNotAlarm)
	}

	a := &Alarm{}
	p := fieldParser{}
	a.AlarmName = p.str("AlarmName", raw.AlarmName)
	a.AlarmDescription = p.str("AlarmDescription", raw.AlarmDescription)
	a.AWSAccountID = p.str("AWSAccountId", raw.AWSAccountID)
	a.NewState = p.str("NewStateValue", raw.NewStateValue)
	a.OldState = p.str("OldStateValue", raw.OldStateValue)
	a.NewStateReason = p.str("NewStateReason", raw.NewStateReason)
	a.Region = p.str("Region", raw.Region)
	a.AlarmArn = p.str("AlarmArn", raw.AlarmArn)
	changed := p.str("StateChangeTime", raw.StateChangeTime)
	updated := p.str("AlarmConfigurationUpdatedTimestamp", raw.AlarmConfigurationUpdatedTimestamp)
	a.AlarmActions = p.strs("AlarmActions", raw.AlarmActions)
	a.OKActions = p.strs("OKActions", raw.OKActions)
	a.InsufficientDataActions = p.strs("InsufficientDataActions", raw.InsufficientDataActions)
	a.Composite = !isAbsent(raw.AlarmRule)
	if !isAbsent(raw.Trigger) {
		var rt rawTrigger
		if err := json.Unmarshal(raw.Trigger, &rt); err != nil {
			p.fail("Trigger", "not an object")
		} else {
			a.Trigger = p.trigger(rt)
		}
	}
	if p.err != nil {
		return nil, p.err
	}

	if strings.TrimSpace(a.AlarmName) == "" {
		return nil, errors.New("alarm: malformed CloudWatch alarm: empty AlarmName")
	}
	if strings.TrimSpace(a.NewState) == "" {
		return nil, errors.New("alarm: malformed CloudWatch alarm: empty NewStateValue")
	}
	if changed != "" {
		t, err := parseAlarmTime(changed)
		if err != nil {
			return nil, fmt.Errorf("alarm: malformed CloudWatch alarm: StateChangeTime %q: %w", changed, err)
		}
		a.StateChangeTime = t
	}
	if updated != "" {
		if t, err := parseAlarmTime(updated); err == nil {
			a.ConfigurationUpdated = t
		}
	}

	a.setRegion()
	return a, nil
}

// setRegion sets RegionCode and RegionSource from AlarmArn, else from the Region display name,
// and the account from AlarmArn when the message carries none.
func (a *Alarm) setRegion() {
	if region, account, ok := parseAlarmARN(a.AlarmArn); ok {
		a.RegionCode, a.RegionSource = region, RegionFromARN
		if a.AWSAccountID == "" {
			a.AWSAccountID = account
		}
	} else if code, ok := RegionCodeForDisplayName(a.Region); ok {
		a.RegionCode, a.RegionSource = code, RegionFromDisplayName
	} else {
		a.RegionSource = RegionUnknown
	}
}

// alarmTimeLayouts: CloudWatch's own format (offset without colon; the
// fraction is optional when parsing) and RFC 3339.
var alarmTimeLayouts = []string{
	"2006-01-02T15:04:05Z0700",
	time.RFC3339Nano,
}

func parseAlarmTime(s string) (time.Time, error) {
	var firstErr error
	for _, layout := range alarmTimeLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t.UTC(), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}

// parseAlarmARN extracts region and account from
// arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>, whose region must be one of its
// partition's.
func parseAlarmARN(s string) (region, account string, ok bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "cloudwatch" || !strings.HasPrefix(a.Resource, "alarm:") {
		return "", "", false
	}
	if p, known := awsregion.ByID(a.Partition); !known || !p.Contains(a.Region) {
		return "", "", false
	}
	return a.Region, a.AccountID, true
}

// regionDisplayNames maps normalised display names (see normaliseRegionName)
// to region codes. Both the 2014–2017 style ("EU - Ireland") and the 2018+
// style ("EU (Ireland)", "Europe (Ireland)") normalise to the same key.
var regionDisplayNames = map[string]string{
	"us east n virginia":          "us-east-1",
	"us east ohio":                "us-east-2",
	"us west n california":        "us-west-1",
	"us west oregon":              "us-west-2",
	"africa cape town":            "af-south-1",
	"asia pacific hong kong":      "ap-east-1",
	"asia pacific hyderabad":      "ap-south-2",
	"asia pacific jakarta":        "ap-southeast-3",
	"asia pacific malaysia":       "ap-southeast-5",
	"asia pacific melbourne":      "ap-southeast-4",
	"asia pacific mumbai":         "ap-south-1",
	"asia pacific osaka":          "ap-northeast-3",
	"asia pacific osaka local":    "ap-northeast-3",
	"asia pacific seoul":          "ap-northeast-2",
	"asia pacific singapore":      "ap-southeast-1",
	"asia pacific sydney":         "ap-southeast-2",
	"asia pacific thailand":       "ap-southeast-7",
	"asia pacific tokyo":          "ap-northeast-1",
	"canada central":              "ca-central-1",
	"canada west calgary":         "ca-west-1",
	"europe frankfurt":            "eu-central-1",
	"europe ireland":              "eu-west-1",
	"europe london":               "eu-west-2",
	"europe milan":                "eu-south-1",
	"europe paris":                "eu-west-3",
	"europe spain":                "eu-south-2",
	"europe stockholm":            "eu-north-1",
	"europe zurich":               "eu-central-2",
	"israel tel aviv":             "il-central-1",
	"mexico central":              "mx-central-1",
	"middle east bahrain":         "me-south-1",
	"middle east uae":             "me-central-1",
	"south america sao paulo":     "sa-east-1",
	"aws govcloud us east":        "us-gov-east-1",
	"aws govcloud us west":        "us-gov-west-1",
	"aws govcloud us":             "us-gov-west-1",
	"china beijing":               "cn-north-1",
	"china ningxia":               "cn-northwest-1",
	"asia pacific taipei":         "ap-east-2",
	"asia pacific new zealand":    "ap-southeast-6",
	"us east northern virginia":   "us-east-1",
	"us west northern california": "us-west-1",
}

// RegionCodeForDisplayName maps a CloudWatch Region display name, old or new
// style, to its region code; ok is false for names not in the table.
func RegionCodeForDisplayName(name string) (code string, ok bool) {
	code, ok = regionDisplayNames[normaliseRegionName(name)]
	return code, ok
}

// normaliseRegionName lower-cases, folds a few accents, turns punctuation into
// spaces, collapses spaces and spells "eu" as "europe".
func normaliseRegionName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch r {
		case 'ã', 'á', 'â', 'à':
			r = 'a'
		case 'é':
			r = 'e'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else if r != '.' {
			b.WriteByte(' ')
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if rest, ok := strings.CutPrefix(s, "eu "); ok {
		s = "europe " + rest
	}
	return s
}

// normaliseTreatMissingData maps the observed spellings, including the legacy
// "- TreatMissingData:   NonBreaching", to the API values.
func normaliseTreatMissingData(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	v := strings.TrimPrefix(b.String(), "treatmissingdata")
	switch v {
	case "missing":
		return "missing"
	case "notbreaching", "nonbreaching":
		return "notBreaching"
	case "breaching":
		return "breaching"
	case "ignore":
		return "ignore"
	}
	return ""
}

// fieldParser decodes raw fields, tolerating null and some type drift, and
// keeps the first error.
type fieldParser struct{ err error }

func (p *fieldParser) fail(field, what string) {
	if p.err == nil {
		p.err = fmt.Errorf("alarm: malformed CloudWatch alarm: %s: %s", field, what)
	}
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// str accepts a string, null/absent (""), or a number or boolean (its text).
func (p *fieldParser) str(field string, raw json.RawMessage) string {
	if isAbsent(raw) {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			p.fail(field, "bad string")
		}
		return s
	case '{', '[':
		p.fail(field, "want a string")
		return ""
	}
	return string(raw) // number, true, false
}

// strs accepts an array of strings (nulls skipped), a single string, or null.
func (p *fieldParser) strs(field string, raw json.RawMessage) []string {
	if isAbsent(raw) {
		return nil
	}
	if raw[0] == '"' {
		if s := p.str(field, raw); s != "" {
			return []string{s}
		}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		p.fail(field, "want an array of strings")
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s := p.str(field, it); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// num accepts a number, a string holding a number, or null/absent (nil).
func (p *fieldParser) num(field string, raw json.RawMessage) *float64 {
	if isAbsent(raw) {
		return nil
	}
	s := string(raw)
	if raw[0] == '"' {
		s = strings.TrimSpace(p.str(field, raw))
		if s == "" {
			return nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.fail(field, "want a number")
		return nil
	}
	return &f
}

// integer is num limited to non-negative integers that fit an int32.
func (p *fieldParser) integer(field string, raw json.RawMessage) int {
	f := p.num(field, raw)
	if f == nil {
		return 0
	}
	if *f < 0 || *f > (1<<31-1) || *f != float64(int64(*f)) {
		p.fail(field, "want a non-negative integer")
		return 0
	}
	return int(*f)
}

func (p *fieldParser) trigger(rt rawTrigger) Trigger {
	t := Trigger{
		MetricName:          p.str("Trigger.MetricName", rt.MetricName),
		Namespace:           p.str("Trigger.Namespace", rt.Namespace),
		StatisticType:       p.str("Trigger.StatisticType", rt.StatisticType),
		Statistic:           p.str("Trigger.Statistic", rt.Statistic),
		Unit:                p.str("Trigger.Unit", rt.Unit),
		Period:              p.integer("Trigger.Period", rt.Period),
		EvaluationPeriods:   p.integer("Trigger.EvaluationPeriods", rt.EvaluationPeriods),
		DatapointsToAlarm:   p.integer("Trigger.DatapointsToAlarm", rt.DatapointsToAlarm),
		ComparisonOperator:  p.str("Trigger.ComparisonOperator", rt.ComparisonOperator),
		Threshold:           p.num("Trigger.Threshold", rt.Threshold),
		TreatMissingDataRaw: p.str("Trigger.TreatMissingData", rt.TreatMissingData),
	}
	t.TreatMissingData = normaliseTreatMissingData(t.TreatMissingDataRaw)
	if !isAbsent(rt.Dimensions) {
		var dims []map[string]json.RawMessage
		if err := json.Unmarshal(rt.Dimensions, &dims); err != nil {
			p.fail("Trigger.Dimensions", "want an array of {name, value}")
		}
		for _, d := range dims {
			t.Dimensions = append(t.Dimensions, Dimension{
				Name:  p.str("Trigger.Dimensions.name", pick(d, "name", "Name")),
				Value: p.str("Trigger.Dimensions.value", pick(d, "value", "Value")),
			})
		}
	}
	if !isAbsent(rt.Metrics) {
		var ms []map[string]json.RawMessage
		if err := json.Unmarshal(rt.Metrics, &ms); err != nil {
			p.fail("Trigger.Metrics", "want an array of objects")
		}
		for _, m := range ms {
			q := MetricQuery{
				ID:         p.str("Trigger.Metrics.Id", pick(m, "Id", "id")),
				Expression: p.str("Trigger.Metrics.Expression", pick(m, "Expression", "expression")),
				Label:      p.str("Trigger.Metrics.Label", pick(m, "Label", "label")),
				MetricStat: pick(m, "MetricStat", "metricStat"),
			}
			if rd := pick(m, "ReturnData", "returnData"); !isAbsent(rd) {
				var b bool
				if err := json.Unmarshal(rd, &b); err != nil {
					p.fail("Trigger.Metrics.ReturnData", "want a boolean")
				} else {
					q.ReturnData = &b
				}
			}
			t.Metrics = append(t.Metrics, q)
		}
	}
	return t
}

func pick(m map[string]json.RawMessage, keys ...string) json.RawMessage {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// AccountError is an alarm that names another account than the one owning the topic it came
// through. An alarm belongs to its topic's account: any principal of an account may publish to
// that account's topics, so the account an alarm names is only a claim.
type AccountError struct {
	Topic  string // the account in the TopicArn
	Alarm  string // AWSAccountId (else the account in AlarmArn); "" when the alarm names none
	ARN    string // the account in AlarmArn; "" without one
	Reason string // what is wrong, for people
}

func (e *AccountError) Error() string {
	return fmt.Sprintf("alarm of account %q (AlarmArn account %q) came through a topic of account %q: %s",
		short(e.Alarm), short(e.ARN), short(e.Topic), e.Reason)
}

// short cuts an attacker-chosen account field for a log line.
func short(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// CheckTopic reports whether a belongs to the account of topicArn, the topic it was published
// to: the account of the topic, the alarm's AWSAccountId and the account in its AlarmArn must
// all be 12 digits and equal. An alarm without an AlarmArn (CloudWatch sent none before 2019)
// is refused: one of the three is missing. topicArn may also be the alarm's own AlarmArn: an
// alarm that came unsigned through a queue is stored under it once the queue intake has
// checked its account. The error is an *AccountError.
func (a *Alarm) CheckTopic(topicArn string) error {
	e := &AccountError{Alarm: a.AWSAccountID}
	if t, err := arn.Parse(topicArn); err == nil && (t.Service == "sns" || topicArn == a.AlarmArn) {
		e.Topic = t.AccountID
	}
	switch t, err := arn.Parse(a.AlarmArn); {
	case a.AlarmArn == "":
		e.Reason = "it has no AlarmArn (CloudWatch sends one since 2019), so its account cannot be checked"
		return e
	case err != nil || t.Service != "cloudwatch" || !strings.HasPrefix(t.Resource, "alarm:"):
		e.Reason = "its AlarmArn is not a CloudWatch alarm ARN"
		return e
	default:
		e.ARN = t.AccountID
	}
	switch {
	case !IsAccountID(e.Topic):
		e.Reason = "the topic ARN names no 12-digit account"
	case e.Alarm == "":
		e.Reason = "the alarm names no account"
	case !IsAccountID(e.Alarm) || !IsAccountID(e.ARN):
		e.Reason = "an account of the alarm is not 12 digits"
	case e.Alarm != e.Topic || e.ARN != e.Topic:
		e.Reason = "an alarm belongs to the account that owns its topic"
	default:
		return nil
	}
	return e
}

// IsAccountID reports whether s is an AWS account id: 12 ASCII digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
