// Package slackbot is the Slack adapter of cisbot, and the only package that imports
// github.com/slack-go/slack. It runs Socket Mode, acknowledges every envelope at once, turns
// slash commands and button presses into requests for internal/commands, and sends the replies,
// laid out as Block Kit, through each request's response_url.
package slackbot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/cisbot/cisbot/internal/commands"
)

// Handler runs requests; *commands.Dispatcher is one. It is called after the request is acknowledged,
// in a goroutine of its own, and sends its replies through rep.
type Handler interface {
	Handle(ctx context.Context, req commands.Request, rep commands.Replier)
	HandleAction(ctx context.Context, req commands.ActionRequest, rep commands.Replier)
}

var _ Handler = (*commands.Dispatcher)(nil)

// Option configures a Bot.
type Option func(*options)

type options struct {
	httpClient *http.Client
	shutdown   time.Duration
	now        func() time.Time
	deliveries Deliveries
}

// Deliveries claims the keys of a delivery once across the replicas sharing a store
// (store.Deliveries): first is true for exactly one caller per key.
type Deliveries interface {
	ClaimDelivery(ctx context.Context, key string, at time.Time) (first bool, err error)
}

// WithDeliveries makes a slash command or button press that Slack delivers again, to this
// replica or another sharing d, run once: its envelope id and its trigger id are claimed in d
// before it runs. Without it only this process's recent envelope ids are remembered.
func WithDeliveries(d Deliveries) Option { return func(o *options) { o.deliveries = d } }

// WithHTTPClient sets the client that posts replies to response_urls (default: a 15 s timeout,
// at most 16 connections per host).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithShutdownTimeout bounds how long Run waits for requests under way once its context is
// done (default 10 s).
func WithShutdownTimeout(d time.Duration) Option { return func(o *options) { o.shutdown = d } }

// Bot is the Slack side of cisbot.
type Bot struct {
	cfg  Config
	h    Handler
	log  *slog.Logger
	api  *slack.Client
	opts options

	inflight atomic.Int64
	seen     *lru.Cache[string, struct{}] // recent envelope ids
}

// New builds a bot for a configuration (see ConfigFromEnv) and a handler (a *commands.Dispatcher).
func New(cfg Config, h Handler, logger *slog.Logger, opts ...Option) (*Bot, error) {
	if cfg.Command == "" {
		cfg.Command = DefaultCommand
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("slackbot: no handler")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Replies of many requests at once share a few connections to Slack's hooks host.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxConnsPerHost, transport.MaxIdleConnsPerHost = 16, 16
	o := options{
		httpClient: &http.Client{Timeout: 15 * time.Second, Transport: transport},
		shutdown:   10 * time.Second,
		now:        time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	seen, _ := lru.New[string, struct{}](recentSize) // fails only for a size below 1
	return &Bot{cfg: cfg, h: h, log: logger, api: newAPI(cfg), opts: o, seen: seen}, nil
}

// Run connects with Socket Mode and serves until ctx is done, then waits (bounded) for the
// requests under way and returns nil. The socketmode client reconnects by itself when the
// WebSocket drops, when Slack asks it to (disconnect), or when Slack stops sending pings; Run
// returns an error only when Slack refuses the app-level token.
func (b *Bot) Run(ctx context.Context) error {
	client := socketmode.New(b.api, socketmode.OptionLog(debugLog{b.log}))
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	var wg sync.WaitGroup
	b.log.Info("connecting to Slack with Socket Mode", "command", b.cfg.Command)
	for {
		select {
		case evt := <-client.Events:
			b.dispatch(ctx, client, evt, &wg)
		case <-ctx.Done():
			b.drain(&wg, runErr)
			b.log.Info("disconnected from Slack")
			return nil
		case err := <-runErr:
			b.drain(&wg, nil)
			if ctx.Err() != nil || err == nil {
				b.log.Info("disconnected from Slack")
				return nil
			}
			return fmt.Errorf("slack socket mode: %w: check SLACK_APP_TOKEN (an app-level token with connections:write, of an app with Socket Mode on)", err)
		}
	}
}

// drain waits for the requests under way, and for the socketmode client when runErr is given,
// both within the shutdown timeout.
func (b *Bot) drain(wg *sync.WaitGroup, runErr <-chan error) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		if runErr != nil {
			<-runErr
		}
		close(done)
	}()
	t := time.NewTimer(b.opts.shutdown)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		b.log.Warn("stopped waiting for requests under way", "requests", b.inflight.Load(), "waited", b.opts.shutdown)
	}
}

func (b *Bot) dispatch(ctx context.Context, client *socketmode.Client, evt socketmode.Event, wg *sync.WaitGroup) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.log.Debug("connecting to Slack")
	case socketmode.EventTypeConnected:
		n := 0
		if c, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			n = c.ConnectionCount
		}
		b.log.Info("connected to Slack", "connection", n+1)
	case socketmode.EventTypeHello:
		b.log.Debug("Slack said hello")
	case socketmode.EventTypeConnectionError:
		attrs := []any{}
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			attrs = append(attrs, "err", e.ErrorObj, "attempt", e.Attempt, "retry_in", e.Backoff)
		}
		b.log.Warn("cannot connect to Slack; retrying", attrs...)
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack refused the app-level token: check SLACK_APP_TOKEN")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		b.log.Warn("Socket Mode error", "type", string(evt.Type), "err", fmt.Sprint(evt.Data))
	case socketmode.EventTypeSlashCommand:
		b.ack(ctx, client, evt.Request)
		if cmd, ok := evt.Data.(slack.SlashCommand); ok {
			b.command(ctx, evt.Request, cmd, wg)
		}
	case socketmode.EventTypeInteractive:
		b.ack(ctx, client, evt.Request)
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			b.interaction(ctx, evt.Request, cb, wg)
		}
	default:
		// events_api and anything newer: the app subscribes to no events; acknowledge so that
		// Slack does not send them again.
		b.ack(ctx, client, evt.Request)
		b.log.Debug("ignored Socket Mode event", "type", string(evt.Type))
	}
}

// ack acknowledges an envelope, with no payload: Slack wants it within 3 seconds, so it is
// queued before any work starts (the socketmode client writes it).
func (b *Bot) ack(ctx context.Context, client *socketmode.Client, req *socketmode.Request) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil && ctx.Err() == nil {
		b.log.Warn("cannot acknowledge a Socket Mode envelope", "err", err)
	}
}

// first is false for a delivery already run: an envelope this process has seen, or, with
// WithDeliveries, an envelope or trigger id another replica (or this one) has claimed. It runs in
// the request's goroutine, after the acknowledgement, so a slow store never delays the acks of
// other envelopes.
func (b *Bot) first(ctx context.Context, log *slog.Logger, req *socketmode.Request, triggerID string) bool {
	envelope, retry := "", 0
	if req != nil {
		envelope, retry = req.EnvelopeID, req.RetryAttempt
	}
	if envelope != "" {
		if found, _ := b.seen.ContainsOrAdd(envelope, struct{}{}); found {
			log.Info("ignored an envelope delivered twice", "retry_attempt", retry)
			return false
		}
	}
	if b.opts.deliveries == nil {
		return true
	}
	var keys []string
	if envelope != "" {
		keys = append(keys, "envelope:"+envelope)
	}
	if triggerID != "" {
		keys = append(keys, "trigger:"+triggerID)
	}
	ctx, cancel := context.WithTimeout(ctx, claimTimeout)
	defer cancel()
	for _, key := range keys {
		first, err := b.opts.deliveries.ClaimDelivery(ctx, key, b.opts.now())
		if err != nil {
			// Without the store a first delivery runs (losing a command is worse than a rare
			// repeat), and a retry does not: its first delivery most likely ran.
			log.Warn("cannot check whether another replica ran this delivery", "err", err, "retry_attempt", retry, "run", retry == 0)
			return retry == 0
		}
		if !first {
			log.Info("ignored a delivery already run", "key", key, "retry_attempt", retry)
			return false
		}
	}
	return true
}

func (b *Bot) command(ctx context.Context, env *socketmode.Request, cmd slack.SlashCommand, wg *sync.WaitGroup) {
	log := b.log.With("user", cmd.UserID, "channel", cmd.ChannelID, "command", cmd.Command)
	if cmd.Command != b.cfg.Command {
		log.Info("ignored a slash command that is not the bot's", "want", b.cfg.Command)
		return
	}
	rep, err := b.replier(cmd.ResponseURL, log)
	if err != nil {
		log.Error("cannot answer the command", "err", err)
		return
	}
	req := commands.Request{Command: cmd.Command, Text: cmd.Text, UserID: cmd.UserID, ChannelID: cmd.ChannelID}
	b.spawn(wg, log, func() {
		if b.first(ctx, log, env, cmd.TriggerID) {
			b.h.Handle(ctx, req, rep)
		}
	})
}

func (b *Bot) interaction(ctx context.Context, env *socketmode.Request, cb slack.InteractionCallback, wg *sync.WaitGroup) {
	channelID := cb.Channel.ID
	if channelID == "" {
		channelID = cb.Container.ChannelID
	}
	log := b.log.With("user", cb.User.ID, "channel", channelID)
	if cb.Type != slack.InteractionTypeBlockActions {
		log.Debug("ignored an interaction", "type", string(cb.Type))
		return
	}
	// The actions of one payload share its response_url, and so its five uses.
	rep, err := b.replier(cb.ResponseURL, log)
	if err != nil {
		log.Error("cannot answer the button", "err", err)
		return
	}
	b.spawn(wg, log, func() {
		if !b.first(ctx, log, env, cmp.Or(cb.TriggerID, cb.ActionTs, firstActionTs(cb))) {
			return
		}
		for _, a := range cb.ActionCallback.BlockActions {
			req := commands.ActionRequest{ActionID: actionID(a.ActionID), Value: a.Value, UserID: cb.User.ID, ChannelID: channelID,
				MessageRef: cmp.Or(cb.Container.MessageTs, cb.Message.Timestamp)}
			b.spawn(wg, log.With("action", req.ActionID), func() { b.h.HandleAction(ctx, req, rep) })
		}
	})
}

func (b *Bot) replier(responseURL string, log *slog.Logger) (*replier, error) {
	target, err := newResponseURL(responseURL, b.opts.now())
	if err != nil {
		return nil, err
	}
	return &replier{target: target, client: b.opts.httpClient, log: log.With("response_host", target.host), now: b.opts.now}, nil
}

// spawn runs one request in a goroutine of its own that Run waits for; a panic is logged, not
// fatal.
func (b *Bot) spawn(wg *sync.WaitGroup, log *slog.Logger, work func()) {
	wg.Add(1)
	b.inflight.Add(1)
	go func() {
		defer wg.Done()
		defer b.inflight.Add(-1)
		defer func() {
			if p := recover(); p != nil {
				log.Error("request handler panicked", "panic", fmt.Sprint(p))
			}
		}()
		work()
	}()
}

// firstActionTs is the action_ts of a payload's first action, the key of a press when the
// payload has no trigger_id.
func firstActionTs(cb slack.InteractionCallback) string {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return ""
	}
	return cb.ActionCallback.BlockActions[0].ActionTs
}

// claimTimeout bounds the claim of a delivery's keys in the store.
const claimTimeout = 5 * time.Second

// recentSize is how many envelope ids are remembered to drop a delivery made again: Slack
// redelivers within minutes.
const recentSize = 4096

// debugLog passes the socketmode client's own lines to slog at debug level.
type debugLog struct{ log *slog.Logger }

func (d debugLog) Output(_ int, s string) error {
	d.log.Debug(strings.TrimSpace(s), "component", "socketmode")
	return nil
}
