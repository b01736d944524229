package console

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
)

// AlertPoster prints the alerts the relay delivers in the console: it is the console as an
// relay.Poster. (Console.Post is already commands.Replier's, so it is a type of its own.)
type AlertPoster struct{ c *Console }

var _ relay.Poster = AlertPoster{}

// Alerts returns the console as an relay.Poster: the relay's posts print between the replies.
func (c *Console) Alerts() AlertPoster { return AlertPoster{c} }

// Post prints an alert and returns a handle of the printed message (for threading).
func (ap AlertPoster) Post(_ context.Context, p relay.Post) (string, error) {
	c := ap.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	_, err := io.WriteString(c.out, renderAlert(p)+"\n")
	return strconv.Itoa(c.next), err
}

// renderAlert is a Post as text: an alarm with its CloudTrail context, anything else in a line.
func renderAlert(p relay.Post) string {
	var b strings.Builder
	if p.ThreadTS != "" {
		b.WriteString("(in reply to " + p.ThreadTS + ") ")
	}
	switch p.Kind {
	case relay.PostAlarm:
		renderAlarm(&b, p)
	case relay.PostSubscribed:
		b.WriteString("Subscribed to " + orUnknown(p.TopicARN) + ": its notifications will be posted here.\n")
	case relay.PostUnsubscribed:
		b.WriteString("Unsubscribed from " + orUnknown(p.TopicARN) + ": its alarms no longer reach this channel. Subscribe again unless this was intended.\n")
	default:
		text := oneLine(p.Text)
		if p.Subject != "" {
			text = oneLine(p.Subject) + ": " + text
		}
		b.WriteString("Message on " + orUnknown(p.TopicARN) + ": " + text + "\n")
	}
	return b.String()
}

func renderAlarm(b *strings.Builder, p relay.Post) {
	a := p.Alarm
	if a == nil {
		b.WriteString("Alarm on " + orUnknown(p.TopicARN) + " (unreadable)\n")
		return
	}
	fmt.Fprintf(b, "%s  %s\n", a.NewState, a.AlarmName)
	where := []string{"account " + orUnknown(a.AWSAccountID)}
	if a.RegionCode != "" {
		where = append(where, a.RegionCode)
	} else if a.Region != "" {
		where = append(where, a.Region)
	}
	if !a.StateChangeTime.IsZero() {
		where = append(where, a.StateChangeTime.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	b.WriteString("  " + strings.Join(where, ", ") + "\n")
	if a.OldState != "" {
		fmt.Fprintf(b, "  was %s\n", a.OldState)
	}
	c := p.Findings
	if c == nil {
		return
	}
	if !c.Window[1].IsZero() && (len(c.Filters) > 0 || c.Missing == "") {
		fmt.Fprintf(b, "  %s in %s\n", alarmSummary(c), window(c.Window[0], c.Window[1]))
	}
	for _, g := range c.Groups {
		line := fmt.Sprintf("    %s  %d", g.Principal, g.Count)
		if len(g.Actions) > 0 {
			line += "  " + strings.Join(g.Actions, ", ")
		}
		if len(g.ErrorCodes) > 0 {
			line += "  " + strings.Join(g.ErrorCodes, ", ")
		}
		if len(g.SourceIPs) > 0 {
			line += "  from " + strings.Join(g.SourceIPs, ", ")
		}
		b.WriteString(line + "\n")
		for _, d := range g.Details {
			b.WriteString("      " + d.Field + ": " + strings.Join(d.Values, ", ") + "\n")
		}
	}
	if c.More > 0 {
		fmt.Fprintf(b, "    and %d more\n", c.More)
	}
	if c.ConsoleURL != "" {
		b.WriteString("  Logs: " + c.ConsoleURL + "\n")
	}
	if c.Missing != "" {
		b.WriteString("  Missing context: " + c.Missing + "\n")
	}
}

// alarmSummary counts an alarm's events as its control's alert does: "4 unauthorized calls"
// for a control that says what it counts (and for an alarm attributed to none, as alerts
// always did), else its title and the events, "Root user used: 2 events".
func alarmSummary(c *enrich.Findings) string {
	n := ""
	if c.Truncated {
		n = "at least "
	}
	ctl := c.Control
	if ctl == nil || ctl.Count[0] != "" {
		count := [2]string{"unauthorized call", "unauthorized calls"}
		if ctl != nil {
			count = ctl.Count
		}
		if c.Total == 1 {
			return n + "1 " + count[0]
		}
		return n + strconv.Itoa(c.Total) + " " + count[1]
	}
	return ctl.Title + ": " + n + plural(c.Total, "event")
}

// window is a time range in UTC, the date said once when both ends fall on one day.
func window(start, end time.Time) string {
	start, end = start.UTC(), end.UTC()
	if start.Format("2006-01-02") == end.Format("2006-01-02") {
		return start.Format("2006-01-02 15:04:05") + "–" + end.Format("15:04:05 UTC")
	}
	return start.Format("2006-01-02 15:04:05") + "–" + end.Format("2006-01-02 15:04:05 UTC")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
