// Package accountreader reads what the CIS audit needs from one AWS account into a cis.Snapshot.
// It is the only code on the audit path that calls AWS, and it holds read-only interfaces only:
// the audit cannot change anything in an account (internal/accountchanger does that).
package accountreader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/cis"
)

// The AWS calls the audit makes, declared here where they are made, with the SDK's own
// signatures; each is read-only, so nothing on the audit path can change an account.
type (
	// TrailReader lists trails and reads their status and event selectors.
	TrailReader interface {
		DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
		GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
		GetEventSelectors(context.Context, *cloudtrail.GetEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
	}
	// LogsReader reads metric filters.
	LogsReader interface {
		DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
	}
	// AlarmsReader reads metric alarms.
	AlarmsReader interface {
		DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	}
	// TopicsReader reads a topic's subscriptions.
	TopicsReader interface {
		ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	}
)

var (
	_ TrailReader  = (*cloudtrail.Client)(nil)
	_ LogsReader   = (*cloudwatchlogs.Client)(nil)
	_ AlarmsReader = (*cloudwatch.Client)(nil)
	_ TopicsReader = (*sns.Client)(nil)
)

// AccountAPI reaches one account's services in any region, to read them.
type AccountAPI struct {
	CloudTrail func(region string) TrailReader
	Logs       func(region string) LogsReader
	CloudWatch func(region string) AlarmsReader
	SNS        func(region string) TopicsReader
	// AccountID is sts:GetCallerIdentity; it is also where a failed AssumeRole shows first.
	AccountID func(ctx context.Context) (string, error)
}

// Collector reads what the audit needs from AWS into a cis.Snapshot, each call as early as its
// inputs allow: trails and the account id together; then, per trail, its status, selectors,
// the log group's filters and the region's alarms together; then the alarms' topics.
type Collector struct {
	// Region is where DescribeTrails goes (it lists every region's trails, shadows included).
	Region string
	// Other finds another account by id, for log groups and topics that live there (organization
	// trails); ok is false when that account is not configured.
	Other func(ctx context.Context, accountID string) (api *AccountAPI, ok bool)
}

// Collect reads one account. It never fails as a whole: a failed call is recorded in the
// snapshot where its data would have been, and Evaluate turns it into an ERROR with evidence.
func (c *Collector) Collect(ctx context.Context, name string, api *AccountAPI) *cis.Snapshot {
	snap := &cis.Snapshot{Account: name, LogGroups: map[string]*cis.LogGroup{}, Alarms: map[string]*cis.AlarmSet{}, Topics: map[string]*cis.Topic{}}
	var (
		wg       sync.WaitGroup
		idErr    error
		trailOut *cloudtrail.DescribeTrailsOutput
		trailErr error
	)
	wg.Go(func() { snap.AccountID, idErr = api.AccountID(ctx) })
	wg.Go(func() {
		trailOut, trailErr = api.CloudTrail(c.Region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: ptr(true)})
	})
	wg.Wait()
	if idErr != nil {
		snap.TrailsErr = CallError("sts:GetCallerIdentity", "", idErr)
		return snap
	}
	if trailErr != nil {
		snap.TrailsErr = CallError("cloudtrail:DescribeTrails", c.Region, trailErr)
		return snap
	}
	for _, t := range trailOut.TrailList {
		snap.Trails = append(snap.Trails, trailFrom(t))
	}
	slices.SortFunc(snap.Trails, func(a, b cis.Trail) int { return strings.Compare(a.ARN, b.ARN) })

	f := &fetcher{c: c, api: api, snap: snap, logGroups: map[string]*future[*cis.LogGroup]{},
		alarms: map[string]*future[*cis.AlarmSet]{}, topics: map[string]*future[*cis.Topic]{}}
	var tw sync.WaitGroup
	for i := range snap.Trails {
		t := &snap.Trails[i]
		if !t.MultiRegion || t.LogGroupARN == "" {
			continue
		}
		tw.Go(func() { f.trail(ctx, t) })
	}
	tw.Wait()
	// Each trail goroutine waited for what it started; only the maps remain to be filled.
	for k, fu := range f.logGroups {
		snap.LogGroups[k] = fu.get()
	}
	for k, fu := range f.alarms {
		snap.Alarms[k] = fu.get()
	}
	for k, fu := range f.topics {
		snap.Topics[k] = fu.get()
	}
	return snap
}

// future is a value computed once, shared by every trail that needs it.
type future[T any] struct {
	done  chan struct{}
	v     T
	panic any
}

func (f *future[T]) get() T {
	<-f.done
	if f.panic != nil {
		panic(f.panic)
	}
	return f.v
}

func once[T any](mu *sync.Mutex, m map[string]*future[T], key string, fn func() T) *future[T] {
	mu.Lock()
	defer mu.Unlock()
	if f, ok := m[key]; ok {
		return f
	}
	f := &future[T]{done: make(chan struct{})}
	m[key] = f
	go func() {
		defer close(f.done)
		defer func() { f.panic = recover() }()
		f.v = fn()
	}()
	return f
}

type fetcher struct {
	c         *Collector
	api       *AccountAPI
	snap      *cis.Snapshot
	mu        sync.Mutex
	logGroups map[string]*future[*cis.LogGroup]
	alarms    map[string]*future[*cis.AlarmSet]
	topics    map[string]*future[*cis.Topic]
}

func (f *fetcher) trail(ctx context.Context, t *cis.Trail) {
	ct := f.api.CloudTrail(t.HomeRegion)
	var wg sync.WaitGroup
	wg.Go(func() {
		out, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: &t.ARN})
		if err != nil {
			t.StatusErr = CallError("cloudtrail:GetTrailStatus", t.ARN, err)
			return
		}
		t.Status = &cis.TrailStatus{IsLogging: deref(out.IsLogging), LatestDeliveryError: deref(out.LatestCloudWatchLogsDeliveryError)}
		if out.LatestCloudWatchLogsDeliveryTime != nil {
			t.Status.LatestDeliveryTime = *out.LatestCloudWatchLogsDeliveryTime
		}
	})
	wg.Go(func() {
		out, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: &t.ARN})
		if err != nil {
			t.SelectorsErr = CallError("cloudtrail:GetEventSelectors", t.ARN, err)
			return
		}
		t.Selectors = selectorsFrom(out)
	})
	account, region, _, err := cis.ParseLogGroupARN(t.LogGroupARN)
	if err != nil {
		once(&f.mu, f.logGroups, t.LogGroupARN, func() *cis.LogGroup {
			return &cis.LogGroup{ARN: t.LogGroupARN, Err: &cis.CallError{API: "cloudtrail:DescribeTrails", Resource: t.ARN, Message: err.Error()}}
		})
		wg.Wait()
		return
	}
	lg := once(&f.mu, f.logGroups, t.LogGroupARN, func() *cis.LogGroup { return f.logGroup(ctx, t.LogGroupARN) })
	al := once(&f.mu, f.alarms, account+"/"+region, func() *cis.AlarmSet { return f.alarmSet(ctx, account, region) })
	group, set := lg.get(), al.get()
	if group.Err == nil && set.Err == nil {
		for _, arn := range topicsFor(group, set) {
			once(&f.mu, f.topics, arn, func() *cis.Topic { return f.topic(ctx, arn) })
		}
	}
	wg.Wait()
}

// topicsFor lists the SNS topics of alarms on any of the group's filter metrics.
func topicsFor(lg *cis.LogGroup, set *cis.AlarmSet) []string {
	var out []string
	for _, a := range set.Alarms {
		for _, mf := range lg.Filters {
			if a.Namespace != mf.Namespace || a.MetricName != mf.MetricName {
				continue
			}
			for _, act := range a.AlarmActions {
				if strings.Contains(act, ":sns:") && !slices.Contains(out, act) {
					out = append(out, act)
				}
			}
		}
	}
	return out
}

// accountAPI returns the API for a resource's account: this one, or a configured other one.
func (f *fetcher) accountAPI(ctx context.Context, account string) (*AccountAPI, bool) {
	if account == "" || account == f.snap.AccountID {
		return f.api, true
	}
	if f.c.Other == nil {
		return nil, false
	}
	return f.c.Other(ctx, account)
}

func unreachable(api, resource, account string) *cis.CallError {
	return &cis.CallError{API: api, Resource: resource, Unreachable: true,
		Message: fmt.Sprintf("it is in account %s, which is not configured", account)}
}

func (f *fetcher) logGroup(ctx context.Context, arn string) *cis.LogGroup {
	account, region, name, _ := cis.ParseLogGroupARN(arn)
	lg := &cis.LogGroup{ARN: arn, Account: account, Region: region, Name: name}
	api, ok := f.accountAPI(ctx, account)
	if !ok {
		lg.Err = unreachable("logs:DescribeMetricFilters", arn, account)
		return lg
	}
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(api.Logs(region), &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: &name})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			lg.Err = CallError("logs:DescribeMetricFilters", arn, err)
			return lg
		}
		for _, mf := range out.MetricFilters {
			m := cis.MetricFilter{Name: deref(mf.FilterName), Pattern: deref(mf.FilterPattern)}
			if len(mf.MetricTransformations) > 0 {
				tr := mf.MetricTransformations[0]
				m.MetricName, m.Namespace, m.MetricValue = deref(tr.MetricName), deref(tr.MetricNamespace), deref(tr.MetricValue)
				m.DefaultValue, m.Unit = tr.DefaultValue, string(tr.Unit)
				if len(tr.Dimensions) > 0 {
					m.Dimensions = tr.Dimensions
				}
			}
			lg.Filters = append(lg.Filters, m)
		}
	}
	return lg
}

func (f *fetcher) alarmSet(ctx context.Context, account, region string) *cis.AlarmSet {
	set := &cis.AlarmSet{Account: account, Region: region}
	api, ok := f.accountAPI(ctx, account)
	if !ok {
		set.Err = unreachable("cloudwatch:DescribeAlarms", account+"/"+region, account)
		return set
	}
	p := cloudwatch.NewDescribeAlarmsPaginator(api.CloudWatch(region), &cloudwatch.DescribeAlarmsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			set.Err = CallError("cloudwatch:DescribeAlarms", region, err)
			return set
		}
		for _, a := range out.MetricAlarms {
			al := cis.Alarm{
				Name: deref(a.AlarmName), ARN: deref(a.AlarmArn), Namespace: deref(a.Namespace), MetricName: deref(a.MetricName),
				Statistic: string(a.Statistic), ExtendedStatistic: deref(a.ExtendedStatistic), Period: deref(a.Period),
				EvaluationPeriods: deref(a.EvaluationPeriods), DatapointsToAlarm: deref(a.DatapointsToAlarm), Threshold: deref(a.Threshold),
				ComparisonOperator: string(a.ComparisonOperator), TreatMissingData: deref(a.TreatMissingData), Unit: string(a.Unit),
				ActionsEnabled: deref(a.ActionsEnabled), AlarmActions: a.AlarmActions,
			}
			if len(a.Dimensions) > 0 {
				al.Dimensions = map[string]string{}
				for _, d := range a.Dimensions {
					al.Dimensions[deref(d.Name)] = deref(d.Value)
				}
			}
			set.Alarms = append(set.Alarms, al)
		}
	}
	return set
}

func (f *fetcher) topic(ctx context.Context, arn string) *cis.Topic {
	t := &cis.Topic{ARN: arn}
	parsed, err := awsarn.Parse(arn)
	if err != nil {
		t.Err = &cis.CallError{API: "sns:ListSubscriptionsByTopic", Resource: arn, Message: "not an SNS topic ARN"}
		return t
	}
	region, account := parsed.Region, parsed.AccountID
	api, ok := f.accountAPI(ctx, account)
	if !ok {
		t.Err = unreachable("sns:ListSubscriptionsByTopic", arn, account)
		return t
	}
	p := sns.NewListSubscriptionsByTopicPaginator(api.SNS(region), &sns.ListSubscriptionsByTopicInput{TopicArn: &arn})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Err = CallError("sns:ListSubscriptionsByTopic", arn, err)
			return t
		}
		for _, s := range out.Subscriptions {
			t.Subscriptions = append(t.Subscriptions, cis.Subscription{ARN: deref(s.SubscriptionArn), Protocol: deref(s.Protocol), Endpoint: deref(s.Endpoint)})
		}
	}
	return t
}

func trailFrom(t cttypes.Trail) cis.Trail {
	return cis.Trail{
		Name: deref(t.Name), ARN: deref(t.TrailARN), HomeRegion: deref(t.HomeRegion),
		MultiRegion: deref(t.IsMultiRegionTrail), Organization: deref(t.IsOrganizationTrail),
		LogGroupARN: deref(t.CloudWatchLogsLogGroupArn), RoleARN: deref(t.CloudWatchLogsRoleArn),
	}
}

func selectorsFrom(out *cloudtrail.GetEventSelectorsOutput) *cis.EventSelectors {
	s := &cis.EventSelectors{}
	for _, b := range out.EventSelectors {
		s.Basic = append(s.Basic, cis.BasicSelector{
			IncludeManagementEvents: deref(b.IncludeManagementEvents),
			ReadWriteType:           string(b.ReadWriteType),
			ExcludeSources:          b.ExcludeManagementEventSources,
		})
	}
	for _, a := range out.AdvancedEventSelectors {
		as := cis.AdvancedSelector{Name: deref(a.Name)}
		for _, fs := range a.FieldSelectors {
			as.Fields = append(as.Fields, cis.FieldCondition{
				Field: deref(fs.Field), Equals: fs.Equals, NotEquals: fs.NotEquals,
				StartsWith: fs.StartsWith, NotStartsWith: fs.NotStartsWith, EndsWith: fs.EndsWith, NotEndsWith: fs.NotEndsWith,
			})
		}
		s.Advanced = append(s.Advanced, as)
	}
	return s
}

// CallError turns an SDK error into evidence: the call, the resource, the AWS error code and
// its message (never request details, which may hold credentials).
func CallError(api, resource string, err error) *cis.CallError {
	ce := &cis.CallError{API: api, Resource: resource, Message: err.Error()}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		ce.Code = ae.ErrorCode()
		ce.Message = ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		ce.Message = "the audit was cancelled or timed out"
	}
	return ce
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
