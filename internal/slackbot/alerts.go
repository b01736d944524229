package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/alarm"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
)

// AlertPoster posts the alert relay's posts to their channels with chat.postMessage, using the
// bot token (SLACK_BOT_TOKEN) and SLACK_API_URL when set. It is the relay.Poster of the relay,
// and its relay.StatusUpdater (chat.update of an alarm thread's first message).
//
// chat.postMessage with chat:write only reaches channels the bot is a member of: invite the bot
// (/invite @cisbot) to each account's alert channel (accounts[].channel). A public channel the
// bot is not in would also need chat:write.public, which the app does not ask for.
type AlertPoster struct {
	api *slack.Client
	log *slog.Logger
}

var (
	_ relay.Poster        = (*AlertPoster)(nil)
	_ relay.StatusUpdater = (*AlertPoster)(nil)
	_ relay.Finder        = (*AlertPoster)(nil)
)

// Every alert carries its SNS MessageId as message metadata, so that Find can tell whether an
// attempt whose answer was lost did post it.
const (
	metadataEventType = "cisbot_sns_message"
	metadataMessageID = "message_id"
	historyScopes     = "channels:history and groups:history"
)

// defaultRetryAfter is the wait asked for when Slack answers 429 without a usable Retry-After.
const defaultRetryAfter = 30 * time.Second

// NewAlertPoster builds an AlertPoster for a configuration (BotToken and APIURL are used).
// WithHTTPClient replaces its HTTP client (default: a 30 s timeout).
func NewAlertPoster(cfg Config, logger *slog.Logger, opts ...Option) *AlertPoster {
	api, logger := botClient(cfg, logger, opts)
	return &AlertPoster{api: api, log: logger}
}

// botClient is a Web API client with the bot token (and SLACK_API_URL when set), and logger or
// a discarding one. WithHTTPClient replaces its HTTP client (default: a 30 s timeout).
func botClient(cfg Config, logger *slog.Logger, opts []Option) (*slack.Client, *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := options{httpClient: &http.Client{Timeout: 30 * time.Second}}
	for _, opt := range opts {
		opt(&o)
	}
	sopts := []slack.Option{slack.OptionHTTPClient(o.httpClient)}
	if cfg.APIURL != "" {
		sopts = append(sopts, slack.OptionAPIURL(cfg.APIURL))
	}
	return slack.New(cfg.BotToken, sopts...), logger
}

// Post renders a post and sends it to its channel (as a reply in the thread a.ThreadTS when
// set); ts is the posted message's timestamp. A rate limit is an *relay.RetryAfterError; a
// channel the bot cannot post to is an error naming the channel and the fix.
func (p *AlertPoster) Post(ctx context.Context, a relay.Post) (ts string, err error) {
	if strings.TrimSpace(a.Channel) == "" {
		return "", fmt.Errorf("slack: the %s post of SNS message %s has no channel", a.Kind, a.MessageID)
	}
	r := renderAlert(a)
	if err := validate(r.Blocks); err != nil {
		return "", fmt.Errorf("slack: the %s post breaks a Slack limit: %w", a.Kind, err)
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(r.Text, false),
		slack.MsgOptionBlocks(r.Blocks...),
	}
	if a.MessageID != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    metadataEventType,
			EventPayload: map[string]any{metadataMessageID: a.MessageID},
		}))
	}
	if a.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(a.ThreadTS))
	}
	_, ts, err = p.api.PostMessageContext(ctx, a.Channel, opts...)
	if err != nil {
		return "", slackError("chat.postMessage", a.Channel, err)
	}
	p.log.Debug("alert posted", "channel", a.Channel, "kind", a.Kind, "sns_message_id", a.MessageID, "ts", ts, "thread_ts", a.ThreadTS)
	return ts, nil
}

// Ping checks that Slack answers and accepts the bot token (auth.test), for /readyz.
func (p *AlertPoster) Ping(ctx context.Context) error {
	if _, err := p.api.AuthTestContext(ctx); err != nil {
		if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
			switch se.Err {
			case "invalid_auth", "not_authed", "token_revoked", "account_inactive":
				return fmt.Errorf("slack: the bot token was refused: check SLACK_BOT_TOKEN (%w)", err)
			}
		}
		return fmt.Errorf("slack: auth.test: %w", hideURL(err))
	}
	return nil
}

// Find looks for the alert of SNS message a.MessageID among the messages of a.Channel (of the
// thread a.ThreadTS when set) posted since since, by the metadata Post attaches. It implements
// relay.Finder. Reading history needs the channels:history and groups:history scopes.
func (p *AlertPoster) Find(ctx context.Context, a relay.Post, since time.Time) (ts string, found bool, err error) {
	if strings.TrimSpace(a.Channel) == "" || a.MessageID == "" {
		return "", false, fmt.Errorf("slack: looking up a %s post needs its channel and SNS message id", a.Kind)
	}
	ts, found, err = findPost(ctx, p.api, a.Channel, a.ThreadTS, since, metadataEventType, metadataMessageID, a.MessageID)
	if errors.Is(err, errGaveUp) {
		p.log.Warn("gave up looking for an earlier post of an alert in a busy channel", "channel", a.Channel, "sns_message_id", a.MessageID, "error", err)
		return "", false, nil
	}
	return ts, found, err
}

// UpdateStatus rewrites the first message of an alarm's thread (channel, ts) with chat.update:
// the alarm's current state and when it changed on top, then what the message showed before
// (first: the ALARM with its CloudTrail context), since chat.update replaces a whole message. It
// implements relay.StatusUpdater.
func (p *AlertPoster) UpdateStatus(ctx context.Context, channel, ts string, first relay.Post, a *alarm.Alarm) error {
	switch {
	case strings.TrimSpace(channel) == "":
		return errors.New("slack: alarm status update without a channel")
	case strings.TrimSpace(ts) == "":
		return fmt.Errorf("slack: alarm status update in %s without a message timestamp", channel)
	case a == nil:
		return fmt.Errorf("slack: alarm status update of %s in %s without an alarm", ts, channel)
	}
	r := withStatus(renderStatus(a), first)
	if err := validate(r.Blocks); err != nil {
		return fmt.Errorf("slack: the alarm status breaks a Slack limit: %w", err)
	}
	if _, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(r.Text, false),
		slack.MsgOptionBlocks(r.Blocks...),
	); err != nil {
		return slackError("chat.update", channel, err)
	}
	p.log.Debug("alarm status updated", "channel", channel, "ts", ts, "state", a.NewState)
	return nil
}

// slackError turns a failure of a Web API method on channel ch into an error that says what to
// do. An error answer from Slack (and a rate limit) is marked relay.NotPosted: nothing went
// out. A transport failure or a 5xx is not: the request may have been carried out.
func slackError(method, ch string, err error) error {
	e := describeSlackError(method, ch, err)
	if _, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		return relay.NotPosted(e)
	}
	return e
}

func describeSlackError(method, ch string, err error) error {
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		after := rl.RetryAfter
		if after <= 0 {
			after = defaultRetryAfter
		}
		return &relay.RetryAfterError{After: after, Err: err}
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok && sc.Code == http.StatusTooManyRequests {
		return &relay.RetryAfterError{After: defaultRetryAfter, Err: err}
	}
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		switch se.Err {
		case "ratelimited":
			return &relay.RetryAfterError{After: defaultRetryAfter, Err: err}
		case "channel_not_found":
			return fmt.Errorf("slack: channel %s was not found, or the bot cannot see it: invite the bot (/invite @cisbot) to it, or fix accounts[].channel (%w)", ch, err)
		case "not_in_channel":
			return fmt.Errorf("slack: the bot is not in channel %s: invite it (/invite @cisbot), or fix accounts[].channel (%w)", ch, err)
		case "is_archived":
			return fmt.Errorf("slack: channel %s is archived: unarchive it, or set accounts[].channel to another channel and invite the bot there (%w)", ch, err)
		case "missing_scope":
			scope := "chat:write"
			if strings.HasPrefix(method, "conversations.") {
				scope = historyScopes
			}
			return fmt.Errorf("slack: the Slack app lacks the %s scope: reinstall it from manifest.yml (%w)", scope, err)
		case "invalid_auth", "not_authed", "token_revoked", "account_inactive":
			return fmt.Errorf("slack: the bot token was refused: check SLACK_BOT_TOKEN (%w)", err)
		}
	}
	return fmt.Errorf("slack: %s to %s: %w", method, ch, hideURL(err))
}

// withStatus puts the status above what the first message showed, dropping trailing blocks of
// the original that would not fit.
func withStatus(status rendered, first relay.Post) rendered {
	if first.Kind != relay.PostAlarm || first.Alarm == nil {
		return status
	}
	orig := renderAlert(first)
	blocks := append(append([]slack.Block{}, status.Blocks...), slack.NewDividerBlock())
	for _, b := range orig.Blocks {
		next := append(append([]slack.Block{}, blocks...), b)
		if validate(next) != nil {
			break
		}
		blocks = next
	}
	return rendered{Text: status.Text, Blocks: blocks}
}

// renderStatus is the compact status an alarm's first message is rewritten to when a later
// state change is posted into its thread.
func renderStatus(al *alarm.Alarm) rendered {
	name := strings.Join(strings.Fields(al.AlarmName), " ")
	if name == "" {
		name = "(unnamed alarm)"
	}
	var emoji, what string
	switch al.NewState {
	case alarm.StateAlarm:
		emoji, what = ":rotating_light:", "is in ALARM"
	case alarm.StateOK:
		emoji, what = ":white_check_mark:", "is OK"
	case alarm.StateInsufficientData:
		emoji, what = ":grey_question:", "has insufficient data"
	default:
		emoji, what = ":bell:", "is in state "+clip(strings.Join(strings.Fields(al.NewState), " "), 40)
	}
	head := fmt.Sprintf("%s *%s* %s", emoji, escLine(name, alertNameLen), escFit(what, 60))
	if !al.StateChangeTime.IsZero() {
		head += " since " + date(al.StateChangeTime)
	}
	where := *al
	where.StateChangeTime = time.Time{} // shown in the head
	return rendered{
		Text: fallback(clip(name, alertNameLen) + " " + what),
		Blocks: []slack.Block{
			section(head + "\n" + alarmWhere(&where)),
			contextBlock("Each state change of this alarm is in the thread."),
		},
	}
}

// Sizes of the parts of an alert: well within the limits, so that a long reason or many
// principals cannot push the message over maxMessageText.
const (
	alertNameLen    = 255
	alertReasonLen  = 1000
	alertItemLen    = 120 // one action, error code, IP, region, principal
	alertErrorLen   = 300
	alertTextLen    = 2800 // a relayed message's text
	alertMaxGroups  = 10   // principal sections at most, whatever Context.Top was
	alertGroupChars = 1500 // a principal's section at most (fit)
)

// renderAlert lays out a relay post. Everything in it that comes from AWS (alarm names,
// reasons, principals, error messages, SNS subjects and messages) may be chosen by an attacker:
// it is escaped and clipped.
func renderAlert(a relay.Post) rendered {
	switch a.Kind {
	case relay.PostAlarm:
		if a.Alarm != nil {
			return renderAlarm(a)
		}
	case relay.PostMessage:
		return renderSNSMessage(a)
	case relay.PostSubscribed:
		m := ":link: cisbot is now subscribed to " + topic(a.TopicARN)
		return rendered{Text: m, Blocks: []slack.Block{section(m)}}
	case relay.PostUnsubscribed:
		m := ":warning: Someone unsubscribed cisbot from " + topic(a.TopicARN) +
			". Alerts from it will no longer arrive. If this was not planned, resubscribe and check who did it (CloudTrail: `sns:Unsubscribe`)."
		return rendered{Text: m, Blocks: []slack.Block{section(m)}}
	}
	m := fmt.Sprintf("cisbot received a notification (%s) on %s that it cannot show.", escFit(a.Kind, 50), topic(a.TopicARN))
	return rendered{Text: m, Blocks: []slack.Block{section(m)}}
}

func topic(arn string) string {
	if strings.TrimSpace(arn) == "" {
		return "an unknown topic"
	}
	return code(arn, 300)
}

// escLine is s on one line, escaped, at most n characters.
func escLine(s string, n int) string {
	return escFit(strings.Join(strings.Fields(s), " "), n)
}

func renderAlarm(a relay.Post) rendered {
	al := a.Alarm
	name := strings.Join(strings.Fields(al.AlarmName), " ")
	if name == "" {
		name = "(unnamed alarm)"
	}
	reason := escLine(al.NewStateReason, alertReasonLen)
	if reason == "" {
		reason = "(no reason given)"
	}
	switch al.NewState {
	case alarm.StateOK, alarm.StateInsufficientData:
		emoji, what := ":white_check_mark:", "is back to OK"
		if al.NewState == alarm.StateInsufficientData {
			emoji, what = ":grey_question:", "has insufficient data"
		}
		head := fmt.Sprintf("%s *%s* %s", emoji, escLine(name, alertNameLen), what)
		m := head + "\n" + alarmWhere(al) + "\n" + reason
		return rendered{Text: fallback(clip(name, alertNameLen) + " " + what), Blocks: []slack.Block{section(m)}}
	case alarm.StateAlarm:
	default:
		head := fmt.Sprintf(":bell: *%s* is in state %s", escLine(name, alertNameLen), code(al.NewState, 40))
		m := head + "\n" + alarmWhere(al) + "\n" + reason
		return rendered{Text: fallback(clip(name, alertNameLen) + " is in state " + clip(al.NewState, 40)), Blocks: []slack.Block{section(m)}}
	}

	const prefix, suffix = ":rotating_light: ", " is in ALARM"
	blocks := []slack.Block{
		header(prefix + clip(name, maxHeaderText-len(prefix)-len(suffix)) + suffix),
		section(alarmWhere(al) + "\n*Reason:* " + reason),
	}
	blocks = append(blocks, renderAlarmContext(a.Findings)...)
	return rendered{Text: fallback(clip(name, alertNameLen) + " is in ALARM"), Blocks: blocks}
}

// alarmWhere is the account, region and time of an alarm's state change.
func alarmWhere(al *alarm.Alarm) string {
	region := al.RegionCode
	if region == "" {
		region = al.Region
	}
	if region == "" {
		region = "unknown region"
	}
	s := "Account " + code(al.AWSAccountID, alertItemLen) + " · " + code(region, alertItemLen)
	if !al.StateChangeTime.IsZero() {
		s += " · " + date(al.StateChangeTime)
	}
	return s
}

func renderAlarmContext(c *enrich.Findings) []slack.Block {
	if c == nil {
		return nil
	}
	var blocks []slack.Block
	if c.Missing != "" {
		blocks = append(blocks, contextBlock("Context unavailable: "+escLine(c.Missing, alertReasonLen)))
	}
	if c.Missing == "" || len(c.Groups) > 0 {
		summary := alarmSummary(c) + " in " + window(c.Window)
		if c.Truncated {
			summary += fmt.Sprintf(" (first %d events only)", c.Total)
		}
		blocks = append(blocks, section(summary))
	}
	var foot []string
	if link := consoleLink(c.ConsoleURL); link != "" {
		foot = append(foot, link)
	}
	for i, f := range c.Filters {
		if i == 3 {
			foot = append(foot, fmt.Sprintf("and %d more filters", len(c.Filters)-i))
			break
		}
		foot = append(foot, "Filter "+code(f.Name, alertItemLen)+" on "+code(f.LogGroup, 200))
	}
	var tail []slack.Block
	if len(foot) > 0 {
		tail = append(tail, contextBlock(foot...))
	}
	// The principals share what the rest of the message leaves of maxMessageText (used is
	// the header and the alarm's section at most, and the "and N more" line).
	const used = maxHeaderText + alertReasonLen + 3*alertItemLen + 200 + 100
	budget := maxMessageText - used - textLen(blocks...) - textLen(tail...)
	more := c.More
	for i, g := range c.Groups {
		b := section(fit(principalGroup(g), alertGroupChars))
		if i == alertMaxGroups || textLen(b) > budget {
			more += len(c.Groups) - i
			break
		}
		budget -= textLen(b)
		blocks = append(blocks, b)
	}
	if more > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("and %d more %s", more, plural(more, "principal", "principals"))))
	}
	blocks = append(blocks, tail...)
	return blocks
}

// alarmSummary counts an alarm's events as its control's alert does: "*19 unauthorized
// calls*" for a control that says what it counts (and for an alarm attributed to none, as
// alerts always did), else its title and the events, "*Root user used*: 2 events".
func alarmSummary(c *enrich.Findings) string {
	ctl := c.Control
	if ctl == nil || ctl.Count[0] != "" {
		one, many := "unauthorized call", "unauthorized calls"
		if ctl != nil {
			one, many = ctl.Count[0], ctl.Count[1]
		}
		return fmt.Sprintf("*%d %s*", c.Total, plural(c.Total, one, many))
	}
	return fmt.Sprintf("*%s*: %d %s", escLine(ctl.Title, alertItemLen), c.Total, plural(c.Total, "event", "events"))
}

// window is a time window as Slack dates, or "the alarm's window" when unknown.
func window(w [2]time.Time) string {
	if w[0].IsZero() || w[1].IsZero() {
		return "the alarm's window"
	}
	return date(w[0]) + " – " + date(w[1])
}

// consoleLink is a mrkdwn link to the events in the CloudWatch console; only an https URL of
// reasonable length without the characters that end a link is shown.
func consoleLink(u string) string {
	if !strings.HasPrefix(u, "https://") || len(u) > 2000 || strings.ContainsAny(u, "|<> \n") {
		return ""
	}
	return "<" + strings.ReplaceAll(u, "&", "&amp;") + "|View the events in CloudWatch>"
}

// principalGroup is one principal's events, each line from AWS data escaped.
func principalGroup(g enrich.PrincipalGroup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s · *%d %s*", code(g.Principal, alertItemLen), g.Count, plural(g.Count, "call", "calls"))
	if len(g.Actions) > 0 {
		b.WriteString("\nActions: " + codeList(g.Actions, 8))
	}
	if len(g.ErrorCodes) > 0 || g.ErrorMessage != "" {
		b.WriteString("\nErrors: " + codeList(g.ErrorCodes, 5))
		if msg := escLine(g.ErrorMessage, alertErrorLen); msg != "" {
			if len(g.ErrorCodes) > 0 {
				b.WriteString(" — ")
			}
			b.WriteString("“" + msg + "”")
		}
	}
	var from []string
	if len(g.SourceIPs) > 0 {
		from = append(from, "From "+codeList(g.SourceIPs, 5))
	}
	if len(g.Regions) > 0 {
		from = append(from, "in "+codeList(g.Regions, 5))
	}
	if len(from) > 0 {
		b.WriteString("\n" + strings.Join(from, " "))
	}
	for _, d := range g.Details {
		b.WriteString("\n" + escLine(d.Field, 40) + ": " + codeList(d.Values, 5))
	}
	switch {
	case g.First.IsZero():
	case g.Last.IsZero() || g.Last.Equal(g.First):
		b.WriteString("\nAt " + date(g.First))
	default:
		b.WriteString("\n" + date(g.First) + " – " + date(g.Last))
	}
	return b.String()
}

// codeList shows at most n items as inline code, then how many more there are.
func codeList(items []string, n int) string {
	parts := make([]string, 0, min(len(items), n)+1)
	for i, it := range items {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(items)-i))
			break
		}
		parts = append(parts, code(it, alertItemLen))
	}
	return strings.Join(parts, ", ")
}

// renderSNSMessage relays a notification that is not an alarm: its subject, and its text as a
// code block (backquotes, which would end the block, become quotes).
func renderSNSMessage(a relay.Post) rendered {
	blocks := []slack.Block{section(":envelope: Message on " + topic(a.TopicARN))}
	text := "Message on " + clip(a.TopicARN, 300)
	if s := strings.TrimSpace(a.Subject); s != "" {
		subj := strings.ReplaceAll(escLine(s, 250), "*", "∗")
		blocks = append(blocks, section("*"+subj+"*"))
		text += ": " + clip(strings.Join(strings.Fields(s), " "), 250)
	}
	body := strings.TrimSpace(a.Text)
	if body == "" {
		blocks = append(blocks, contextBlock("(empty message)"))
	} else {
		body = escFit(strings.ReplaceAll(body, "`", "'"), alertTextLen)
		blocks = append(blocks, section("```\n"+body+"\n```"))
	}
	if a.MessageID != "" {
		blocks = append(blocks, contextBlock("SNS message "+code(a.MessageID, alertItemLen)))
	}
	return rendered{Text: fallback(text), Blocks: blocks}
}
