package console

import (
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/commands"
)

func TestRenderStatus(t *testing.T) {
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	st := commands.Status{Entries: []commands.StatusEntry{
		{Account: "prod", AccountID: "111111111111", Status: "PASS", Reason: "every step passes", At: at},
		{Account: "dev", AccountID: "222222222222", Status: "FAIL", FailedStep: "alarm", Reason: "no alarm fires on one event", At: at, Since: at.Add(-48 * time.Hour)},
		{Account: "staging", Status: "ERROR", FailedStep: "trail", Reason: "trail: AccessDenied\n(request id 1)", At: at},
		{Account: "qa"},
	}, Actions: []commands.Action{{ID: commands.ActionFix, Label: "Fix: dev", Value: "dev"}}}
	golden(t, "status.txt", render(st))
	golden(t, "status-none.txt", render(commands.Status{}))
}
