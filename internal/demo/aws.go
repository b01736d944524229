package demo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cisbot/cisbot/internal/awsenv"
)

// Region is the demo's AWS region.
const Region = "us-east-1"

// newFactory is the bot's AWS access aimed at the emulator at endpoint, with dummy credentials.
// It reads none of the user's AWS configuration (files, profile, credentials; only a CA
// bundle named by AWS_CA_BUNDLE is still loaded by the SDK, and unused), and its HTTP
// client dials nothing but endpoint, so no call can reach AWS even if the environment sets a
// per-service endpoint (AWS_ENDPOINT_URL_STS…), which the SDK would prefer to the base one.
func newFactory(ctx context.Context, endpoint string) (*awsenv.Factory, error) {
	client, err := onlyTo(endpoint)
	if err != nil {
		return nil, err
	}
	// The SDK insists that a profile named by AWS_PROFILE exists in the config files it reads;
	// it reads only this one, which names its own profile instead.
	profile, err := os.CreateTemp("", "cisbot-demo-aws-config-*")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer os.Remove(profile.Name())
	_, err = profile.WriteString("[profile " + demoProfile + "]\n")
	if cerr := profile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	f, err := awsenv.New(ctx, awsenv.Options{
		Region:             Region,
		CloudWatchProtocol: awsenv.ProtocolQuery, // moto speaks only Query for CloudWatch
		Getenv:             func(string) string { return "" },
		ConfigOptions: []func(*awsconfig.LoadOptions) error{
			awsconfig.WithBaseEndpoint(endpoint),
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("demo", "demo", "")),
			awsconfig.WithRegion(Region),
			awsconfig.WithSharedConfigProfile(demoProfile),
			awsconfig.WithSharedConfigFiles([]string{profile.Name()}),
			awsconfig.WithSharedCredentialsFiles([]string{}),     // empty, not nil: none at all
			awsconfig.WithDefaultsMode(aws.DefaultsModeStandard), // "auto" would ask EC2 instance metadata
			awsconfig.WithHTTPClient(client),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("demo: AWS access to moto_server: %w", err)
	}
	return f, nil
}

// demoProfile is the only AWS profile the demo knows.
const demoProfile = "cisbot-demo"

// onlyTo is an HTTP client that connects to endpoint's host and port and refuses any other. It
// is the SDK's buildable client, so that the SDK can still add AWS_CA_BUNDLE to it (which
// only matters for TLS, and the emulator is plain HTTP).
func onlyTo(endpoint string) (*awshttp.BuildableClient, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("demo: bad emulator endpoint %q", endpoint)
	}
	allowed := u.Host
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.Proxy = nil // never through a proxy from the environment
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != allowed {
				return nil, &RefusedError{Allowed: allowed, Addr: addr}
			}
			return dialer.DialContext(ctx, network, addr)
		}
		t.MaxIdleConnsPerHost = 64
	}), nil
}

// RefusedError is a call the demo's HTTP client would not make: it was not to the emulator.
type RefusedError struct{ Allowed, Addr string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the demo calls only its moto_server at %s, not %s: unset the AWS_ENDPOINT_URL_* variables that point elsewhere", e.Allowed, e.Addr)
}

// RetryableError tells the SDK not to try again.
func (e *RefusedError) RetryableError() bool { return false }
