// Package app wires the domain to its real parts: configured accounts to AWS sessions and audit
// targets, the /cis commands, alerts and summaries to the store and to Slack, and, in Server,
// everything cisbot run runs. The command line and the Slack bot share it, so an account means
// the same in both.
package app
