package configinit

import (
	"testing"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/testutil/goldenfile"
)

var org = []awsenv.OrgAccount{
	{ID: "111111111111", Name: "Management Account"},
	{ID: "333333333333", Name: "Prod"},
	{ID: "222222222222", Name: "prod"},
	{ID: "444444444444", Name: "  Data & Analytics (EU)  "},
	{ID: "555555555555", Name: "ALL"},
	{ID: "666666666666", Name: "☃"},
	{ID: "777777777777", Name: "prod-2"},
}

func TestNames(t *testing.T) {
	want := map[string]string{
		"111111111111": "management-account",
		"222222222222": "prod",   // the lower id keeps the name
		"333333333333": "prod-2", // the next one numbered
		"444444444444": "data-analytics-eu",
		"555555555555": "all-accounts", // reserved
		"666666666666": "account-666666666666",
		"777777777777": "prod-2-2", // prod-2 was taken by then
	}
	got := Names(org)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		golden string
		o      Options
	}{
		{"default.yml", Options{}},
		{"organization.yml", Options{Region: "eu-west-1", Accounts: org, RoleName: "cisbot", ExternalID: "cisbot-ext-42"}},
		{"organization-no-external-id.yml", Options{Accounts: org[:2], RoleName: "cisbot-audit"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			data := Render(tt.o)
			cfg, err := config.Parse(tt.golden, data, nil)
			if err != nil {
				t.Fatalf("the written config does not load: %v\n%s", err, data)
			}
			if n := max(len(tt.o.Accounts), 1); len(cfg.Accounts) != n {
				t.Errorf("%d accounts, want %d", len(cfg.Accounts), n)
			}
			goldenfile.Check(t, tt.golden, data)
		})
	}
}
