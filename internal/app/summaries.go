package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/store"
	"github.com/cisbot/cisbot/internal/summary"
)

// SummarySpecs are the config's summaries as schedules. The config was validated, so an error
// here means it was built in code with a bad cron expression.
func SummarySpecs(cfg *config.Config) ([]summary.Spec, error) {
	specs := make([]summary.Spec, 0, len(cfg.Summaries))
	for i, s := range cfg.Summaries {
		sched, err := config.ParseCron(s.Cron)
		if err != nil {
			return nil, fmt.Errorf("summaries[%d].cron %q: %w", i, s.Cron, err)
		}
		spec := summary.Spec{ID: s.ID(), Cron: s.Cron, Schedule: sched, Channel: s.Channel, Accounts: s.Names()}
		for _, id := range s.ControlIDs() {
			ctl, err := cis.Lookup(id)
			if err != nil {
				return nil, fmt.Errorf("summaries[%d].controls: %w", i, err)
			}
			spec.Controls = append(spec.Controls, ctl)
		}
		if ss, ok := sched.(*cron.SpecSchedule); ok && ss.Location != time.Local {
			spec.Location = ss.Location
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// AdHocSpec is a summary that no schedule names (cisbot summary --channel): its id comes from
// its channel and accounts, so repeated runs compare with each other.
func AdHocSpec(channel string, accounts []string) summary.Spec {
	s := config.SummarySchedule{Cron: "cisbot summary", Channel: channel, Accounts: accounts}
	return summary.Spec{ID: s.ID(), Channel: channel, Accounts: s.Names()}
}

// SummaryRunner runs summaries with the engine and concurrency of /cis audit, keeping history
// and tick claims in st.
func SummaryRunner(accounts *Accounts, st store.Store, poster summary.Poster, owner string, logger *slog.Logger) *summary.Runner {
	return &summary.Runner{
		Auditor: &Auditor{Accounts: accounts, Concurrency: audit.DefaultConcurrency, Logger: logger},
		History: st,
		Ticks:   st,
		Poster:  poster,
		Owner:   owner,
		Logger:  logger,
	}
}
