package config

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cisbot/cisbot/internal/awsregion"
	"github.com/cisbot/cisbot/internal/cis"
)

var (
	// zoneRE is an availability zone (us-east-1a), a common mistake for a region.
	zoneRE = regexp.MustCompile(`^([a-z]{2,4}(-[a-z]+)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9][0-9]?)[a-z]$`)
	// nameRE is what users can type after /cis audit without quoting.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	// roleARNRE is an IAM role ARN in a partition cisbot supports; the role may have a path.
	roleARNRE = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn):iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	// externalIDRE is the character set STS accepts for ExternalId; the length is checked apart.
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	// roleNameRE is an IAM role name.
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// channelRE is a Slack conversation id: public channel (C), private channel (G) or DM (D).
	channelRE = regexp.MustCompile(`^[CGD][A-Z0-9]{8,}$`)
	// principalRE is a Slack user (U, W for Enterprise Grid) or user group (S) id.
	principalRE = regexp.MustCompile(`^[UWS][A-Z0-9]{8,}$`)
	// dollarNameRE finds "$NAME", which is not expanded, to say so when a value fails.
	dollarNameRE = regexp.MustCompile(`\$[A-Za-z_]`)
)

// reservedName is the account name /cis audit all uses for every account.
const reservedName = "all"

const (
	minExternalID = 2
	maxExternalID = 1224
	maxRoleARN    = 2048 // the STS limit on RoleArn
)

// validator checks a decoded Config. With an empty meta it checks a Config built in code.
type validator struct {
	m    *meta
	errs Errors
}

// validate returns every problem in c. Fields the walk already reported are left alone, so one
// mistake gives one message.
func validate(c *Config, m *meta) Errors {
	v := &validator{m: m}
	v.aws(&c.AWS)
	for i := range c.Accounts {
		v.account(i, &c.Accounts[i])
	}
	v.uniqueNames(c.Accounts)
	if c.Organization != nil {
		v.organization(c.Organization)
	}
	v.slack(&c.Slack)
	v.remediation(&c.Remediation)
	v.controls(&c.Controls)
	v.store(&c.Store)
	v.alerts(&c.Alerts)
	v.summaries(c)
	if len(c.Accounts) == 0 && c.Organization == nil && !m.skipped("accounts") && !m.skipped("organization") &&
		!m.suggested["accounts"] && !m.suggested["organization"] {
		v.add("accounts", "at least one account is required, or an organization section",
			`add an account such as "accounts: [{name: prod}]" (it uses the base credentials), or see example.yml`)
	}
	return v.errs
}

func (v *validator) add(field, msg, fix string) {
	v.errs = append(v.errs, &FieldError{Field: field, Line: v.m.line(field), Msg: msg, Fix: fix})
}

// show is how a message refers to a field's value: quoted, or by its variable when the
// variable's name says it holds a secret.
func (v *validator) show(field, value string) string {
	if name, ok := v.m.hidden[field]; ok {
		return "the value of ${" + name + "}"
	}
	return quote(value)
}

// hidden reports whether the field's value must not be shown, nor hints derived from it.
func (v *validator) hidden(field string) bool {
	_, ok := v.m.hidden[field]
	return ok
}

// dollarHint adds a note to fix when the value written in the file holds "$NAME", which is
// not expanded.
func (v *validator) dollarHint(field, value, fix string) string {
	if !v.hidden(field) && dollarNameRE.MatchString(value) {
		return fix + " (only ${NAME} is expanded from the environment, not $NAME)"
	}
	return fix
}

func (v *validator) aws(a *AWS) {
	if f := "aws.region"; a.Region != "" && !v.m.skipped(f) && !awsregion.IsRegion(a.Region) {
		fix := "use a region code such as us-east-1, eu-central-2 or us-gov-west-1, or leave it empty for the AWS config's region"
		msg := v.show(f, a.Region) + " is not an AWS region code"
		zone, low := zoneRE.FindStringSubmatch(a.Region), strings.ToLower(a.Region)
		switch {
		case v.hidden(f): // no hints derived from a hidden value
		case zone != nil:
			msg = v.show(f, a.Region) + " is an availability zone, not a region"
			fix = "use the region " + strconv.Quote(zone[1])
		case low != a.Region && awsregion.IsRegion(low):
			fix = "region codes are lower case: " + strconv.Quote(low)
		}
		v.add(f, msg, v.dollarHint(f, a.Region, fix))
	}
	if f := "aws.cloudwatch_protocol"; !v.m.skipped(f) {
		switch p := a.CloudWatchProtocol; p {
		case "", "auto", "cbor", "query":
		default:
			fix := "use auto (the default), cbor or query"
			if low := strings.ToLower(p); !v.hidden(f) && (low == "auto" || low == "cbor" || low == "query") {
				fix = "write it in lower case: " + strconv.Quote(low)
			}
			v.add(f, v.show(f, p)+" is not a CloudWatch protocol", fix)
		}
	}
}

func (v *validator) account(i int, a *Account) {
	p := "accounts[" + strconv.Itoa(i) + "]"
	if v.m.skipped(p) {
		return
	}
	if f := p + ".name"; !v.m.skipped(f) {
		switch {
		case a.Name == "":
			if !v.m.suggested[f] {
				v.add(f, "every account needs a name", "add name: <what users type after /cis audit>, e.g. name: prod")
			}
		case len(a.Name) > 64:
			v.add(f, fmt.Sprintf("the name is %d characters long", len(a.Name)), "use at most 64 characters")
		case !nameRE.MatchString(a.Name):
			v.add(f, v.show(f, a.Name)+" is not a valid account name",
				v.dollarHint(f, a.Name, "use letters, digits, '-', '_' and '.' only (users type it: /cis audit <name>)"))
		case strings.EqualFold(a.Name, reservedName):
			v.add(f, v.show(f, a.Name)+" is reserved: /cis audit all audits every account",
				`choose another name, e.g. "main"`)
		}
	}
	if f := p + ".role_arn"; a.RoleARN != "" && !v.m.skipped(f) {
		v.roleARN(f, a.RoleARN)
	}
	if f := p + ".external_id"; a.ExternalID != "" && !v.m.skipped(f) {
		v.externalID(f, a.ExternalID)
		if rf := p + ".role_arn"; a.RoleARN == "" && !v.m.skipped(rf) && !v.m.suggested[rf] {
			v.add(f, "external_id needs role_arn",
				"add the role_arn of the role whose trust policy asks for this external id, or remove external_id: the base credentials do not use one")
		}
	}
	if f := p + ".channel"; a.Channel != "" && !v.m.skipped(f) && !channelRE.MatchString(a.Channel) {
		v.add(f, v.show(f, a.Channel)+" is not a Slack channel id",
			v.dollarHint(f, a.Channel, "use the channel's id (C…, G… or D…, e.g. C0123ABCD), not its name: names like #security are not ids. "+
				"In Slack, open the channel, click its name for the channel details, and copy the Channel ID at the bottom"))
	}
}

// uniqueNames reports names used twice. Names are compared ignoring case because users type
// them in Slack, where "Prod" and "prod" would be ambiguous.
func (v *validator) uniqueNames(accounts []Account) {
	first := map[string]int{}
	for i, a := range accounts {
		f := "accounts[" + strconv.Itoa(i) + "].name"
		if a.Name == "" || v.m.skipped(f) {
			continue
		}
		key := strings.ToLower(a.Name)
		j, dup := first[key]
		if !dup {
			first[key] = i
			continue
		}
		other := "accounts[" + strconv.Itoa(j) + "].name"
		where := other
		if l := v.m.line(other); l > 0 {
			where += " (line " + strconv.Itoa(l) + ")"
		}
		msg := v.show(f, a.Name) + " is already the name of " + where
		if a.Name != accounts[j].Name {
			msg += "; names are compared ignoring case"
		}
		v.add(f, msg, "give each account its own name")
	}
}

func (v *validator) organization(o *Organization) {
	if v.m.skipped("organization") {
		return
	}
	if f := "organization.role_name"; !v.m.skipped(f) {
		r := o.RoleName
		switch {
		case r == "":
			if !v.m.suggested[f] {
				v.add(f, "role_name is required when organization is set",
					"set it to the role cisbot assumes in every member account (e.g. cisbot-audit), or remove the organization section")
			}
		case strings.HasPrefix(r, "arn:"):
			v.add(f, "role_name is a role ARN, not a name",
				"give the name only: cisbot assumes arn:<partition>:iam::<account id>:role/<role_name> in each member account")
		case !roleNameRE.MatchString(r):
			fix := "an IAM role name is 1–64 letters, digits and + = , . @ _ -"
			if strings.Contains(r, "/") {
				fix += ", without a path"
			}
			v.add(f, v.show(f, r)+" is not an IAM role name", v.dollarHint(f, r, fix))
		}
	}
	if f := "organization.external_id"; o.ExternalID != "" && !v.m.skipped(f) {
		v.externalID(f, o.ExternalID)
	}
}

// roleARN checks an IAM role ARN and, for the common mistakes, says which part is wrong.
func (v *validator) roleARN(f, arn string) {
	if roleARNRE.MatchString(arn) && len(arn) <= maxRoleARN {
		return
	}
	msg := v.show(f, arn) + " is not an IAM role ARN"
	fix := "use arn:aws:iam::<12-digit account id>:role/<name>"
	parts := strings.SplitN(arn, ":", 6)
	switch {
	case v.hidden(f): // no hints derived from a hidden value
	case len(parts) == 1 && len(arn) == 12 && strings.Trim(arn, "0123456789") == "":
		fix = "that is an account id; " + fix
	case len(parts) == 1 && roleNameRE.MatchString(arn):
		fix = "that looks like a role name; " + fix
	case len(parts) == 6 && parts[0] == "arn" && parts[1] != "aws" && parts[1] != "aws-us-gov" && parts[1] != "aws-cn":
		fix = "the partition (after arn:) must be aws, aws-us-gov or aws-cn; " + fix
	case len(parts) == 6 && parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/"):
		fix = "that is the ARN of an assumed-role session; use the role's own ARN, arn:aws:iam::<12-digit account id>:role/<name>"
	case len(parts) == 6 && parts[2] == "iam" && !strings.HasPrefix(parts[5], "role/"):
		fix = "cisbot assumes roles, and that ARN names another kind of IAM resource; " + fix
	}
	v.add(f, msg, v.dollarHint(f, arn, fix))
}

// externalID checks the STS constraints on ExternalId.
func (v *validator) externalID(f, id string) {
	const rule = "an external id is 2–1224 characters: letters, digits and + = , . @ : / - _ (the STS limits)"
	switch {
	case len(id) < minExternalID:
		v.add(f, "the external id is too short", rule)
	case len(id) > maxExternalID:
		v.add(f, fmt.Sprintf("the external id is %d characters long", len(id)), rule)
	case !externalIDRE.MatchString(id):
		msg := v.show(f, id) + " has characters STS does not accept"
		if !v.hidden(f) {
			bad := strings.IndexFunc(id, func(r rune) bool { return !externalIDRE.MatchString(string(r)) })
			if bad >= 0 {
				r := []rune(id[bad:])[0]
				msg = v.show(f, id) + " has characters STS does not accept, such as " + strconv.QuoteRune(r)
			}
		}
		v.add(f, msg, v.dollarHint(f, id, rule))
	}
}

func (v *validator) slack(s *Slack) {
	for i, c := range s.AllowedChannels {
		if f := "slack.allowed_channels[" + strconv.Itoa(i) + "]"; !v.m.skipped(f) && !channelRE.MatchString(c) {
			v.add(f, v.show(f, c)+" is not a Slack channel id",
				"use the channel's id (C…, G… or D…), not its name: in Slack, open the channel, click its name, and copy the Channel ID at the bottom")
		}
	}
	for i, p := range s.Auditors {
		if f := "slack.auditors[" + strconv.Itoa(i) + "]"; !v.m.skipped(f) && !principalRE.MatchString(p) {
			v.add(f, v.show(f, p)+" is not a Slack user or user group id",
				"use a member id (U… or W…: in Slack, open the profile, More, Copy member ID) or a user group id (S…), not a name or an @handle")
		}
	}
}

var (
	topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	emailRE     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func (v *validator) controls(c *Controls) {
	if f := "controls.benchmark"; c.Benchmark != "" && !v.m.skipped(f) {
		// 4.1 is in every version, so this checks only that the version is known.
		if _, err := cis.Controls[0].Requirement(c.Benchmark); err != nil {
			v.add(f, v.show(f, c.Benchmark)+" is not a benchmark cisbot knows",
				"use a CIS version from "+cis.CISVersions[0]+" to "+cis.NewestCIS()+" (such as v5.0.0), securityhub, or leave it out for the newest CIS version")
		}
	}
}

func (v *validator) remediation(r *Remediation) {
	if f := "remediation.pattern"; r.Pattern != "" && !slices.Contains(cis.PatternNames(), r.Pattern) && !v.m.skipped(f) {
		v.add(f, v.show(f, r.Pattern)+" is not a known pattern",
			"use one of "+strings.Join(cis.PatternNames(), ", ")+" (securityhub, the default, is the text Security Hub's exact check accepts; cis-vN is the text CIS vN prints); a control that does not publish the one named gets its own default")
	}
	if f := "remediation.topic_name"; r.TopicName != "" && !topicNameRE.MatchString(r.TopicName) && !v.m.skipped(f) {
		v.add(f, v.show(f, r.TopicName)+" is not a valid SNS topic name", "use 1-256 letters, digits, - and _ (no .fifo topics: CloudWatch alarms cannot publish to them)")
	}
	for i, p := range r.Approvers {
		if f := "remediation.approvers[" + strconv.Itoa(i) + "]"; !v.m.skipped(f) && !principalRE.MatchString(p) {
			v.add(f, v.show(f, p)+" is not a Slack user or user group id",
				"use a member id (U… or W…) or a user group id (S…), not a name or an @handle")
		}
	}
	if f := "remediation.require_second_person"; r.RequireSecondPerson != "" && r.RequireSecondPerson != "true" && r.RequireSecondPerson != "false" && !v.m.skipped(f) {
		v.add(f, v.show(f, r.RequireSecondPerson)+" is not true or false", "write true (the default: requesters cannot approve their own fix) or false")
	}
	if f := "remediation.request_ttl"; r.RequestTTL != "" && !v.m.skipped(f) {
		if d, err := time.ParseDuration(r.RequestTTL); err != nil || d <= 0 {
			v.add(f, v.show(f, r.RequestTTL)+" is not a duration", "write a positive duration such as 1h, 30m or 2h30m")
		}
	}
	for i, e := range r.Subscribe {
		f := "remediation.subscribe[" + strconv.Itoa(i) + "]"
		if v.m.skipped(f) || emailRE.MatchString(e) || strings.HasPrefix(e, "https://") && len(e) > len("https://") || queueEndpointRE.MatchString(e) {
			continue
		}
		v.add(f, v.show(f, e)+" is neither an https URL, an e-mail address nor sqs:QUEUE-ARN", "use https://… (SNS delivers to https only over TLS), name@example.com or sqs:arn:aws:sqs:REGION:ACCOUNT:NAME")
	}
}

func (v *validator) store(s *Store) {
	postgres := s.Driver == "postgres"
	if f := "store.driver"; s.Driver != "" && s.Driver != "sqlite" && !postgres && !v.m.skipped(f) {
		v.add(f, v.show(f, s.Driver)+" is not a store driver", "use sqlite (the default: one file) or postgres (a database replicas share, named by store.dsn)")
	}
	// The DSN may hold a password: it is never shown.
	switch {
	case postgres && s.DSN == "" && !v.m.skipped("store.dsn") && !v.m.skipped("store.driver"):
		v.add("store.driver", "postgres needs store.dsn, which is not set",
			"set store.dsn to the database, such as postgres://cisbot:${PGPASSWORD}@db.example.com:5432/cisbot (store.path is the SQLite file)")
	case postgres && s.Path != "" && !v.m.skipped("store.path"):
		v.add("store.path", "store.path is the SQLite file, not used with store.driver postgres", "remove it: store.dsn names the database")
	case !postgres && s.DSN != "" && !v.m.skipped("store.dsn") && !v.m.skipped("store.driver"):
		v.add("store.dsn", "store.dsn is the PostgreSQL database, not used with store.driver sqlite",
			"set store.driver: postgres to use it, or remove it (store.path is the SQLite file)")
	case postgres && !v.m.skipped("store.dsn") && !dsnShape(s.DSN):
		v.add("store.dsn", "the value is neither a postgres:// URL nor keyword=value pairs (not shown: it may hold a password)",
			"write postgres://USER@HOST:5432/DB or host=HOST user=USER dbname=DB")
	}
	if f := "store.retention"; s.Retention != "" && !v.m.skipped(f) {
		if d, err := ParseRetention(s.Retention); err != nil || d < time.Hour {
			v.add(f, v.show(f, s.Retention)+" is not a retention period", "write a number of days such as 90d (the default), or a duration of at least 1h such as 720h")
		}
	}
}

// dsnShape reports whether dsn looks like a PostgreSQL connection string: a URL or keyword=value
// pairs. The driver checks it fully when it connects.
func dsnShape(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		_, err := url.Parse(dsn)
		return err == nil
	}
	return strings.Contains(dsn, "=")
}

// queueEndpointRE is a remediation.subscribe queue: sqs: and the queue's ARN.
var queueEndpointRE = regexp.MustCompile(`^sqs:arn:(aws|aws-us-gov|aws-cn):sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$`)

var topicPatternRE = regexp.MustCompile(`^arn:(\*|aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sns:[a-z0-9*-]*:(\*|[0-9*]{1,12}):[A-Za-z0-9_*-]+$`)

// topicAccountRE is the account field a topic pattern must have: literal, since an alarm is
// trusted as its topic's account's (see internal/sns).
var topicAccountRE = regexp.MustCompile(`^arn:[^:]*:sns:[^:]*:[0-9]{12}:`)

func (v *validator) alerts(a *Alerts) {
	if f := "alerts.default_channel"; a.DefaultChannel != "" && !v.m.skipped(f) && !channelRE.MatchString(a.DefaultChannel) {
		v.add(f, v.show(f, a.DefaultChannel)+" is not a Slack channel id",
			"use the channel's id (C…, G… or D…), not its name: in Slack, open the channel, click its name, and copy the Channel ID at the bottom")
	}
	if f := "alerts.listen"; a.Listen != "" && !v.m.skipped(f) {
		if _, port, err := net.SplitHostPort(a.Listen); err != nil || port == "" {
			v.add(f, v.show(f, a.Listen)+" is not a listen address", "write host:port or :port, e.g. :8080 or 127.0.0.1:8443")
		}
	}
	if f := "alerts.ops_listen"; a.OpsListen != "" && !v.m.skipped(f) {
		if _, port, err := net.SplitHostPort(a.OpsListen); err != nil || port == "" {
			v.add(f, v.show(f, a.OpsListen)+" is not a listen address", "write host:port, e.g. 127.0.0.1:9090 (the default), or :9090 to reach it from other hosts")
		} else if a.OpsListen == cmp.Or(a.Listen, ":8080") {
			v.add(f, v.show(f, a.OpsListen)+" is also alerts.listen", "give the operations endpoints their own port, e.g. 127.0.0.1:9090 (the default): the SNS listener serves only the SNS path")
		}
	}
	if f := "alerts.path"; a.Path != "" && !strings.HasPrefix(a.Path, "/") && !v.m.skipped(f) {
		v.add(f, v.show(f, a.Path)+" is not a URL path", "start it with /, e.g. /sns")
	}
	if f := "alerts.public_url"; a.PublicURL != "" && !v.m.skipped(f) {
		if u, err := url.Parse(a.PublicURL); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add(f, v.show(f, a.PublicURL)+" is not an https URL", "write the URL SNS posts to, e.g. https://cisbot.example.com/sns (SNS delivers only to https)")
		}
	}
	if (a.TLSCertFile == "") != (a.TLSKeyFile == "") {
		f := "alerts.tls_key_file"
		if a.TLSCertFile == "" {
			f = "alerts.tls_cert_file"
		}
		v.add(f, "tls_cert_file and tls_key_file go together", "set both to serve HTTPS, or neither to serve HTTP behind a TLS-terminating proxy")
	}
	for i, t := range a.Topics {
		f := "alerts.topics[" + strconv.Itoa(i) + "]"
		switch {
		case v.m.skipped(f):
		case !topicPatternRE.MatchString(t):
			v.add(f, v.show(f, t)+" is not an SNS topic ARN", "write arn:aws:sns:<region>:<account id>:<topic>, with * for the region or the topic name, e.g. arn:aws:sns:*:111111111111:cis-alarms")
		case !topicAccountRE.MatchString(t):
			v.add(f, v.show(f, t)+" does not name one account: anyone allowed to publish to such a topic in any account could post alarms as any account",
				"write the topic owner's 12-digit account id (wildcards stay allowed in the region and the topic name), one entry per account, e.g. arn:aws:sns:*:111111111111:cis-alarms")
		}
	}
	if f := "alerts.max_message_age"; a.MaxMessageAge != "" && !v.m.skipped(f) {
		if d, err := time.ParseDuration(a.MaxMessageAge); err != nil || d < 0 {
			v.add(f, v.show(f, a.MaxMessageAge)+" is not a duration", "write a duration such as 1h or 15m, or 0 to turn the replay check off")
		}
	}
	if f := "alerts.channel_interval"; a.ChannelInterval != "" && !v.m.skipped(f) {
		if d, err := time.ParseDuration(a.ChannelInterval); err != nil || d < 0 {
			v.add(f, v.show(f, a.ChannelInterval)+" is not a duration", "write a duration such as 1s (Slack's rate per channel) or 200ms")
		}
	}
	if f := "alerts.enrich_timeout"; a.EnrichTimeout != "" && !v.m.skipped(f) {
		if d, err := time.ParseDuration(a.EnrichTimeout); err != nil || d <= 0 {
			v.add(f, v.show(f, a.EnrichTimeout)+" is not a positive duration", "write a duration such as 20s (the default) or 1m; past it an alarm is posted without its CloudTrail events")
		}
	}
	seen := map[string]int{}
	for i := range a.Queues {
		v.queue(&a.Queues[i], "alerts.queues["+strconv.Itoa(i)+"]", seen, i)
	}
}

// queue checks one alerts.queues entry; seen maps each URL to the first entry that names it.
func (v *validator) queue(q *Queue, path string, seen map[string]int, i int) {
	if f := path + ".url"; !v.m.skipped(f) {
		switch _, err := ParseQueueURL(q.URL); {
		case q.URL == "":
			v.add(f, "every queue needs a url", "write the queue's URL as aws sqs get-queue-url prints it, e.g. https://sqs.us-east-1.amazonaws.com/111111111111/cis-alarms")
		case err != nil:
			v.add(f, v.show(f, q.URL)+" is not an SQS queue URL", "write https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, as aws sqs get-queue-url prints it; the region and account are read from it")
		default:
			if j, dup := seen[q.URL]; dup {
				v.add(f, "the same queue as alerts.queues["+strconv.Itoa(j)+"]", "list each queue once: one poller reads it")
			} else {
				seen[q.URL] = i
			}
		}
	}
	if f := path + ".role_arn"; q.RoleARN != "" && !v.m.skipped(f) && !roleARNRE.MatchString(q.RoleARN) {
		v.add(f, v.show(f, q.RoleARN)+" is not an IAM role ARN", "write arn:aws:iam::<account id>:role/<name>, a role allowed sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes on the queue")
	}
	if f := path + ".external_id"; q.ExternalID != "" && !v.m.skipped(f) {
		v.externalID(f, q.ExternalID)
		if rf := path + ".role_arn"; q.RoleARN == "" && !v.m.skipped(rf) && !v.m.suggested[rf] {
			v.add(f, "external_id needs role_arn",
				"add the role_arn of the role whose trust policy asks for this external id, or remove external_id: the base credentials do not use one")
		}
	}
	if f := path + ".format"; q.Format != "" && !slices.Contains(QueueFormats, q.Format) && !v.m.skipped(f) {
		v.add(f, v.show(f, q.Format)+" is not a queue format", "write one of "+strings.Join(QueueFormats, ", ")+" (auto, the default, tells them apart by shape)")
	}
	if f := path + ".trust_unsigned"; q.TrustUnsigned != "" && q.TrustUnsigned != "true" && q.TrustUnsigned != "false" && !v.m.skipped(f) {
		v.add(f, v.show(f, q.TrustUnsigned)+" is not true or false", "write false (the default: only signed SNS envelopes) or true (raw and EventBridge alarms too, trusted on the queue's policy)")
	}
	if f := path + ".trust_unsigned"; (q.Format == QueueRaw || q.Format == QueueEventBridge) && !q.Unsigned() && !v.m.skipped(f) {
		v.add(f, "format "+q.Format+" is unsigned, so it needs trust_unsigned: true", "set trust_unsigned: true once the queue's policy lets only your topic or EventBridge rule send to it, or subscribe the queue without raw delivery (format sns)")
	}
}
