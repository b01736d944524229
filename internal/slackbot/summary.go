package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/relay"
	"github.com/cisbot/cisbot/internal/summary"
)

// SummaryPoster posts scheduled summaries to their channels with chat.postMessage and the bot
// token (chat:write): invite the bot to each summaries[].channel. It is the summary.Poster of
// the scheduler and of cisbot summary. A summary's Fix buttons start /cis fix like those of a
// report: Slack sends their clicks to the bot over Socket Mode with a response_url.
type SummaryPoster struct {
	api *slack.Client
	log *slog.Logger
	// backoff is the wait before attempt n+1 after a failure that is neither a rate limit nor
	// an error answer (default summaryBackoff).
	backoff func(n int) time.Duration
}

// A summary post that fails is tried again, up to summaryAttempts times in all: after a rate
// limit when Slack says, after a server or network failure with a backoff, first looking in the
// channel (by the post's metadata) whether the failed attempt went out after all. An error
// answer (a channel the bot is not in) is not retried: it needs a person.
const (
	summaryAttempts   = 5
	summaryMaxWait    = 5 * time.Minute // a longer Retry-After ends the retries
	summaryEventType  = "cisbot_summary"
	summaryPayloadKey = "summary"
)

func summaryBackoff(n int) time.Duration { return time.Duration(1<<min(n, 6)) * time.Second }

var _ summary.Poster = (*SummaryPoster)(nil)

// NewSummaryPoster builds a SummaryPoster for a configuration (BotToken and APIURL are used).
// WithHTTPClient replaces its HTTP client (default: a 30 s timeout).
func NewSummaryPoster(cfg Config, logger *slog.Logger, opts ...Option) *SummaryPoster {
	api, logger := botClient(cfg, logger, opts)
	return &SummaryPoster{api: api, log: logger}
}

// PostSummary renders the summary and posts it to s.Channel. A channel the bot cannot post to
// is an error naming the channel and the fix.
func (p *SummaryPoster) PostSummary(ctx context.Context, s summary.Digest) error {
	if strings.TrimSpace(s.Channel) == "" {
		return fmt.Errorf("slack: summary %s has no channel: set summaries[].channel", s.Schedule)
	}
	r := renderSummary(s)
	if err := validate(r.Blocks); err != nil {
		return fmt.Errorf("slack: the summary breaks a Slack limit: %w", err)
	}
	key := s.Schedule + "@" + s.At.UTC().Format(time.RFC3339Nano)
	opts := []slack.MsgOption{
		slack.MsgOptionText(r.Text, false),
		slack.MsgOptionBlocks(r.Blocks...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: summaryEventType, EventPayload: map[string]any{summaryPayloadKey: key}}),
	}
	backoff := p.backoff
	if backoff == nil {
		backoff = summaryBackoff
	}
	var unsure time.Time // when an attempt of unknown outcome was sent
	for n := 1; ; n++ {
		if !unsure.IsZero() {
			ts, found, err := findPost(ctx, p.api, s.Channel, "", unsure.Add(-time.Minute), summaryEventType, summaryPayloadKey, key)
			if err == nil && found {
				p.log.Info("an earlier attempt had posted the summary", "channel", s.Channel, "schedule", s.Schedule, "ts", ts)
				return nil
			}
			if err != nil {
				p.log.Warn("could not look up whether the summary was posted; posting it again", "channel", s.Channel, "error", err)
			}
		}
		sent := time.Now()
		_, ts, err := p.api.PostMessageContext(ctx, s.Channel, opts...)
		if err == nil {
			p.log.Debug("summary posted", "channel", s.Channel, "schedule", s.Schedule, "ts", ts, "attempts", n)
			return nil
		}
		err = summaryError(s.Channel, err)
		wait, retry := summaryRetry(err, n, backoff)
		if !retry || n >= summaryAttempts || ctx.Err() != nil {
			return err
		}
		if errors.Is(err, relay.ErrNotPosted) {
			unsure = time.Time{}
		} else if unsure.IsZero() {
			unsure = sent
		}
		p.log.Warn("summary post failed; trying again", "channel", s.Channel, "schedule", s.Schedule, "attempt", n, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// summaryRetry says whether a failed summary post (attempt n) is tried again, and after what.
func summaryRetry(err error, n int, backoff func(int) time.Duration) (time.Duration, bool) {
	if ra, ok := errors.AsType[*relay.RetryAfterError](err); ok {
		return ra.After, ra.After <= summaryMaxWait
	}
	if errors.Is(err, relay.ErrNotPosted) {
		return 0, false // Slack's error answer: retrying would get the same
	}
	return backoff(n), true
}

// summaryError says what to do about a failed post; the channel comes from summaries[].channel.
// Slack's error answers are marked relay.NotPosted.
func summaryError(ch string, err error) error {
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		switch se.Err {
		case "channel_not_found":
			return relay.NotPosted(fmt.Errorf("slack: channel %s was not found, or the bot cannot see it: invite the bot (/invite @cisbot) to it, or fix summaries[].channel (%w)", ch, err))
		case "not_in_channel":
			return relay.NotPosted(fmt.Errorf("slack: the bot is not in channel %s: invite it (/invite @cisbot), or fix summaries[].channel (%w)", ch, err))
		case "is_archived":
			return relay.NotPosted(fmt.Errorf("slack: channel %s is archived: unarchive it, or set summaries[].channel to another channel (%w)", ch, err))
		}
	}
	return slackError("chat.postMessage", ch, err)
}

// maxSummaryLines is how many accounts one section lists before it counts the rest.
const maxSummaryLines = 30

// renderSummary lays out a summary: the headline, then newly failing, newly passing, still
// failing (with the failing step and since when), errors, the count of unchanged accounts, a
// Fix button per failing account, and the audit's time.
func renderSummary(s summary.Digest) rendered {
	title := "CIS summary: " + s.Headline()
	if s.Control != "" {
		title = "CIS " + s.Control + " summary: " + s.Headline()
	}
	blocks := []slack.Block{header(title)}
	if counts := summaryCounts(s); len(counts) > 0 {
		blocks = append(blocks, contextBlock(strings.Join(counts, "   ")))
	}
	tail := summaryTail(s)
	blockBudget := maxBlocks - len(blocks) - len(tail) - 2
	textBudget := maxMessageText - textLen(blocks...) - textLen(tail...) - 400
	for _, sec := range summarySections(s) {
		if len(sec.lines) == 0 {
			continue
		}
		secs := sec.render(&blockBudget, &textBudget)
		blocks = append(blocks, secs...)
	}
	if s.Unchanged > 0 && blockBudget > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf(":white_check_mark: %d %s passing as before.", s.Unchanged, plural(s.Unchanged, "account", "accounts"))))
	}
	blocks = append(blocks, tail...)
	return rendered{Text: fallback(title), Blocks: blocks}
}

// summaryCounts is the headline's breakdown, one entry per kind of change present.
func summaryCounts(s summary.Digest) []string {
	var counts []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{len(s.NewlyFailing), ":x: %d newly failing"}, {len(s.NewlyPassing), ":white_check_mark: %d newly passing"},
		{len(s.StillFailing), ":x: %d still failing"}, {len(s.Errors), ":warning: %d not audited"},
		{s.Unchanged, "%d passing as before"},
	} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf(c.what, c.n))
		}
	}
	return counts
}

// summaryTail is what ends every summary whatever its length: a Fix button per failing account
// and the audit's time.
func summaryTail(s summary.Digest) []slack.Block {
	var failing []commands.Action
	for _, l := range s.Failing() {
		failing = append(failing, commands.Action{ID: commands.ActionFix, Label: "Fix: " + l.Account, Value: l.Account})
	}
	var tail []slack.Block
	buttons, hidden := actionsBlock(failing)
	if buttons != nil {
		tail = append(tail, buttons)
	}
	foot := []string{"Audited " + date(s.At)}
	if hidden > 0 {
		foot = append(foot, fmt.Sprintf("%d more Fix %s not shown: use /cis fix ACCOUNT.", hidden, plural(hidden, "button is", "buttons are")))
	}
	return append(tail, contextBlock(foot...))
}

// summarySection is one list of a summary (newly failing, …) and how each of its lines reads.
type summarySection struct {
	title string
	lines []summary.Line
	line  func(summary.Line) string
}

func summarySections(s summary.Digest) []summarySection {
	return []summarySection{
		{"Newly failing", s.NewlyFailing, func(l summary.Line) string {
			return ":x: " + accountName(l) + " fails at " + step(l) + ": " + escFit(firstSentence(l.Reason, 300), 300)
		}},
		{"Newly passing", s.NewlyPassing, func(l summary.Line) string {
			return ":white_check_mark: " + accountName(l)
		}},
		{"Still failing", s.StillFailing, func(l summary.Line) string {
			t := ":x: " + accountName(l) + " at " + step(l)
			if f := s.For(l.Since); f != "" {
				t += ", for " + f + " (since " + date(l.Since) + ")"
			}
			return t
		}},
		{"Not audited", s.Errors, func(l summary.Line) string {
			t := ":warning: " + accountName(l) + ": " + escFit(firstSentence(l.Reason, 300), 300)
			if l.Verdict != "" {
				t += " _(it was " + l.Verdict + ")_"
			}
			return t
		}},
	}
}

// render lays the section out within what is left of the message's block and text budgets,
// which it reduces, and counts the accounts it could not list.
func (sec summarySection) render(blockBudget, textBudget *int) []slack.Block {
	lines := []string{"*" + sec.title + "*"}
	for i, l := range sec.lines {
		if i == maxSummaryLines {
			break
		}
		lines = append(lines, "• "+sec.line(l))
	}
	secs, rest := pack(lines, max(*blockBudget-1, 0), max(*textBudget, 0))
	rest += len(sec.lines) - min(len(sec.lines), maxSummaryLines)
	*blockBudget -= len(secs)
	*textBudget -= textLen(secs...)
	if rest > 0 && *blockBudget > 0 {
		more := contextBlock(fmt.Sprintf("…and %d more %s %s", rest, plural(rest, "account", "accounts"), strings.ToLower(sec.title)))
		secs = append(secs, more)
		*blockBudget--
		*textBudget -= textLen(more)
	}
	return secs
}

func accountName(l summary.Line) string {
	s := "*" + escFit(l.Account, 100) + "*"
	if l.AccountID != "" {
		s += " " + code(l.AccountID, 50)
	}
	return s
}

func step(l summary.Line) string {
	if l.FailedStep == "" {
		return "an unknown step"
	}
	return code(l.FailedStep, 50)
}

// PostingConfigFromEnv reads SLACK_BOT_TOKEN and the optional SLACK_API_URL, for commands that
// only post (cisbot summary): they need no app-level token. The checks are ConfigFromEnv's.
func PostingConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg, err := ConfigFromEnv(func(k string) string {
		if k == "SLACK_APP_TOKEN" {
			return "xapp-not-used"
		}
		return getenv(k)
	})
	cfg.AppToken = ""
	return cfg, err
}
