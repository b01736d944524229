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

// ServeHTTP handles one SNS delivery: POST only, body limit, no raw delivery,
// header type equal to the body's Type, parse and verify, an alarm's accounts
// equal to its topic's, then enqueue (and confirm a subscription to a topic of
// a known account). 4xx means "refused, do not retry"; 5xx makes SNS
// retry.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.metrics().Received.WithLabelValues("invalid").Inc()
		h.refuse(w, r, nil, http.StatusMethodNotAllowed, "method", errors.New("method "+truncate(r.Method, 16)+" is not POST"))
		return
	}
	if h.storeDown(r.Context()) {
		h.unavailable(w)
		return
	}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get(headerRawDelivery)), "true") {
		h.metrics().Received.WithLabelValues("invalid").Inc()
		h.refuse(w, r, nil, http.StatusBadRequest, "raw_delivery", errors.New("raw message delivery is on; cisbot needs the signed JSON envelope (turn RawMessageDelivery off)"))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody()))
	if err != nil {
		h.metrics().Received.WithLabelValues("invalid").Inc()
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.refuse(w, r, nil, http.StatusRequestEntityTooLarge, "too_large", errors.New("body is larger than the limit"))
			return
		}
		h.refuse(w, r, nil, http.StatusBadRequest, "read_error", err)
		return
	}
	m, err := ParseMessage(raw)
	if err != nil {
		h.metrics().Received.WithLabelValues("invalid").Inc()
		h.rejectErr(w, r, nil, err)
		return
	}
	h.metrics().Received.WithLabelValues(m.Type).Inc()
	if vs, ok := r.Header[headerMessageType]; ok && (len(vs) != 1 || vs[0] != m.Type) {
		h.refuse(w, r, m, http.StatusBadRequest, "type_mismatch", errors.New("header "+headerMessageType+" "+truncate(strings.Join(vs, ","), 64)+" differs from the body's Type "+m.Type))
		return
	}
	if h.Verifier == nil {
		h.fail(w, r, m, http.StatusInternalServerError, "verify", errors.New("no verifier configured"))
		return
	}
	if err := h.Verifier.Verify(r.Context(), m); err != nil {
		h.rejectErr(w, r, m, err)
		return
	}

	switch m.Type {
	case TypeNotification:
		if !h.admitAlarm(w, r, m) || !h.enqueue(w, r, m, raw) {
			return
		}
	case TypeSubscriptionConfirmation:
		if !h.admitSubscription(w, r, m) || !h.enqueue(w, r, m, raw) {
			return
		}
		// Confirm even for a duplicate: SNS may have redelivered because an
		// earlier Confirm failed.
		if h.Confirm == nil {
			h.fail(w, r, m, http.StatusBadGateway, "confirm", errors.New("no Confirm configured"))
			return
		}
		if err := h.Confirm(r.Context(), m); err != nil {
			h.fail(w, r, m, http.StatusBadGateway, "confirm", err)
			return
		}
		h.metrics().Confirmations.Inc()
		h.logger().Info("SNS subscription confirmed", "topic", m.TopicArn, "message_id", m.MessageId)
	case TypeUnsubscribeConfirmation:
		if !h.enqueue(w, r, m, raw) {
			return
		}
		h.logger().Warn("SNS unsubscribe confirmation received (security-relevant)", "topic", m.TopicArn, "message_id", m.MessageId)
	default: // ParseMessage accepts only the three types
		h.fail(w, r, m, http.StatusInternalServerError, "type", errors.New("unhandled Type "+truncate(m.Type, 64)))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok\n")
}

// enqueue stores m; on failure it answers 500 (SNS retries) and returns false.
func (h *Handler) enqueue(w http.ResponseWriter, r *http.Request, m *Message, raw []byte) bool {
	if h.Enqueue == nil {
		h.fail(w, r, m, http.StatusInternalServerError, "enqueue", errors.New("no Enqueue configured"))
		return false
	}
	added, err := h.Enqueue(r.Context(), m, raw)
	if err != nil {
		if h.unreachable(r.Context(), err) {
			h.unavailable(w)
			return false
		}
		h.fail(w, r, m, http.StatusInternalServerError, "enqueue", err)
		return false
	}
	if added {
		h.metrics().Enqueued.Inc()
	} else {
		h.metrics().Duplicates.Inc()
		h.logger().Debug("SNS duplicate message", "type", m.Type, "topic", m.TopicArn, "message_id", m.MessageId)
	}
	return true
}

// rejectErr answers a verification or parse error: 503 when retryable (the
// certificate could not be fetched), else 400.
func (h *Handler) rejectErr(w http.ResponseWriter, r *http.Request, m *Message, err error) {
	var re *RejectError
	if !errors.As(err, &re) {
		h.refuse(w, r, m, http.StatusBadRequest, "invalid", err)
		return
	}
	status := http.StatusBadRequest
	if re.Reason == "too_large" {
		status = http.StatusRequestEntityTooLarge
	}
	if re.Retryable() {
		status = http.StatusServiceUnavailable
	}
	h.refuse(w, r, m, status, re.Reason, re.Err)
}

// refuse counts and logs a rejection and answers status with the reason. It
// logs the reason, topic and message id, never the body, the signature or
// the SubscribeURL.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, m *Message, status int, reason string, err error) {
	h.metrics().Rejected.WithLabelValues(reason).Inc()
	topic, id := requestIDs(r, m)
	h.logger().Warn("SNS message rejected", "reason", reason, "status", status, "topic", topic, "message_id", id, "remote", r.RemoteAddr, "error", err)
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	http.Error(w, "rejected: "+reason, status)
}

// fail counts and logs a failure after verification (enqueue or confirm) and
// answers status, a 5xx so that SNS retries.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, m *Message, status int, stage string, err error) {
	h.metrics().Failures.WithLabelValues(stage).Inc()
	topic, id := requestIDs(r, m)
	h.logger().Error("SNS message not accepted", "stage", stage, "status", status, "type", m.Type, "topic", topic, "message_id", id, "error", err)
	http.Error(w, stage+" failed", status)
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
