package cis

// The applier: executes a plan step by step, each step checking what exists before creating,
// so that running the same plan twice changes nothing and nothing that exists is overwritten.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// The AWS calls remediation makes, with the SDK's own signatures. They are separate from the
// audit's read interfaces (collect.go), which cannot change anything; each writer also holds the
// one read it makes to check before it creates.
type (
	// LogsWriter creates metric filters.
	LogsWriter interface {
		DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
		PutMetricFilter(context.Context, *cloudwatchlogs.PutMetricFilterInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutMetricFilterOutput, error)
	}
	// AlarmsWriter creates metric alarms (tagged at creation, so no TagResource).
	AlarmsWriter interface {
		DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
		PutMetricAlarm(context.Context, *cloudwatch.PutMetricAlarmInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	}
	// TopicsWriter creates topics and subscriptions and merges topic policies.
	TopicsWriter interface {
		GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
		SetTopicAttributes(context.Context, *sns.SetTopicAttributesInput, ...func(*sns.Options)) (*sns.SetTopicAttributesOutput, error)
		CreateTopic(context.Context, *sns.CreateTopicInput, ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
		ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
		Subscribe(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	}
	// TrailWriter starts trails.
	TrailWriter interface {
		GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
		StartLogging(context.Context, *cloudtrail.StartLoggingInput, ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
	}
)

var (
	_ LogsWriter   = (*cloudwatchlogs.Client)(nil)
	_ AlarmsWriter = (*cloudwatch.Client)(nil)
	_ TopicsWriter = (*sns.Client)(nil)
	_ TrailWriter  = (*cloudtrail.Client)(nil)
)

// Writers reach one account's services in any region, to change them.
type Writers struct {
	Logs       func(region string) LogsWriter
	CloudWatch func(region string) AlarmsWriter
	SNS        func(region string) TopicsWriter
	CloudTrail func(region string) TrailWriter
}

// Outcome is what became of one step.
type Outcome string

// The outcomes.
const (
	OutcomeOK     Outcome = "ok"      // done, or found already in place
	OutcomeFailed Outcome = "failed"  // the run stopped here
	OutcomeNotRun Outcome = "not_run" // an earlier step failed
)

// StepOutcome is the record of one step.
type StepOutcome struct {
	Outcome Outcome `json:"outcome"`
	// Changed is false when what the step creates was already in place (a second run).
	Changed bool   `json:"changed"`
	Detail  string `json:"detail"`
	// Code and Message are the AWS error of a failed call; Code is empty when the applier itself
	// refused (something exists and differs from the plan).
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// StepResult is a step with its outcome.
type StepResult struct {
	Step    PlanStep    `json:"step"`
	Outcome StepOutcome `json:"outcome"`
}

// ApplyResult is a whole run: every step of the plan in order, those done, the one that failed
// and those not run.
type ApplyResult struct {
	Account   string       `json:"account"`
	AccountID string       `json:"account_id"`
	PlanHash  string       `json:"plan_hash"`
	OK        bool         `json:"ok"`
	Error     string       `json:"error,omitempty"` // set when the plan itself was refused
	Steps     []StepResult `json:"steps"`
}

// Done are the steps that completed (changed or already in place).
func (r ApplyResult) Done() []StepResult { return r.with(OutcomeOK) }

// NotDone are the failed step and those not run.
func (r ApplyResult) NotDone() []StepResult {
	return slices.DeleteFunc(slices.Clone(r.Steps), func(s StepResult) bool { return s.Outcome.Outcome == OutcomeOK })
}

// Failed is the step that stopped the run, nil if none did.
func (r ApplyResult) Failed() *StepResult {
	for i := range r.Steps {
		if r.Steps[i].Outcome.Outcome == OutcomeFailed {
			return &r.Steps[i]
		}
	}
	return nil
}

// Changed counts the steps that changed something.
func (r ApplyResult) Changed() int {
	n := 0
	for _, s := range r.Steps {
		if s.Outcome.Changed {
			n++
		}
	}
	return n
}

func (r ApplyResult) with(o Outcome) []StepResult {
	var out []StepResult
	for _, s := range r.Steps {
		if s.Outcome.Outcome == o {
			out = append(out, s)
		}
	}
	return out
}

// Summary says in one sentence what was and was not done.
func (r ApplyResult) Summary() string {
	if r.Error != "" {
		return "nothing was done: " + r.Error
	}
	done := len(r.Done())
	s := fmt.Sprintf("%d of %d steps done (%d changed something)", done, len(r.Steps), r.Changed())
	if f := r.Failed(); f != nil {
		s += fmt.Sprintf("; step %d (%s %s) failed: %s", done+1, f.Step.Kind, f.Step.Resource, f.Outcome.Detail)
		if n := len(r.Steps) - done - 1; n > 0 {
			s += fmt.Sprintf("; %d not run", n)
		}
	}
	return s
}

// Apply executes the plan's steps in order. Each step checks what exists first: what is already
// in place is left as it is (so a second run of the same plan changes nothing), and something
// that exists but differs from the plan is never overwritten: the step fails instead. The first
// failure stops the run; record, if set, is called for every step in order, those not run
// included, as soon as its outcome is known.
//
// Checking and creating are two calls, so a change made by someone else in between can still
// race with a step; the approval flow makes sure the bot itself applies a request only once.
func Apply(ctx context.Context, w Writers, p Plan, record func(step PlanStep, outcome StepOutcome)) ApplyResult {
	res := ApplyResult{Account: p.Account, AccountID: p.AccountID, PlanHash: p.Hash, Steps: make([]StepResult, 0, len(p.Steps))}
	stop := ""
	if h := PlanHash(p.Steps); h != p.Hash {
		res.Error = fmt.Sprintf("the plan's steps do not match its hash (%s, expected %s): plan again", h, p.Hash)
		stop = "not run: " + res.Error
	}
	for _, st := range p.Steps {
		var out StepOutcome
		if stop != "" {
			out = StepOutcome{Outcome: OutcomeNotRun, Detail: stop}
		} else {
			out = runStep(ctx, w, st)
			if out.Outcome == OutcomeFailed {
				stop = fmt.Sprintf("not run: the %s step on %s failed", st.Kind, st.Resource)
			}
		}
		res.Steps = append(res.Steps, StepResult{Step: st, Outcome: out})
		if record != nil {
			record(st, out)
		}
	}
	res.OK = stop == ""
	return res
}

// runStep runs one step; a panic becomes that step's failure.
func runStep(ctx context.Context, w Writers, st PlanStep) (out StepOutcome) {
	defer func() {
		if p := recover(); p != nil {
			out = refused(fmt.Sprintf("internal error: %v (please report it)", p))
		}
	}()
	if err := ctx.Err(); err != nil {
		return failed("cisbot", st.Resource, err)
	}
	a := stepArgs{st: st}
	switch st.Kind {
	case KindStartLogging:
		if w.CloudTrail == nil {
			return refused("no CloudTrail writer is configured")
		}
		return applyStartLogging(ctx, w.CloudTrail(st.Region), &a)
	case KindPutMetricFilter:
		if w.Logs == nil {
			return refused("no CloudWatch Logs writer is configured")
		}
		return applyPutFilter(ctx, w.Logs(st.Region), &a)
	case KindCreateTopic:
		if w.SNS == nil {
			return refused("no SNS writer is configured")
		}
		return applyCreateTopic(ctx, w.SNS(st.Region), &a)
	case KindMergeTopicPolicy:
		if w.SNS == nil {
			return refused("no SNS writer is configured")
		}
		return applyMergePolicy(ctx, w.SNS(st.Region), &a)
	case KindSubscribe:
		if w.SNS == nil {
			return refused("no SNS writer is configured")
		}
		return applySubscribe(ctx, w.SNS(st.Region), &a)
	case KindPutMetricAlarm:
		if w.CloudWatch == nil {
			return refused("no CloudWatch writer is configured")
		}
		return applyPutAlarm(ctx, w.CloudWatch(st.Region), &a)
	}
	return refused(fmt.Sprintf("unknown step kind %q: this plan was made by another version of cisbot; plan again", st.Kind))
}

// stepArgs reads a step's parameters, remembering the first one missing or malformed.
type stepArgs struct {
	st  PlanStep
	err string
}

func (a *stepArgs) str(key string) string {
	v, ok := a.st.Params[key]
	if (!ok || v == "") && a.err == "" {
		a.err = fmt.Sprintf("the %s step lacks parameter %s: plan again", a.st.Kind, key)
	}
	return v
}

func (a *stepArgs) int32(key string) int32 {
	s := a.str(key)
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil && a.err == "" {
		a.err = fmt.Sprintf("the %s step's parameter %s is %q, not a number: plan again", a.st.Kind, key, s)
	}
	return int32(n)
}

func (a *stepArgs) float(key string) float64 {
	s := a.str(key)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && a.err == "" {
		a.err = fmt.Sprintf("the %s step's parameter %s is %q, not a number: plan again", a.st.Kind, key, s)
	}
	return f
}

// tags are the step's tag parameters, sorted by key.
func (a *stepArgs) tags() [][2]string {
	var out [][2]string
	for k, v := range a.st.Params {
		if key, ok := strings.CutPrefix(k, TagPrefix); ok {
			out = append(out, [2]string{key, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func succeeded(changed bool, detail string) StepOutcome {
	return StepOutcome{Outcome: OutcomeOK, Changed: changed, Detail: detail}
}

// refused is a failure decided by the applier, not by AWS.
func refused(detail string) StepOutcome {
	return StepOutcome{Outcome: OutcomeFailed, Detail: detail, Message: detail}
}

// failed records a failed AWS call with its error code and message, and what to do about it.
func failed(api, resource string, err error) StepOutcome {
	out := StepOutcome{Outcome: OutcomeFailed, Message: err.Error()}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		out.Code, out.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		out.Message = "the run was cancelled or timed out"
	}
	msg := out.Message
	if out.Code != "" {
		msg = out.Code + ": " + msg
	}
	out.Detail = fmt.Sprintf("%s on %s failed: %s", api, resource, msg)
	switch out.Code {
	case "AccessDenied", "AccessDeniedException", "AuthorizationError", "UnauthorizedOperation":
		out.Detail += fmt.Sprintf(". Allow %s to the role the bot uses in this account, then approve the fix again: the steps already done are kept and not repeated.", api)
	}
	return out
}

func applyStartLogging(ctx context.Context, ct TrailWriter, a *stepArgs) StepOutcome {
	arn, name := a.str(ParamTrailARN), a.str(ParamTrailName)
	if a.err != "" {
		return refused(a.err)
	}
	st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: &arn})
	if err != nil {
		return failed("cloudtrail:GetTrailStatus", arn, err)
	}
	if deref(st.IsLogging) {
		return succeeded(false, "trail "+name+" is logging already")
	}
	// The client is in the trail's home region, where its name identifies it. (AWS takes the
	// ARN as well; moto 5.2.1 looks StartLogging up by name only.)
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: &name}); err != nil {
		return failed("cloudtrail:StartLogging", arn, err)
	}
	return succeeded(true, "trail "+name+" started logging")
}

func applyPutFilter(ctx context.Context, logs LogsWriter, a *stepArgs) StepOutcome {
	group, name, pattern := a.str(ParamLogGroupName), a.str(ParamFilterName), a.str(ParamPattern)
	metric, ns, value := a.str(ParamMetricName), a.str(ParamNamespace), a.str(ParamMetricValue)
	def := a.float(ParamDefaultValue)
	if a.err != "" {
		return refused(a.err)
	}
	where := name + " on log group " + group
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(logs, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: &group, FilterNamePrefix: &name})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failed("logs:DescribeMetricFilters", group, err)
		}
		for _, f := range out.MetricFilters {
			if deref(f.FilterName) != name {
				continue
			}
			same := deref(f.FilterPattern) == pattern && len(f.MetricTransformations) == 1
			if same {
				t := f.MetricTransformations[0]
				same = deref(t.MetricName) == metric && deref(t.MetricNamespace) == ns && deref(t.MetricValue) == value &&
					t.DefaultValue != nil && *t.DefaultValue == def && len(t.Dimensions) == 0
			}
			if !same {
				return refused(fmt.Sprintf("metric filter %s exists and differs from the plan (it was created or changed after the audit); cisbot does not overwrite it: audit and plan again", where))
			}
			return succeeded(false, "metric filter "+where+" is in place already")
		}
	}
	_, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: &group, FilterName: &name, FilterPattern: &pattern,
		MetricTransformations: []cwltypes.MetricTransformation{{MetricName: &metric, MetricNamespace: &ns, MetricValue: &value, DefaultValue: &def}},
	})
	if err != nil {
		return failed("logs:PutMetricFilter", group, err)
	}
	return succeeded(true, fmt.Sprintf("metric filter %s created, publishing %s/%s", where, ns, metric))
}

// applyCreateTopic creates the topic unless it exists. A topic that exists already was either
// created by an earlier run of this plan or by someone else, unseen by the audit (no alarm of
// the control named it): it is used as it is, except that the statement letting CloudWatch
// alarms publish is merged into its policy if nothing there allows it.
func applyCreateTopic(ctx context.Context, c TopicsWriter, a *stepArgs) StepOutcome {
	name, arn := a.str(ParamTopicName), a.str(ParamTopicARN)
	if a.err != "" {
		return refused(a.err)
	}
	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	var ae smithy.APIError
	switch {
	case err == nil:
		out := ensurePublish(ctx, c, a, attrs.Attributes["Policy"])
		if out.Outcome == OutcomeOK {
			out.Detail = "topic " + name + " exists already and is used as it is; " + out.Detail
		}
		return out
	case errors.As(err, &ae) && ae.ErrorCode() == "NotFound":
	default:
		return failed("sns:GetTopicAttributes", arn, err)
	}
	in := &sns.CreateTopicInput{Name: &name}
	for _, kv := range a.tags() {
		in.Tags = append(in.Tags, snstypes.Tag{Key: &kv[0], Value: &kv[1]})
	}
	out, err := c.CreateTopic(ctx, in)
	if err != nil {
		return failed("sns:CreateTopic", arn, err)
	}
	if got := deref(out.TopicArn); got != arn {
		return refused(fmt.Sprintf("sns:CreateTopic returned %s, but the plan expected %s (the next steps use that ARN): plan again", got, arn))
	}
	return succeeded(true, "topic "+name+" created ("+tagText(a.tags())+")")
}

func tagText(tags [][2]string) string {
	var parts []string
	for _, kv := range tags {
		parts = append(parts, kv[0]+"="+kv[1])
	}
	return "tagged " + strings.Join(parts, ", ")
}

func applyMergePolicy(ctx context.Context, c TopicsWriter, a *stepArgs) StepOutcome {
	arn := a.str(ParamTopicARN)
	if a.err != "" {
		return refused(a.err)
	}
	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		return failed("sns:GetTopicAttributes", arn, err)
	}
	return ensurePublish(ctx, c, a, attrs.Attributes["Policy"])
}

// ensurePublish merges the statement that lets the account's CloudWatch alarms publish into the
// topic policy, unless a statement allows that already. The rest of the policy is kept.
func ensurePublish(ctx context.Context, c TopicsWriter, a *stepArgs, policy string) StepOutcome {
	arn, sid, account, source := a.str(ParamTopicARN), a.str(ParamSid), a.str(ParamSourceAccount), a.str(ParamSourceArn)
	if a.err != "" {
		return refused(a.err)
	}
	if allowsAlarms(policy, arn, account, source, sid) {
		return succeeded(false, "its policy lets CloudWatch alarms of account "+account+" publish already")
	}
	stmt := map[string]any{
		"Sid":       sid,
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		"Action":    "sns:Publish",
		"Resource":  arn,
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": account},
			"ArnLike":      map[string]any{"aws:SourceArn": source},
		},
	}
	merged, err := mergeStatement(policy, stmt)
	if err != nil {
		return refused(fmt.Sprintf("the policy of %s cannot be merged (%v); cisbot does not replace it: add statement %s by hand", arn, err, sid))
	}
	if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: ptr("Policy"), AttributeValue: &merged}); err != nil {
		return failed("sns:SetTopicAttributes", arn, err)
	}
	return succeeded(true, "statement "+sid+" merged into its policy, so CloudWatch alarms of account "+account+" may publish")
}

// mergeStatement appends stmt to the policy's statements, keeping everything else.
func mergeStatement(policy string, stmt map[string]any) (string, error) {
	doc := map[string]any{}
	if strings.TrimSpace(policy) != "" {
		dec := json.NewDecoder(strings.NewReader(policy))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return "", fmt.Errorf("it is not a JSON object: %w", err)
		}
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = "2012-10-17"
	}
	var list []any
	switch s := doc["Statement"].(type) {
	case nil:
	case []any:
		list = s
	case map[string]any:
		list = []any{s}
	default:
		return "", fmt.Errorf("its Statement is a %T", s)
	}
	doc["Statement"] = append(list, stmt)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// allowsAlarms reports whether a statement of the policy provably lets CloudWatch alarms of the
// account (ARNs matching source) publish to the topic: cisbot's own statement, or an Allow of
// sns:Publish on the topic to everyone or to cloudwatch.amazonaws.com whose conditions, if any,
// are all on the source account, owner or alarm ARN and hold for them. This covers the default
// policy of a new topic (everyone, AWS:SourceOwner = the owner account). Anything it cannot show
// counts as not allowing: the merge then adds a statement that is redundant, never a wrong one.
// Deny statements are not weighed.
func allowsAlarms(policy, topicARN, account, source, sid string) bool {
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(policy), &doc) != nil || len(doc.Statement) == 0 {
		return false
	}
	var stmts []map[string]any
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]any
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []map[string]any{one}
	}
	for _, s := range stmts {
		if s["Sid"] == sid {
			return true
		}
		if s["Effect"] != "Allow" || s["NotAction"] != nil || s["NotPrincipal"] != nil || s["NotResource"] != nil {
			continue
		}
		if !anyString(s["Action"], func(v string) bool { return wildcard(strings.ToLower(v), "sns:publish") }) ||
			!anyString(s["Resource"], func(v string) bool { return wildcard(v, topicARN) }) ||
			!principalAllows(s["Principal"]) || !conditionsHold(s["Condition"], account, source) {
			continue
		}
		return true
	}
	return false
}

func principalAllows(p any) bool {
	if p == "*" {
		return true
	}
	m, ok := p.(map[string]any)
	if !ok {
		return false
	}
	return anyString(m["AWS"], func(v string) bool { return v == "*" }) ||
		anyString(m["Service"], func(v string) bool { return v == "cloudwatch.amazonaws.com" })
}

func conditionsHold(c any, account, source string) bool {
	if c == nil {
		return true
	}
	ops, ok := c.(map[string]any)
	if !ok {
		return false
	}
	for op, keys := range ops {
		km, ok := keys.(map[string]any)
		if !ok {
			return false
		}
		for key, val := range km {
			var holds bool
			switch strings.ToLower(key) {
			case "aws:sourceowner", "aws:sourceaccount":
				holds = (op == "StringEquals" || op == "StringLike") && anyString(val, func(v string) bool { return wildcard(v, account) })
			case "aws:sourcearn":
				holds = (op == "ArnLike" || op == "ArnEquals" || op == "StringLike" || op == "StringEquals") &&
					anyString(val, func(v string) bool { return wildcard(v, source) })
			}
			if !holds {
				return false
			}
		}
	}
	return true
}

// anyString reports whether v (a string or a list of them) has an element satisfying f.
func anyString(v any, f func(string) bool) bool {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && f(s) {
				return true
			}
		}
	}
	return false
}

// wildcard matches s against an IAM pattern where * is any run of characters and ? is one.
func wildcard(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcard(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

func applySubscribe(ctx context.Context, c TopicsWriter, a *stepArgs) StepOutcome {
	arn, protocol, address := a.str(ParamTopicARN), a.str(ParamProtocol), a.str(ParamEndpoint)
	if a.err != "" {
		return refused(a.err)
	}
	shown := redactEndpoint(protocol, address)
	e := endpoint{protocol, address}
	p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: &arn})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failed("sns:ListSubscriptionsByTopic", arn, err)
		}
		for _, s := range out.Subscriptions {
			if sameEndpoint(e, deref(s.Protocol), deref(s.Endpoint)) {
				state := "confirmed"
				if !strings.HasPrefix(deref(s.SubscriptionArn), "arn:") {
					state = "pending confirmation"
				}
				return succeeded(false, fmt.Sprintf("%s is subscribed already (%s)", shown, state))
			}
		}
	}
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &arn, Protocol: &protocol, Endpoint: &address, ReturnSubscriptionArn: true})
	if err != nil {
		return failed("sns:Subscribe", arn, err)
	}
	return succeeded(true, fmt.Sprintf("%s subscribed (%s); it receives alarms once it confirms the subscription", shown, deref(out.SubscriptionArn)))
}

func applyPutAlarm(ctx context.Context, cw AlarmsWriter, a *stepArgs) StepOutcome {
	name, ns, metric, topic := a.str(ParamAlarmName), a.str(ParamNamespace), a.str(ParamMetricName), a.str(ParamTopicARN)
	stat, op, missing := a.str(ParamStatistic), a.str(ParamComparisonOperator), a.str(ParamTreatMissingData)
	period, evals, dps := a.int32(ParamPeriod), a.int32(ParamEvaluationPeriods), a.int32(ParamDatapointsToAlarm)
	threshold := a.float(ParamThreshold)
	if a.err != "" {
		return refused(a.err)
	}
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}})
	if err != nil {
		return failed("cloudwatch:DescribeAlarms", name, err)
	}
	for _, c := range out.CompositeAlarms {
		if deref(c.AlarmName) == name {
			return refused("a composite alarm named " + name + " exists (created after the audit); cisbot does not overwrite it: audit and plan again")
		}
	}
	for _, x := range out.MetricAlarms {
		if deref(x.AlarmName) != name {
			continue
		}
		var diffs []string
		diff := func(what string, got, want any) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				diffs = append(diffs, fmt.Sprintf("%s %v, planned %v", what, got, want))
			}
		}
		diff("metric", deref(x.Namespace)+"/"+deref(x.MetricName), ns+"/"+metric)
		diff("statistic", x.Statistic, stat)
		diff("period", deref(x.Period), period)
		diff("evaluation periods", deref(x.EvaluationPeriods), evals)
		diff("datapoints to alarm", cmp.Or(deref(x.DatapointsToAlarm), deref(x.EvaluationPeriods)), dps)
		diff("threshold", deref(x.Threshold), threshold)
		diff("comparison", x.ComparisonOperator, op)
		diff("missing data", deref(x.TreatMissingData), missing)
		diff("actions enabled", deref(x.ActionsEnabled), true)
		diff("alarm actions", x.AlarmActions, []string{topic})
		diff("OK actions", x.OKActions, []string{topic})
		if len(diffs) > 0 {
			return refused(fmt.Sprintf("alarm %s exists and differs from the plan (%s): it was created or changed after the audit, and cisbot does not overwrite it: audit and plan again", name, strings.Join(diffs, "; ")))
		}
		return succeeded(false, "alarm "+name+" is in place already")
	}
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: &name, Namespace: &ns, MetricName: &metric, Statistic: cwtypes.Statistic(stat), Period: &period,
		EvaluationPeriods: &evals, DatapointsToAlarm: &dps, Threshold: &threshold, ComparisonOperator: cwtypes.ComparisonOperator(op),
		TreatMissingData: &missing, ActionsEnabled: ptr(true), AlarmActions: []string{topic}, OKActions: []string{topic},
	}
	for _, kv := range a.tags() {
		in.Tags = append(in.Tags, cwtypes.Tag{Key: &kv[0], Value: &kv[1]})
	}
	if _, err := cw.PutMetricAlarm(ctx, in); err != nil {
		return failed("cloudwatch:PutMetricAlarm", name, err)
	}
	return succeeded(true, fmt.Sprintf("alarm %s created on %s/%s, notifying %s (%s)", name, ns, metric, topic, tagText(a.tags())))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
