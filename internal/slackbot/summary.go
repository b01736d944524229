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

// maxNewlyFailing is how many newly failing checks a summary details (with their reasons)
// before the per-account lines, which name them all.
const maxNewlyFailing = 15

// seeAll is how to see what a summary could not show.
const seeAll = "see them all with `cisbot summary --dry-run` or `/cis status`"

// renderSummary lays out a summary: the headline, the counts of checks by what changed, the
// newly failing checks with their reasons, then one line per account that is not passing every
// control as before (its controls passing, and which are newly failing, newly passing, still
// failing since when, not audited), the count of the others, a Fix button per failing account,
// and the audit's time. What does not fit within Slack's limits is counted, with where to see
// it, never dropped silently.
func renderSummary(s summary.Digest) rendered {
	title := "CIS summary: " + s.Headline()
	blocks := []slack.Block{header(title)}
	if counts := summaryCounts(s); len(counts) > 0 {
		blocks = append(blocks, contextBlock("Checks: "+strings.Join(counts, "   ")))
	}
	tail := summaryTail(s)
	// One block and its text are kept for the count of what was left out.
	blockBudget := maxBlocks - len(blocks) - len(tail) - 2
	textBudget := maxMessageText - textLen(blocks...) - textLen(tail...) - 400
	var left []string
	if n := len(s.NewlyFailing); n > 0 {
		lines := []string{"*Newly failing*"}
		for _, l := range s.NewlyFailing[:min(n, maxNewlyFailing)] {
			lines = append(lines, "• "+newlyFailingLine(l))
		}
		secs, rest := packBudget(lines, &blockBudget, &textBudget)
		blocks = append(blocks, secs...)
		if rest += n - min(n, maxNewlyFailing); rest > 0 {
			left = append(left, fmt.Sprintf("%d newly failing %s in detail", rest, plural(rest, "check", "checks")))
		}
	}
	lines, quiet := []string{"*By account*"}, 0
	for _, a := range s.Accounts {
		if a.Quiet() {
			quiet++
			continue
		}
		lines = append(lines, "• "+summaryAccountLine(s, a))
	}
	if len(lines) > 1 {
		secs, rest := packBudget(lines, &blockBudget, &textBudget)
		blocks = append(blocks, secs...)
		if rest > 0 {
			left = append(left, fmt.Sprintf("%d %s", rest, plural(rest, "account", "accounts")))
		}
	}
	if quiet > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf(":white_check_mark: %d %s %s as before.", quiet, plural(quiet, "account passes", "accounts pass"), s.ControlsName())))
	}
	if len(left) > 0 {
		blocks = append(blocks, contextBlock("Not shown: "+strings.Join(left, " and ")+"; "+seeAll+"."))
	}
	blocks = append(blocks, tail...)
	return rendered{Text: fallback(title), Blocks: blocks}
}

// packBudget packs lines within what is left of the message's block and text budgets, which
// it reduces, and returns how many lines did not fit (a section title alone is not shown).
func packBudget(lines []string, blockBudget, textBudget *int) ([]slack.Block, int) {
	secs, rest := pack(lines, max(*blockBudget, 0), max(*textBudget, 0))
	if len(secs) == 0 || rest >= len(lines)-1 { // nothing, or only the title, fitted
		return nil, len(lines) - 1
	}
	*blockBudget -= len(secs)
	*textBudget -= textLen(secs...)
	return secs, rest
}

// summaryCounts is the headline's breakdown of the (account, control) checks, one entry per kind of change present.
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
	for _, a := range s.FailingAccounts() {
		failing = append(failing, commands.FixAction(a.Account, s.Controls))
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

// newlyFailingLine is one newly failing check with its step and reason.
func newlyFailingLine(l summary.Line) string {
	return ":x: *" + escFit(l.Account, 100) + "* " + esc(l.Control) + " fails at " + step(l) + ": " + escFit(firstSentence(l.Reason, 150), 150)
}

// summaryAccountLine is one account of a summary: "prod 13/15 · newly failing 4.3, 4.10 · still
// failing 4.5 since 2 Dec · not audited 4.7: …".
func summaryAccountLine(s summary.Digest, a summary.Account) string {
	emoji := ":white_check_mark:"
	switch {
	case a.Failing():
		emoji = ":x:"
	case len(a.Errors) > 0:
		emoji = ":warning:"
	}
	parts := []string{emoji + " " + accountName(summary.Line{Account: a.Account, AccountID: a.AccountID}) + " " + a.Ratio()}
	if len(a.NewlyFailing) > 0 {
		parts = append(parts, "newly failing "+esc(summary.IDs(a.NewlyFailing)))
	}
	if len(a.NewlyPassing) > 0 {
		parts = append(parts, "newly passing "+esc(summary.IDs(a.NewlyPassing)))
	}
	if len(a.StillFailing) > 0 {
		t := "still failing " + esc(summary.IDs(a.StillFailing))
		if since := summary.OldestSince(a.StillFailing); !since.IsZero() {
			t += " since " + strings.TrimPrefix(s.When(since), "at ")
		}
		parts = append(parts, t)
	}
	for _, g := range a.ErrorGroups() {
		ids := esc(summary.IDs(g.Lines))
		if len(g.Lines) == len(s.Controls) && len(g.Lines) > 2 {
			ids = "(all " + fmt.Sprint(len(g.Lines)) + ")"
		}
		parts = append(parts, "not audited "+ids+": "+escFit(firstSentence(g.Reason, 150), 150))
	}
	return strings.Join(parts, " · ")
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
