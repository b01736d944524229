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
	"github.com/cisbot/cisbot/internal/sqsintake"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
)

// defaultListen is the alert endpoint's address when alerts.listen is not set.
const defaultListen = ":8080"

// shutdownTimeout bounds how long Run waits for the requests under way on its listeners.
const shutdownTimeout = 10 * time.Second

// Server is the bot that cisbot run runs: /cis commands over Socket Mode, the alert endpoint
// (the SNS path alone, on the public listener) writing to the outbox, the operations endpoints
// (/healthz, /readyz, /metrics on alerts.ops_listen), the relay posting the outbox to Slack,
// the expiry of fix requests, the store's pruning and the scheduled summaries, all on one store.
type Server struct {
	cfg      *config.Config
	logger   *slog.Logger
	accounts *Accounts
	store    store.Store

	slack     *slackbot.Bot
	commands  *commands.Dispatcher
	fixPoster *slackbot.FixPoster // posts what recovery finds after a crash
	endpoint  *http.Server
	path      string // the SNS endpoint's URL path
	// alertHandler verifies and stores SNS messages, from the endpoint and the queues.
	alertHandler *sns.Handler
	ops          *http.Server // /healthz, /readyz, /metrics

	// The relay is built by Run, whose context routes its alarms; these are its parts.
	poster       *slackbot.AlertPoster
	snsMetrics   *sns.Metrics
	relayMetrics *relay.Metrics
	owner        string

	summaries *summary.Scheduler

	// One poller per alerts.queues entry; with queues alone, endpoint is nil.
	pollers []*sqsintake.Poller
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
	host, _ := os.Hostname()
	// The host name, stable across restarts: a restarted bot takes back at once what it held
	// when it stopped (replicas need distinct host names). A test running two replicas in one
	// process sets s.owner itself.
	s.owner = cmp.Or(s.owner, host, "cisbot")
	var err error
	if s.slack, err = s.newSlackBot(scfg); err != nil {
		return err
	}
	reg := newRegistry()
	s.snsMetrics = sns.NewMetrics(reg)
	s.relayMetrics = relay.NewMetrics(reg)
	s.poster = slackbot.NewAlertPoster(scfg, s.logger)
	s.fixPoster = slackbot.NewFixPoster(scfg, s.logger)
	s.endpoint, s.ops = s.newAlertEndpoint(reg)
	if s.pollers, err = QueuePollers(s.cfg, s.accounts, s.alertHandler, s.store, sqsintake.NewMetrics(reg), s.logger); err != nil {
		return err
	}
	if queuesOnly(s.cfg) {
		s.endpoint = nil // alerts come through the queues alone: no public port
	}
	s.summaries, err = s.newScheduler(slackbot.NewSummaryPoster(scfg, s.logger), fmt.Sprintf("%s-%d", s.owner, os.Getpid()))
	return err
}

// newSlackBot answers the /cis commands over Socket Mode.
func (s *Server) newSlackBot(scfg slackbot.Config) (*slackbot.Bot, error) {
	opts := CommandOptions(s.cfg, s.accounts, s.store, slackbot.NewGroups(scfg), s.logger)
	opts.Command = scfg.Command
	opts.Owner = s.owner
	s.commands = commands.New(opts)
	// Replicas sharing the store run a delivery Slack repeats once, whichever receives it.
	return slackbot.New(scfg, s.commands, s.logger, slackbot.WithDeliveries(s.store))
}

// newRegistry is the registry /metrics serves: the Go runtime's and the process's metrics,
// to which the endpoint and the relay add theirs.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newAlertEndpoint serves the SNS endpoint at alerts.path, alone, on alerts.listen, and the
// operations endpoints on alerts.ops_listen: /healthz, /readyz (the store and Slack) and
// /metrics from reg.
func (s *Server) newAlertEndpoint(reg *prometheus.Registry) (public, ops *http.Server) {
	s.path = cmp.Or(s.cfg.Alerts.Path, sns.DefaultPath)
	handler := AlertHandler(s.cfg, s.accounts, s.store, s.poster.Ping, s.snsMetrics, s.logger)
	s.alertHandler = handler
	if len(s.cfg.Alerts.Topics) == 0 && !queuesOnly(s.cfg) {
		s.logger.Warn("alerts.topics is empty: the alert endpoint accepts no SNS message")
	}
	public = sns.NewServer(cmp.Or(s.cfg.Alerts.Listen, defaultListen), sns.Mux(s.path, handler))
	ops = sns.NewServer(cmp.Or(s.cfg.Alerts.OpsListen, config.DefaultOpsListen), sns.OpsMux(handler.Ready, reg, s.logger))
	return public, ops
}

// newRelay posts the outbox to the channels of the alarms' topics' accounts.
func (s *Server) newRelay() *relay.Relay {
	return &relay.Relay{
		Outbox:   s.store,
		Threads:  s.store,
		Poster:   s.poster,
		Enricher: s.accounts.Enricher(),
		Channel: func(ctx context.Context, topicARN string, _ *alarm.Alarm) (string, error) {
			return s.accounts.AlertChannel(ctx, topicAccount(topicARN))
		},
		Owner:         s.owner,
		PerChannel:    cmp.Or(s.cfg.Alerts.PostInterval(), -1), // 0 in config: no pacing
		EnrichTimeout: s.cfg.Alerts.LookupTimeout(),
		Logger:        s.logger,
		Metrics:       s.relayMetrics,
	}
}

// topicAccount is the account a message belongs to: its topic's (the relay posts no alarm
// naming another account), "" when the topic is not an ARN.
func topicAccount(topicARN string) string {
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
func (s *Server) AlertEndpoint() string {
	if s.endpoint == nil {
		return "none (alerts.queues only)"
	}
	return s.endpoint.Addr + s.path
}

// OpsEndpoint is the address of the operations endpoints (/healthz, /readyz, /metrics).
func (s *Server) OpsEndpoint() string { return s.ops.Addr }

// Run serves until ctx is done or a part fails: Slack refusing the app token, or the alert
// endpoint or the operations endpoints unable to listen (the error names the address). It
// then drains the requests under way on both listeners (each SNS message is stored before it
// is answered) for up to 10 s, waits for approved fixes under way to finish (up to 6 min), and
// for the relay, the housekeeping and the summaries under way to stop. A Server runs once.
func (s *Server) Run(ctx context.Context) error {
	if err := checkQueues(ctx, s.pollers); err != nil {
		return err
	}
	serveErr := s.serve()
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	// A fix a crash left applying is marked interrupted, shown and audited again.
	wg.Go(func() { RecoverInterrupted(runCtx, s.commands, s.fixPoster, s.logger) })
	wg.Go(func() { SweepAbandonedFixes(runCtx, s.commands, s.fixPoster, s.logger) })
	slackErr := make(chan error, 1)
	go func() { slackErr <- s.slack.Run(runCtx) }()
	relay := s.newRelay()
	wg.Go(func() { _ = relay.Run(runCtx) })
	for _, p := range s.pollers {
		wg.Go(func() { _ = p.Run(runCtx) })
	}
	wg.Go(func() { expireRequests(runCtx, s.store, s.logger) })
	wg.Go(func() { pruneStore(runCtx, s.store, s.cfg.Store.RetentionPeriod(), s.logger) })
	// On shutdown the cron stops and the summaries under way are waited for.
	wg.Go(func() { _ = s.summaries.Run(runCtx) })
	var runErr error
	select {
	case runErr = <-slackErr:
	case runErr = <-serveErr:
		cancel()
		<-slackErr
	}
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer stop()
	var down sync.WaitGroup
	for _, srv := range []*http.Server{s.endpoint, s.ops} {
		if srv == nil {
			continue
		}
		down.Go(func() { _ = srv.Shutdown(shutdown) })
	}
	down.Wait()
	// Approved fixes under way finish and are recorded (they run detached from ctx).
	DrainFixes(ctx, s.commands, s.logger)
	return runErr
}

// serve starts the alert endpoint, over TLS when alerts.tls_cert_file is set, and the
// operations endpoints (plain HTTP: they listen on loopback or a private network); the channel
// receives why one stopped, naming it and its address, unless it was shut down.
func (s *Server) serve() <-chan error {
	serveErr := make(chan error, 2)
	run := func(name string, srv *http.Server, listen func() error) {
		if err := listen(); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("%s %s: %w", name, srv.Addr, err)
		}
	}
	if s.endpoint == nil {
		go run("operations endpoint", s.ops, s.ops.ListenAndServe)
		return serveErr
	}
	go run("alert endpoint", s.endpoint, func() error {
		if s.cfg.Alerts.TLSCertFile != "" {
			return s.endpoint.ListenAndServeTLS(s.cfg.Alerts.TLSCertFile, s.cfg.Alerts.TLSKeyFile)
		}
		return s.endpoint.ListenAndServe()
	})
	go run("operations endpoint", s.ops, s.ops.ListenAndServe)
	return serveErr
}

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }
