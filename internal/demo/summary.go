package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cisbot/cisbot/internal/app"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/console"
	"github.com/cisbot/cisbot/internal/summary"
)

// summaryChannel is where the demo's schedule would post in Slack.
const summaryChannel = "C0SECURITY"

// summaryTour is the scheduled summary of the demo: a baseline before the tour, and the summary
// that ends it, which says what changed since.
type summaryTour struct {
	runner *summary.Runner
	spec   summary.Spec
}

// discard is a summary.Poster that shows nothing: the baseline is only recorded.
type discard struct{}

func (discard) PostSummary(context.Context, summary.Digest) error { return nil }

func (t *summaryTour) baseline(ctx context.Context) error {
	t.spec = app.AdHocSpec(summaryChannel, nil)
	t.spec.Cron = "0 9 * * MON-FRI"
	shown := t.runner.Poster
	t.runner.Poster = discard{}
	defer func() { t.runner.Poster = shown }()
	if _, err := t.runner.Run(ctx, t.spec, time.Now()); err != nil {
		return fmt.Errorf("demo: the first summary: %w", err)
	}
	return nil
}

// finish shows /cis status (what the store holds, without auditing), then runs the summary as
// its schedule would and prints it in place of the channel.
func (t *summaryTour) finish(ctx context.Context, w io.Writer, c *console.Console) error {
	say(w, "Last, the scheduled summary. /cis status shows what the last one recorded, without auditing:")
	c.Type(ctx, "/cis status")
	if err := ctx.Err(); err != nil {
		return err
	}
	say(w, "The next tick of the schedule (%s, posted to %s in Slack) audits both accounts again and", t.spec.Cron, summaryChannel)
	say(w, "compares each (account, control) with its last result: prod newly passes 4.10, dev every control.")
	s, err := t.runner.Run(ctx, t.spec, time.Now())
	if err != nil {
		return fmt.Errorf("demo: the summary: %w", err)
	}
	if len(s.NewlyPassing) != 1+len(cis.Controls) || len(s.NewlyFailing)+len(s.StillFailing)+len(s.Errors) > 0 {
		return fmt.Errorf("demo: the summary shows %d newly passing, %d newly failing, %d still failing and %d not audited, want prod's 4.10 and dev's %d controls newly passing",
			len(s.NewlyPassing), len(s.NewlyFailing), len(s.StillFailing), len(s.Errors), len(cis.Controls))
	}
	return ctx.Err()
}
