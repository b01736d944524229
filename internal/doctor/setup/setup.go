// Package setup runs cisbot doctor's checks against a loaded config with the bot's own
// clients, for the command line and the demo.
package setup

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/doctor"
	"github.com/cisbot/cisbot/internal/sns"
)

// defaultAlertListen is where the alert endpoint listens when alerts.listen is empty.
const defaultAlertListen = ":8080"

// Options say what to check.
type Options struct {
	Config *config.Config // loaded and valid
	// Factory reaches AWS as the bot does, with the config's region and protocol.
	Factory *awsenv.Factory
	// Getenv reads SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_API_URL.
	Getenv func(string) string
	// SkipSlack says why the Slack checks do not apply (the demo has no Slack); empty runs them.
	SkipSlack string
}

// Run runs every check after the config's, in the order the checklist shows them.
func Run(ctx context.Context, o Options) doctor.Report {
	var rep doctor.Report
	cfg, f := o.Config, o.Factory
	rep.Add(checkStore(ctx, cfg))
	if o.SkipSlack != "" {
		rep.Add(doctor.Check{Name: "slack", Status: doctor.Skip, Detail: o.SkipSlack})
	} else {
		rep.Add(slackChecker(cfg, o.Getenv).Check(ctx)...)
	}
	accounts := app.NewAccounts(cfg, f)
	if cfg.Organization != nil {
		rep.Add(checkOrganization(ctx, f))
	}
	rep.Add(doctor.CheckAccounts(ctx, doctorAccounts(cfg, f))...)
	alerts := &doctor.Alerts{
		Listen: cmp.Or(cfg.Alerts.Listen, defaultAlertListen), Path: cmp.Or(cfg.Alerts.Path, sns.DefaultPath), PublicURL: cfg.Alerts.PublicURL,
		CertFile: cfg.Alerts.TLSCertFile, KeyFile: cfg.Alerts.TLSKeyFile, Topics: cfg.Alerts.Topics, Now: time.Now,
		Topic: func(ctx context.Context, account, region string) (accountreader.TopicsReader, bool) {
			s, ok := accounts.SessionFor(ctx, account)
			if !ok {
				return nil, false
			}
			return s.SNS(region), true
		},
	}
	if a := cfg.Alerts; len(a.Queues) > 0 && len(a.Topics) == 0 && a.Listen == "" {
		// cisbot run opens no public port then: nothing of the HTTPS endpoint to check.
		rep.Add(doctor.Check{Name: "alerts endpoint", Status: doctor.Skip, Detail: "alerts come through alerts.queues alone: cisbot run opens no public port"})
	} else {
		rep.Add(alerts.Check(ctx)...)
	}
	queues := &doctor.Queues{Queues: doctorQueues(cfg, f), Topics: cfg.Alerts.Topics, Topic: alerts.Topic}
	rep.Add(queues.Check(ctx)...)
	clock := &doctor.Clock{AWSTime: awsTime(f), Now: time.Now, MaxAge: cfg.Alerts.MessageAge()}
	rep.Add(clock.Check(ctx))
	return rep
}

// checkOrganization lists the organization's accounts, as --all and /cis audit all do.
func checkOrganization(ctx context.Context, f *awsenv.Factory) doctor.Check {
	const name = "organization"
	accounts, err := f.OrganizationAccounts(ctx)
	if err != nil {
		return doctor.Check{Name: name, Status: doctor.Fail, Detail: err.Error(),
			Fix: "run the bot with credentials of the management account or a delegated administrator, allowed organizations:ListAccounts (deploy/aws/bot-policy.json)"}
	}
	return doctor.Check{Name: name, Status: doctor.Pass, Detail: fmt.Sprintf("lists %d ACTIVE account(s)", len(accounts))}
}

// checkStore checks the store the config names, without migrating it.
func checkStore(ctx context.Context, cfg *config.Config) doctor.Check {
	driver, where := app.StoreLocation(cfg)
	return doctor.Store{Driver: driver, Where: where}.Check(ctx)
}

// slackChecker builds the Slack checks from the environment, as cisbot run reads it.
func slackChecker(cfg *config.Config, getenv func(string) string) *doctor.Slack {
	bot, app, apiURL := getenv("SLACK_BOT_TOKEN"), getenv("SLACK_APP_TOKEN"), getenv("SLACK_API_URL")
	s := &doctor.Slack{Channels: configChannels(cfg)}
	if bot == "" {
		return s
	}
	if apiURL == "" {
		apiURL = "https://slack.com/api/"
	} else if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	web := &doctor.WebAPI{BaseURL: apiURL, BotToken: bot, AppToken: app, Client: &http.Client{Timeout: 30 * time.Second}}
	s.API = web
	if app != "" {
		s.Socket = web
	}
	return s
}

// configChannels lists every channel the config names, once each, in the order found.
func configChannels(cfg *config.Config) []string {
	var out []string
	add := func(ch string) {
		if ch != "" && !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	for _, a := range cfg.Accounts {
		add(a.Channel)
	}
	add(cfg.Alerts.DefaultChannel)
	for _, s := range cfg.Summaries {
		add(s.Channel)
	}
	for _, ch := range cfg.Slack.AllowedChannels {
		add(ch)
	}
	return out
}

// doctorAccounts reaches each configured account through its role; the simulator is set when
// remediation is configured (someone may approve a fix).
func doctorAccounts(cfg *config.Config, f *awsenv.Factory) []doctor.Account {
	var out []doctor.Account
	for _, a := range cfg.Accounts {
		s := f.Session(awsenv.Target{Name: a.Name, RoleARN: a.RoleARN, ExternalID: a.ExternalID})
		da := doctor.Account{Name: a.Name, RoleARN: a.RoleARN, Region: f.Region(), API: app.API(s)}
		if len(cfg.Remediation.Approvers) > 0 {
			da.Simulator = iam.NewFromConfig(s.Config())
		}
		out = append(out, da)
	}
	return out
}

// doctorQueues reaches each alerts.queues entry through the client the intake builds for it.
func doctorQueues(cfg *config.Config, f *awsenv.Factory) []doctor.Queue {
	var out []doctor.Queue
	for i, q := range cfg.Alerts.Queues {
		u, err := config.ParseQueueURL(q.URL)
		if err != nil { // the config is valid
			continue
		}
		out = append(out, doctor.Queue{URL: q.URL, ARN: u.ARN(), Format: q.Format, API: app.QueueClient(f, i, q, u)})
	}
	return out
}

// awsTime reads AWS's clock from the Date header of an STS answer made with the bot's own
// credentials.
func awsTime(f *awsenv.Factory) func(context.Context) (time.Time, error) {
	return func(ctx context.Context) (time.Time, error) {
		out, err := f.Session(awsenv.Target{}).STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return time.Time{}, err
		}
		raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
		if !ok {
			return time.Time{}, fmt.Errorf("STS answered without an HTTP response")
		}
		return http.ParseTime(raw.Header.Get("Date"))
	}
}
