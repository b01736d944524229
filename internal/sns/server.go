package sns

// This file is the HTTP side of the SNS endpoint: the handler that reads,
// verifies and durably enqueues each SNS POST, its route, the health,
// readiness and metrics routes of the operations listener, and the
// http.Server with its timeouts.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultPath is the SNS endpoint's default URL path (alerts.path).
const DefaultPath = "/sns"

// Server timeouts. SNS waits 15 s for an answer, so WriteTimeout matches it.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 15 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 64 * 1024
)

// readyTimeout bounds a /readyz check.
const readyTimeout = 5 * time.Second

// SNS request headers. They are not signed: they are only compared with the
// verified body or used in log lines.
const (
	headerMessageType = "X-Amz-Sns-Message-Type"
	headerMessageID   = "X-Amz-Sns-Message-Id"
	headerTopicArn    = "X-Amz-Sns-Topic-Arn"
	headerRawDelivery = "X-Amz-Sns-Rawdelivery"
)

// Handler is the SNS HTTP/S endpoint. Its dependencies are functions, so it
// knows nothing of the store or of AWS. It is safe for concurrent use.
type Handler struct {
	Verifier *Verifier
	// Enqueue durably stores a verified message (a Notification or a
	// Subscription/UnsubscribeConfirmation) with its raw body before the
	// handler answers 200. added is false for a MessageId already stored
	// (SNS redelivers; a duplicate is answered 200 too). An error is answered
	// 500 so that SNS retries.
	Enqueue func(ctx context.Context, m *Message, raw []byte) (added bool, err error)
	// Confirm confirms a verified SubscriptionConfirmation for an allowed
	// topic (sns:ConfirmSubscription, or a GET of the validated SubscribeURL).
	// An error is answered 502.
	Confirm func(ctx context.Context, m *Message) error
	// KnownAccount reports whether account is one of the bot's (configured, or of the
	// organization): a SubscriptionConfirmation of a topic in any other account is refused before
	// it is stored or confirmed. An error is answered 503. nil: every SubscriptionConfirmation is
	// refused.
	KnownAccount func(ctx context.Context, account string) (bool, error)
	// StorePing, when set, tells an unreachable store from a failed write: when Enqueue fails
	// and the ping fails too, every message is answered 503 at once (SNS retries) until a ping,
	// at most one a second, finds the store answering again; the outage is logged once when it
	// begins and once when it ends. nil: a failed Enqueue is answered 500, each one logged.
	StorePing func(ctx context.Context) error
	// Ready reports whether the relay can work (store and Slack reachable).
	// The SNS route does not use it: it is for the operations listener's
	// /readyz (OpsMux).
	Ready func(ctx context.Context) error
	// Logger gets one line per rejection or failure; nil means slog.Default().
	Logger *slog.Logger
	// Metrics counts requests; nil: counted nowhere.
	Metrics *Metrics
	// MaxBody is the largest body read; 0 means MaxMessageSize (256 KiB plus
	// headroom for the envelope).
	MaxBody int64

	outage outage
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) metrics() *Metrics {
	if h.Metrics != nil {
		return h.Metrics
	}
	return unread()
}

func (h *Handler) maxBody() int64 {
	if h.MaxBody > 0 {
		return h.MaxBody
	}
	return MaxMessageSize
}

// ServeHTTP handles one SNS delivery: POST only, body limit, no raw delivery, header type
// equal to the body's Type, then Accept. 4xx means "refused, do not retry"; 5xx makes SNS
// retry.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.metrics().Received.WithLabelValues("invalid").Inc()
		h.refuse(w, r, nil, &Refusal{Status: http.StatusMethodNotAllowed, Reason: "method", Err: errors.New("method " + truncate(r.Method, 16) + " is not POST")})
		return
	}
	if h.storeDown(r.Context()) {
		h.unavailable(w)
		return
	}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get(headerRawDelivery)), "true") {
		h.metrics().Received.WithLabelValues("invalid").Inc()
		h.refuse(w, r, nil, &Refusal{Status: http.StatusBadRequest, Reason: "raw_delivery", Err: errors.New("raw message delivery is on; cisbot needs the signed JSON envelope (turn RawMessageDelivery off)")})
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody()))
	if err != nil {
		h.metrics().Received.WithLabelValues("invalid").Inc()
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.refuse(w, r, nil, &Refusal{Status: http.StatusRequestEntityTooLarge, Reason: "too_large", Err: errors.New("body is larger than the limit")})
			return
		}
		h.refuse(w, r, nil, &Refusal{Status: http.StatusBadRequest, Reason: "read_error", Err: err})
		return
	}
	m, err := h.accept(r.Context(), raw, func(m *Message) *Refusal {
		h.metrics().Received.WithLabelValues(m.Type).Inc()
		if vs, ok := r.Header[headerMessageType]; ok && (len(vs) != 1 || vs[0] != m.Type) {
			return &Refusal{Status: http.StatusBadRequest, Reason: "type_mismatch", Err: errors.New("header " + headerMessageType + " " + truncate(strings.Join(vs, ","), 64) + " differs from the body's Type " + m.Type)}
		}
		return nil
	})
	if err != nil {
		if m == nil {
			h.metrics().Received.WithLabelValues("invalid").Inc()
		}
		h.refuse(w, r, m, err.(*Refusal))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok\n")
}

// Refusal is why Accept did not take a message. Failed is false for a message refused for
// good (it does not parse or verify, or names the wrong account: answered 4xx, a poison
// message on a queue) and true for one that may be taken later (the certificate download, the
// store or the confirmation failed: answered 5xx, left on a queue). Reason is the metric label:
// a RejectError reason, one of the handler's own, or for a failure the stage (enqueue, confirm,
// account, verify).
type Refusal struct {
	Status int
	Reason string
	Failed bool
	Err    error
}

func (e *Refusal) Error() string {
	return "SNS message not accepted (" + e.Reason + "): " + e.Err.Error()
}
func (e *Refusal) Unwrap() error { return e.Err }

// Accept parses, verifies (signature, certificate host, topic allowlist, age), admits (an
// alarm's account equal to its topic's; a subscription to a topic of a known account) and
// stores one SNS body, and confirms a subscription, as the HTTPS endpoint does for each POST:
// the endpoint and the queue intake share it. m is nil when the body does not parse. An error
// is a *Refusal; counting and logging it is the caller's.
func (h *Handler) Accept(ctx context.Context, raw []byte) (*Message, error) {
	return h.accept(ctx, raw, nil)
}

// accept is Accept with check, run on the parsed message before it is verified.
func (h *Handler) accept(ctx context.Context, raw []byte, check func(*Message) *Refusal) (*Message, error) {
	m, err := ParseMessage(raw)
	if err != nil {
		return nil, refusal(err)
	}
	if check != nil {
		if rf := check(m); rf != nil {
			return m, rf
		}
	}
	if h.Verifier == nil {
		return m, failure(http.StatusInternalServerError, "verify", errors.New("no verifier configured"))
	}
	if err := h.Verifier.Verify(ctx, m); err != nil {
		return m, refusal(err)
	}
	switch m.Type {
	case TypeNotification:
		if err := h.admitAlarm(m); err != nil {
			return m, err
		}
		return m, h.enqueue(ctx, m, raw)
	case TypeSubscriptionConfirmation:
		if err := h.admitSubscription(ctx, m); err != nil {
			return m, err
		}
		if err := h.enqueue(ctx, m, raw); err != nil {
			return m, err
		}
		// Confirm even for a duplicate: SNS may have redelivered because an earlier Confirm
		// failed.
		return m, h.confirm(ctx, m)
	case TypeUnsubscribeConfirmation:
		if err := h.enqueue(ctx, m, raw); err != nil {
			return m, err
		}
		h.logger().Warn("SNS unsubscribe confirmation received (security-relevant)", "topic", m.TopicArn, "message_id", m.MessageId)
		return m, nil
	}
	// ParseMessage accepts only the three types.
	return m, failure(http.StatusInternalServerError, "type", errors.New("unhandled Type "+truncate(m.Type, 64)))
}

// confirm confirms a stored SubscriptionConfirmation; a failure is answered 502.
func (h *Handler) confirm(ctx context.Context, m *Message) error {
	if h.Confirm == nil {
		return failure(http.StatusBadGateway, "confirm", errors.New("no Confirm configured"))
	}
	if err := h.Confirm(ctx, m); err != nil {
		return failure(http.StatusBadGateway, "confirm", err)
	}
	h.metrics().Confirmations.Inc()
	h.logger().Info("SNS subscription confirmed", "topic", m.TopicArn, "message_id", m.MessageId)
	return nil
}

// enqueue stores m; a failure is answered 500 (SNS retries).
func (h *Handler) enqueue(ctx context.Context, m *Message, raw []byte) error {
	if h.Enqueue == nil {
		return failure(http.StatusInternalServerError, "enqueue", errors.New("no Enqueue configured"))
	}
	added, err := h.Enqueue(ctx, m, raw)
	if err != nil {
		if h.unreachable(ctx, err) {
			return &Refusal{Status: http.StatusServiceUnavailable, Reason: reasonStoreUnreachable, Failed: true, Err: err}
		}
		return failure(http.StatusInternalServerError, "enqueue", err)
	}
	if added {
		h.metrics().Enqueued.Inc()
	} else {
		h.metrics().Duplicates.Inc()
		h.logger().Debug("SNS duplicate message", "type", m.Type, "topic", m.TopicArn, "message_id", m.MessageId)
	}
	return nil
}

func failure(status int, stage string, err error) *Refusal {
	return &Refusal{Status: status, Reason: stage, Failed: true, Err: err}
}

// refusal is the Refusal of a parse or verification error: 503 when retryable (the
// certificate could not be fetched), else 400.
func refusal(err error) *Refusal {
	re, ok := errors.AsType[*RejectError](err)
	if !ok {
		return &Refusal{Status: http.StatusBadRequest, Reason: "invalid", Err: err}
	}
	rf := &Refusal{Status: http.StatusBadRequest, Reason: re.Reason, Err: re.Err}
	if re.Reason == "too_large" {
		rf.Status = http.StatusRequestEntityTooLarge
	}
	if re.Retryable() {
		rf.Status, rf.Failed = http.StatusServiceUnavailable, true
	}
	return rf
}

// refuse counts and logs rf and answers with its status: a rejection by its reason, a failure
// after verification (enqueue, confirm) by its stage. It logs the reason, topic and message id,
// never the body, the signature or the SubscribeURL.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, m *Message, rf *Refusal) {
	if rf.Reason == reasonStoreUnreachable {
		h.unavailable(w) // the outage was logged when it began
		return
	}
	topic, id := requestIDs(r, m)
	if rf.Failed && rf.Reason != "cert_fetch" {
		h.metrics().Failures.WithLabelValues(rf.Reason).Inc()
		typ := ""
		if m != nil {
			typ = m.Type
		}
		h.logger().Error("SNS message not accepted", "stage", rf.Reason, "status", rf.Status, "type", typ, "topic", topic, "message_id", id, "error", rf.Err)
		http.Error(w, rf.Reason+" failed", rf.Status)
		return
	}
	h.metrics().Rejected.WithLabelValues(rf.Reason).Inc()
	h.logger().Warn("SNS message rejected", "reason", rf.Reason, "status", rf.Status, "topic", topic, "message_id", id, "remote", r.RemoteAddr, "error", rf.Err)
	if rf.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	http.Error(w, "rejected: "+rf.Reason, rf.Status)
}

// requestIDs names a message for a log line: from the parsed body when there
// is one, else from the (unsigned, truncated) headers.
func requestIDs(r *http.Request, m *Message) (topic, id string) {
	if m != nil {
		return truncate(m.TopicArn, 300), truncate(m.MessageId, 100)
	}
	return truncate(r.Header.Get(headerTopicArn), 300), truncate(r.Header.Get(headerMessageID), 100)
}

// Mux returns the public listener's routes: path (default DefaultPath) to h,
// which answers 405 to anything but POST, and 404 to every other path. The
// operations routes are OpsMux's, on a listener of their own.
func Mux(path string, h *Handler) http.Handler {
	if path == "" {
		path = DefaultPath
	}
	mux := http.NewServeMux()
	mux.Handle(path, h)
	return mux
}

// NotReadyError is a failed readiness check of one part of the bot. /readyz
// answers with the part's name only; Err, which may carry internal detail
// (a database path, a Slack error), goes to the log.
type NotReadyError struct {
	Part string // "store", "slack"
	Err  error
}

func (e *NotReadyError) Error() string { return e.Part + ": " + e.Err.Error() }
func (e *NotReadyError) Unwrap() error { return e.Err }

// OpsMux returns the operations listener's routes, to be kept off the public
// SNS listener: GET /healthz ("ok"); GET /readyz (ready, nil meaning always
// ready; 503 "not ready: PART" when it fails, PART from a NotReadyError, the
// error itself logged to logger); GET /metrics for gatherer (nil means
// prometheus.DefaultGatherer).
func OpsMux(ready func(context.Context) error, gatherer prometheus.Gatherer, logger *slog.Logger) http.Handler {
	if gatherer == nil {
		gatherer = prometheus.DefaultGatherer
	}
	if logger == nil {
		logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if err := ready(ctx); err != nil {
				logger.Warn("not ready", "error", err)
				body := "not ready"
				if nr, ok := errors.AsType[*NotReadyError](err); ok {
					body += ": " + nr.Part
				}
				http.Error(w, body, http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

// NewServer returns an http.Server for h on addr with the endpoint's
// timeouts and header limit.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// Metrics are the endpoint's Prometheus metrics.
type Metrics struct {
	Received      *prometheus.CounterVec // by type: the three SNS types, or "invalid"
	Rejected      *prometheus.CounterVec // by reason (RejectError reasons and the handler's own)
	Enqueued      prometheus.Counter
	Duplicates    prometheus.Counter
	Confirmations prometheus.Counter
	Failures      *prometheus.CounterVec // by stage: enqueue, confirm, account
}

// NewMetrics creates the metrics registered with reg; a nil reg registers them in a registry
// of their own, which nothing reads.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	m := &Metrics{
		Received: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "sns", Name: "received_total",
			Help: "SNS requests received, by message type (invalid when unparsable).",
		}, []string{"type"}),
		Rejected: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "sns", Name: "rejected_total",
			Help: "SNS requests rejected, by reason.",
		}, []string{"reason"}),
		Enqueued: f.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "sns", Name: "enqueued_total",
			Help: "Verified SNS messages stored in the outbox.",
		}),
		Duplicates: f.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "sns", Name: "duplicates_total",
			Help: "Verified SNS messages already in the outbox (redeliveries).",
		}),
		Confirmations: f.NewCounter(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "sns", Name: "confirmations_total",
			Help: "SNS subscriptions confirmed.",
		}),
		Failures: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cisbot", Subsystem: "sns", Name: "failures_total",
			Help: "Verified SNS messages answered 5xx, by stage (enqueue, confirm, account).",
		}, []string{"stage"}),
	}
	for _, t := range []string{TypeNotification, TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation} {
		m.Received.WithLabelValues(t)
	}
	return m
}

// unread counts for a Handler given no Metrics.
var unread = sync.OnceValue(func() *Metrics { return NewMetrics(nil) })
