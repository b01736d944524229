package config

import (
	"strings"
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
)

// TestParseCron: the expressions robfig/cron v3.0.1 panics on are errors here, and a time zone
// moves the tick.
func TestParseCron(t *testing.T) {
	from := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		spec string
		next time.Time // zero: an error containing err
		err  string
	}{
		{"0 9 * * MON-FRI", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), ""},
		{"CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), ""},
		{"TZ=Asia/Tokyo 0 9 * * *", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), ""},
		{"@every 6h", time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC), ""},
		{"CRON_TZ=UTC", time.Time{}, "not followed by a schedule"},
		{"TZ=", time.Time{}, "not followed by a schedule"},
		{"CRON_TZ= 0 9 * * *", time.Time{}, ""}, // an empty zone is UTC to time.LoadLocation
		{"CRON_TZ=Mars/Olympus 0 9 * * *", time.Time{}, "unknown time zone"},
		{"0 9 * * * *", time.Time{}, "expected exactly 5 fields"},
		{"0 0 31 2 *", time.Time{}, "never fires"},
		{"", time.Time{}, "empty spec"},
		{"@every 1x", time.Time{}, "duration"},
	} {
		s, err := ParseCron(tc.spec)
		switch {
		case tc.spec == "CRON_TZ= 0 9 * * *":
			if err != nil || !s.Next(from).Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("%q: %v", tc.spec, err)
			}
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.spec, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.spec, err)
		case !s.Next(from).Equal(tc.next):
			t.Errorf("%q: next after %v is %v, want %v", tc.spec, from, s.Next(from).UTC(), tc.next)
		}
	}
	if s, err := ParseCronSeconds("*/2 * * * * *"); err != nil || s.Next(from) != from.Add(2*time.Second) {
		t.Errorf("seconds: %v", err)
	}
}

// TestSummaryID: the id ignores the order of the accounts and the default [all], and changes
// with the schedule, the channel, the accounts or the controls. Naming every control, or none,
// keeps the id schedules had before controls could be named (a pinned hash).
func TestSummaryID(t *testing.T) {
	base := SummarySchedule{Cron: "@daily", Channel: "C0123ABCDE", Accounts: []string{"prod", "dev"}}
	if base.ID() != (SummarySchedule{Cron: "@daily", Channel: "C0123ABCDE", Accounts: []string{"dev", "prod"}}).ID() {
		t.Error("the order of the accounts changes the id")
	}
	if (SummarySchedule{Cron: "@daily", Channel: "C0123ABCDE"}).ID() != (SummarySchedule{Cron: "@daily", Channel: "C0123ABCDE", Accounts: []string{"ALL"}}).ID() {
		t.Error("[] and [ALL] have different ids")
	}
	if id := base.ID(); id != "234bdcff531b" {
		t.Errorf("id %s: the id of a schedule naming no controls changed, so its history starts again", id)
	}
	all := base
	for _, c := range cis.Controls {
		all.Controls = append(all.Controls, c.ID)
	}
	if all.ID() != base.ID() {
		t.Error("naming every control changes the id")
	}
	withControls := func(names ...string) SummarySchedule {
		s := base
		s.Controls = names
		return s
	}
	if withControls("4.3", "4.1").ID() != withControls("CloudWatch.2", "CloudWatch.1", "4.3").ID() {
		t.Error("the same controls by other names, in another order or twice, change the id")
	}
	for _, other := range []SummarySchedule{
		withControls("4.1"),
		{Cron: "@hourly", Channel: base.Channel, Accounts: base.Accounts},
		{Cron: base.Cron, Channel: "C0456FGHIJ", Accounts: base.Accounts},
		{Cron: base.Cron, Channel: base.Channel, Accounts: []string{"prod"}},
	} {
		if other.ID() == base.ID() {
			t.Errorf("%+v has the id of %+v", other, base)
		}
	}
}
