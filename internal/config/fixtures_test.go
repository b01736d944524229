package config

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fixtureVars is the environment every fixture is loaded with.
var fixtureVars = map[string]string{
	"CISBOT_REGION":         "eu-central-1",
	"PROD_ROLE_ARN":         "arn:aws:iam::111111111111:role/cisbot-audit",
	"AUDIT_EXTERNAL_ID":     "cisbot-7f3a9c",
	"SECURITY_CHANNEL":      "C0123ABCDE",
	"ORG_ROLE":              "cisbot-audit",
	"EMPTY":                 "",
	"ROLE_KEY":              "not-an-arn-hidden-value", // secret-named: never shown
	"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"PROD_EXTERNAL_ID":      "cisbot-prod-2f9e",
	"PGPASSWORD":            "pg-fixture-password", // secret-named: never shown
}

func fixtureEnv(name string) (string, bool) {
	v, ok := fixtureVars[name]
	return v, ok
}

// neverShown are values that no error message may contain: credentials from the fixtures and
// the value of a secret-named variable.
var neverShown = []string{
	"wJalrXUtnFEMI",
	"AKIAIOSFODNN7EXAMPLE",
	"xoxb-",
	"not-an-arn-hidden-value",
	"pg-fixture-password",
}

// validFixtures maps each file in testdata/valid to the Config it must load as.
var validFixtures = map[string]*Config{
	"minimal.yml": {
		AWS:      AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "prod"}},
	},
	"full.yml": {
		AWS: AWS{Region: "us-gov-west-1", CloudWatchProtocol: "query"},
		Accounts: []Account{
			{Name: "prod", RoleARN: "arn:aws:iam::111111111111:role/cisbot-audit", ExternalID: "cisbot:prod/2024@example.com", Channel: "C0123ABCDE"},
			{Name: "staging.eu_2", RoleARN: "arn:aws-cn:iam::222222222222:role/security/audit/cisbot", Channel: "G0123ABCDE"},
			{Name: "gov", RoleARN: "arn:aws-us-gov:iam::333333333333:role/cisbot+audit=x,y.z@w-v", ExternalID: "a=b,c.d@e:f/g-h_i+j", Channel: "D0123ABCDE"},
		},
		Organization: &Organization{RoleName: "cisbot-audit", ExternalID: "org-wide-id"},
		Store:        Store{Path: "/var/lib/cisbot/cisbot.db", Retention: "30d"},
	},
	"env.yml": {
		AWS: AWS{Region: "eu-central-1", CloudWatchProtocol: "auto"},
		Accounts: []Account{
			{Name: "prod", RoleARN: "arn:aws:iam::111111111111:role/cisbot-audit", ExternalID: "cisbot-7f3a9c-prod", Channel: "C0123ABCDE"},
			{Name: "dev"},
		},
		Organization: &Organization{RoleName: "cisbot-audit"},
	},
	"slack.yml": {
		AWS:      AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "prod"}},
		Slack:    Slack{AllowedChannels: []string{"C0123ABCDE", "G0456FGHIJ"}, Auditors: []string{"U0123ABCDE", "W0123ABCDE", "S0456FGHIJ"}},
	},
	"organization_only.yml": {
		AWS:          AWS{CloudWatchProtocol: "auto"},
		Organization: &Organization{RoleName: "cisbot-audit"},
	},
	"plain_scalars.yml": {
		AWS: AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{
			{Name: "0123", RoleARN: "arn:aws:iam::012345678901:role/cisbot-audit", ExternalID: "0123456789"},
			{Name: "2024"},
			{Name: "true"},
			{Name: "1e3"},
		},
	},
	"empty_values.yml": {
		AWS:      AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "prod"}},
	},
	"summaries.yml": {
		AWS:      AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "prod"}, {Name: "dev"}},
		Summaries: []SummarySchedule{
			{Cron: "CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", Channel: "C0123ABCDE", Accounts: []string{"all"}},
			{Cron: "TZ=America/New_York 30 8 1 * *", Channel: "C0123ABCDE", Accounts: []string{"prod", "dev"}},
			{Cron: "@every 6h", Channel: "G0123ABCDE"},
		},
	},
	"postgres.yml": {
		AWS:      AWS{CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "prod"}},
		Store:    Store{Driver: "postgres", DSN: "postgres://cisbot:pg-fixture-password@db.example.com:5432/cisbot?sslmode=verify-full"},
	},
	"flow_style.yml": {
		AWS:      AWS{Region: "cn-north-1", CloudWatchProtocol: "auto"},
		Accounts: []Account{{Name: "prod", Channel: "C0123ABCDE"}, {Name: "dev"}},
	},
}

// wantErr is one expected problem: its field path, its line (0: none), and fragments its
// message must contain.
type wantErr struct {
	field string
	line  int
	text  []string
}

// invalidFixtures maps each file in testdata/invalid to every problem it must report, in order.
// Each file breaks one rule (many_errors.yml checks that all problems come out at once).
var invalidFixtures = map[string][]wantErr{
	// YAML itself.
	"syntax_error.yml":       {{"", 3, []string{"YAML syntax error", "double-quoted"}}},
	"duplicate_key.yml":      {{"", 3, []string{`"name" already defined`, "once in a section"}}},
	"tab_indent.yml":         {{"", 2, []string{`'\t'`, "spaces, not tabs"}}},
	"multiple_documents.yml": {{"", 3, []string{"more than one YAML document", `"---"`}}},
	"not_a_mapping.yml":      {{"", 1, []string{"must be a YAML mapping", "aws, accounts, organization, slack, remediation, store, alerts"}}},
	"anchor_alias.yml": {
		{"accounts[0]", 2, []string{"anchors", "write the value out"}},
		{"accounts[1]", 4, []string{"aliases", "write the value out"}},
	},
	"merge_key.yml": {{"accounts[0].<<", 3, []string{"merge keys"}}},
	"remediation.yml": {
		{"remediation.pattern", 4, []string{`"cis-v9" is not a known pattern`, "cis-v3, cis-v4, cis-v5"}},
		{"remediation.topic_name", 5, []string{"not a valid SNS topic name", ".fifo"}},
		{"remediation.subscribe[0]", 7, []string{"neither an https URL, an e-mail address nor sqs:QUEUE-ARN", "sqs:arn:aws:sqs:REGION:ACCOUNT:NAME"}},
		{"remediation.approvers[0]", 9, []string{`"@alice" is not a Slack user`}},
		{"remediation.require_second_person", 10, []string{`"yes" is not true or false`}},
		{"remediation.request_ttl", 11, []string{`"1 hour" is not a duration`}},
		{"store.driver", 13, []string{"postgres needs store.dsn", "postgres://"}},
		{"store.retention", 14, []string{`"3 months" is not a retention period`, "90d"}},
	},
	"store_postgres.yml":   {{"store.path", 5, []string{"SQLite file, not used with store.driver postgres", "store.dsn"}}},
	"store_dsn_sqlite.yml": {{"store.dsn", 4, []string{"not used with store.driver sqlite", "store.driver: postgres"}}},
	"store_dsn_shape.yml":  {{"store.dsn", 5, []string{"neither a postgres:// URL nor keyword=value pairs", "postgres://USER@HOST"}}},
	"topics_any_account.yml": {
		{"alerts.topics[1]", 6, []string{`"arn:aws:sns:*:*:*" does not name one account`, "12-digit account id"}},
		{"alerts.topics[2]", 7, []string{"does not name one account"}},
		{"alerts.topics[3]", 8, []string{"does not name one account"}},
	},
	"alerts.yml": {
		{"alerts.tls_key_file", 3, []string{"tls_cert_file and tls_key_file go together"}},
		{"alerts.listen", 4, []string{`"8080" is not a listen address`}},
		{"alerts.path", 5, []string{`"sns" is not a URL path`}},
		{"alerts.topics[0]", 8, []string{`"cis-alarms" is not an SNS topic ARN`}},
		{"alerts.max_message_age", 9, []string{`"an hour" is not a duration`}},
		{"alerts.channel_interval", 10, []string{`"-1s" is not a duration`}},
		{"alerts.ops_listen", 11, []string{`"9090" is not a listen address`}},
		{"alerts.enrich_timeout", 12, []string{`"0s" is not a positive duration`, "20s"}},
		{"alerts.public_url", 13, []string{`"http://cisbot.example.com/sns" is not an https URL`}},
	},
	"queues.yml": {
		{"alerts.queues[0].url", 5, []string{`"https://sqs.us-east-1.amazonaws.com/cis-alarms" is not an SQS queue URL`, "https://sqs.REGION.amazonaws.com/ACCOUNT/NAME"}},
		{"alerts.queues[0].format", 6, []string{`"json" is not a queue format`, "auto, sns, raw, eventbridge"}},
		{"alerts.queues[1].role_arn", 8, []string{`"cisbot-reader" is not an IAM role ARN`, "sqs:ReceiveMessage"}},
		{"alerts.queues[1].trust_unsigned", 9, []string{`"yes" is not true or false`}},
		{"alerts.queues[2].url", 10, []string{"the same queue as alerts.queues[1]"}},
		{"alerts.queues[2].trust_unsigned", 10, []string{"format raw is unsigned, so it needs trust_unsigned: true"}},
		{"alerts.queues[3].url", 12, []string{"every queue needs a url"}},
		{"alerts.queues[4].external_id", 14, []string{"external_id needs role_arn"}},
	},
	"ops_listen_shared.yml": {{"alerts.ops_listen", 4, []string{`":8080" is also alerts.listen`, "own port"}}},
	"summaries.yml": {
		{"summaries[0].cron", 4, []string{`"0 9 * *" is not a cron schedule: expected exactly 5 fields, found 4`, "minute hour day-of-month month day-of-week"}},
		{"summaries[0].channel", 5, []string{`"#security" is not a Slack channel id`, "Channel ID"}},
		{"summaries[0].accounts[0]", 6, []string{`"prd" is not a configured account; did you mean "prod"?`, "configured: prod"}},
		{"summaries[1].cron", 7, []string{"unknown time zone Europe/Berln", "IANA time zone name"}},
		{"summaries[1].controls[1]", 9, []string{`"4.99" is not a control`, "CloudWatch.1"}},
		{"summaries[2].cron", 10, []string{"the time zone is not followed by a schedule"}},
		{"summaries[2].channel", 10, []string{"every summary needs a channel"}},
		{"summaries[2].accounts[1]", 11, []string{`"staging" is not a configured account`}},
		{"summaries[3].cron", 12, []string{`"0 0 30 2 *" is not a cron schedule: the schedule never fires`}},
		{"summaries[4].cron", 14, []string{"every summary needs a cron schedule", "@daily"}},
		{"summaries[6]", 18, []string{"the same summary as summaries[5]"}},
	},
	// slack.
	"slack_channel_name.yml": {{"slack.allowed_channels[1]", 6, []string{`"#security" is not a Slack channel id`, "Channel ID"}}},
	"slack_auditor_handle.yml": {
		{"slack.auditors[1]", 7, []string{`"@bob" is not a Slack user or user group id`, "Copy member ID"}},
	},
	"slack_not_a_list.yml": {{"slack.auditors", 4, []string{"must be a list", "[C0123ABCDE"}}},
	"tag.yml":              {{"accounts[0].name", 2, []string{"tags"}}},

	// Unknown keys: named, with the section's valid keys.
	"unknown_key_top.yml":          {{"acounts", 1, []string{`unknown key "acounts"`, `did you mean "accounts"?`, "aws, accounts, organization"}}},
	"unknown_key_aws.yml":          {{"aws.regoin", 2, []string{`unknown key "regoin"`, `did you mean "region"?`, "region, cloudwatch_protocol"}}},
	"unknown_key_account.yml":      {{"accounts[0].rolearn", 3, []string{`unknown key "rolearn"`, `did you mean "role_arn"?`, "name, role_arn, external_id, channel"}}},
	"unknown_key_organization.yml": {{"organization.role", 2, []string{`unknown key "role"`, `did you mean "role_name"?`, "role_name, external_id"}}},
	"unknown_key_unrelated.yml":    {{"color", 1, []string{`unknown key "color"`, "the keys of the top level are aws, accounts, organization"}}},
	"unknown_key_credential.yml":   {{"aws.secret_access_key", 3, []string{`unknown key "secret_access_key"`, "never reads credentials", "AWS_SECRET_ACCESS_KEY"}}},

	// Something to audit.
	"empty.yml":            {{"accounts", 0, []string{"at least one account is required, or an organization section"}}},
	"comments_only.yml":    {{"accounts", 0, []string{"at least one account is required, or an organization section"}}},
	"missing_accounts.yml": {{"accounts", 0, []string{"at least one account is required, or an organization section"}}},
	"empty_accounts.yml":   {{"accounts", 1, []string{"at least one account is required, or an organization section"}}},

	// Shapes.
	"accounts_not_a_list.yml":   {{"accounts", 1, []string{"must be a list, not a string"}}},
	"account_not_a_mapping.yml": {{"accounts[0]", 2, []string{"must be a mapping, not a string", "name, role_arn, external_id, channel"}}},
	"value_not_scalar.yml":      {{"accounts[0].name", 2, []string{"must be a single value, not a list"}}},

	// aws.
	"region_malformed.yml":    {{"aws.region", 2, []string{`"US East (N. Virginia)" is not an AWS region code`, "us-east-1"}}},
	"region_zone.yml":         {{"aws.region", 2, []string{"availability zone", `use the region "us-east-1"`}}},
	"region_upper.yml":        {{"aws.region", 2, []string{"not an AWS region code", `lower case: "eu-west-1"`}}},
	"cloudwatch_protocol.yml": {{"aws.cloudwatch_protocol", 2, []string{`"json" is not a CloudWatch protocol`, "auto (the default), cbor or query"}}},

	// accounts[i].name.
	"name_missing.yml":   {{"accounts[0].name", 2, []string{"needs a name"}}},
	"name_invalid.yml":   {{"accounts[0].name", 2, []string{`"prod account" is not a valid account name`, "letters, digits"}}},
	"name_too_long.yml":  {{"accounts[0].name", 2, []string{"65 characters", "at most 64"}}},
	"name_duplicate.yml": {{"accounts[2].name", 4, []string{`"Prod" is already the name of accounts[0].name (line 2)`, "ignoring case"}}},
	"name_reserved.yml":  {{"accounts[1].name", 3, []string{`"ALL" is reserved`, "/cis audit all"}}},

	// accounts[i].role_arn.
	"role_arn_invalid.yml":    {{"accounts[0].role_arn", 3, []string{`"arn:aws:iam::1:role/x" is not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<name>`}}},
	"role_arn_partition.yml":  {{"accounts[0].role_arn", 3, []string{"is not an IAM role ARN", "aws, aws-us-gov or aws-cn"}}},
	"role_arn_user.yml":       {{"accounts[0].role_arn", 3, []string{"is not an IAM role ARN", "cisbot assumes roles"}}},
	"role_arn_session.yml":    {{"accounts[0].role_arn", 3, []string{"is not an IAM role ARN", "assumed-role session"}}},
	"role_arn_account_id.yml": {{"accounts[0].role_arn", 3, []string{"is not an IAM role ARN", "that is an account id"}}},

	// external_id.
	"external_id_chars.yml":        {{"accounts[0].external_id", 4, []string{"characters STS does not accept, such as ' '", "2–1224 characters"}}},
	"external_id_short.yml":        {{"accounts[0].external_id", 4, []string{"too short", "2–1224 characters"}}},
	"external_id_long.yml":         {{"accounts[0].external_id", 4, []string{"1225 characters long", "2–1224 characters"}}},
	"external_id_without_role.yml": {{"accounts[0].external_id", 3, []string{"external_id needs role_arn"}}},

	// channel.
	"channel_name.yml": {{"accounts[0].channel", 3, []string{`"#security" is not a Slack channel id`, "names like #security are not ids", "channel details", "Channel ID"}}},

	// organization.
	"organization_empty.yml":       {{"organization.role_name", 1, []string{"role_name is required when organization is set"}}},
	"organization_role_arn.yml":    {{"organization.role_name", 2, []string{"role ARN, not a name"}}},
	"organization_role_path.yml":   {{"organization.role_name", 2, []string{"is not an IAM role name", "without a path"}}},
	"organization_external_id.yml": {{"organization.external_id", 3, []string{"characters STS does not accept"}}},

	// Credentials: named by field, never shown.
	"secret_access_key_id.yml": {{"accounts[0].external_id", 4, []string{"looks like an AWS access key id (not shown)", "environment"}}},
	"secret_secret_key.yml":    {{"accounts[0].external_id", 4, []string{"looks like an AWS secret access key (not shown)", "environment"}}},
	"secret_slack_token.yml":   {{"accounts[0].channel", 3, []string{"looks like a Slack token (not shown)", "SLACK_BOT_TOKEN"}}},

	// ${VAR} expansion.
	"env_unset.yml":         {{"accounts[0].role_arn", 3, []string{"${PROD_ROLE_ARN_TYPO} is not set", "set PROD_ROLE_ARN_TYPO"}}},
	"env_bad_reference.yml": {{"accounts[0].external_id", 4, []string{`"${AUDIT EXTERNAL ID}" is not a variable reference`}}},
	"env_unterminated.yml":  {{"accounts[0].role_arn", 3, []string{`"${" has no closing "}"`}}},
	"env_dollar_name.yml":   {{"accounts[0].external_id", 4, []string{"such as '$'", "only ${NAME} is expanded"}}},
	"env_hidden_value.yml":  {{"accounts[0].role_arn", 3, []string{"the value of ${ROLE_KEY} is not an IAM role ARN"}}},
	"env_secret_value.yml":  {{"accounts[0].external_id", 4, []string{"the value from ${AWS_SECRET_ACCESS_KEY} looks like an AWS secret access key"}}},

	// Every problem at once, in line order.
	"many_errors.yml": {
		{"aws.region", 2, []string{`"mars-1" is not an AWS region code`}},
		{"accounts[0].name", 4, []string{`"all" is reserved`}},
		{"accounts[0].chanel", 6, []string{`did you mean "channel"?`}},
		{"accounts[1].external_id", 8, []string{"external_id needs role_arn"}},
		{"accounts[2].name", 9, []string{`"dev" is already the name of accounts[1].name (line 7)`}},
	},
}

func TestValidFixtures(t *testing.T) {
	for name, want := range validFixtures {
		t.Run(name, func(t *testing.T) {
			got, err := Load(filepath.Join("testdata", "valid", name), fixtureEnv)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestInvalidFixtures(t *testing.T) {
	for name, want := range invalidFixtures {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", name)
			cfg, err := Load(path, fixtureEnv)
			if err == nil {
				t.Fatalf("Load accepted it: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("Load returned a config with an error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, not Errors: %v", err, err)
			}
			if len(errs) != len(want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(want), err)
			}
			for i, w := range want {
				e := errs[i]
				if e.Field != w.field || e.Line != w.line {
					t.Errorf("problem %d is %q line %d, want %q line %d: %v", i, e.Field, e.Line, w.field, w.line, e)
				}
				for _, frag := range w.text {
					if !strings.Contains(e.Error(), frag) {
						t.Errorf("problem %d lacks %q:\n%v", i, frag, e)
					}
				}
				if e.Fix == "" {
					t.Errorf("problem %d has no fix: %v", i, e)
				}
				prefix := path + ":"
				if w.line > 0 {
					prefix += strconv.Itoa(w.line) + ":"
				}
				if !strings.HasPrefix(e.Error(), prefix+" ") {
					t.Errorf("problem %d does not start with %q: %v", i, prefix, e)
				}
			}
			for _, s := range neverShown {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the message shows %q:\n%v", s, err)
				}
			}
		})
	}
}

// TestSpecExample pins the message format the design notes give as their example.
func TestSpecExample(t *testing.T) {
	_, err := Parse("cisbot.yml", []byte("accounts:\n  - name: prod\n  - name: dev\n    role_arn: arn:aws:iam::1:role/x\n"), nil)
	const want = `cisbot.yml:4: accounts[1].role_arn: "arn:aws:iam::1:role/x" is not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<name>`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// TestFixturesListed keeps the tables and testdata/ in step: a fixture without expectations
// tests nothing, and an expectation without a fixture is a typo.
func TestFixturesListed(t *testing.T) {
	for dir, names := range map[string][]string{
		"valid":   slices.Sorted(maps.Keys(validFixtures)),
		"invalid": slices.Sorted(maps.Keys(invalidFixtures)),
	} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yml"))
		if err != nil {
			t.Fatal(err)
		}
		var onDisk []string
		for _, f := range files {
			onDisk = append(onDisk, filepath.Base(f))
		}
		slices.Sort(onDisk)
		if !slices.Equal(onDisk, names) {
			t.Errorf("testdata/%s holds %v\nbut the table lists %v", dir, onDisk, names)
		}
	}
}

// TestFixturesAreSeeds checks every fixture parses the same through Parse as through Load, so
// the fuzz seeds taken from them exercise the code the tables test.
func TestFixturesAreSeeds(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c1, err1 := Parse(f, data, fixtureEnv)
		c2, err2 := Load(f, fixtureEnv)
		if !reflect.DeepEqual(c1, c2) || (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Errorf("%s: Parse and Load differ", f)
		}
	}
}
