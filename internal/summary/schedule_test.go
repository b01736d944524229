package summary

import (
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/config"
)

func TestTickAt(t *testing.T) {
	mon := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // Monday 09:00 in Berlin
	for _, tc := range []struct {
		spec string
		now  time.Time
		want time.Time
	}{
		{"CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", mon.Add(3 * time.Millisecond), mon},
		{"CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", mon.Add(90 * time.Minute), mon},                            // a late start still belongs to its tick
		{"CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", mon.AddDate(0, 0, 5).Add(time.Hour), mon.AddDate(0, 0, 4)}, // Saturday: Friday's
		{"0 9 1 * *", mon.AddDate(0, 0, 20), time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
		{"@hourly", mon.Add(59*time.Minute + 59*time.Second), mon},
	} {
		s, err := config.ParseCron(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := TickAt(s, tc.now); !got.Equal(tc.want) {
			t.Errorf("TickAt(%q, %v) = %v, want %v", tc.spec, tc.now, got, tc.want)
		}
	}
	sec, err := config.ParseCronSeconds("* * * * * *")
	if err != nil {
		t.Fatal(err)
	}
	if got := TickAt(sec, mon.Add(1500*time.Millisecond)); !got.Equal(mon.Add(time.Second)) {
		t.Errorf("per second: %v", got)
	}
}

// TestAlignedEvery: "@every D" ticks at multiples of D, whenever a replica started.
func TestAlignedEvery(t *testing.T) {
	s, err := config.ParseCron("@every 6h")
	if err != nil {
		t.Fatal(err)
	}
	a := aligned(s)
	for _, start := range []time.Time{
		time.Date(2026, 3, 2, 10, 3, 0, 0, time.UTC),
		time.Date(2026, 3, 2, 11, 59, 59, 0, time.UTC),
	} {
		if got, want := a.Next(start), time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("Next(%v) = %v, want %v", start, got, want)
		}
	}
	if got := TickAt(a, time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("TickAt = %v", got)
	}
}

// TestTickAtUTC: without CRON_TZ a schedule is read in UTC, whatever the zone of now.
func TestTickAtUTC(t *testing.T) {
	s, err := config.ParseCron("0 9 * * *")
	if err != nil {
		t.Fatal(err)
	}
	tokyo := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 3, 2, 18, 0, 1, 0, tokyo) // 09:00:01 UTC
	if got, want := TickAt(s, now), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("TickAt = %v, want %v", got, want)
	}
}
