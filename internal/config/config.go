// Package config loads cisbot's configuration file: which AWS accounts the bot may audit, how
// it reaches them, and where their results go in Slack.
//
// Loading follows alertmanager's shape: the YAML is decoded strictly (an unknown key is an error,
// because a misspelled role_arn silently auditing the wrong account is worse than refusing to
// start), defaults are applied, and then every field is validated. All problems in a file are
// reported together as Errors, each naming the field, its line and the fix. Credentials never
// come from this file: values that look like AWS keys or Slack tokens are rejected.
package config

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EnvVar names the environment variable that points at the config file when no flag is given,
// so a container can set it once instead of repeating a flag in every command.
const EnvVar = "CISBOT_CONFIG"

// maxFileSize bounds what Load reads and Parse accepts. A real config is a few kilobytes (256
// KiB is over a thousand accounts; larger estates use the organization section). The bound
// keeps a wrong path (a log file, a device) from being read whole, and keeps the YAML parser,
// whose time grows faster than linearly on some inputs, well under a second.
const maxFileSize = 256 << 10

// Config is cisbot's configuration file.
type Config struct {
	// AWS holds settings shared by every account.
	AWS AWS `yaml:"aws"`
	// Accounts are the accounts users can name in /cis audit, in file order.
	Accounts []Account `yaml:"accounts"`
	// Organization, when set, makes every member account of the AWS Organization auditable
	// through one role name, so a large organization does not need one entry per account.
	Organization *Organization `yaml:"organization"`
	// Slack says where commands are taken and who may run audits.
	Slack Slack `yaml:"slack"`
	// Remediation says what cisbot fix creates and who approves it.
	Remediation Remediation `yaml:"remediation"`
	// Store is where requests and history are kept.
	Store Store `yaml:"store"`
	// Alerts is the HTTPS endpoint subscribed to the alarms' SNS topics.
	Alerts Alerts `yaml:"alerts"`
	// Summaries are the scheduled compliance summaries, each posted to its channel.
	Summaries []SummarySchedule `yaml:"summaries"`
	// Controls says how the CIS monitoring controls are judged.
	Controls Controls `yaml:"controls"`
}

// Controls configures how the controls are judged.
type Controls struct {
	// Benchmark is the benchmark version whose requirements judge a metric filter: a CIS
	// version such as v5.0.0 (empty: the newest cisbot knows), or securityhub. Evidence says
	// which other versions a filter satisfies either way.
	Benchmark string `yaml:"benchmark"`
}

// Alerts configures the SNS endpoint that relays alarms into Slack.
type Alerts struct {
	// Listen is the address of the endpoint; empty means :8080.
	Listen string `yaml:"listen"`
	// Path is where SNS posts; empty means /sns.
	Path string `yaml:"path"`
	// PublicURL is the https URL SNS posts to (the bot's public address and Path), optional:
	// cisbot doctor then looks for a subscription to exactly it rather than to any URL ending
	// in Path.
	PublicURL string `yaml:"public_url"`
	// TLSCertFile and TLSKeyFile serve HTTPS directly; without them the endpoint speaks plain
	// HTTP behind a TLS-terminating proxy (SNS only delivers to https URLs).
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// Topics are the topic ARNs (with * wildcards) whose messages are accepted; empty accepts
	// nothing, so an endpoint open to the internet relays only what it was told about.
	Topics []string `yaml:"topics"`
	// DefaultChannel receives the alerts of accounts that have no channel of their own.
	DefaultChannel string `yaml:"default_channel"`
	// MaxMessageAge rejects older messages as replays (a Go duration; empty means 1h, 0 turns
	// the check off).
	MaxMessageAge string `yaml:"max_message_age"`
	// ChannelInterval is the least spacing between two posts to one channel (a Go duration;
	// empty means 1s, Slack's rate for chat.postMessage per channel; 0 relies on Slack's 429
	// Retry-After alone, for Slack-compatible endpoints with other limits).
	ChannelInterval string `yaml:"channel_interval"`
	// OpsListen is the address of the operations endpoints (/metrics, /healthz, /readyz),
	// kept off the public SNS listener; empty means 127.0.0.1:9090.
	OpsListen string `yaml:"ops_listen"`
	// EnrichTimeout bounds the CloudTrail lookup of one alarm (a Go duration; empty means
	// 20s): past it the alarm is posted without its events, saying so, and the alerts behind
	// it wait no longer.
	EnrichTimeout string `yaml:"enrich_timeout"`
	// Queues are SQS queues the bot long-polls for alarms: intake with outbound calls only, so
	// that a bot with queues and no topics opens no public port.
	Queues []Queue `yaml:"queues"`
}

// Queue is an SQS queue alarms arrive on, from an SNS subscription or an EventBridge rule.
type Queue struct {
	// URL is the queue's URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME); the queue's region
	// and account are read from it.
	URL string `yaml:"url"`
	// RoleARN is assumed to read a queue in another account; empty: the base credentials.
	RoleARN string `yaml:"role_arn"`
	// ExternalID is passed to AssumeRole when the role's trust policy requires one.
	ExternalID string `yaml:"external_id"`
	// Format is what the messages are: auto (the default: told apart by shape), sns (the signed
	// SNS envelope), raw (SNS raw message delivery: the alarm JSON) or eventbridge (a CloudWatch
	// Alarm State Change event).
	Format string `yaml:"format"`
	// TrustUnsigned ("false", the default, or "true") accepts unsigned alarms (raw, eventbridge):
	// their trust rests on the queue's policy alone.
	TrustUnsigned string `yaml:"trust_unsigned"`
}

// Queue formats (alerts.queues[].format).
const (
	QueueAuto        = "auto"
	QueueSNS         = "sns"
	QueueRaw         = "raw"
	QueueEventBridge = "eventbridge"
)

// QueueFormats lists the valid alerts.queues[].format values.
var QueueFormats = []string{QueueAuto, QueueSNS, QueueRaw, QueueEventBridge}

// MessageFormat is Format, auto when empty.
func (q Queue) MessageFormat() string { return cmp.Or(q.Format, QueueAuto) }

// Unsigned reports whether unsigned alarms are accepted from the queue.
func (q Queue) Unsigned() bool { return q.TrustUnsigned == "true" }

// QueueURL is a parsed SQS queue URL.
type QueueURL struct {
	Region, Account, Name string
	Partition             string // aws, aws-cn, aws-us-gov
}

// ARN is the queue's ARN.
func (u QueueURL) ARN() string {
	return "arn:" + u.Partition + ":sqs:" + u.Region + ":" + u.Account + ":" + u.Name
}

// queueURLRE is an SQS queue URL: the regional endpoint (sqs.REGION.amazonaws.com, .com.cn) or
// the legacy one (REGION.queue.amazonaws.com), then /ACCOUNT/NAME.
var queueURLRE = regexp.MustCompile(`^https://(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(\.cn)?/([0-9]{12})/([A-Za-z0-9_-]{1,75}(?:\.fifo)?)$`)

// ParseQueueURL reads the region, account and name of an SQS queue URL.
func ParseQueueURL(raw string) (QueueURL, error) {
	m := queueURLRE.FindStringSubmatch(raw)
	if m == nil {
		return QueueURL{}, fmt.Errorf("%q is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)", raw)
	}
	u := QueueURL{Region: cmp.Or(m[1], m[2]), Account: m[4], Name: m[5], Partition: "aws"}
	switch {
	case m[3] != "":
		u.Partition = "aws-cn"
	case strings.HasPrefix(u.Region, "us-gov-"):
		u.Partition = "aws-us-gov"
	}
	return u, nil
}

// DefaultOpsListen is where the operations endpoints listen when alerts.ops_listen is empty:
// loopback, for a local Prometheus agent and the kubelet's probes through a sidecar or port,
// never the internet.
const DefaultOpsListen = "127.0.0.1:9090"

// DefaultEnrichTimeout is the deadline of an alarm's CloudTrail lookup when
// alerts.enrich_timeout is empty.
const DefaultEnrichTimeout = 20 * time.Second

// LookupTimeout is EnrichTimeout parsed: 20s when empty.
func (a Alerts) LookupTimeout() time.Duration {
	d, err := time.ParseDuration(a.EnrichTimeout)
	if err != nil || d <= 0 {
		return DefaultEnrichTimeout
	}
	return d
}

// PostInterval is ChannelInterval parsed: 1s when empty.
func (a Alerts) PostInterval() time.Duration {
	if a.ChannelInterval == "" {
		return time.Second
	}
	d, err := time.ParseDuration(a.ChannelInterval)
	if err != nil || d < 0 {
		return time.Second
	}
	return d
}

// MessageAge is MaxMessageAge parsed: 1h when empty, 0 when the check is off.
func (a Alerts) MessageAge() time.Duration {
	if a.MaxMessageAge == "" {
		return time.Hour
	}
	d, err := time.ParseDuration(a.MaxMessageAge)
	if err != nil || d < 0 {
		return time.Hour
	}
	return d
}

// Remediation configures what a fix creates.
type Remediation struct {
	// Pattern names the published text a new metric filter gets: securityhub (the default,
	// which Security Hub's exact check also accepts), cis-v3, cis-v4 or cis-v5 (the text of that
	// CIS version); a control that does not publish the one named gets its own default.
	Pattern string `yaml:"pattern"`
	// TopicName is the SNS topic created when no usable one exists; empty means cis-alarms.
	TopicName string `yaml:"topic_name"`
	// Subscribe are the endpoints subscribed to a topic without a confirmed subscriber:
	// https URLs and e-mail addresses.
	Subscribe []string `yaml:"subscribe"`
	// Approvers are the user ids (U…, W…) and user group ids (S…) who may approve a fix;
	// empty means nobody can, so /cis fix only shows plans.
	Approvers []string `yaml:"approvers"`
	// RequireSecondPerson ("true", the default, or "false") forbids approving one's own request.
	// It is kept as written and read through SecondPerson, so "yes"-style mistakes are caught.
	RequireSecondPerson string `yaml:"require_second_person"`
	// RequestTTL is how long a fix request can be approved, as a Go duration ("1h", "30m");
	// empty means 1h.
	RequestTTL string `yaml:"request_ttl"`
}

// SecondPerson reports whether a requester may not approve their own request (default true).
func (r Remediation) SecondPerson() bool { return r.RequireSecondPerson != "false" }

// TTL is RequestTTL parsed, 1h when empty.
func (r Remediation) TTL() time.Duration {
	d, err := time.ParseDuration(r.RequestTTL)
	if err != nil || d <= 0 {
		return time.Hour
	}
	return d
}

// Store is where the bot keeps requests, decisions and history.
type Store struct {
	// Driver is sqlite (the default: one file, nothing else to run) or postgres (a database
	// several replicas share).
	Driver string `yaml:"driver"`
	// Path is the SQLite file; empty means cisbot.db in the working directory.
	Path string `yaml:"path"`
	// DSN is the PostgreSQL database, required with driver postgres: a postgres:// URL or a
	// keyword/value string. Its password belongs in the environment (${PGPASSWORD}), or in
	// PGPASSWORD or ~/.pgpass, which the driver reads itself.
	DSN string `yaml:"dsn"`
	// Retention is how long delivered alerts, finished fix requests' plans and old audit results
	// are kept: a number of days ("90d") or a Go duration ("2160h"); empty means 90 days.
	Retention string `yaml:"retention"`
}

// DefaultRetention is how long the store keeps what it no longer needs when store.retention is
// not set.
const DefaultRetention = 90 * 24 * time.Hour

// RetentionPeriod is Retention parsed, DefaultRetention when empty.
func (s Store) RetentionPeriod() time.Duration {
	d, err := ParseRetention(s.Retention)
	if err != nil || d == 0 {
		return DefaultRetention
	}
	return d
}

// ParseRetention reads a retention period: "90d" (days, which Go durations lack) or a Go
// duration. Empty is 0.
func ParseRetention(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}

// Slack restricts the bot's use in Slack. Empty lists restrict nothing.
type Slack struct {
	// AllowedChannels are the channel ids where commands are taken; empty means any channel,
	// DMs included.
	AllowedChannels []string `yaml:"allowed_channels"`
	// Auditors are the user ids (U…, W…) and user group ids (S…) who may run audits; empty
	// means anyone in the workspace.
	Auditors []string `yaml:"auditors"`
}

// AWS holds settings that apply to every AWS call.
type AWS struct {
	// Region is where account-level calls go; empty means the region of the AWS config
	// (AWS_REGION or the profile), which is what most deployments already set.
	Region string `yaml:"region"`
	// CloudWatchProtocol picks the wire protocol of CloudWatch calls: auto (the default, chosen
	// after decoding when the field is empty), cbor or query. It exists for endpoints and
	// proxies that speak only one of them.
	CloudWatchProtocol string `yaml:"cloudwatch_protocol"`
}

// Account is one AWS account users can audit by name.
type Account struct {
	// Name is what users type: /cis audit prod.
	Name string `yaml:"name"`
	// RoleARN is the role assumed to audit the account; empty means the base credentials,
	// which suits a bot running inside the audited account.
	RoleARN string `yaml:"role_arn"`
	// ExternalID is passed to AssumeRole when the role's trust policy requires one.
	ExternalID string `yaml:"external_id"`
	// Channel is the Slack channel id (C…, G… or D…) that receives this account's scheduled
	// results; empty means the bot's default channel. An id, not a name, because names change.
	Channel string `yaml:"channel"`
}

// Organization makes the member accounts of an AWS Organization auditable.
type Organization struct {
	// RoleName is the role assumed in each member account, as
	// arn:<partition>:iam::<account id>:role/<role_name>; one name works across accounts
	// because organizations deploy the same audit role everywhere (StackSets).
	RoleName string `yaml:"role_name"`
	// ExternalID is passed to AssumeRole in every member account, if their trust policy needs it.
	ExternalID string `yaml:"external_id"`
}

// Default is the configuration used when no file is given: one account named "default" using
// the base credentials, cloudwatch_protocol auto. It lets the bot audit the account it runs in
// with no file at all. Each call returns a new value, so callers may modify it.
func Default() *Config {
	return &Config{
		AWS:      AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "default"}},
	}
}

// Resolve picks the config path: the flag value if non-empty, else $CISBOT_CONFIG, else ""
// (meaning Default()). A flag beats the environment because it is the more specific request.
// A nil getenv means an empty environment.
func Resolve(flagValue string, getenv func(string) (string, bool)) string {
	if flagValue != "" {
		return flagValue
	}
	if getenv != nil {
		if v, ok := getenv(EnvVar); ok {
			return v
		}
	}
	return ""
}

// Load reads and validates the file at path. getenv expands ${VAR} in values ($VAR is left
// alone and "$${" writes a literal "${"), so per-deployment values such as role ARNs can come
// from the environment; a reference to an unset variable is an error naming the field and the
// variable. A nil getenv means an empty environment. Problems in the file are returned as
// Errors.
func Load(path string, getenv func(string) (string, bool)) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w (check the path given on the command line or in $%s, or give neither to use the built-in default)", err, EnvVar)
	}
	defer f.Close()
	// One byte past the limit, so Parse can tell a file at the limit from a larger one.
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Parse(path, data, getenv)
}

// Account returns the account with that name (exact match: names were checked to be unique
// ignoring case, so an exact match is the one the file spells).
func (c *Config) Account(name string) (*Account, bool) {
	for i := range c.Accounts {
		if c.Accounts[i].Name == name {
			return &c.Accounts[i], true
		}
	}
	return nil, false
}

// Names returns the account names in file order, the order help and audits list them in.
func (c *Config) Names() []string {
	names := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		names[i] = a.Name
	}
	return names
}
