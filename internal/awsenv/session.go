package awsenv

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// RoleSessionName names the bot's sessions in assumed roles (visible in CloudTrail).
const RoleSessionName = "cisbot"

// RoleSessionDuration is how long assumed-role credentials last; they are refreshed one to
// two minutes before they expire. One hour is allowed for every role, including role
// chaining.
const RoleSessionDuration = time.Hour

const credentialsExpiryWindow = 2 * time.Minute

// Target names an account to act in. An empty RoleARN means the base credentials.
type Target struct {
	Name       string // the account's name in the bot's config, for messages
	RoleARN    string // role to assume, e.g. arn:aws:iam::222222222222:role/cisbot
	ExternalID string // sts:ExternalId the role's trust policy requires; may be empty
}

// label names the target in errors.
func (t Target) label() string {
	switch {
	case t.Name != "":
		return fmt.Sprintf("account %q", t.Name)
	case t.RoleARN != "":
		return fmt.Sprintf("role %s", t.RoleARN)
	default:
		return "base credentials"
	}
}

// Session is one target's credentials and its cached clients. It is safe for concurrent use.
type Session struct {
	f      *Factory
	target Target
	cfg    aws.Config // the factory's config with this target's credentials

	mu         sync.Mutex
	accountID  string
	sts        *sts.Client
	orgs       *organizations.Client
	cloudtrail map[string]*cloudtrail.Client
	logs       map[string]*cloudwatchlogs.Client
	cloudwatch map[string]*cloudwatch.Client
	sns        map[string]*sns.Client
}

func newSession(f *Factory, t Target) *Session {
	cfg := f.cfg.Copy()
	if t.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(f.assumerSTS, t.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = RoleSessionName
			o.Duration = RoleSessionDuration
			if t.ExternalID != "" {
				o.ExternalID = aws.String(t.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = credentialsExpiryWindow
			o.ExpiryWindowJitterFrac = 0.5
		})
	}
	return &Session{
		f:          f,
		target:     t,
		cfg:        cfg,
		cloudtrail: make(map[string]*cloudtrail.Client),
		logs:       make(map[string]*cloudwatchlogs.Client),
		cloudwatch: make(map[string]*cloudwatch.Client),
		sns:        make(map[string]*sns.Client),
	}
}

// Target is the account this session acts in.
func (s *Session) Target() Target { return s.target }

// Config is a copy of the session's SDK config (its credentials, the factory region), for
// clients this package does not build.
func (s *Session) Config() aws.Config { return s.cfg.Copy() }

// cached returns m[region] (the factory region when region is empty), creating it with mk.
func cached[C any](s *Session, m map[string]*C, region string, mk func(aws.Config) *C) *C {
	if region == "" {
		region = s.f.cfg.Region
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := m[region]; ok {
		return c
	}
	cfg := s.cfg.Copy()
	cfg.Region = region
	c := mk(cfg)
	m[region] = c
	return c
}

// CloudTrail returns the CloudTrail client for region (empty: the factory region).
func (s *Session) CloudTrail(region string) *cloudtrail.Client {
	return cached(s, s.cloudtrail, region, func(cfg aws.Config) *cloudtrail.Client {
		return cloudtrail.NewFromConfig(cfg)
	})
}

// Logs returns the CloudWatch Logs client for region (empty: the factory region).
func (s *Session) Logs(region string) *cloudwatchlogs.Client {
	return cached(s, s.logs, region, func(cfg aws.Config) *cloudwatchlogs.Client {
		return cloudwatchlogs.NewFromConfig(cfg)
	})
}

// CloudWatch returns the CloudWatch client for region (empty: the factory region), speaking
// the protocol chosen by Options.CloudWatchProtocol.
func (s *Session) CloudWatch(region string) *cloudwatch.Client {
	return cached(s, s.cloudwatch, region, func(cfg aws.Config) *cloudwatch.Client {
		if !s.f.cwQuery {
			return cloudwatch.NewFromConfig(cfg)
		}
		return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		})
	})
}

// SNS returns the SNS client for region (empty: the factory region).
func (s *Session) SNS(region string) *sns.Client {
	return cached(s, s.sns, region, func(cfg aws.Config) *sns.Client {
		return sns.NewFromConfig(cfg)
	})
}

// STS returns the STS client in the factory region.
func (s *Session) STS() *sts.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sts == nil {
		s.sts = sts.NewFromConfig(s.cfg)
	}
	return s.sts
}

// Organizations returns the Organizations client (a global service; the SDK sends its calls
// to the partition's home region whatever the factory region).
func (s *Session) Organizations() *organizations.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orgs == nil {
		s.orgs = organizations.NewFromConfig(s.cfg)
	}
	return s.orgs
}

// AccountID returns the id of the account the session acts in, from sts:GetCallerIdentity
// (which, for a role, first assumes it). The answer is cached after the first success.
func (s *Session) AccountID(ctx context.Context) (string, error) {
	s.mu.Lock()
	id := s.accountID
	s.mu.Unlock()
	if id != "" {
		return id, nil
	}
	out, err := s.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", s.wrap("get caller identity", err)
	}
	id = aws.ToString(out.Account)
	if id == "" {
		return "", fmt.Errorf("%s: get caller identity: STS returned no account id", s.target.label())
	}
	s.mu.Lock()
	s.accountID = id
	s.mu.Unlock()
	return id, nil
}

// wrap adds the target and advice to an error from a call made with the session's
// credentials. A failure to assume the role is reported as such, whatever call needed it.
func (s *Session) wrap(op string, err error) error {
	if s.target.RoleARN != "" && failedOperation(err, "STS", "AssumeRole") {
		op = "assume role " + s.target.RoleARN
	}
	if advice, ok := advise(err); ok {
		return fmt.Errorf("%s: %s: %s: %w", s.target.label(), op, advice, err)
	}
	return fmt.Errorf("%s: %s: %w", s.target.label(), op, err)
}
