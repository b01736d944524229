package awsenv

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestNewRegion(t *testing.T) {
	creds := config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""))
	tests := []struct {
		name   string
		region string            // Options.Region
		env    map[string]string // process environment
		want   string
	}{
		{"default", "", nil, DefaultRegion},
		{"from AWS_REGION", "", map[string]string{"AWS_REGION": "ap-southeast-2"}, "ap-southeast-2"},
		{"from AWS_DEFAULT_REGION", "", map[string]string{"AWS_DEFAULT_REGION": "ca-central-1"}, "ca-central-1"},
		{"config wins", "eu-west-1", map[string]string{"AWS_REGION": "ap-southeast-2"}, "eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			f, err := New(context.Background(), Options{Region: tt.region, ConfigOptions: []func(*config.LoadOptions) error{creds}})
			if err != nil {
				t.Fatal(err)
			}
			if f.Region() != tt.want {
				t.Errorf("Region() = %q, want %q", f.Region(), tt.want)
			}
			s := f.Session(Target{})
			if got := s.STS().Options().Region; got != tt.want {
				t.Errorf("STS region = %q, want %q", got, tt.want)
			}
			// Retries: adaptive mode, so throttling slows the client down.
			o := s.CloudTrail("").Options()
			if o.RetryMode != aws.RetryModeAdaptive || o.RetryMaxAttempts != RetryMaxAttempts {
				t.Errorf("retry = %s × %d, want %s × %d", o.RetryMode, o.RetryMaxAttempts, aws.RetryModeAdaptive, RetryMaxAttempts)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"unknown protocol", Options{CloudWatchProtocol: "json"}, []string{`unknown CloudWatch protocol "json"`, "use auto, cbor or query"}},
		{"bad region", Options{Region: "US East 1"}, []string{`invalid region "US East 1"`, "set aws.region in the config (or AWS_REGION)"}},
		{"missing profile", Options{ConfigOptions: []func(*config.LoadOptions) error{config.WithSharedConfigProfile("no-such-profile")}},
			[]string{`profile "no-such-profile" is not in the AWS config files`, "check AWS_PROFILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := New(context.Background(), tt.opts)
			if err == nil {
				t.Fatalf("New succeeded: region %s", f.Region())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
