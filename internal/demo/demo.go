// Package demo runs the whole bot on built-in defaults, with no Slack or AWS credentials: a
// local moto_server holds two AWS accounts built through the real SDK, the bot's real AWS
// access, audit and command table run against it, and the terminal console stands in for
// Slack. It backs cisbot demo.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/emulator"
	"github.com/cisbot/cisbot/internal/emulator/fixture"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
)

// ExactCodes is dev's metric filter pattern. It names the two codes of the CIS text exactly,
// so a check that compares pattern text against a list of codes passes it, yet it misses
// AccessDeniedException (and Client.UnauthorizedOperation): the audit judges what it matches.
const ExactCodes = `{ ($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied") }`

// account is one account of the demo estate.
type account struct {
	name, id string
	sc       fixture.Scenario
	about    string
}

// ReorderedRoot is prod's pattern for control 4.3 (root account usage): Security Hub's clauses in
// another order and spacing. It matches exactly what the published text matches, so the audit
// passes it, yet a check that compares text (Security Hub's CloudWatch.1) rejects it.
const ReorderedRoot = `{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = "Root") }`

// prodControls are prod's filters beyond 4.1: every control with its default pattern, but 4.3
// reordered and 4.10 with Security Hub's text, which misses ModifySecurityGroupRules (required
// from CIS v5.0), so a text check passes it and the audit does not.
func prodControls() map[string]string {
	m := make(map[string]string, len(cis.Controls))
	for _, c := range cis.Controls {
		m[c.ID] = ""
	}
	m["4.3"] = ReorderedRoot
	m["4.10"] = securityGroupsSecurityHub()
	return m
}

func securityGroupsSecurityHub() string {
	c, err := cis.Lookup("4.10")
	if err != nil {
		panic(err) // the table has 4.10
	}
	return c.Patterns["securityhub"]
}

var estate = []account{
	{"prod", "111111111111", fixture.Scenario{Controls: prodControls()}, "all 15 controls' filters and alarms; 4.3's filter reordered, 4.10's an outdated text"},
	{"dev", "222222222222", fixture.Scenario{Pattern: ExactCodes}, "4.1 only, and its metric filter lists exact codes: " + ExactCodes},
}

// Options configure Run.
type Options struct {
	In  io.Reader // read in the interactive session
	Out io.Writer
	// Interactive hands over to the console after the introduction; otherwise a scripted tour
	// runs and Run returns.
	Interactive bool
	Logger      *slog.Logger // nil: discard
}

// Prompt is the console's prompt in the demo.
const Prompt = "cis> "

// Run starts moto_server, builds the accounts, and runs the tour or the interactive session.
// Everything it starts is stopped before it returns, also when ctx is cancelled.
func Run(ctx context.Context, opts Options) error {
	w := opts.Out
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := emulator.Start()
	if err != nil {
		return fmt.Errorf("the demo runs AWS locally in moto_server, the AWS emulator: %w", err)
	}
	defer srv.Stop()
	say(w, "Started moto_server, the AWS emulator, at %s (pid %d). The demo uses dummy credentials and", srv.URL, srv.PID())
	say(w, "calls nothing but this address: your AWS configuration is not read.")

	cfg, factory, err := buildEstate(ctx, w, srv.URL)
	if err != nil {
		return err
	}
	accounts := app.NewAccounts(cfg, factory)
	// The store lives in a temporary directory, removed on return.
	dir, err := os.MkdirTemp("", "cisbot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Store.Path = filepath.Join(dir, "cisbot.db")
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	bopts := commandOptions(cfg, accounts, st, log)
	bot := commands.New(bopts)
	say(w, "The bot's /cis commands now run in this terminal in place of Slack: the same command table,")
	say(w, "the same audit, the replies rendered as text.")
	fmt.Fprintln(w)

	if opts.Interactive {
		say(w, "Type commands as in Slack (/cis help, /cis accounts, /cis audit prod dev; the /cis is optional),")
		say(w, "and a button's number to press it. An empty line, quit, exit or Ctrl-D ends the demo.")
		err = console.New(bot, w, console.WithPrompt(Prompt)).Run(ctx, opts.In)
	} else {
		c := console.New(bot, w, console.WithPrompt(Prompt))
		sum := &summaryTour{runner: &summary.Runner{Auditor: &app.Auditor{Accounts: accounts, Concurrency: 4, Logger: log}, History: st, Ticks: st, Poster: c.Summaries(), Owner: "demo", Logger: log}}
		// The baseline a schedule would have posted before the tour: recorded, not shown.
		if err := sum.baseline(ctx); err != nil {
			return err
		}
		say(w, "A scheduled summary already ran: the store holds each account's result (dev failing).")
		fmt.Fprintln(w)
		err = tour(ctx, w, c, accounts, st)
		if err == nil {
			err = sum.finish(ctx, w, c)
		}
	}
	srv.Stop()
	say(w, "moto_server stopped.")
	if err == nil && !opts.Interactive {
		say(w, "Run cisbot demo in a terminal to type commands yourself, or cisbot console --config FILE")
		say(w, "against your own accounts.")
	}
	return err
}

// buildEstate builds the demo's accounts in the emulator at url, each reached through a role as
// in production, and returns the config naming them.
func buildEstate(ctx context.Context, w io.Writer, url string) (*config.Config, *awsenv.Factory, error) {
	factory, err := newFactory(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	say(w, "Building two accounts in it through the AWS SDK, each assumed through a role as in production:")
	cfg := &config.Config{AWS: config.AWS{Region: Region, CloudWatchProtocol: "query"}}
	for _, a := range estate {
		if err := fixture.Build(ctx, factory, a.id, a.sc, nil); err != nil {
			return nil, nil, fmt.Errorf("demo: build account %s in moto_server: %w", a.name, err)
		}
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: a.name, RoleARN: fixture.RoleARN(a.id)})
		say(w, "  %-4s  %s  %s", a.name, a.id, a.about)
	}
	return cfg, factory, nil
}

// commandOptions are the /cis commands as a terminal runs them.
func commandOptions(cfg *config.Config, accounts *app.Accounts, st store.Store, log *slog.Logger) commands.Options {
	bopts := app.CommandOptions(cfg, accounts, st, nil, log)
	bopts.Auditor = &app.Auditor{Accounts: accounts, Concurrency: 4, Logger: log}
	// One person at a terminal both asks for the fix and approves it; in Slack the requester
	// cannot approve their own request (remediation.require_second_person).
	bopts.Policy.Approvers = []string{console.UserID}
	bopts.Policy.RequireSecondPerson = false
	// A terminal has no limit on updates, unlike a Slack response_url.
	bopts.ProgressEvery = 100 * time.Millisecond
	bopts.MaxProgressUpdates = 10
	return bopts
}

// tour is the scripted session: what a user would type, with a word on each step.
func tour(ctx context.Context, w io.Writer, c *console.Console, accounts *app.Accounts, st store.Store) error {
	steps := []struct{ about, line string }{
		{"The commands, generated from the bot's command table:", "/cis help"},
		{"The accounts the bot may audit:", "/cis accounts"},
		{"Audit both. dev's filter would pass a text comparison against the CIS codes, yet misses AccessDeniedException:", "/cis audit prod dev"},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		say(w, "%s", s.about)
		c.Type(ctx, s.line)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	button := 0
	for i, a := range c.Actions() {
		if a.Label == "Evidence: dev" {
			button = i + 1
		}
	}
	if button == 0 {
		return fmt.Errorf("demo: the audit offered no evidence button for dev, which should have failed")
	}
	say(w, "Press dev's evidence button to see every step and where the chain breaks:")
	c.Type(ctx, strconv.Itoa(button))
	if err := ctx.Err(); err != nil {
		return err
	}
	say(w, "Ask for a fix of control 4.1 (without a control, every failing control is planned at once): the bot plans what would make dev pass, reusing what exists, and waits for an approver:")
	c.Type(ctx, "/cis fix dev 4.1")
	approve := 0
	for i, a := range c.Actions() {
		if a.ID == commands.ActionApprove {
			approve = i + 1
		}
	}
	if approve == 0 {
		return fmt.Errorf("demo: the fix of dev offered no Approve button")
	}
	say(w, "Approve it (in Slack a second person must; here one person plays both): it is applied once, then dev is audited again:")
	c.Type(ctx, strconv.Itoa(approve))
	if err := ctx.Err(); err != nil {
		return err
	}
	say(w, "Audit both again, and see the record the store keeps:")
	c.Type(ctx, "/cis audit prod dev")
	c.Type(ctx, "/cis history dev")
	if err := ctx.Err(); err != nil {
		return err
	}
	return alarmTour(ctx, w, c, accounts, st)
}

// The dev account and the principal of the demo's unauthorized call.
const (
	devID     = "222222222222"
	intruder  = "arn:aws:iam::" + devID + ":user/mallory"
	alarmName = "unauthorized_api_calls_alarm"
)

// alarmTour shows an alarm's path: an AccessDenied event reaches dev's CloudTrail log group,
// the alarm's notification reaches the relay, and the relay posts it with the CloudTrail
// events behind it, read from the log group in the alarm's window.
func alarmTour(ctx context.Context, w io.Writer, c *console.Console, accounts *app.Accounts, st store.Store) error {
	s, ok := accounts.SessionFor(ctx, devID)
	if !ok {
		return fmt.Errorf("demo: no session for dev (%s)", devID)
	}
	logs := s.Logs(Region)
	metric, err := fixedMetric(ctx, logs)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	say(w, "Now an alarm. Someone without the permission lists dev's S3 buckets: CloudTrail delivers the")
	say(w, "AccessDenied event to dev's log group %s (written here with logs:PutLogEvents):", logGroup)
	if err := writeDeniedEvent(ctx, logs, now); err != nil {
		return err
	}
	say(w, "  %s  s3:ListBuckets  AccessDenied  from 203.0.113.7", intruder)

	changed := now.Add(time.Second)
	item, err := alarmNotification(metric, changed)
	if err != nil {
		return err
	}
	say(w, "dev's alarm on CISBenchmark/%s goes to ALARM and SNS notifies the bot.", metric)
	say(w, "The notification is delivered to the relay as SNS would, without a signature: the demo has no")
	say(w, "AWS-signed message, so this one is not signature-checked (the webhook checks every real one).")
	say(w, "The relay reads the CloudTrail events behind the alarm from dev's log group, in the alarm's")
	say(w, "window, and posts the alert, here in place of Slack:")
	if _, err := st.Enqueue(ctx, item); err != nil {
		return fmt.Errorf("demo: store the notification: %w", err)
	}
	poster := &countingPoster{Poster: c.Alerts()}
	worker := &relay.Relay{Outbox: st, Poster: poster, Enricher: accounts.Enricher(),
		Channel: func(context.Context, string, *alarm.Alarm) (string, error) { return "demo", nil }, Owner: "demo", PerChannel: time.Millisecond,
		Now: func() time.Time { return changed }}
	n, err := worker.RunOnce(ctx)
	if err != nil {
		return fmt.Errorf("demo: relay the alarm: %w", err)
	}
	if n != 1 || poster.n != 1 {
		return fmt.Errorf("demo: the relay settled %d notification(s) and posted %d, want 1", n, poster.n)
	}
	return ctx.Err()
}

// demoLogs is what the alarm tour does in dev's CloudWatch Logs.
type demoLogs interface {
	DescribeMetricFilters(ctx context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
}

// fixedMetric is the metric of the filter the fix created in dev, which the alarm is on.
func fixedMetric(ctx context.Context, logs demoLogs) (string, error) {
	out, err := logs.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(logGroup)})
	if err != nil {
		return "", fmt.Errorf("demo: read dev's metric filters: %w", err)
	}
	metric := ""
	for _, f := range out.MetricFilters {
		if strings.HasSuffix(aws.ToString(f.FilterName), cis.NameSuffix) && len(f.MetricTransformations) > 0 {
			metric = aws.ToString(f.MetricTransformations[0].MetricName)
		}
	}
	if metric == "" {
		return "", fmt.Errorf("demo: the fix of dev created no metric filter on %s", logGroup)
	}
	return metric, nil
}

// writeDeniedEvent writes the intruder's AccessDenied CloudTrail record to dev's log group.
func writeDeniedEvent(ctx context.Context, logs demoLogs, now time.Time) error {
	record, err := json.Marshal(map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDADEMOMALLORY", "arn": intruder,
			"accountId": devID, "userName": "mallory"},
		"eventTime": now.Format(time.RFC3339), "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
		"awsRegion": Region, "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15.0",
		"errorCode": "AccessDenied", "errorMessage": "Access Denied",
		"eventID": "6b3c1f6e-demo-4c1a-9f3e-000000000001", "eventType": "AwsApiCall",
		"recipientAccountId": devID,
	})
	if err != nil {
		return err
	}
	stream := devID + "_CloudTrail_" + Region
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String(stream)}); err != nil {
		return fmt.Errorf("demo: create a log stream in dev's %s: %w", logGroup, err)
	}
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String(stream),
		LogEvents: []cwltypes.InputLogEvent{{Message: aws.String(string(record)), Timestamp: aws.Int64(now.UnixMilli())}}}); err != nil {
		return fmt.Errorf("demo: write the event to dev's %s: %w", logGroup, err)
	}
	return nil
}

// alarmNotification is the outbox item of the SNS notification dev's alarm sends when it goes
// to ALARM at changed.
func alarmNotification(metric string, changed time.Time) (store.OutboxItem, error) {
	topic := "arn:aws:sns:" + Region + ":" + devID + ":cis-alarms"
	message, err := json.Marshal(map[string]any{
		"AlarmName": alarmName, "AlarmDescription": "CIS 4.1 - unauthorized API calls", "AWSAccountId": devID,
		"NewStateValue": "ALARM", "OldStateValue": "OK",
		"NewStateReason":  "Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the threshold (1.0).",
		"StateChangeTime": changed.Format("2006-01-02T15:04:05.000-0700"),
		"Region":          "US East (N. Virginia)",
		"AlarmArn":        "arn:aws:cloudwatch:" + Region + ":" + devID + ":alarm:" + alarmName,
		"OKActions":       []string{}, "AlarmActions": []string{topic}, "InsufficientDataActions": []string{},
		"Trigger": map[string]any{"MetricName": metric, "Namespace": "CISBenchmark", "StatisticType": "Statistic",
			"Statistic": "SUM", "Unit": nil, "Dimensions": []any{}, "Period": 300, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1.0, "TreatMissingData": "notBreaching"},
	})
	if err != nil {
		return store.OutboxItem{}, err
	}
	id := "demo-" + strconv.FormatInt(changed.UnixNano(), 16)
	envelope, err := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": topic,
		"Subject": "ALARM: \"" + alarmName + "\" in US East (N. Virginia)", "Message": string(message),
		"Timestamp": changed.Format("2006-01-02T15:04:05.000Z"), "SignatureVersion": "1",
		// Present as SNS sends them, but nothing here signed it.
		"Signature":      "DEMO-NOT-SIGNED",
		"SigningCertURL": "https://sns." + Region + ".amazonaws.com/SimpleNotificationService-00000000000000000000000000000000.pem",
		"UnsubscribeURL": "https://sns." + Region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic + ":00000000-0000-0000-0000-000000000000",
	})
	if err != nil {
		return store.OutboxItem{}, err
	}
	return store.OutboxItem{ID: id, TopicARN: topic, Kind: store.OutboxNotification, Body: envelope, CreatedAt: changed}, nil
}

// countingPoster counts the posts it passes on (the relay also settles what it drops).
type countingPoster struct {
	relay.Poster
	n int
}

func (p *countingPoster) Post(ctx context.Context, post relay.Post) (string, error) {
	p.n++
	return p.Poster.Post(ctx, post)
}

// logGroup is where the demo accounts' trails deliver.
const logGroup = "cloudtrail-logs"

// say prints a line of narration, marked so that it is not taken for the bot's output.
func say(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "# "+format+"\n", args...)
}
