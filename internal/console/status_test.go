package console

import (
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/commands"
)

func TestRenderStatus(t *testing.T) {
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	cs := func(control, status, step, reason string) commands.ControlStatus {
		return commands.ControlStatus{Control: control, Status: status, FailedStep: step, Reason: reason, At: at}
	}
	var prod, dev []commands.ControlStatus
	for _, c := range cis.Controls {
		prod = append(prod, cs(c.ID, "PASS", "", ""))
		switch c.ID {
		case "4.3":
			dev = append(dev, cs(c.ID, "FAIL", "alarm", "no alarm fires on one event"))
		case "4.10":
			dev = append(dev, cs(c.ID, "FAIL", "metric_filter", "no filter\n(2 looked at)"))
		case "4.7":
			dev = append(dev, cs(c.ID, "ERROR", "", "Throttling"))
		default:
			dev = append(dev, cs(c.ID, "PASS", "", ""))
		}
	}
	st := commands.Status{Entries: []commands.StatusEntry{
		{Account: "prod", AccountID: "111111111111", At: at, Controls: prod},
		{Account: "dev", AccountID: "222222222222", At: at, Since: at.Add(-48 * time.Hour), Controls: dev},
		{Account: "staging", At: at, Controls: []commands.ControlStatus{cs("4.1", "ERROR", "trail", "trail: AccessDenied\n(request id 1)")}},
		{Account: "qa"},
	}, Actions: []commands.Action{{ID: commands.ActionFix, Label: "Fix: dev", Value: "dev"}}}
	golden(t, "status.txt", render(st))
	golden(t, "status-none.txt", render(commands.Status{}))
}
