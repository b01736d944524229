package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	// The time zones of CRON_TZ= come with the binary: a static binary in a minimal image has no
	// zoneinfo of its own.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/suggest"
)

// SummarySchedule is one scheduled compliance summary: when it runs, where it is posted and which
// accounts it audits.
type SummarySchedule struct {
	// Cron is when the summary runs: five fields (minute hour day-of-month month day-of-week)
	// or a descriptor (@daily, @every 12h), optionally after CRON_TZ=<zone> (default UTC).
	Cron string `yaml:"cron"`
	// Channel is the Slack channel id (C…, G… or D…) the summary is posted to.
	Channel string `yaml:"channel"`
	// Accounts are the account names audited, or [all] (the default when empty): every
	// configured account and, with an organization section, every ACTIVE member account.
	Accounts []string `yaml:"accounts"`
	// Controls are the controls audited, by cisbot's id or any benchmark's number (4.3,
	// CloudWatch.1, 3.3); empty (the default) means every control.
	Controls []string `yaml:"controls"`
}

// ControlIDs are the controls to audit as cisbot's ids, in table order without repeats; nil
// for every control. A name no control has is left out (validation reports it).
func (s SummarySchedule) ControlIDs() []string {
	var ids []string
	for _, c := range cis.Controls {
		for _, n := range s.Controls {
			if ctl, err := cis.Lookup(n); err == nil && ctl.ID == c.ID {
				ids = append(ids, c.ID)
				break
			}
		}
	}
	return ids
}

// Names are the accounts to audit: the configured list, or [all] when it is empty.
func (s SummarySchedule) Names() []string {
	if len(s.Accounts) == 0 {
		return []string{reservedName}
	}
	names := slices.Clone(s.Accounts)
	for i, n := range names {
		if strings.EqualFold(n, reservedName) {
			names[i] = reservedName
		}
	}
	return names
}

// ID names the schedule in the store, the same in every replica with the same config: a hash
// of its cron expression, channel, accounts and controls (these only when named, so that a
// schedule of every control keeps the id it had before controls could be named). Changing any
// of them starts a new schedule, whose first summary has no earlier one to compare with.
func (s SummarySchedule) ID() string {
	names := s.Names()
	slices.Sort(names)
	key := s.Cron + "\x00" + s.Channel + "\x00" + strings.Join(names, ",")
	if ids := s.ControlIDs(); len(ids) > 0 && len(ids) < len(cis.Controls) {
		key += "\x00" + strings.Join(ids, ",")
	}
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:6])
}

// cronParser is the standard five-field cron with descriptors; CRON_TZ= and TZ= prefixes are
// understood by every robfig/cron parser.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a summaries[].cron expression. It never panics: robfig/cron v3.0.1 panics on
// a time zone prefix with nothing after it ("CRON_TZ=UTC"), so that case is an error here.
func ParseCron(spec string) (cron.Schedule, error) {
	return parseCron(cronParser, spec)
}

// ParseCronSeconds is ParseCron with a leading seconds field, for tests that need a schedule to
// fire within seconds.
func ParseCronSeconds(spec string) (cron.Schedule, error) {
	return parseCron(cron.NewParser(cron.Second|cron.Minute|cron.Hour|cron.Dom|cron.Month|cron.Dow|cron.Descriptor), spec)
}

func parseCron(p cron.Parser, spec string) (s cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if !strings.Contains(spec, " ") {
			return nil, errors.New("the time zone is not followed by a schedule")
		}
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("the cron parser failed: %v", r)
		}
	}()
	s, err = p.Parse(spec)
	if err != nil {
		return nil, err
	}
	// Next returns the zero time for a schedule that never fires (February 30th).
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, errors.New("the schedule never fires")
	}
	return s, nil
}

const cronFix = `write five fields, minute hour day-of-month month day-of-week (e.g. "0 9 * * MON-FRI"), or a descriptor such as @daily or "@every 12h"; ` +
	`put CRON_TZ=<zone> first for a time zone other than UTC (e.g. "CRON_TZ=Europe/Berlin 0 9 * * MON-FRI")`

func (v *validator) summaries(c *Config) {
	seen := map[string]int{}
	for i := range c.Summaries {
		s := &c.Summaries[i]
		p := "summaries[" + strconv.Itoa(i) + "]"
		if v.m.skipped(p) {
			continue
		}
		cronOK := v.summaryCron(p+".cron", s.Cron)
		if f := p + ".channel"; !v.m.skipped(f) {
			switch {
			case s.Channel == "":
				if !v.m.suggested[f] {
					v.add(f, "every summary needs a channel", "add channel: <the Slack channel id the summary is posted to>, e.g. channel: C0123ABCDE, and invite the bot there")
				}
			case !channelRE.MatchString(s.Channel):
				v.add(f, v.show(f, s.Channel)+" is not a Slack channel id",
					v.dollarHint(f, s.Channel, "use the channel's id (C…, G… or D…, e.g. C0123ABCDE), not its name: in Slack, open the channel, click its name, and copy the Channel ID at the bottom"))
			}
		}
		v.summaryAccounts(p+".accounts", s.Accounts, c)
		v.summaryControls(p+".controls", s.Controls)
		if cronOK && s.Channel != "" {
			if j, dup := seen[s.ID()]; dup {
				v.add(p, "the same summary as summaries["+strconv.Itoa(j)+"]: same cron, channel, accounts and controls",
					"remove one of them: each is posted once per tick, so two identical entries post once")
			} else {
				seen[s.ID()] = i
			}
		}
	}
}

// summaryCron checks a cron expression and reports whether it is valid.
func (v *validator) summaryCron(f, spec string) bool {
	if v.m.skipped(f) {
		return false
	}
	if strings.TrimSpace(spec) == "" {
		if !v.m.suggested[f] {
			v.add(f, "every summary needs a cron schedule", cronFix)
		}
		return false
	}
	_, err := ParseCron(spec)
	if err != nil {
		fix := cronFix
		if strings.Contains(err.Error(), "location") {
			fix = "use an IANA time zone name after CRON_TZ=, such as UTC, Europe/Berlin or America/New_York"
		}
		v.add(f, v.show(f, spec)+" is not a cron schedule: "+err.Error(), fix)
	}
	return err == nil
}

// summaryControls checks that every name is a control's.
func (v *validator) summaryControls(f string, names []string) {
	for i, n := range names {
		ff := f + "[" + strconv.Itoa(i) + "]"
		if v.m.skipped(ff) {
			continue
		}
		if _, err := cis.Lookup(n); err != nil {
			v.add(ff, v.show(ff, n)+" is not a control", "write a control's number, such as 4.3 (CIS), CloudWatch.1 (Security Hub) or 3.3 (an older CIS version), or leave controls out for every control")
		}
	}
}

func (v *validator) summaryAccounts(f string, names []string, c *Config) {
	known := c.Names()
	for i, n := range names {
		ff := f + "[" + strconv.Itoa(i) + "]"
		if v.m.skipped(ff) || strings.EqualFold(n, reservedName) || slices.Contains(known, n) {
			continue
		}
		msg := v.show(ff, n) + " is not a configured account"
		fix := "use the name of an entry under accounts, or all"
		if len(known) > 0 {
			fix += " (configured: " + strings.Join(known, ", ") + ")"
		}
		if guess := suggest.Closest(n, known); guess != "" && !v.hidden(ff) {
			msg += "; did you mean " + strconv.Quote(guess) + "?"
		}
		v.add(ff, msg, fix)
	}
}
