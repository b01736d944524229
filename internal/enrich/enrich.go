// Package enrich finds the CloudTrail events behind a CloudWatch metric alarm: the metric
// filters that feed the alarm's metric, and the log events they matched in the alarm's
// evaluation window, read from CloudWatch Logs in the alarm's account and region and grouped
// by principal. It is the only alert code that calls AWS.
package enrich

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/awsregion"
	"github.com/cisbot/cisbot/internal/filterpattern"
)

// LogsReader is the CloudWatch Logs part of the enrichment, read-only, with the SDK's own
// signatures: the metric filters feeding a metric, and the log events behind them.
type LogsReader interface {
	DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

var _ LogsReader = (*cloudwatchlogs.Client)(nil)

// Defaults of Enricher.
const (
	DefaultMaxEvents = 1000
	DefaultTop       = 5
	// maxErrorMessage is how much of an errorMessage a PrincipalGroup keeps.
	maxErrorMessage = 200
)

// Enricher finds the CloudTrail events behind a metric alarm: the metric filters that feed
// its metric, and the log events those filters matched in the alarm's evaluation window.
type Enricher struct {
	// Logs reaches an account's CloudWatch Logs in a region; the wiring resolves the
	// alarm's account (configured or not) and says why when it cannot, within ctx (the
	// lookup's deadline covers the session's STS calls too).
	Logs      func(ctx context.Context, account, region string) (LogsReader, error)
	MaxEvents int // read at most this many log events (default DefaultMaxEvents)
	Top       int // principals shown (default DefaultTop)
}

// FilterRef names one metric filter feeding the alarm's metric.
type FilterRef struct {
	LogGroup   string
	Name       string
	Pattern    string
	ConsoleURL string // the log group's events in the window, filtered by Pattern
}

// Findings are the CloudTrail events behind an alarm, as far as they could be read.
type Findings struct {
	Filters []FilterRef // the metric filters feeding the alarm's namespace and metric
	// Control is the CIS control the filters' patterns satisfy (see Attribute); nil when
	// no filter was found or none satisfies a control.
	Control   *Attribution `json:",omitempty"`
	Window    [2]time.Time
	Total     int              // matching events found
	Groups    []PrincipalGroup // sorted by count desc, then principal; at most Top
	More      int              // principals not shown
	Truncated bool             // MaxEvents reached: there may be more events
	// ConsoleURL links to the first filter's log group events for the window, in the
	// alarm's region and partition.
	ConsoleURL string
	// Missing says why the context (or part of it) could not be fetched; empty when all
	// of it was.
	Missing string
}

// TimedOut makes f what an alarm shows when its lookup was stopped after d: no events (what
// was read so far is partial and could mislead), the window, filters and console link kept so
// that a reader can look, and Missing saying why.
func (f *Findings) TimedOut(d time.Duration) {
	*f = Findings{
		Filters:    f.Filters,
		Control:    f.Control,
		Window:     f.Window,
		ConsoleURL: f.ConsoleURL,
		Missing:    "the CloudTrail lookup took longer than " + d.String(),
	}
}

// PrincipalGroup is the events of one principal.
type PrincipalGroup struct {
	// Principal is the useful "who": userIdentity.arn, or for AssumedRole the issuer role
	// name and the session, or the type for Root and AWSService.
	Principal    string
	Count        int
	Actions      []string // distinct service:action, e.g. "ec2:RunInstances"
	ErrorCodes   []string
	ErrorMessage string // the first one, trimmed to about 200 characters
	SourceIPs    []string
	Regions      []string
	First, Last  time.Time
	// Details are the fields the alarm's control shows (Attribution.Shows) that the
	// principal's events carry, in the control's order.
	Details []Detail `json:",omitempty"`
}

// Record is the part of a CloudTrail record the enrichment reads.
type Record struct {
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		UserName       string `json:"userName"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext struct {
			SessionIssuer struct {
				UserName string `json:"userName"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventSource     string `json:"eventSource"`
	EventName       string `json:"eventName"`
	AWSRegion       string `json:"awsRegion"`
	SourceIPAddress string `json:"sourceIPAddress"`
	ErrorCode       string `json:"errorCode"`
	ErrorMessage    string `json:"errorMessage"`
	EventTime       string `json:"eventTime"`
	EventID         string `json:"eventID"`
}

// unparsedPrincipal groups matching log events that are not CloudTrail JSON records.
const unparsedPrincipal = "(not a CloudTrail record)"

// Principal returns the useful "who" of the record.
func (r *Record) Principal() string {
	id := &r.UserIdentity
	switch id.Type {
	case "Root", "AWSService":
		return id.Type
	case "AssumedRole":
		issuer := id.SessionContext.SessionIssuer.UserName
		session := ""
		if i := strings.LastIndexByte(id.ARN, '/'); i >= 0 && strings.Contains(id.ARN, ":assumed-role/") {
			session = id.ARN[i+1:]
		}
		switch {
		case issuer != "" && session != "":
			return issuer + "/" + session
		case issuer != "":
			return issuer
		}
	}
	switch {
	case id.ARN != "":
		return id.ARN
	case id.UserName != "":
		return id.UserName
	case id.Type != "":
		return id.Type
	}
	return "unknown"
}

// Action returns service:action, e.g. ec2:RunInstances.
func (r *Record) Action() string {
	svc, _, _ := strings.Cut(r.EventSource, ".")
	if svc == "" && r.EventName == "" {
		return ""
	}
	return svc + ":" + r.EventName
}

// event is one matching log event.
type event struct {
	key  string
	rec  *Record // nil when the message is not a CloudTrail record
	msg  []byte
	time time.Time
}

// Enrich finds the CloudTrail events behind a metric alarm. It never fails as a whole: what could
// not be fetched is said in Missing.
func (e *Enricher) Enrich(ctx context.Context, a *alarm.Alarm) Findings {
	var c Findings
	if c.Missing = untraceable(a); c.Missing != "" {
		return c
	}
	start, end := a.EvaluationWindow()
	if end.IsZero() {
		c.Missing = "the alarm carries no state change time"
		return c
	}
	c.Window = [2]time.Time{start, end}
	if e.Logs == nil {
		c.Missing = "no access to CloudWatch Logs configured"
		return c
	}
	api, err := e.Logs(ctx, a.AWSAccountID, a.RegionCode)
	if err != nil {
		c.Missing = fmt.Sprintf("no access to account %s: %s", a.AWSAccountID, awsenv.Describe(err))
		return c
	}
	metric := a.Trigger.Namespace + "/" + a.Trigger.MetricName
	filters, err := metricFilters(ctx, api, a.Trigger.Namespace, a.Trigger.MetricName)
	if err != nil {
		c.Missing = callError("logs:DescribeMetricFilters", err)
		return c
	}
	if len(filters) == 0 {
		c.Missing = fmt.Sprintf("no metric filter feeds %s in %s (account %s)", metric, a.RegionCode, a.AWSAccountID)
		return c
	}
	for i := range filters {
		filters[i].ConsoleURL = ConsoleURL(a.RegionCode, filters[i].LogGroup, filters[i].Pattern, start, end)
	}
	c.Filters = filters
	c.ConsoleURL = filters[0].ConsoleURL
	c.Control = attribute(filters)
	events, missing := e.readFilters(ctx, api, &c)
	c.Missing = strings.Join(missing, "; ")
	c.Total = len(events)
	var shows []string
	if c.Control != nil {
		shows = c.Control.Shows
	}
	groups := group(events, shows)
	top := e.Top
	if top <= 0 {
		top = DefaultTop
	}
	if len(groups) > top {
		c.More = len(groups) - top
		groups = groups[:top]
	}
	c.Groups = groups
	return c
}

// untraceable says why a's events cannot be looked up, or "" when they can.
func untraceable(a *alarm.Alarm) string {
	switch {
	case a.Composite:
		return "composite alarm: no single metric to trace to a metric filter"
	case a.Trigger.IsMetricMath():
		return "metric-math alarm: no single metric to trace to a metric filter"
	case a.Trigger.Namespace == "" || a.Trigger.MetricName == "":
		return "the alarm names no metric"
	case a.RegionCode == "":
		return "the alarm's region is unknown"
	case a.AWSAccountID == "":
		return "the alarm's account is unknown"
	}
	return ""
}

// readFilters reads the events each of c.Filters matched in c.Window, at most MaxEvents in all
// (setting c.Truncated when it stops there), each event once; missing says what failed.
func (e *Enricher) readFilters(ctx context.Context, api LogsReader, c *Findings) (events []event, missing []string) {
	maxEvents := e.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	seen := map[string]bool{}
	read := 0
	for _, f := range c.Filters {
		if read >= maxEvents {
			c.Truncated = true
			break
		}
		p, err := filterpattern.Parse(f.Pattern)
		if err != nil {
			missing = append(missing, fmt.Sprintf("pattern of filter %q not understood: %v", f.Name, err))
			continue
		}
		n, truncated, err := readEvents(ctx, api, f, p, c.Window[0], c.Window[1], maxEvents-read, func(ev event) {
			if !seen[ev.key] {
				seen[ev.key] = true
				events = append(events, ev)
			}
		})
		read += n
		if truncated {
			c.Truncated = true
		}
		if err != nil {
			missing = append(missing, callError("logs:FilterLogEvents", err)+" (log group "+f.LogGroup+")")
		}
	}
	return events, missing
}

// callError describes a failed call, naming the permission when access was denied.
func callError(action string, err error) string {
	code := awsenv.APIErrorCode(err)
	if strings.HasPrefix(code, "AccessDenied") || strings.HasSuffix(code, "UnauthorizedOperation") || code == "UnauthorizedException" {
		return "access denied: " + action
	}
	return action + ": " + awsenv.Describe(err)
}

// metricFilters lists the filters whose metric transformation is namespace/metric.
func metricFilters(ctx context.Context, api LogsReader, namespace, metric string) ([]FilterRef, error) {
	var refs []FilterRef
	pages := cloudwatchlogs.NewDescribeMetricFiltersPaginator(api, &cloudwatchlogs.DescribeMetricFiltersInput{
		MetricNamespace: aws.String(namespace),
		MetricName:      aws.String(metric),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range out.MetricFilters {
			feeds := slices.ContainsFunc(f.MetricTransformations, func(t cwltypes.MetricTransformation) bool {
				return aws.ToString(t.MetricNamespace) == namespace && aws.ToString(t.MetricName) == metric
			})
			if feeds {
				refs = append(refs, FilterRef{
					LogGroup: aws.ToString(f.LogGroupName),
					Name:     aws.ToString(f.FilterName),
					Pattern:  aws.ToString(f.FilterPattern),
				})
			}
		}
	}
	slices.SortFunc(refs, func(a, b FilterRef) int {
		return cmp.Or(strings.Compare(a.LogGroup, b.LogGroup), strings.Compare(a.Name, b.Name))
	})
	return refs, nil
}

// readEvents reads at most limit log events of f's log group in [start, end], keeping those
// that p matches (AWS already filtered them; emulators do not). It returns how many events
// it read and whether it stopped at the limit.
func readEvents(ctx context.Context, api LogsReader, f FilterRef, p *filterpattern.Pattern, start, end time.Time, limit int, keep func(event)) (int, bool, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(f.LogGroup),
		StartTime:    aws.Int64(start.UnixMilli()),
		EndTime:      aws.Int64(end.UnixMilli()),
		Limit:        aws.Int32(int32(min(limit, 10000))),
	}
	if f.Pattern != "" {
		in.FilterPattern = aws.String(f.Pattern)
	}
	read := 0
	pages := cloudwatchlogs.NewFilterLogEventsPaginator(api, in)
	for pages.HasMorePages() {
		if read >= limit {
			return read, true, nil
		}
		out, err := pages.NextPage(ctx)
		if err != nil {
			return read, false, err
		}
		for _, le := range out.Events {
			if read >= limit {
				return read, true, nil
			}
			read++
			msg := []byte(aws.ToString(le.Message))
			logged := time.UnixMilli(aws.ToInt64(le.Timestamp)).UTC()
			if logged.Before(start) || logged.After(end) || !p.MatchBytes(msg) {
				continue
			}
			keep(parseEvent(f.LogGroup+"\x00"+aws.ToString(le.EventId), msg, logged))
		}
	}
	return read, false, nil
}

// parseEvent reads a matching log event: its CloudTrail record when it is one, keyed by
// eventID (else by key) and timed by eventTime (else by the log event's timestamp).
func parseEvent(key string, msg []byte, logged time.Time) event {
	ev := event{key: key, time: logged}
	var rec Record
	if json.Unmarshal(msg, &rec) == nil {
		ev.rec, ev.msg = &rec, msg
		if rec.EventID != "" {
			ev.key = rec.EventID
		}
		if t, err := time.Parse(time.RFC3339, rec.EventTime); err == nil {
			ev.time = t.UTC()
		}
	}
	return ev
}

// group groups events by principal, sorted by count (most first), then principal; each group
// lists the values of its events at the JSON paths shows.
func group(events []event, shows []string) []PrincipalGroup {
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b event) int {
		return cmp.Or(a.time.Compare(b.time), strings.Compare(a.key, b.key))
	})
	byName := map[string]*PrincipalGroup{}
	var order []*PrincipalGroup
	for _, ev := range events {
		name := unparsedPrincipal
		if ev.rec != nil {
			name = ev.rec.Principal()
		}
		g := byName[name]
		if g == nil {
			g = &PrincipalGroup{Principal: name, First: ev.time}
			byName[name] = g
			order = append(order, g)
		}
		g.Count++
		g.Last = ev.time
		if r := ev.rec; r != nil {
			g.Actions = addDistinct(g.Actions, r.Action())
			g.ErrorCodes = addDistinct(g.ErrorCodes, r.ErrorCode)
			g.SourceIPs = addDistinct(g.SourceIPs, r.SourceIPAddress)
			g.Regions = addDistinct(g.Regions, r.AWSRegion)
			if g.ErrorMessage == "" && r.ErrorMessage != "" {
				g.ErrorMessage = trimMessage(r.ErrorMessage, maxErrorMessage)
			}
			g.Details = addDetails(g.Details, shows, ev.msg)
		}
	}
	groups := make([]PrincipalGroup, len(order))
	for i, g := range order {
		g.Details = slices.DeleteFunc(g.Details, func(d Detail) bool { return len(d.Values) == 0 })
		if len(g.Details) == 0 {
			g.Details = nil
		}
		groups[i] = *g
	}
	slices.SortStableFunc(groups, func(a, b PrincipalGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Principal, b.Principal))
	})
	return groups
}

// addDistinct adds s to the sorted set list, ignoring "".
func addDistinct(list []string, s string) []string {
	if s == "" {
		return list
	}
	i, found := slices.BinarySearch(list, s)
	if found {
		return list
	}
	return slices.Insert(list, i, s)
}

// trimMessage cuts s to at most n runes, at a space when one is near, adding "…".
func trimMessage(s string, n int) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n*3/4 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " .,;:") + "…"
}

// ConsoleURL links to a log group's events between start and end, filtered by pattern, in
// the CloudWatch console of region's partition.
func ConsoleURL(region, logGroup, pattern string, start, end time.Time) string {
	host := region + ".console.aws.amazon.com"
	if p, ok := awsregion.PartitionOf(region); ok {
		switch p.ID {
		case "aws":
		case "aws-cn":
			host = "console.amazonaws.cn"
		case "aws-us-gov":
			host = "console.amazonaws-us-gov.com"
		default:
			return "" // isolated and sovereign partitions: no console link known to work
		}
	}
	query := "start=" + strconv.FormatInt(start.UnixMilli(), 10) + "&end=" + strconv.FormatInt(end.UnixMilli(), 10)
	if pattern != "" {
		query += "&filterPattern=" + url.QueryEscape(pattern)
	}
	return "https://" + host + "/cloudwatch/home?region=" + url.QueryEscape(region) +
		"#logsV2:log-groups/log-group/" + consoleEscape(url.QueryEscape(logGroup)) +
		"/log-events" + consoleEscape("?"+query)
}

// consoleEscape applies the console's fragment escaping: '%' becomes "$25" and the query
// delimiters are escaped the same way ('?' "$3F", '=' "$3D", '&' "$26").
func consoleEscape(s string) string {
	return strings.NewReplacer("%", "$25", "?", "$3F", "=", "$3D", "&", "$26").Replace(s)
}
