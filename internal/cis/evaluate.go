package cis

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	lru "github.com/hashicorp/golang-lru/v2"
)

// staleDelivery is how old the latest CloudWatch Logs delivery may be before the audit warns.
const staleDelivery = 24 * time.Hour

// Evaluate judges one account's snapshot against the control as the newest CIS version requires
// it. It is pure: everything it needs is in the snapshot, and now is only used to judge how
// recent log delivery is.
func Evaluate(ctl *Control, snap *Snapshot, now time.Time) Result {
	return EvaluateAt(ctl, snap, now, "")
}

// EvaluateAt is Evaluate with the metric filter judged as benchmark requires it
// (controls.benchmark: "" for the newest CIS version, a CIS version such as "v3.0.0",
// "securityhub"; see Control.Requirement). A control that benchmark does not have (4.15 in CIS
// v1.2.0) is judged as the newest CIS version requires it, with a warning saying so.
func EvaluateAt(ctl *Control, snap *Snapshot, now time.Time, benchmark string) Result {
	res := Result{Account: snap.Account, AccountID: snap.AccountID, Checks: []Check{}, Warnings: []string{}}
	if _, err := ctl.Requirement(benchmark); err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%v, so it is judged as %s requires it", err, BenchmarkLabel("")))
		benchmark = ""
	}
	if snap.TrailsErr != nil {
		return finish(res, chain{checks: []Check{errorCheck(StepTrail, snap.TrailsErr)}, err: snap.TrailsErr, fix: errorFix(snap.TrailsErr)})
	}
	ev := evaluator{ctl: ctl, snap: snap, now: now, benchmark: benchmark}
	var candidates []Trail
	for _, t := range snap.Trails {
		if t.MultiRegion && t.LogGroupARN != "" {
			candidates = append(candidates, t)
		}
	}
	if len(candidates) == 0 {
		return finish(res, chain{checks: []Check{{Step: StepTrail, Status: StatusFail, Detail: noTrailDetail(snap.Trails)}},
			fix: "Create a multi-region CloudTrail trail that delivers to a CloudWatch Logs group (CIS 3.x), or turn on multi-region and CloudWatch Logs delivery on an existing trail."})
	}
	slices.SortFunc(candidates, func(a, b Trail) int { return strings.Compare(a.ARN, b.ARN) })
	var best chain
	for _, t := range candidates {
		c := ev.trailChain(t)
		if best.checks == nil || c.better(best) {
			best = c
		}
		if c.passed() {
			break
		}
	}
	return finish(res, best)
}

// chain is one path through the steps, as far as it got.
type chain struct {
	checks   []Check
	warnings []string
	err      *CallError // set when the last check is an ERROR
	fix      string
}

func (c chain) passed() bool {
	return len(c.checks) == len(Steps) && c.checks[len(c.checks)-1].Status == StatusPass
}

// better prefers a passing chain, then the one that got further, then an error (the user must
// fix access before the verdict means anything).
func (c chain) better(o chain) bool {
	if c.passed() != o.passed() {
		return c.passed()
	}
	if len(c.checks) != len(o.checks) {
		return len(c.checks) > len(o.checks)
	}
	return c.err != nil && o.err == nil
}

func (c chain) with(ch Check) chain {
	c.checks = append(slices.Clip(c.checks), ch)
	return c
}

func (c chain) fail(step Step, resource, detail, fix string) chain {
	c = c.with(Check{Step: step, Status: StatusFail, Resource: resource, Detail: detail})
	c.fix = fix
	return c
}

func (c chain) error(step Step, e *CallError) chain {
	c = c.with(errorCheck(step, e))
	c.err = e
	c.fix = errorFix(e)
	return c
}

// ErrorResult is the ERROR result of an account whose audit could not start or did not finish
// (a failed AssumeRole, a cancellation, a panic), with the failure as its evidence.
func ErrorResult(account string, step Step, e *CallError) Result {
	return finish(Result{Account: account, Checks: []Check{}, Warnings: []string{}},
		chain{checks: []Check{errorCheck(step, e)}, err: e, fix: errorFix(e)})
}

func errorCheck(step Step, e *CallError) Check {
	return Check{Step: step, Status: StatusError, Resource: e.Resource, Detail: e.Error()}
}

func errorFix(e *CallError) string {
	if e.Unreachable {
		return "Add the account that owns " + e.Resource + " to the accounts in the config (with a role the bot can assume), so the audit can follow the trail there."
	}
	switch e.Code {
	case "AccessDenied", "AccessDeniedException", "AuthorizationError", "UnauthorizedOperation":
		return "Allow " + e.API + " to the role the bot uses in this account (the SecurityAudit managed policy covers the audit)."
	case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded":
		return "AWS throttled the audit after retries; run it again, or lower --concurrency."
	}
	return "Check the bot's credentials and network access to AWS, then run the audit again."
}

func finish(res Result, c chain) Result {
	res.Checks = c.checks
	res.Warnings = append(res.Warnings, c.warnings...)
	res.Fix = c.fix
	last := c.checks[len(c.checks)-1]
	switch {
	case c.passed():
		res.Status = StatusPass
		res.Reason = "every step of the CIS chain passes: " + last.Detail
		res.Fix = ""
	case c.err != nil:
		res.Status = StatusError
	default:
		res.Status = StatusFail
	}
	if res.Status != StatusPass {
		step := last.Step
		res.FailedStep = &step
		res.Reason = string(step) + ": " + last.Detail
	}
	return res
}

type evaluator struct {
	ctl       *Control
	snap      *Snapshot
	now       time.Time
	benchmark string // what judges the metric filter (see EvaluateAt)
}

func noTrailDetail(trails []Trail) string {
	if len(trails) == 0 {
		return "the account has no CloudTrail trail"
	}
	var parts []string
	for _, t := range trails {
		var lacks []string
		if !t.MultiRegion {
			lacks = append(lacks, "single-region")
		}
		if t.LogGroupARN == "" {
			lacks = append(lacks, "no CloudWatch Logs delivery")
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", t.Name, strings.Join(lacks, ", ")))
	}
	return "no multi-region trail delivers to CloudWatch Logs; trails found: " + strings.Join(parts, "; ")
}

func (ev *evaluator) trailChain(t Trail) chain {
	var c chain
	c = c.with(Check{Step: StepTrail, Status: StatusPass, Resource: t.ARN,
		Detail: fmt.Sprintf("multi-region trail %s (home region %s%s) delivers to log group %s", t.Name, t.HomeRegion, orgNote(t), t.LogGroupARN)})

	switch {
	case t.StatusErr != nil:
		return c.error(StepLogging, t.StatusErr)
	case t.Status == nil || !t.Status.IsLogging:
		return c.fail(StepLogging, t.ARN, "the trail is not logging", "Start logging: aws cloudtrail start-logging --name "+t.ARN)
	}
	c = c.with(Check{Step: StepLogging, Status: StatusPass, Resource: t.ARN, Detail: "the trail is logging"})
	if e := t.Status.LatestDeliveryError; e != "" {
		c.warnings = append(c.warnings, fmt.Sprintf("trail %s: the latest CloudWatch Logs delivery failed (%s); check the trail's CloudWatch Logs role %s", t.Name, e, t.RoleARN))
	}
	if d := t.Status.LatestDeliveryTime; !d.IsZero() && ev.now.Sub(d) > staleDelivery {
		c.warnings = append(c.warnings, fmt.Sprintf("trail %s: nothing delivered to CloudWatch Logs since %s", t.Name, d.UTC().Format(time.RFC3339)))
	}

	if t.SelectorsErr != nil {
		return c.error(StepManagementEvents, t.SelectorsErr)
	}
	ok, detail, warns := managementEvents(t.Selectors)
	c.warnings = append(c.warnings, warns...)
	if !ok {
		return c.fail(StepManagementEvents, t.ARN, detail,
			"Record all management events, read and write: aws cloudtrail put-event-selectors --trail-name "+t.ARN+
				` --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`)
	}
	c = c.with(Check{Step: StepManagementEvents, Status: StatusPass, Resource: t.ARN, Detail: detail})

	lg := ev.snap.LogGroups[t.LogGroupARN]
	if lg == nil {
		return c.error(StepMetricFilter, &CallError{API: "logs:DescribeMetricFilters", Resource: t.LogGroupARN, Message: "the log group was not read"})
	}
	if lg.Err != nil {
		return c.error(StepMetricFilter, lg.Err)
	}
	return ev.filterChain(c, lg)
}

func orgNote(t Trail) string {
	if t.Organization {
		return ", organization trail"
	}
	return ""
}

// managementEvents decides whether the selectors record every management event, read and
// write. Several selectors add up: ReadOnly plus WriteOnly is All.
func managementEvents(s *EventSelectors) (ok bool, detail string, warnings []string) {
	if s == nil || len(s.Basic) == 0 && len(s.Advanced) == 0 {
		return false, "the trail has no event selectors, so it records no management events", nil
	}
	read, write := false, false
	if len(s.Basic) > 0 {
		for _, b := range s.Basic {
			if !b.IncludeManagementEvents {
				continue
			}
			switch b.ReadWriteType {
			case "All", "":
				read, write = true, true
			case "ReadOnly":
				read = true
			case "WriteOnly":
				write = true
			}
			if len(b.ExcludeSources) > 0 {
				warnings = append(warnings, "management events from "+strings.Join(b.ExcludeSources, ", ")+" are excluded, so unauthorized calls to them are not seen")
			}
		}
		ok, detail := coverage(read, write, "basic")
		return ok, detail, warnings
	}
	for _, a := range s.Advanced {
		mgmt, r, w := false, true, true
		for _, f := range a.Fields {
			switch f.Field {
			case "eventCategory":
				mgmt = slices.Contains(f.Equals, "Management")
			case "readOnly":
				r = slices.Contains(f.Equals, "true") || slices.Contains(f.NotEquals, "false")
				w = slices.Contains(f.Equals, "false") || slices.Contains(f.NotEquals, "true")
			case "eventSource":
				if len(f.NotEquals)+len(f.NotStartsWith)+len(f.NotEndsWith) > 0 {
					warnings = append(warnings, fmt.Sprintf("advanced selector %q excludes event sources %s, so unauthorized calls to them are not seen", a.Name, strings.Join(append(append(slices.Clone(f.NotEquals), f.NotStartsWith...), f.NotEndsWith...), ", ")))
				}
				if len(f.Equals)+len(f.StartsWith)+len(f.EndsWith) > 0 {
					r, w = false, false // only some services: not "all management events"
					warnings = append(warnings, fmt.Sprintf("advanced selector %q records management events of some services only", a.Name))
				}
			}
		}
		if mgmt {
			read, write = read || r, write || w
		}
	}
	ok, detail = coverage(read, write, "advanced")
	return ok, detail, warnings
}

func coverage(read, write bool, kind string) (bool, string) {
	switch {
	case read && write:
		return true, "records all management events, read and write (" + kind + " event selectors)"
	case write:
		return false, "records write management events only (" + kind + " event selectors), so denied read-only calls, most reconnaissance, are not logged"
	case read:
		return false, "records read-only management events only (" + kind + " event selectors)"
	}
	return false, "records no management events (" + kind + " event selectors)"
}

// verdicts caches pattern verdicts: accounts share a handful of patterns, and an estate of
// hand-written filters is bounded to the most recently used maxVerdicts.
var verdicts = mustLRU[string, verdictEntry](maxVerdicts)

const maxVerdicts = 4096

type verdictEntry struct {
	v   PatternVerdict
	err error
}

func mustLRU[K comparable, V any](size int) *lru.Cache[K, V] {
	c, err := lru.New[K, V](size)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

func cachedCheck(ctl *Control, pattern string) (PatternVerdict, error) {
	return cachedCheckAt(ctl, pattern, "")
}

func cachedCheckAt(ctl *Control, pattern, benchmark string) (PatternVerdict, error) {
	key := ctl.ID + "\x00" + benchmark + "\x00" + pattern
	if e, ok := verdicts.Get(key); ok {
		return e.v, e.err
	}
	v, err := CheckPatternAt(ctl, pattern, benchmark)
	verdicts.Add(key, verdictEntry{v, err})
	return v, err
}

func (ev *evaluator) filterChain(c chain, lg *LogGroup) chain {
	if len(lg.Filters) == 0 {
		return c.fail(StepMetricFilter, lg.ARN, "the log group "+lg.Name+" has no metric filter", ev.filterFix(lg))
	}
	var good []MetricFilter
	var why []string
	others := map[*Control]bool{} // the controls that filters failing this one satisfy
	for _, f := range lg.Filters {
		v, err := cachedCheckAt(ev.ctl, f.Pattern, ev.benchmark)
		switch {
		case err != nil:
			why = append(why, fmt.Sprintf("%s: the pattern does not parse (%v)", f.Name, err))
		case !v.Satisfies:
			if other := otherControl(ev.ctl, f.Pattern); other != nil {
				others[other] = true
				continue
			}
			why = append(why, fmt.Sprintf("%s: %s%s", f.Name, v.Reason, otherVerdicts(ev.ctl, v)))
		default:
			good = append(good, f)
			if check := securityHubCheck(ev.ctl); check != "" && !v.SecurityHubExact {
				c.warnings = append(c.warnings, fmt.Sprintf("metric filter %s satisfies control %s, but Security Hub %s compares the text and will still report it as failed", f.Name, ev.ctl.ID, check))
			}
		}
	}
	if len(good) == 0 {
		return c.fail(StepMetricFilter, lg.ARN, noFilterDetail(lg, ev.ctl, why, others), ev.filterFix(lg))
	}
	var best chain
	for _, f := range good {
		fc := c.with(Check{Step: StepMetricFilter, Status: StatusPass, Resource: lg.ARN,
			Detail: fmt.Sprintf("metric filter %s publishes %s/%s with pattern %s", f.Name, f.Namespace, f.MetricName, f.Pattern)})
		fc = ev.alarmChain(fc, lg, f)
		if best.checks == nil || fc.better(best) {
			best = fc
		}
		if best.passed() {
			break
		}
	}
	return best
}

// otherVerdicts completes a failing filter's reason with what the other judges of the control
// say of it, since that is where text-comparing tools and older benchmarks disagree with the
// audit: "; it satisfies CIS v1.3.0–v4.0.1, Security Hub; Security Hub CloudWatch.10 accepts
// the exact text".
func otherVerdicts(ctl *Control, v PatternVerdict) string {
	var ok []string
	for _, vv := range v.Versions {
		if vv.Satisfies {
			ok = append(ok, vv.Benchmark)
		}
	}
	var s string
	if len(ok) > 0 {
		s = "; it satisfies " + strings.Join(ok, ", ")
	}
	if check := securityHubCheck(ctl); check != "" && v.SecurityHubExact {
		s += fmt.Sprintf("; Security Hub %s accepts the exact text, so it reports this filter as passing", check)
	}
	return s
}

// otherControl is the first control other than ctl, in table order, that the pattern satisfies:
// a filter of that control's, not a failed attempt at ctl's, when a log group holds the filters
// of several controls.
func otherControl(ctl *Control, pattern string) *Control {
	for i := range Controls {
		if o := &Controls[i]; o.ID != ctl.ID {
			if v, err := cachedCheck(o, pattern); err == nil && v.Satisfies {
				return o
			}
		}
	}
	return nil
}

// noFilterDetail says why no filter on the log group satisfies the control: what each filter
// misses, the filters of other controls counted rather than judged against this one.
func noFilterDetail(lg *LogGroup, ctl *Control, why []string, others map[*Control]bool) string {
	detail := fmt.Sprintf("no metric filter on %s satisfies control %s", lg.Name, ctl.ID)
	if len(why) > 0 {
		detail += ": " + strings.Join(why, "; ")
	}
	if len(others) == 0 {
		return detail
	}
	var ids []string
	for i := range Controls {
		if others[&Controls[i]] {
			ids = append(ids, Controls[i].ID)
		}
	}
	n := len(lg.Filters) - len(why)
	if len(why) > 0 {
		return detail + fmt.Sprintf("; %d more serve other controls (%s)", n, strings.Join(ids, ", "))
	}
	return detail + fmt.Sprintf(": its %d filter(s) serve other controls (%s)", n, strings.Join(ids, ", "))
}

// securityHubCheck is the id of the control's Security Hub check (CloudWatch.2), or "" when
// Security Hub has none.
func securityHubCheck(ctl *Control) string {
	for _, r := range ctl.Refs {
		if r.Benchmark == "AWS Security Hub" {
			return r.ID
		}
	}
	return ""
}

func (ev *evaluator) filterFix(lg *LogGroup) string {
	d := ev.ctl.Defaults
	return fmt.Sprintf("Create the metric filter: aws logs put-metric-filter --region %s --log-group-name %s --filter-name %s --metric-transformations metricName=%s,metricNamespace=%s,metricValue=1,defaultValue=0 --filter-pattern '%s'",
		lg.Region, lg.Name, d.FilterName, d.MetricName, d.MetricNamespace, ev.ctl.Patterns[ev.ctl.DefaultPattern])
}

func (ev *evaluator) alarmChain(c chain, lg *LogGroup, f MetricFilter) chain {
	set := ev.snap.Alarms[lg.Account+"/"+lg.Region]
	if set == nil {
		return c.error(StepAlarm, &CallError{API: "cloudwatch:DescribeAlarms", Resource: lg.Account + "/" + lg.Region, Message: "the alarms were not read"})
	}
	if set.Err != nil {
		return c.error(StepAlarm, set.Err)
	}
	metric := f.Namespace + "/" + f.MetricName
	fix := fmt.Sprintf("Create an alarm on %s: aws cloudwatch put-metric-alarm --region %s --alarm-name %s --namespace %s --metric-name %s --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching --alarm-actions <SNS topic ARN>",
		metric, lg.Region, ev.ctl.Defaults.AlarmName, f.Namespace, f.MetricName)
	var firing []Alarm
	var why []string
	for _, a := range set.Alarms {
		if a.MetricName != f.MetricName {
			continue
		}
		if a.Namespace != f.Namespace {
			why = append(why, fmt.Sprintf("alarm %s watches %s/%s: the metric name matches but the namespace does not", a.Name, a.Namespace, a.MetricName))
			continue
		}
		if ok, reason := alarmFires(f, a); !ok {
			why = append(why, fmt.Sprintf("alarm %s %s", a.Name, reason))
			continue
		}
		firing = append(firing, a)
	}
	if len(firing) == 0 {
		detail := fmt.Sprintf("no alarm in %s watches %s", lg.Region, metric)
		if len(why) > 0 {
			detail = fmt.Sprintf("no alarm on %s would fire on one matching event: %s", metric, strings.Join(why, "; "))
		}
		return c.fail(StepAlarm, metric, detail, fix)
	}
	var best chain
	for _, a := range firing {
		ac := c.with(Check{Step: StepAlarm, Status: StatusPass, Resource: a.ARN,
			Detail: fmt.Sprintf("alarm %s fires on one matching event (%s, %d s, %s %g, %d of %d datapoints)", a.Name, stat(a), a.Period, a.ComparisonOperator, a.Threshold, datapoints(a), a.EvaluationPeriods)})
		ac = ev.actionChain(ac, a)
		if best.checks == nil || ac.better(best) {
			best = ac
		}
		if best.passed() {
			break
		}
	}
	return best
}

func stat(a Alarm) string {
	if a.ExtendedStatistic != "" {
		return a.ExtendedStatistic
	}
	return a.Statistic
}

func datapoints(a Alarm) int32 {
	if a.DatapointsToAlarm > 0 {
		return a.DatapointsToAlarm
	}
	return a.EvaluationPeriods
}

// alarmFires decides whether one matching log event puts the alarm in ALARM: the datapoint one
// event produces must reach the threshold, and one breaching datapoint must be enough.
func alarmFires(f MetricFilter, a Alarm) (bool, string) {
	if !a.ActionsEnabled {
		return false, "has its actions disabled"
	}
	if len(f.Dimensions) > 0 {
		return false, "cannot see every event: the metric filter publishes dimensions, so each dimension value is a separate metric"
	}
	if len(a.Dimensions) > 0 {
		return false, "selects dimensions the metric does not have, so it never receives data"
	}
	metricUnit := f.Unit
	if metricUnit == "" {
		metricUnit = "None"
	}
	if a.Unit != "" && a.Unit != metricUnit {
		return false, fmt.Sprintf("asks for unit %s but the metric is published with unit %s, so it never receives data", a.Unit, metricUnit)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(f.MetricValue), 64)
	if err != nil {
		if a.Statistic != "SampleCount" {
			return false, fmt.Sprintf("cannot be shown to fire: the metric value %q comes from the event; use metricValue 1", f.MetricValue)
		}
		v = 1
	}
	var x float64
	switch {
	case a.Statistic == "SampleCount":
		x = 1
	case a.Statistic == "Sum" || a.Statistic == "Maximum" || a.ExtendedStatistic == "p100":
		x = v
	case a.Statistic == "Average" || a.Statistic == "Minimum":
		if f.DefaultValue != nil {
			return false, fmt.Sprintf("uses %s while the filter publishes a default value, so one event is averaged away", a.Statistic)
		}
		x = v
	default:
		return false, fmt.Sprintf("uses statistic %s, which cannot be shown to fire on one event; use Sum", stat(a))
	}
	var breach bool
	switch a.ComparisonOperator {
	case "GreaterThanOrEqualToThreshold":
		breach = x >= a.Threshold
	case "GreaterThanThreshold":
		breach = x > a.Threshold
	case "LessThanThreshold", "LessThanOrEqualToThreshold":
		return false, "fires when the value is low (" + a.ComparisonOperator + "), not when events occur"
	default:
		return false, "uses " + a.ComparisonOperator + ", not a static threshold on the event count"
	}
	if !breach {
		return false, fmt.Sprintf("needs more than one event: one event gives %s %g, and the alarm needs %s %g", stat(a), x, a.ComparisonOperator, a.Threshold)
	}
	if m := datapoints(a); m > 1 {
		return false, fmt.Sprintf("needs %d breaching datapoints out of %d; one event gives one", m, a.EvaluationPeriods)
	}
	return true, ""
}

func (ev *evaluator) actionChain(c chain, a Alarm) chain {
	var topics []string
	for _, act := range a.AlarmActions {
		if strings.HasPrefix(act, "arn:") && strings.Contains(act, ":sns:") {
			topics = append(topics, act)
		}
	}
	if len(topics) == 0 {
		detail := "alarm " + a.Name + " has no actions"
		if len(a.AlarmActions) > 0 {
			detail = "alarm " + a.Name + " has no SNS topic among its actions (" + strings.Join(a.AlarmActions, ", ") + ")"
		}
		return c.fail(StepAlarmAction, a.ARN, detail, "Add an SNS topic to the alarm's actions: aws cloudwatch put-metric-alarm … --alarm-actions <topic ARN> (re-put the alarm with all its settings).")
	}
	c = c.with(Check{Step: StepAlarmAction, Status: StatusPass, Resource: a.ARN, Detail: "alarm " + a.Name + " notifies " + strings.Join(topics, ", ")})
	var best chain
	for _, arn := range topics {
		tc := ev.subscriberStep(c, arn)
		if best.checks == nil || tc.better(best) {
			best = tc
		}
		if best.passed() {
			break
		}
	}
	return best
}

func (ev *evaluator) subscriberStep(c chain, arn string) chain {
	t := ev.snap.Topics[arn]
	if t == nil {
		return c.error(StepSubscriber, &CallError{API: "sns:ListSubscriptionsByTopic", Resource: arn, Message: "the topic's subscriptions were not read"})
	}
	if t.Err != nil {
		return c.error(StepSubscriber, t.Err)
	}
	pending := 0
	for _, s := range t.Subscriptions {
		if strings.HasPrefix(s.ARN, "arn:") {
			return c.with(Check{Step: StepSubscriber, Status: StatusPass, Resource: arn,
				Detail: fmt.Sprintf("topic has a confirmed %s subscription (%s)", s.Protocol, redactEndpoint(s.Protocol, s.Endpoint))})
		}
		if s.ARN == "PendingConfirmation" {
			pending++
		}
	}
	fix := "Subscribe an endpoint to " + arn + " and confirm it (the confirmation link, or sns:ConfirmSubscription)."
	if pending > 0 {
		return c.fail(StepSubscriber, arn, fmt.Sprintf("the topic has %d subscription(s), all pending confirmation: nobody receives the alarm", pending), fix)
	}
	return c.fail(StepSubscriber, arn, "the topic has no confirmed subscription: nobody receives the alarm", fix)
}

// redactEndpoint keeps an endpoint recognisable without exposing tokens in URLs.
func redactEndpoint(protocol, endpoint string) string {
	if protocol == "http" || protocol == "https" {
		if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
			return u.Scheme + "://" + u.Host + "/…"
		}
		return protocol + " endpoint"
	}
	return endpoint
}

// ParseLogGroupARN reads arn:<partition>:logs:<region>:<account>:log-group:<name>[:*].
func ParseLogGroupARN(s string) (account, region, name string, err error) {
	a, err := arn.Parse(s)
	rest, ok := strings.CutPrefix(a.Resource, "log-group:")
	name, _, _ = strings.Cut(rest, ":")
	if err != nil || a.Service != "logs" || !ok || name == "" {
		return "", "", "", fmt.Errorf("%q is not a CloudWatch Logs log group ARN", s)
	}
	return a.AccountID, a.Region, name, nil
}
