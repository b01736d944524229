package cis

// The remediation planner: from one account's audit (its snapshot and verdict), the shortest list
// of creations that makes the account pass, reusing what exists. It is pure, like Evaluate, so
// every plan shape is table-tested on plain snapshots; internal/accountchanger executes a plan.

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// PlanOptions are the remediation settings (remediation.* in the config).
type PlanOptions struct {
	// Pattern names which of the control's Patterns a new metric filter gets: "securityhub"
	// or "cis-v3"; empty means the control's DefaultPattern.
	Pattern string
	// TopicName is the SNS topic created when no usable one exists; empty means the control's
	// default (cis-alarms).
	TopicName string
	// Subscribe are the endpoints subscribed to a topic that has no confirmed subscriber:
	// https URLs and e-mail addresses.
	Subscribe []string
	// RequestID is tagged on what is created (tag cisbot-request).
	RequestID string
	// Benchmark is what the audit before and after the plan judges filters by
	// (controls.benchmark; see EvaluateAt).
	Benchmark string
}

// Plan is what remediation would do in one account. Its JSON form is shown by cisbot fix
// --format json and kept with the request in the store.
type Plan struct {
	Account   string `json:"account"`
	AccountID string `json:"account_id"`
	// Controls are the ids of the controls planned for (NewPlanControls); empty means control
	// 4.1 alone, as every plan stored before plans named their controls.
	Controls []string `json:"controls,omitempty"`
	// Passes is true when the account already passes: there is nothing to do.
	Passes bool `json:"passes"`
	// Steps are the changes, in order of execution.
	Steps PlanSteps `json:"steps"`
	// Manual are prerequisites the bot does not create (a multi-region trail, CloudWatch Logs
	// delivery, the event selectors, a subscriber when none is configured), each with the exact
	// step for a person to take. The account passes only once they are done too.
	Manual []string `json:"manual"`
	// Hash identifies what Steps would execute, so that an approval given for one plan is
	// never used to apply another (see PlanHash).
	Hash string `json:"hash"`
}

// Tags put on what remediation creates, where the API takes tags at creation (SNS topics and
// CloudWatch alarms; metric filters and subscriptions have no tags).
const (
	TagManagedBy = "managed-by"
	TagRequest   = "cisbot-request"
	ManagedBy    = "cisbot"
)

// NameSuffix is added to a default name that something else already holds: an existing filter
// or alarm of that name is never overwritten.
const NameSuffix = "-cisbot"

// PolicySid is the Sid of the statement merged into a topic policy so that CloudWatch alarms
// may publish to it.
const PolicySid = "cisbot-cloudwatch-alarms"

// NewPlan plans the remediation of one account from its audit. (It cannot be called Plan: that
// is the type it returns.) It never calls AWS: everything comes from the snapshot, so what it
// reuses and which names are free is what the audit saw; the approval flow audits again and
// re-plans before applying, and the applier checks again before each creation.
//
// An account that passes gets Passes and no steps. An audit that ended in ERROR gets no steps
// either, only the manual step of fixing the audit: without the missing evidence a plan could
// create a second copy of something that exists.
func NewPlan(ctl *Control, snap *Snapshot, res Result, opts PlanOptions) Plan {
	p := Plan{Account: snap.Account, AccountID: snap.AccountID, Steps: []PlanStep{}, Manual: []string{}}
	if res.Status == StatusPass {
		p.Passes = true
		return seal(p)
	}
	steps, manual := planControl(ctl, snap, res, opts, "", false)
	p.Steps = append(p.Steps, steps...)
	p.Manual = append(p.Manual, manual...)
	sortSteps(p.Steps)
	return seal(p)
}

// planControl is the plan of one control that does not pass: its steps, in no particular order,
// and its manual steps. The control's own steps carry tag; when lenient (a plan of several
// controls), a remediation.pattern the control does not publish gives it its default pattern.
func planControl(ctl *Control, snap *Snapshot, res Result, opts PlanOptions, tag string, lenient bool) ([]PlanStep, []string) {
	if res.Status == StatusError {
		return nil, []string{fmt.Sprintf("The audit could not decide (%s), so nothing is planned: %s Then run the fix again.", res.Reason, res.Fix)}
	}
	var note string
	if _, ok := ctl.Patterns[opts.Pattern]; lenient && opts.Pattern != "" && !ok {
		note = fmt.Sprintf(" (remediation.pattern %q is not one of control %s's patterns, so its default, %s, is used)", opts.Pattern, ctl.ID, ctl.DefaultPattern)
		opts.Pattern = ""
	}
	if name, why := judgedPattern(ctl, cmp.Or(opts.Pattern, ctl.DefaultPattern), opts.Benchmark); why != "" {
		note, opts.Pattern = why, name
	}
	pl, manual := newPlanner(ctl, snap, opts)
	if pl == nil {
		return nil, manual
	}
	pl.patNote, pl.control, pl.benchmark = note, tag, opts.Benchmark
	o := pl.best()
	manual = append(manual, o.manual...)
	if len(o.steps) == 0 && len(manual) == 0 {
		manual = append(manual, fmt.Sprintf("The audit fails (%s), but the planner finds nothing to create; please report this with the audit's evidence (cisbot audit --format json).", res.Reason))
	}
	return o.steps, manual
}

// judgedPattern makes sure the pattern a new filter gets satisfies the control as benchmark
// judges it: a published text from an older version (Security Hub's 4.10 lacks
// ModifySecurityGroupRules) would make the fix fail its own audit. It returns the name to use
// instead and why, or "" when name is fine (or not published: newPlanner says so).
func judgedPattern(ctl *Control, name, benchmark string) (string, string) {
	text, ok := ctl.Patterns[name]
	if !ok {
		return "", ""
	}
	if v, err := cachedCheckAt(ctl, text, benchmark); err != nil || v.Satisfies {
		return "", ""
	}
	names := append([]string{ctl.DefaultPattern}, slices.Sorted(maps.Keys(ctl.Patterns))...)
	for _, n := range names {
		if v, err := cachedCheckAt(ctl, ctl.Patterns[n], benchmark); err == nil && v.Satisfies {
			return n, fmt.Sprintf(" (the %s text does not satisfy control %s as %s judges it, so the %s text is used)", name, ctl.ID, BenchmarkLabel(benchmark), n)
		}
	}
	return "", ""
}

// sortSteps puts steps in the order of their kinds, which is the order the applier needs.
func sortSteps(steps []PlanStep) {
	slices.SortStableFunc(steps, func(a, b PlanStep) int {
		return cmp.Compare(slices.Index(kindOrder, a.Kind()), slices.Index(kindOrder, b.Kind()))
	})
}

func seal(p Plan) Plan {
	p.Hash = PlanHash(p.Steps)
	return p
}

// PlanHash is a hash of what the steps execute: their kind, region, resource and parameters
// (not the sentences for people, which may be reworded between versions, nor the control a step
// is for: that changes nothing it does, and leaving it out keeps the hashes of stored plans).
func PlanHash(steps []PlanStep) string {
	type hashed struct {
		Kind, Region, Resource string
		Params                 map[string]string // encoding/json sorts the keys
	}
	hs := make([]hashed, len(steps))
	for i, s := range steps {
		info := s.Info()
		hs[i] = hashed{s.Kind(), info.Region, info.Resource, s.params()}
	}
	b, err := json.Marshal(hs)
	if err != nil {
		panic(fmt.Sprintf("cis: marshal plan steps: %v", err)) // only strings
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

type planner struct {
	ctl       *Control
	control   string // the id the control's own steps carry; "" in a plan of one control
	patNote   string // why the new filter's pattern is not remediation.pattern
	benchmark string // what judges an existing filter worth reusing (controls.benchmark)
	snap      *Snapshot
	pattern   string
	patName   string
	topicName string
	endpoints []endpoint
	tags      Tags
}

// newPlanner checks the options; a nil planner means nothing can be planned (the problems say
// why). Problems with a planner are notes: the plan goes on without the rejected endpoints.
func newPlanner(ctl *Control, snap *Snapshot, opts PlanOptions) (*planner, []string) {
	pl := &planner{ctl: ctl, snap: snap, patName: cmp.Or(opts.Pattern, ctl.DefaultPattern), topicName: cmp.Or(opts.TopicName, ctl.Defaults.TopicName)}
	var ok bool
	if pl.pattern, ok = ctl.Patterns[pl.patName]; !ok {
		names := slices.Sorted(maps.Keys(ctl.Patterns))
		return nil, []string{fmt.Sprintf("remediation.pattern %q is not one of %s: set one of them in the config, then run the fix again.", pl.patName, strings.Join(names, ", "))}
	}
	var problems []string
	for _, s := range opts.Subscribe {
		e, problem := parseEndpoint(s)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		if !slices.ContainsFunc(pl.endpoints, func(x endpoint) bool { return sameEndpoint(x, e.protocol, e.address) }) {
			pl.endpoints = append(pl.endpoints, e)
		}
	}
	pl.tags = Tags{TagManagedBy: ManagedBy}
	if opts.RequestID != "" {
		pl.tags[TagRequest] = opts.RequestID
	}
	return pl, problems
}

// parseEndpoint accepts an https URL, a bare e-mail address or sqs:QUEUE-ARN.
func parseEndpoint(s string) (endpoint, string) {
	s = strings.TrimSpace(s)
	if q, ok := strings.CutPrefix(s, "sqs:"); ok {
		if a := parseARN(q); a.Service != "sqs" || a.Region == "" || len(a.AccountID) != 12 || a.Resource == "" || strings.ContainsAny(a.Resource, ":/") {
			return endpoint{}, fmt.Sprintf("remediation.subscribe: %q is not sqs: and a queue ARN (sqs:arn:aws:sqs:REGION:ACCOUNT:NAME), so it is not subscribed.", s)
		}
		return endpoint{"sqs", q}, ""
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		switch {
		case u.Scheme == "https" && u.Host != "":
			return endpoint{"https", s}, ""
		case u.Scheme == "http":
			return endpoint{}, fmt.Sprintf("remediation.subscribe: %s is not subscribed: SNS would deliver alarms to it unencrypted; use an https URL.", redactEndpoint("http", s))
		}
	}
	if a, err := mail.ParseAddress(s); err == nil && a.Address == s {
		return endpoint{"email", s}, ""
	}
	return endpoint{}, fmt.Sprintf("remediation.subscribe: %q is neither an https URL nor an e-mail address, so it is not subscribed.", s)
}

// option is one way to make the chain pass: what it creates and what is left to people.
type option struct {
	steps  []PlanStep
	manual []string
}

// better prefers fewer manual steps (the bot cannot finish those), then fewer changes.
func (o option) better(p option) bool {
	if len(o.manual) != len(p.manual) {
		return len(o.manual) < len(p.manual)
	}
	return len(o.steps) < len(p.steps)
}

func (o option) plus(p option) option {
	return option{steps: append(slices.Clip(o.steps), p.steps...), manual: append(slices.Clip(o.manual), p.manual...)}
}

func pick(opts []option) option {
	best := opts[0]
	for _, o := range opts[1:] {
		if o.better(best) {
			best = o
		}
	}
	return best
}

// best plans on every candidate trail (multi-region, delivering to CloudWatch Logs) and keeps
// the shortest plan; ties go to the first trail by ARN, as in Evaluate.
func (pl *planner) best() option {
	var cands []Trail
	for _, t := range pl.snap.Trails {
		if t.MultiRegion && t.LogGroupARN != "" {
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 {
		return option{manual: pl.noTrail()}
	}
	slices.SortFunc(cands, func(a, b Trail) int { return strings.Compare(a.ARN, b.ARN) })
	var opts []option
	var skipped []string
	for _, t := range cands {
		o, why := pl.trail(t)
		if why != "" {
			skipped = append(skipped, why)
			continue
		}
		opts = append(opts, o)
	}
	if len(opts) == 0 {
		return option{manual: []string{"No trail can be planned on, because part of the audit's evidence is missing (" + strings.Join(skipped, "; ") + "): fix the access, audit again, then run the fix again."}}
	}
	return pick(opts)
}

// trail plans the chain on one candidate trail; why is set when the audit lacks what the plan
// needs (a failed read).
func (pl *planner) trail(t Trail) (o option, why string) {
	switch {
	case t.StatusErr != nil:
		return o, t.StatusErr.Error()
	case t.Status == nil:
		return o, "the status of trail " + t.Name + " was not read"
	case t.SelectorsErr != nil:
		return o, t.SelectorsErr.Error()
	}
	lg := pl.snap.LogGroups[t.LogGroupARN]
	switch {
	case lg == nil:
		return o, "the metric filters of " + t.LogGroupARN + " were not read"
	case lg.Err != nil:
		return o, lg.Err.Error()
	}
	owner := parseARN(t.ARN).AccountID
	if !t.Status.IsLogging {
		if owner == pl.snap.AccountID {
			o.steps = append(o.steps, pl.startLogging(t))
		} else {
			o.manual = append(o.manual, fmt.Sprintf("Trail %s belongs to account %s (an organization trail): start logging there: aws cloudtrail start-logging --region %s --name %s", t.Name, owner, t.HomeRegion, t.ARN))
		}
	}
	if ok, detail, _ := managementEvents(t.Selectors); !ok {
		o.manual = append(o.manual, selectorsManual(t, detail))
	}
	if lg.Account != pl.snap.AccountID {
		o.manual = append(o.manual, fmt.Sprintf("Trail %s delivers to log group %s in account %s, so the metric filter, alarm and topic belong in that account, which this account's credentials cannot change: configure account %s under accounts: and fix it there.", t.Name, lg.Name, lg.Account, lg.Account))
		return o, ""
	}
	set := pl.snap.Alarms[lg.Account+"/"+lg.Region]
	switch {
	case set == nil:
		return o, "the alarms of " + lg.Account + "/" + lg.Region + " were not read"
	case set.Err != nil:
		return o, set.Err.Error()
	}
	return o.plus(pl.filter(lg, set)), ""
}

// selectorsManual is the manual step for a trail that does not record every management event.
// The bot does not change event selectors: they decide what the trail records and so what it
// costs (management events beyond the first copy in an account, and any data events, are
// billed), and put-event-selectors replaces all of a trail's selectors at once.
func selectorsManual(t Trail, detail string) string {
	cmd := fmt.Sprintf(`aws cloudtrail put-event-selectors --region %s --trail-name %s --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`, t.HomeRegion, t.ARN)
	if t.Selectors != nil && len(t.Selectors.Advanced) > 0 {
		cmd = fmt.Sprintf(`aws cloudtrail put-event-selectors --region %s --trail-name %s --advanced-event-selectors '[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]'`, t.HomeRegion, t.ARN)
	}
	return fmt.Sprintf("Trail %s: %s. Record all management events, read and write: %s. The command replaces all of the trail's selectors, so add the ones it has now (aws cloudtrail get-event-selectors --region %s --trail-name %s) to the list. cisbot does not change selectors itself: they decide what the trail records and what it costs.",
		t.Name, detail, cmd, t.HomeRegion, t.ARN)
}

// noTrail is the manual step when no trail is multi-region with CloudWatch Logs delivery: the
// bot does not create or reconfigure trails (a trail needs an S3 bucket with a policy for
// CloudTrail, a log group, an IAM role CloudTrail assumes to write to it, and it costs money).
func (pl *planner) noTrail() []string {
	then := "Then run the fix again: the metric filter, alarm and topic need the trail's log group."
	var own []Trail
	for _, t := range pl.snap.Trails {
		if parseARN(t.ARN).AccountID == pl.snap.AccountID {
			own = append(own, t)
		}
	}
	if len(own) == 0 {
		return []string{fmt.Sprintf("The account has no trail of its own that is multi-region and delivers to CloudWatch Logs (CIS 3.x). Create one, in the region that is to be its home: aws logs create-log-group --region <region> --log-group-name %s; "+
			"aws cloudtrail create-trail --region <region> --name cis-trail --s3-bucket-name <bucket whose policy lets cloudtrail.amazonaws.com write> --is-multi-region-trail --cloud-watch-logs-log-group-arn arn:aws:logs:<region>:%s:log-group:%s:* --cloud-watch-logs-role-arn <ARN of a role cloudtrail.amazonaws.com assumes, allowed logs:CreateLogStream and logs:PutLogEvents on the group>; "+
			"aws cloudtrail start-logging --region <region> --name cis-trail. %s", lgNameFor(pl.snap.AccountID), pl.snap.AccountID, lgNameFor(pl.snap.AccountID), then)}
	}
	// One trail is enough: prefer one that already delivers to CloudWatch Logs (a flag away).
	slices.SortStableFunc(own, func(a, b Trail) int {
		return cmp.Or(cmp.Compare(boolInt(a.LogGroupARN == ""), boolInt(b.LogGroupARN == "")), strings.Compare(a.ARN, b.ARN))
	})
	t := own[0]
	var args []string
	var why []string
	if !t.MultiRegion {
		args = append(args, "--is-multi-region-trail")
		why = append(why, "is single-region")
	}
	var prep string
	if t.LogGroupARN == "" {
		part := partition(t.ARN)
		lg := lgNameFor(pl.snap.AccountID)
		prep = fmt.Sprintf("aws logs create-log-group --region %s --log-group-name %s; ", t.HomeRegion, lg)
		args = append(args, fmt.Sprintf("--cloud-watch-logs-log-group-arn arn:%s:logs:%s:%s:log-group:%s:* --cloud-watch-logs-role-arn <ARN of a role cloudtrail.amazonaws.com assumes, allowed logs:CreateLogStream and logs:PutLogEvents on the group>", part, t.HomeRegion, pl.snap.AccountID, lg))
		why = append(why, "does not deliver to CloudWatch Logs")
	}
	return []string{fmt.Sprintf("Trail %s %s; fix it: %saws cloudtrail update-trail --region %s --name %s %s. %s", t.Name, strings.Join(why, " and "), prep, t.HomeRegion, t.ARN, strings.Join(args, " "), then)}
}

func lgNameFor(account string) string { return "aws-cloudtrail-logs-" + account }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// filter plans on the trail's log group: reuse an equivalent filter (one that satisfies the
// control per the audit, on a metric an alarm can watch), else create one.
func (pl *planner) filter(lg *LogGroup, set *AlarmSet) option {
	var opts []option
	for _, f := range lg.Filters {
		if v, err := cachedCheckAt(pl.ctl, f.Pattern, pl.benchmark); err != nil || !v.Satisfies {
			continue
		}
		if ok, _ := alarmFires(f, pl.newAlarm(f, "")); !ok {
			continue // e.g. it publishes dimensions: no alarm sees every event
		}
		opts = append(opts, pl.alarm(lg, set, f))
	}
	if len(opts) > 0 {
		return pick(opts)
	}
	nf := pl.newFilter(lg)
	return option{steps: []PlanStep{pl.putFilter(lg, nf)}}.plus(pl.alarm(lg, set, nf))
}

// newFilter names the filter to create so that it overwrites nothing: the default name unless a
// filter on the group holds it, and the default metric unless a filter the audit read in the
// account and region publishes it (two filters on one metric would mix their counts).
func (pl *planner) newFilter(lg *LogGroup) MetricFilter {
	d := pl.ctl.Defaults
	name := freeName(d.FilterName, func(n string) bool {
		return slices.ContainsFunc(lg.Filters, func(f MetricFilter) bool { return f.Name == n })
	})
	metric := freeName(d.MetricName, func(n string) bool {
		for _, g := range pl.snap.LogGroups {
			if g.Account != lg.Account || g.Region != lg.Region {
				continue
			}
			if slices.ContainsFunc(g.Filters, func(f MetricFilter) bool { return f.Namespace == d.MetricNamespace && f.MetricName == n }) {
				return true
			}
		}
		return false
	})
	zero := 0.0
	return MetricFilter{Name: name, Pattern: pl.pattern, MetricName: metric, Namespace: d.MetricNamespace, MetricValue: "1", DefaultValue: &zero}
}

// freeName is base, or base-cisbot, base-cisbot-2, … : the first name not taken.
func freeName(base string, taken func(string) bool) string {
	if !taken(base) {
		return base
	}
	for i := 1; ; i++ {
		n := base + NameSuffix
		if i > 1 {
			n += "-" + strconv.Itoa(i)
		}
		if !taken(n) {
			return n
		}
	}
}

// alarm plans the rest of the chain on filter f's metric: reuse an alarm that fires on one
// event and notifies a topic; else create one (existing alarms are never changed, even to add
// an action), to a usable existing topic or to a new one.
func (pl *planner) alarm(lg *LogGroup, set *AlarmSet, f MetricFilter) option {
	var opts []option
	for _, a := range set.Alarms {
		if a.Namespace != f.Namespace || a.MetricName != f.MetricName {
			continue
		}
		if ok, _ := alarmFires(f, a); !ok {
			continue
		}
		for _, arn := range a.AlarmActions {
			if o, ok := pl.existingTopic(arn, lg); ok {
				opts = append(opts, o)
			}
		}
	}
	name := freeName(pl.ctl.Defaults.AlarmName, func(n string) bool {
		return slices.ContainsFunc(set.Alarms, func(a Alarm) bool { return a.Name == n })
	})
	// Usable topics are those the audit read for this log group's alarms (so already used for
	// them) in the account and region of the new alarm: an alarm publishes only to a topic in
	// its region, and the bot can change only this account.
	var usable []*Topic
	for _, t := range pl.snap.Topics {
		if t.Err == nil && parseARN(t.ARN).AccountID == lg.Account && parseARN(t.ARN).Region == lg.Region {
			usable = append(usable, t)
		}
	}
	slices.SortFunc(usable, func(a, b *Topic) int {
		return cmp.Or(cmp.Compare(boolInt(!confirmed(a)), boolInt(!confirmed(b))),
			cmp.Compare(boolInt(arnResource(a.ARN) != pl.topicName), boolInt(arnResource(b.ARN) != pl.topicName)),
			strings.Compare(a.ARN, b.ARN))
	})
	for _, t := range usable {
		// The audit does not read topic policies, and this alarm is new: make sure it may
		// publish (the step changes the policy only if nothing in it allows that already).
		o := option{steps: []PlanStep{pl.mergePolicy(lg, t.ARN)}}
		if !confirmed(t) {
			o = o.plus(pl.subscribers(lg, t.ARN, t.Subscriptions))
		}
		opts = append(opts, o.plus(option{steps: []PlanStep{pl.putAlarm(lg, f, name, t.ARN)}}))
	}
	topicARN := fmt.Sprintf("arn:%s:sns:%s:%s:%s", partition(lg.ARN), lg.Region, lg.Account, pl.topicName)
	if !slices.ContainsFunc(usable, func(t *Topic) bool { return t.ARN == topicARN }) {
		// A topic created in the alarm's own account needs no policy change: its default policy
		// lets every principal of the owner account publish (AWS:SourceOwner), which covers the
		// account's CloudWatch alarms. (If a topic of that name exists already, unseen by the
		// audit, the create step uses it and merges the statement only if its policy lacks it.)
		o := option{steps: []PlanStep{pl.createTopic(lg, topicARN)}}.
			plus(pl.subscribers(lg, topicARN, nil)).
			plus(option{steps: []PlanStep{pl.putAlarm(lg, f, name, topicARN)}})
		opts = append(opts, o)
	}
	return pick(opts)
}

// existingTopic is the option of relying on an existing alarm's topic: nothing to do if it has
// a confirmed subscriber, subscriptions if it is in this account and region.
//
// The audit reads the topics of alarms on the metrics its filters publish, so the topic of an
// alarm on a metric no filter publishes yet (the filter is what this plan creates) was not
// read: its subscribers are unknown. Rather than a second alarm on the same metric, which would
// notify twice, the configured endpoints are subscribed to it; the subscribe step leaves an
// endpoint that is subscribed already as it is.
func (pl *planner) existingTopic(arn string, lg *LogGroup) (option, bool) {
	if parseARN(arn).Service != "sns" {
		return option{}, false
	}
	t := pl.snap.Topics[arn]
	switch {
	case t != nil && t.Err != nil:
		return option{}, false
	case t != nil && confirmed(t):
		return option{}, true
	case parseARN(arn).AccountID != lg.Account || parseARN(arn).Region != lg.Region:
		return option{}, false
	case t == nil:
		return pl.subscribers(lg, arn, nil), true
	}
	return pl.subscribers(lg, arn, t.Subscriptions), true
}

func confirmed(t *Topic) bool {
	return slices.ContainsFunc(t.Subscriptions, func(s Subscription) bool { return strings.HasPrefix(s.ARN, "arn:") })
}

// subscribers subscribes the configured endpoints a topic without a confirmed subscriber lacks;
// when there is none to subscribe, a person must subscribe or confirm one.
func (pl *planner) subscribers(lg *LogGroup, topicARN string, subs []Subscription) option {
	var o option
	var pending []string
	for _, e := range pl.endpoints {
		i := slices.IndexFunc(subs, func(s Subscription) bool { return sameEndpoint(e, s.Protocol, s.Endpoint) })
		if i < 0 {
			o.steps = append(o.steps, pl.subscribe(lg, topicARN, e))
			if e.protocol == "sqs" {
				pl.queueSend(&o, lg, topicARN, e.address)
			}
		} else if !strings.HasPrefix(subs[i].ARN, "arn:") {
			pending = append(pending, redactEndpoint(e.protocol, e.address))
		}
	}
	switch {
	case len(o.steps) > 0:
	case len(pending) > 0:
		o.manual = append(o.manual, fmt.Sprintf("Confirm the subscription of %s to %s (the link in the confirmation e-mail, or the endpoint's answer to SubscriptionConfirmation): until one subscription is confirmed nobody receives the alarm.", strings.Join(pending, ", "), topicARN))
	default:
		o.manual = append(o.manual, fmt.Sprintf("Nobody would receive the alarm: topic %s has no confirmed subscriber and no endpoint is configured (remediation.subscribe). Subscribe one and confirm it: aws sns subscribe --region %s --topic-arn %s --protocol email --notification-endpoint <address>", topicARN, lg.Region, topicARN))
	}
	return o
}

func (pl *planner) startLogging(t Trail) PlanStep {
	return StartLogging{StepInfo: StepInfo{Region: t.HomeRegion, Resource: t.ARN,
		Detail: fmt.Sprintf("Start logging on trail %s (home region %s): while it is stopped it records nothing.", t.Name, t.HomeRegion)},
		TrailARN: t.ARN, TrailName: t.Name}
}

func (pl *planner) putFilter(lg *LogGroup, f MetricFilter) PlanStep {
	return PutMetricFilter{StepInfo: StepInfo{Region: lg.Region, Resource: f.Name, Control: pl.control,
		Detail: fmt.Sprintf("Create metric filter %s on log group %s with the %s pattern%s, counting each matching event as 1 in metric %s/%s (0 when none match).", f.Name, lg.Name, pl.patName, pl.patNote, f.Namespace, f.MetricName)},
		LogGroupName: lg.Name, FilterName: f.Name, Pattern: f.Pattern, MetricName: f.MetricName, Namespace: f.Namespace, MetricValue: f.MetricValue, DefaultValue: 0}
}

func (pl *planner) createTopic(lg *LogGroup, arn string) PlanStep {
	name := arnResource(arn)
	return CreateTopic{StepInfo: StepInfo{Region: lg.Region, Resource: arn,
		Detail: fmt.Sprintf("Create SNS topic %s, tagged %s=%s, for the alarm (a topic of that name that exists already is used as it is).", name, TagManagedBy, ManagedBy)},
		TopicName: name, TopicARN: arn, Publish: alarmPublish(lg), Tags: maps.Clone(pl.tags)}
}

func (pl *planner) mergePolicy(lg *LogGroup, arn string) PlanStep {
	return MergeTopicPolicy{StepInfo: StepInfo{Region: lg.Region, Resource: arn,
		Detail: fmt.Sprintf("Make sure CloudWatch alarms of account %s may publish to topic %s: statement %s is added to its access policy only if no statement allows that already; nothing else in the policy changes.", lg.Account, arnResource(arn), PolicySid)},
		TopicARN: arn, Publish: alarmPublish(lg)}
}

// alarmPublish lets every alarm in the log group's account and region publish.
func alarmPublish(lg *LogGroup) AlarmPublish {
	return AlarmPublish{Sid: PolicySid, SourceAccount: lg.Account,
		SourceARN: fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:*", partition(lg.ARN), lg.Region, lg.Account)}
}

// queueSend lets the topic send to a queue subscribed to it: a step merging the statement into
// the queue's policy when the queue is in the topic's account, else the statement for a person
// of the queue's account to add.
func (pl *planner) queueSend(o *option, lg *LogGroup, topicARN, queueARN string) {
	send := TopicSend{Sid: queueSendSid(topicARN), TopicARN: topicARN}
	if parseARN(queueARN).AccountID != lg.Account {
		stmt, _, _ := send.Grant("", queueARN)
		o.manual = append(o.manual, fmt.Sprintf("Queue %s is in another account than topic %s: in the queue's account, let the topic send to it (aws sqs set-queue-attributes --queue-url %s --attributes Policy=…, merging %s); until then SNS cannot deliver to it.", queueARN, topicARN, queueURL(queueARN), stmt))
		return
	}
	o.steps = append(o.steps, MergeQueuePolicy{StepInfo: StepInfo{Region: parseARN(queueARN).Region, Resource: queueARN,
		Detail: fmt.Sprintf("Make sure topic %s may send to queue %s: statement %s (sqs:SendMessage from sns.amazonaws.com with aws:SourceArn the topic) is added to its policy only if no statement allows that already; nothing else in the policy changes.", arnResource(topicARN), arnResource(queueARN), send.Sid)},
		QueueARN: queueARN, QueueURL: queueURL(queueARN), Send: send})
}

func (pl *planner) subscribe(lg *LogGroup, topicARN string, e endpoint) PlanStep {
	return Subscribe{StepInfo: StepInfo{Region: lg.Region, Resource: topicARN,
		Detail: fmt.Sprintf("Subscribe %s (%s) to topic %s; AWS holds the subscription as pending until it is confirmed (the link in the e-mail, or the endpoint's answer), and the audit passes once one subscription is confirmed.", redactEndpoint(e.protocol, e.address), e.protocol, arnResource(topicARN))},
		TopicARN: topicARN, Protocol: e.protocol, Endpoint: e.address}
}

// newAlarm is the alarm remediation creates on f's metric: the control's alarm (Sum over 300 s
// ≥ 1, one datapoint), missing data not breaching so that a quiet period settles to OK rather
// than INSUFFICIENT_DATA.
func (pl *planner) newAlarm(f MetricFilter, name string) Alarm {
	s := pl.ctl.Alarm
	return Alarm{Name: name, Namespace: f.Namespace, MetricName: f.MetricName, Statistic: s.Statistic, Period: s.Period,
		EvaluationPeriods: s.EvaluationPeriods, DatapointsToAlarm: s.EvaluationPeriods, Threshold: s.Threshold,
		ComparisonOperator: s.ComparisonOperator, TreatMissingData: "notBreaching", ActionsEnabled: true}
}

func (pl *planner) putAlarm(lg *LogGroup, f MetricFilter, name, topicARN string) PlanStep {
	a := pl.newAlarm(f, name)
	arn := fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", partition(lg.ARN), lg.Region, lg.Account, name)
	return PutMetricAlarm{StepInfo: StepInfo{Region: lg.Region, Resource: arn, Control: pl.control,
		Detail: fmt.Sprintf("Create alarm %s on %s/%s: %s over %d s %s %g in %d of %d datapoints, notifying topic %s on ALARM and on OK; missing data counts as not breaching, so a quiet period settles to OK.",
			name, f.Namespace, f.MetricName, a.Statistic, a.Period, opSymbol(a.ComparisonOperator), a.Threshold, a.DatapointsToAlarm, a.EvaluationPeriods, arnResource(topicARN))},
		AlarmName: name, Namespace: f.Namespace, MetricName: f.MetricName, Statistic: a.Statistic, Period: a.Period,
		EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.DatapointsToAlarm, Threshold: a.Threshold,
		ComparisonOperator: a.ComparisonOperator, TreatMissingData: a.TreatMissingData, TopicARN: topicARN, Tags: maps.Clone(pl.tags)}
}

func opSymbol(op string) string {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return "≥"
	case "GreaterThanThreshold":
		return ">"
	}
	return op
}

// parseARN is the ARN's fields; a malformed ARN has none, so it matches no account or region.
func parseARN(s string) arn.ARN {
	a, err := arn.Parse(s)
	if err != nil {
		return arn.ARN{}
	}
	return a
}

// partition is the ARN's partition, "aws" when it has none.
func partition(s string) string { return cmp.Or(parseARN(s).Partition, "aws") }

// arnResource is the resource part of an ARN: a topic's name.
func arnResource(s string) string { return parseARN(s).Resource }
