// Package awsenv gives the rest of cisbot AWS access in every account it audits: one base
// configuration loaded with the SDK's default credential chain, a cached Session per target
// account (base credentials or an assumed role), and SDK clients per region. Callers see the
// clients through small interfaces they declare themselves.
//
// Endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, endpoint_url in the
// shared config) are honoured by the SDK itself; this package only looks at them to choose
// the CloudWatch wire protocol (see Options.CloudWatchProtocol).
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRegion is used when neither Options.Region nor the AWS configuration names one.
const DefaultRegion = "us-east-1"

// IdleConnections is how many idle connections to one endpoint are kept for reuse: enough for
// an audit of many accounts at once (each account has several calls in flight).
const IdleConnections = 256

// RetryMaxAttempts is how many times a throttled or failed call is tried in all. Retries use
// the SDK's adaptive mode, which also slows the client down while AWS throttles it.
const RetryMaxAttempts = 8

// CloudWatch wire protocols, for Options.CloudWatchProtocol.
const (
	// ProtocolAuto is Query when an endpoint override is set (an emulator such as moto,
	// which speaks only Query for CloudWatch) and the SDK's default (CBOR) otherwise.
	ProtocolAuto = "auto"
	// ProtocolCBOR is the SDK's default for CloudWatch: Smithy RPC v2 CBOR.
	ProtocolCBOR = "cbor"
	// ProtocolQuery is the AWS Query protocol, which AWS also still serves.
	ProtocolQuery = "query"
)

// Options configures New.
type Options struct {
	// Region is aws.region from the bot's config: the home region for STS and
	// Organizations and the default for clients. Empty means the AWS configuration's
	// region (AWS_REGION, the profile), then DefaultRegion.
	Region string
	// CloudWatchProtocol is auto, cbor or query; empty means auto.
	CloudWatchProtocol string
	// Getenv reads the environment to detect endpoint overrides for the auto protocol;
	// nil means os.Getenv. (The SDK itself always reads the process environment.)
	Getenv func(string) string
	// ConfigOptions are extra options for config.LoadDefaultConfig, applied after this
	// package's own (tests pass credentials and an endpoint here).
	ConfigOptions []func(*config.LoadOptions) error
}

// Factory builds SDK clients per account and region from one base config loaded with the
// default credential chain (environment, profiles, SSO, instance and task roles).
type Factory struct {
	cfg        aws.Config // base config: base credentials, resolved region
	getenv     func(string) string
	cwQuery    bool        // CloudWatch clients speak Query
	assumerSTS *sts.Client // base-credentials STS client used for sts:AssumeRole

	listAccountsPageSize int32 // organizations:ListAccounts MaxResults; 0 = the service's default

	mu       sync.Mutex
	sessions map[Target]*Session
}

var regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// New loads the base AWS configuration. It does not call AWS: missing or wrong credentials
// show up on the first call (see Session.AccountID).
func New(ctx context.Context, opts Options) (*Factory, error) {
	protocol := strings.ToLower(strings.TrimSpace(opts.CloudWatchProtocol))
	switch protocol {
	case "":
		protocol = ProtocolAuto
	case ProtocolAuto, ProtocolCBOR, ProtocolQuery:
	default:
		return nil, fmt.Errorf("aws: unknown CloudWatch protocol %q: use auto, cbor or query", opts.CloudWatchProtocol)
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}

	loadOpts := []func(*config.LoadOptions) error{
		config.WithRetryMode(aws.RetryModeAdaptive),
		config.WithRetryMaxAttempts(RetryMaxAttempts),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			// Every account's calls go to the same few regional endpoints; keep enough idle
			// connections to reuse them instead of a new TLS handshake per call.
			t.MaxIdleConns = IdleConnections
			t.MaxIdleConnsPerHost = IdleConnections
		})),
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	loadOpts = append(loadOpts, opts.ConfigOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, loadError(err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if !regionRE.MatchString(cfg.Region) {
		return nil, fmt.Errorf("aws: invalid region %q: set aws.region in the config (or AWS_REGION) to a region code such as us-east-1", cfg.Region)
	}

	f := &Factory{
		cfg:        cfg,
		getenv:     getenv,
		assumerSTS: sts.NewFromConfig(cfg),
		sessions:   make(map[Target]*Session),
	}
	f.cwQuery = useQuery(protocol, f.UsesEndpointOverride(cloudwatch.ServiceID))
	return f, nil
}

// loadError explains a failure of config.LoadDefaultConfig.
func loadError(err error) error {
	var notExist config.SharedConfigProfileNotExistError
	if errors.As(err, &notExist) {
		return fmt.Errorf("aws: profile %q is not in the AWS config files: check AWS_PROFILE and ~/.aws/config: %w", notExist.Profile, err)
	}
	var assume config.SharedConfigAssumeRoleError
	if errors.As(err, &assume) {
		return fmt.Errorf("aws: profile %q assumes role %s but names no credential source: add source_profile or credential_source to it: %w", assume.Profile, assume.RoleARN, err)
	}
	return fmt.Errorf("aws: load the AWS configuration (environment, ~/.aws/config, ~/.aws/credentials): %w", err)
}

// Region is the factory's home region.
func (f *Factory) Region() string { return f.cfg.Region }

// UsesEndpointOverride reports whether the SDK will send calls for service (an SDK service
// id such as cloudwatch.ServiceID, "CloudWatch Logs" or "SNS"; case does not matter) to an
// endpoint override rather than to AWS: AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE>,
// endpoint_url in the profile (for all services or in its services section), or a base
// endpoint passed in Options.ConfigOptions.
func (f *Factory) UsesEndpointOverride(service string) bool {
	if f.cfg.BaseEndpoint != nil || envEndpointOverride(f.getenv, service) {
		return true
	}
	if ignoreConfiguredEndpoints(f.getenv) {
		return false
	}
	type serviceEndpointer interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	for _, src := range f.cfg.ConfigSources {
		switch src.(type) {
		case config.SharedConfig, *config.SharedConfig:
			if p, ok := src.(serviceEndpointer); ok {
				if v, found, err := p.GetServiceBaseEndpoint(context.Background(), service); err == nil && found && v != "" {
					return true
				}
			}
		}
	}
	return false
}

// envEndpointOverride reports whether getenv sets AWS_ENDPOINT_URL or the variable for
// service, AWS_ENDPOINT_URL_<SERVICE ID upper-cased, spaces as underscores>, as the SDK's
// config.EnvConfig.GetServiceBaseEndpoint names it.
func envEndpointOverride(getenv func(string) string, service string) bool {
	if ignoreConfiguredEndpoints(getenv) {
		return false
	}
	if getenv("AWS_ENDPOINT_URL") != "" {
		return true
	}
	return service != "" && getenv(serviceEndpointEnv(service)) != ""
}

// serviceEndpointEnv is the name of the endpoint variable for an SDK service id.
func serviceEndpointEnv(service string) string {
	return "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(service)), " ", "_")
}

// ignoreConfiguredEndpoints is AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, which makes the SDK
// ignore every endpoint override from the environment and the shared config.
func ignoreConfiguredEndpoints(getenv func(string) string) bool {
	return strings.EqualFold(strings.TrimSpace(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")), "true")
}

// useQuery decides the CloudWatch protocol: Query when asked for, or for auto when the
// calls go to an endpoint override.
func useQuery(protocol string, overridden bool) bool {
	switch protocol {
	case ProtocolQuery:
		return true
	case ProtocolCBOR:
		return false
	default:
		return overridden
	}
}

// Session returns the cached session for t, creating it on first use. For a RoleARN the
// session's credentials come from sts:AssumeRole with the base credentials, and are cached
// and refreshed before they expire. Targets are compared whole: the same role under two
// names gets two sessions. It is safe for concurrent use.
func (f *Factory) Session(t Target) *Session {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sessions[t]; ok {
		return s
	}
	s := newSession(f, t)
	f.sessions[t] = s
	return s
}

// base is the session with the base credentials.
func (f *Factory) base() *Session { return f.Session(Target{}) }
