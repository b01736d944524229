package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/slackbot"
	"github.com/cisbot/cisbot/internal/sns"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
)

// defaultListen is the alert endpoint's address when alerts.listen is not set.
const defaultListen = ":8080"

// shutdownTimeout bounds how long Run waits for the alert endpoint's requests under way.
const shutdownTimeout = 10 * time.Second

// Server is the bot that cisbot run runs: /cis commands over Socket Mode, the alert endpoint
// (SNS, /readyz, /metrics) writing to the outbox, the relay posting the outbox to Slack, the
// expiry of fix requests, the store's pruning and the scheduled summaries, all on one store.
type Server struct {
	cfg      *config.Config
	logger   *slog.Logger
	accounts *Accounts
	store    store.Store

	slack    *slackbot.Bot
	endpoint *http.Server
	path     string // the SNS endpoint's URL path

	// The relay is built by Run, whose context routes its alarms; these are its parts.
	poster       *slackbot.AlertPoster
	snsMetrics   *sns.Metrics
	relayMetrics *relay.Metrics
	owner        string

	summaries *summary.Scheduler
}

// NewServer builds the bot from a validated config, the Slack settings of the environment
// (slackbot.ConfigFromEnv), the AWS session factory and the logger. It opens the store:
// Close it when done.
func NewServer(ctx context.Context, cfg *config.Config, scfg slackbot.Config, factory *awsenv.Factory, logger *slog.Logger) (*Server, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, logger: logger, accounts: NewAccounts(cfg, factory), store: st}
	if err := s.build(scfg); err != nil {
		_ = st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) build(scfg slackbot.Config) error {
	var err error
	if s.slack, err = s.newSlackBot(scfg); err != nil {
		return err
	}
	reg := newRegistry()
	s.snsMetrics = sns.NewMetrics(reg)
	s.relayMetrics = relay.NewMetrics(reg)
	s.poster = slackbot.NewAlertPoster(scfg, s.logger)
	s.endpoint = s.newAlertEndpoint(reg)
	host, _ := os.Hostname()
	// The host name, stable across restarts: a restarted bot takes back at once what it held
	// when it stopped (replicas need distinct host names).
	s.owner = cmp.Or(host, "cisbot")
	s.summaries, err = s.newScheduler(slackbot.NewSummaryPoster(scfg, s.logger), fmt.Sprintf("%s-%d", host, os.Getpid()))
	return err
}

// newSlackBot answers the /cis commands over Socket Mode.
func (s *Server) newSlackBot(scfg slackbot.Config) (*slackbot.Bot, error) {
	opts := CommandOptions(s.cfg, s.accounts, s.store, slackbot.NewGroups(scfg), s.logger)
	opts.Command = scfg.Command
	return slackbot.New(scfg, commands.New(opts), s.logger)
}

// newRegistry is the registry /metrics serves: the Go runtime's and the process's metrics,
// to which the endpoint and the relay add theirs.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newAlertEndpoint serves the SNS endpoint at alerts.path, /readyz (the store and Slack) and
// /metrics from reg on alerts.listen.
func (s *Server) newAlertEndpoint(reg *prometheus.Registry) *http.Server {
	s.path = cmp.Or(s.cfg.Alerts.Path, sns.DefaultPath)
	handler := AlertHandler(s.cfg, s.accounts, s.store, s.poster.Ping, s.snsMetrics, s.logger)
	if len(s.cfg.Alerts.Topics) == 0 {
		s.logger.Warn("alerts.topics is empty: the alert endpoint accepts no SNS message")
	}
	return sns.NewServer(cmp.Or(s.cfg.Alerts.Listen, defaultListen), sns.Mux(s.path, handler, reg))
}

// newRelay posts the outbox to the channels of the alarms' accounts; ctx bounds the account
// lookups that pick a channel.
func (s *Server) newRelay(ctx context.Context) *relay.Relay {
	return &relay.Relay{
		Outbox:   s.store,
		Threads:  s.store,
		Poster:   s.poster,
		Enricher: s.accounts.Enricher(),
		Channel: func(topicARN string, a *alarm.Alarm) string {
			return s.accounts.AlertChannel(ctx, alarmAccount(topicARN, a))
		},
		Owner:      s.owner,
		PerChannel: cmp.Or(s.cfg.Alerts.PostInterval(), -1), // 0 in config: no pacing
		Logger:     s.logger,
		Metrics:    s.relayMetrics,
	}
}

// alarmAccount is the account an alarm belongs to: its topic's (the relay posts no alarm
// naming another account), "" when the topic is not an ARN.
func alarmAccount(topicARN string, _ *alarm.Alarm) string {
	if t, err := arn.Parse(topicARN); err == nil {
		return t.AccountID
	}
	return ""
}

// newScheduler posts the configured summaries on their schedules, claiming each tick as owner.
func (s *Server) newScheduler(poster summary.Poster, owner string) (*summary.Scheduler, error) {
	specs, err := SummarySpecs(s.cfg)
	if err != nil {
		return nil, err
	}
	runner := SummaryRunner(s.accounts, s.store, poster, owner, s.logger)
	return &summary.Scheduler{Runner: runner, Specs: specs, Logger: s.logger}, nil
}

// AlertEndpoint is the address and path SNS posts to, for the start-up log.
func (s *Server) AlertEndpoint() string { return s.endpoint.Addr + s.path }

// Run serves until ctx is done or a part fails: Slack refusing the app token, or the alert
// endpoint unable to listen (the error names its address). It then drains the endpoint's
// requests under way (each is stored before it is answered) for up to 10 s, and waits for the
// relay, the housekeeping and the summaries under way to stop. A Server runs once.
func (s *Server) Run(ctx context.Context) error {
	serveErr := s.serve()
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	slackErr := make(chan error, 1)
	go func() { slackErr <- s.slack.Run(runCtx) }()
	relay := s.newRelay(runCtx)
	wg.Go(func() { _ = relay.Run(runCtx) })
	wg.Go(func() { expireRequests(runCtx, s.store, s.logger) })
	wg.Go(func() { pruneStore(runCtx, s.store, s.cfg.Store.RetentionPeriod(), s.logger) })
	// On shutdown the cron stops and the summaries under way are waited for.
	wg.Go(func() { _ = s.summaries.Run(runCtx) })
	var runErr error
	select {
	case runErr = <-slackErr:
	case err := <-serveErr:
		runErr = fmt.Errorf("alert endpoint %s: %w", s.endpoint.Addr, err)
		cancel()
		<-slackErr
	}
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer stop()
	_ = s.endpoint.Shutdown(shutdown)
	return runErr
}

// serve starts the alert endpoint, over TLS when alerts.tls_cert_file is set; the channel
// receives why it stopped, unless it was shut down.
func (s *Server) serve() <-chan error {
	serveErr := make(chan error, 1)
	go func() {
		var err error
		if s.cfg.Alerts.TLSCertFile != "" {
			err = s.endpoint.ListenAndServeTLS(s.cfg.Alerts.TLSCertFile, s.cfg.Alerts.TLSKeyFile)
		} else {
			err = s.endpoint.ListenAndServe()
		}
		if !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
	}()
	return serveErr
}

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }
