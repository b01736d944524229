package slackbot

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack reads &, < and > in mrkdwn as control characters (mentions, links, <!channel>), and only
// those three are to be escaped. Text that arrives already escaped (Slack escapes them in the
// text of commands) is unescaped first, so that it is not shown escaped twice.
var (
	unescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
	escaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// esc makes text from users, the config or AWS safe to put in mrkdwn.
func esc(s string) string { return escaper.Replace(unescaper.Replace(s)) }

// escapedChannel is a channel mention <#C…> after esc.
var escapedChannel = regexp.MustCompile(`&lt;#([CG][A-Z0-9]{2,})&gt;`)

// escKeepChannels is esc, except that bare channel mentions (<#C123>) survive: the refusals of
// internal/commands name the allowed channels that way. A channel mention links to a channel
// and notifies no one, so one that a user typed is harmless; user and broadcast mentions and
// links stay escaped.
func escKeepChannels(s string) string {
	return escapedChannel.ReplaceAllString(esc(s), "<#$1>")
}

// channelID is a conversation id that can be mentioned.
var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

// channel mentions a configured channel, or shows it as text when it is not an id.
func channel(id string) string {
	if channelID.MatchString(id) {
		return "<#" + id + ">"
	}
	return esc(id)
}

// code shows s as inline code of at most n characters. Code spans cannot hold a backquote or
// span lines in mrkdwn.
func code(s string, n int) string {
	s = strings.NewReplacer("`", "'", "\r", " ", "\n", " ").Replace(s)
	if strings.TrimSpace(s) == "" {
		s = "-"
	}
	return "`" + escFit(s, n-2) + "`"
}

// escFit is esc, then fit: escaping lengthens text, so the limit applies after it. (Clipping
// first only saves escaping what would be cut anyway.)
func escFit(s string, n int) string { return fit(esc(clip(s, n)), n) }

// clip shortens raw text to at most n characters, ending it with "…" when cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s // n bytes hold at most n characters
	}
	if n < 1 {
		return ""
	}
	count, cut := 0, 0
	for i := range s {
		if count == n-1 {
			cut = i
		}
		if count == n {
			return strings.TrimRight(s[:cut], " ") + "…"
		}
		count++
	}
	return s
}

// fit shortens mrkdwn to at most n characters without cutting an entity (&amp;) or a token
// (<#C1>, <!date…>) in two, closing an open code span and ending with "…".
func fit(m string, n int) string {
	if m == clip(m, n) {
		return m
	}
	s := strings.TrimSuffix(clip(m, max(n-1, 1)), "…")
	if i := strings.LastIndexAny(s, "&<"); i >= 0 && !strings.ContainsAny(s[i:], ";>") {
		s = s[:i]
	}
	s = strings.TrimRight(s, " ")
	if strings.Count(s, "`")%2 == 1 {
		s += "`"
	}
	return s + "…"
}

// firstSentence keeps a reason to its first sentence ("… . Next…"), and at most n characters.
func firstSentence(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return clip(s, n)
}

// date is Slack's date token: each reader sees the time in their own time zone; clients that
// cannot render it show the UTC fallback.
func date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

func mrkdwn(s string) *slack.TextBlockObject {
	// verbatim: no automatic linking of URLs, channel names or mentions in the text; the tokens
	// built here (<#C…>, <!date…>) are still read.
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s, Verbatim: true}
}

func plain(s string) *slack.TextBlockObject {
	emoji := true
	return &slack.TextBlockObject{Type: slack.PlainTextType, Text: s, Emoji: &emoji}
}

func section(m string) *slack.SectionBlock {
	return &slack.SectionBlock{Type: slack.MBTSection, Text: mrkdwn(fit(m, maxSectionText))}
}

func header(s string) *slack.HeaderBlock {
	return &slack.HeaderBlock{Type: slack.MBTHeader, Text: plain(clip(s, maxHeaderText))}
}

func contextBlock(m ...string) *slack.ContextBlock {
	els := make([]slack.MixedElement, 0, min(len(m), maxContextElements))
	for _, s := range m[:min(len(m), maxContextElements)] {
		els = append(els, mrkdwn(fit(s, maxSectionText)))
	}
	return slack.NewContextBlock("", els...)
}

// pack puts lines into as few sections as it can, each within the section limit, using at most
// maxSections blocks and maxChars characters; it returns the sections and how many lines did
// not fit.
func pack(lines []string, maxSections, maxChars int) ([]slack.Block, int) {
	var blocks []slack.Block
	var cur strings.Builder
	n, total := 0, 0 // characters in cur, in all
	flush := func() {
		if cur.Len() > 0 {
			blocks = append(blocks, section(cur.String()))
			cur.Reset()
			n = 0
		}
	}
	for i, line := range lines {
		line = fit(line, maxSectionText)
		l := utf8.RuneCountInString(line)
		if cur.Len() > 0 && n+1+l > maxSectionText {
			flush()
		}
		if (cur.Len() == 0 && len(blocks) == maxSections) || total+l+1 > maxChars {
			flush()
			return blocks, len(lines) - i
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
			n++
		}
		cur.WriteString(line)
		n += l
		total += l + 1
	}
	flush()
	return blocks, 0
}
