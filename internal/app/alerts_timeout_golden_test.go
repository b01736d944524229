package app

import (
	"testing"
	"time"

	"github.com/cisbot/cisbot/internal/cis"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/relay"
)

// TestTimedOutAlertGolden is the alert as a channel receives it when its CloudTrail lookup
// passed alerts.enrich_timeout: the alarm, the note that its events were not read and why, and
// the filter with its console link, so that a reader can look; none of the events read before
// the deadline. The posted blocks are the golden file.
func TestTimedOutAlertGolden(t *testing.T) {
	al := goldenAlarm()
	start, end := al.EvaluationWindow()
	group := "aws-cloudtrail-logs-" + goldenAccount
	link := enrich.ConsoleURL("us-east-1", group, cis.PatternSecurityHub, start, end)
	// What a lookup had read when the deadline came: part of the events.
	c := enrich.Findings{
		Filters:    []enrich.FilterRef{{LogGroup: group, Name: "cis-4.1-unauthorized-api-calls", Pattern: cis.PatternSecurityHub, ConsoleURL: link}},
		Window:     [2]time.Time{start, end},
		ConsoleURL: link,
		Total:      2,
		Groups:     []enrich.PrincipalGroup{{Principal: "arn:aws:iam::" + goldenAccount + ":user/mallory", Count: 2, Actions: []string{"s3:ListBuckets"}}},
		Missing:    "logs:FilterLogEvents: context deadline exceeded (log group " + group + ")",
	}
	c.TimedOut(20 * time.Second)

	checkPostedAlert(t, relay.Post{
		Channel: "C0PRODALERT", Kind: relay.PostAlarm,
		TopicARN: "arn:aws:sns:us-east-1:" + goldenAccount + ":cis-alarms", MessageID: "0e4f1a2b-3c4d-5e6f-8a9b-0c1d2e3f4a5b",
		Received: al.StateChangeTime.Add(2 * time.Second), Alarm: al, Findings: &c,
	}, "timed-out-alert.json")
}
