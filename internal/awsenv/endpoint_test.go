package awsenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/cisbot/cisbot/internal/emulator"
)

func TestCloudWatchProtocolDecision(t *testing.T) {
	const url = "http://127.0.0.1:4566"
	tests := []struct {
		protocol string
		env      map[string]string
		want     bool // Query
	}{
		{ProtocolAuto, nil, false},
		{ProtocolAuto, map[string]string{"AWS_ENDPOINT_URL": url}, true},
		{ProtocolAuto, map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH": url}, true},
		{ProtocolAuto, map[string]string{"AWS_ENDPOINT_URL": ""}, false},
		{ProtocolAuto, map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": url}, false}, // another service
		{ProtocolAuto, map[string]string{"AWS_ENDPOINT_URL_SNS": url}, false},
		{ProtocolAuto, map[string]string{"AWS_ENDPOINT_URL": url, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, false},
		{ProtocolCBOR, map[string]string{"AWS_ENDPOINT_URL": url}, false},
		{ProtocolQuery, nil, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.protocol, tt.env), func(t *testing.T) {
			got := useQuery(tt.protocol, envEndpointOverride(fakeGetenv(tt.env), cloudwatch.ServiceID))
			if got != tt.want {
				t.Errorf("query = %v, want %v", got, tt.want)
			}
		})
	}
}

// protocolName names a CloudWatch client's wire protocol.
func protocolName(c *cloudwatch.Client) string {
	switch p := fmt.Sprintf("%T", c.Options().Protocol); {
	case strings.Contains(p, "awsquery"):
		return ProtocolQuery
	case strings.Contains(p, "rpcv2"):
		return ProtocolCBOR
	default:
		return p
	}
}

func TestCloudWatchClientProtocol(t *testing.T) {
	creds := config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""))
	tests := []struct {
		name     string
		protocol string
		env      map[string]string // what Options.Getenv sees
		endpoint string            // config.WithBaseEndpoint
		want     string
	}{
		{"auto, AWS", "", nil, "", ProtocolCBOR},
		{"auto, AWS_ENDPOINT_URL", "auto", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "", ProtocolQuery},
		{"auto, AWS_ENDPOINT_URL_CLOUDWATCH", "AUTO", map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:1"}, "", ProtocolQuery},
		{"auto, base endpoint option", "auto", nil, "http://127.0.0.1:1", ProtocolQuery},
		{"cbor with override", "cbor", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "", ProtocolCBOR},
		{"query", "query", nil, "", ProtocolQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{CloudWatchProtocol: tt.protocol, Getenv: fakeGetenv(tt.env), ConfigOptions: []func(*config.LoadOptions) error{creds}}
			if tt.endpoint != "" {
				opts.ConfigOptions = append(opts.ConfigOptions, config.WithBaseEndpoint(tt.endpoint))
			}
			f, err := New(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			s := f.Session(Target{})
			if got := protocolName(s.CloudWatch("")); got != tt.want {
				t.Errorf("protocol = %s, want %s", got, tt.want)
			}
			role := f.Session(Target{RoleARN: "arn:aws:iam::222222222222:role/cisbot"})
			if got := protocolName(role.CloudWatch("eu-west-1")); got != tt.want {
				t.Errorf("assumed-role client protocol = %s, want %s", got, tt.want)
			}
		})
	}
}

// putAndDescribeAlarm exercises the CloudWatch calls the bot makes.
func putAndDescribeAlarm(ctx context.Context, c *cloudwatch.Client, name string) error {
	_, err := c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		MetricName:         aws.String("UnauthorizedAPICalls"),
		Namespace:          aws.String("CISBenchmark"),
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(300),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		AlarmActions:       []string{"arn:aws:sns:us-east-1:123456789012:cis-alarms"},
	})
	if err != nil {
		return fmt.Errorf("PutMetricAlarm: %w", err)
	}
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		return fmt.Errorf("DescribeAlarms: %w", err)
	}
	if len(out.MetricAlarms) != 1 {
		return fmt.Errorf("DescribeAlarms: %d alarms, want 1", len(out.MetricAlarms))
	}
	a := out.MetricAlarms[0]
	if aws.ToString(a.MetricName) != "UnauthorizedAPICalls" || aws.ToString(a.Namespace) != "CISBenchmark" ||
		aws.ToFloat64(a.Threshold) != 1 || a.ComparisonOperator != cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold ||
		len(a.AlarmActions) != 1 {
		return fmt.Errorf("DescribeAlarms: alarm %+v does not match what was put", a)
	}
	return nil
}

func TestCloudWatchAgainstMoto(t *testing.T) {
	tests := []struct {
		protocol string
		wantErr  bool
	}{
		{ProtocolQuery, false},
		{ProtocolAuto, false}, // the base endpoint is an override
		{ProtocolCBOR, true},  // moto answers 404 to RPC v2 CBOR
	}
	for _, tt := range tests {
		t.Run(tt.protocol, func(t *testing.T) {
			f := newFactory(t, Options{CloudWatchProtocol: tt.protocol}, nil)
			err := putAndDescribeAlarm(context.Background(), f.Session(Target{}).CloudWatch(""), "cis-4.1-"+tt.protocol)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestEndpointURLFromEnvironment(t *testing.T) {
	setEnv(t, srv.Env())
	ctx := context.Background()
	f, err := New(ctx, Options{}) // no options: everything from the environment
	if err != nil {
		t.Fatal(err)
	}
	if f.Region() != emulator.Region {
		t.Errorf("Region() = %q, want %q from AWS_REGION", f.Region(), emulator.Region)
	}
	for _, service := range []string{"SNS", cloudwatch.ServiceID, "CloudWatch Logs"} {
		if !f.UsesEndpointOverride(service) {
			t.Errorf("UsesEndpointOverride(%q) = false with AWS_ENDPOINT_URL set", service)
		}
	}

	base := f.Session(Target{})
	if id, err := base.AccountID(ctx); err != nil || id != emulator.DefaultAccountID {
		t.Fatalf("AccountID = %q, %v; want %s", id, err, emulator.DefaultAccountID)
	}
	if err := putAndDescribeAlarm(ctx, base.CloudWatch(""), "from-env"); err != nil {
		t.Fatalf("CloudWatch with protocol auto: %v", err)
	}
	// AssumeRole also goes to the override: the assumed-role provider uses an STS client
	// built from the same config.
	role := f.Session(Target{Name: "prod", RoleARN: "arn:aws:iam::222222222222:role/cisbot"})
	if id, err := role.AccountID(ctx); err != nil || id != "222222222222" {
		t.Fatalf("assumed AccountID = %q, %v; want 222222222222", id, err)
	}
}

func TestServiceEndpointOverride(t *testing.T) {
	closed := closedURL(t)
	env := srv.Env()
	env["AWS_ENDPOINT_URL"] = closed // any call not overridden below would fail
	env["AWS_ENDPOINT_URL_SNS"] = srv.URL
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	setEnv(t, env)
	ctx := context.Background()
	f, err := New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		target  Target
		account string
	}{
		{Target{}, emulator.DefaultAccountID},
		{Target{Name: "prod", RoleARN: "arn:aws:iam::222222222222:role/cisbot"}, "222222222222"},
	} {
		s := f.Session(tt.target)
		out, err := s.SNS("").CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("service-override")})
		if err != nil {
			t.Fatalf("%s: SNS CreateTopic through AWS_ENDPOINT_URL_SNS: %v", tt.target.label(), err)
		}
		if arn := aws.ToString(out.TopicArn); !strings.Contains(arn, ":"+tt.account+":") {
			t.Errorf("%s: topic ARN %s, want account %s", tt.target.label(), arn, tt.account)
		}
	}

	// Without a variable of its own, a service keeps AWS_ENDPOINT_URL (checked without a call).
	if got := aws.ToString(f.Session(Target{}).Logs("").Options().BaseEndpoint); got != closed {
		t.Errorf("Logs BaseEndpoint = %q, want AWS_ENDPOINT_URL %q", got, closed)
	}
	if got := aws.ToString(f.Session(Target{}).SNS("").Options().BaseEndpoint); got != srv.URL {
		t.Errorf("SNS BaseEndpoint = %q, want AWS_ENDPOINT_URL_SNS %q", got, srv.URL)
	}
}

func TestUsesEndpointOverride(t *testing.T) {
	creds := config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""))
	const url = "http://127.0.0.1:1"

	// A profile whose services section overrides CloudWatch only.
	cfgFile := filepath.Join(t.TempDir(), "config")
	profile := "[profile emulator]\nregion = eu-west-1\nservices = local\n\n[services local]\ncloudwatch =\n  endpoint_url = " + url + "\n"
	if err := os.WriteFile(cfgFile, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	shared := []func(*config.LoadOptions) error{config.WithSharedConfigFiles([]string{cfgFile}), config.WithSharedConfigProfile("emulator")}

	tests := []struct {
		name    string
		env     map[string]string
		opts    []func(*config.LoadOptions) error
		service string
		want    bool
	}{
		{"nothing", nil, nil, "CloudWatch", false},
		{"global", map[string]string{"AWS_ENDPOINT_URL": url}, nil, "SNS", true},
		{"service", map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": url}, nil, "CloudWatch Logs", true},
		{"service, lower case id", map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": url}, nil, "cloudwatch logs", true},
		{"other service", map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": url}, nil, "CloudWatch", false},
		{"ignored", map[string]string{"AWS_ENDPOINT_URL_SNS": url, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, nil, "SNS", false},
		{"base endpoint option", nil, []func(*config.LoadOptions) error{config.WithBaseEndpoint(url)}, "SNS", true},
		{"profile services section", nil, shared, "CloudWatch", true},
		{"profile services section, other service", nil, shared, "SNS", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := New(context.Background(), Options{Getenv: fakeGetenv(tt.env), ConfigOptions: append([]func(*config.LoadOptions) error{creds}, tt.opts...)})
			if err != nil {
				t.Fatal(err)
			}
			if got := f.UsesEndpointOverride(tt.service); got != tt.want {
				t.Errorf("UsesEndpointOverride(%q) = %v, want %v", tt.service, got, tt.want)
			}
		})
	}

	// The SDK reads the same services section: the CloudWatch client goes there and speaks
	// Query under auto.
	f, err := New(context.Background(), Options{Getenv: fakeGetenv(nil), ConfigOptions: append([]func(*config.LoadOptions) error{creds}, shared...)})
	if err != nil {
		t.Fatal(err)
	}
	cw := f.Session(Target{}).CloudWatch("")
	if got := aws.ToString(cw.Options().BaseEndpoint); got != url {
		t.Errorf("CloudWatch BaseEndpoint = %q, want the profile's %q", got, url)
	}
	if got := protocolName(cw); got != ProtocolQuery {
		t.Errorf("protocol = %s, want query", got)
	}
	if f.Region() != "eu-west-1" {
		t.Errorf("Region() = %q, want the profile's eu-west-1", f.Region())
	}
}
