package awsenv

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// opErr wraps err the way a client call does.
func opErr(service, op string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

func apiErr(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "message from AWS"}
}

// httpAPIErr is an API error inside the SDK's HTTP response error, as clients return it.
func httpAPIErr(status int, code string) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: apiErr(code)},
		RequestID:     "req-1",
	}
}

func TestDescribe(t *testing.T) {
	// A role that cannot be assumed, seen from the call that needed its credentials.
	assumeDenied := opErr("STS", "GetCallerIdentity", fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w",
		opErr("STS", "AssumeRole", httpAPIErr(403, "AccessDenied"))))
	sendErr := opErr("STS", "GetCallerIdentity", &smithyhttp.RequestSendError{Err: &url.Error{
		Op: "Post", URL: "http://127.0.0.1:9/some/path?X-Amz-Security-Token=secret", Err: syscall.ECONNREFUSED,
	}})

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"access denied", opErr("CloudWatch Logs", "DescribeMetricFilters", httpAPIErr(400, "AccessDeniedException")),
			"access denied: grant logs:DescribeMetricFilters to the role"},
		{"access denied, query service", opErr("CloudTrail", "GetEventSelectors", apiErr("AccessDenied")),
			"access denied: grant cloudtrail:GetEventSelectors to the role"},
		{"sns authorization error", opErr("SNS", "ListSubscriptionsByTopic", apiErr("AuthorizationError")),
			"access denied: grant sns:ListSubscriptionsByTopic to the role"},
		{"access denied, wrapped further", fmt.Errorf("account %q: %w", "prod", opErr("CloudWatch", "DescribeAlarms", apiErr("AccessDenied"))),
			"access denied: grant cloudwatch:DescribeAlarms to the role"},
		{"access denied, no operation", apiErr("AccessDenied"),
			"access denied: grant the missing permission to the role (AccessDenied)"},
		{"assume role denied", assumeDenied, assumeRoleAdvice},
		{"expired token", opErr("STS", "GetCallerIdentity", apiErr("ExpiredToken")),
			"the AWS credentials have expired: refresh them (run `aws sso login`, or get new temporary credentials) and try again"},
		{"expired token exception", opErr("CloudWatch Logs", "FilterLogEvents", apiErr("ExpiredTokenException")),
			"the AWS credentials have expired: refresh them (run `aws sso login`, or get new temporary credentials) and try again"},
		{"unknown key", opErr("STS", "GetCallerIdentity", apiErr("InvalidClientTokenId")),
			"AWS does not recognise the access key: check AWS_ACCESS_KEY_ID (or the profile in AWS_PROFILE), and that the region is enabled for the account"},
		{"bad signature", opErr("SNS", "ListTopics", apiErr("SignatureDoesNotMatch")),
			"AWS rejected the request signature: check AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE) and the machine's clock"},
		{"no organization", opErr("Organizations", "ListAccounts", apiErr("AWSOrganizationsNotInUseException")),
			"the base account is not in an AWS Organization: list the accounts in the config instead of discovering them"},
		{"throttled", opErr("CloudTrail", "DescribeTrails", apiErr("ThrottlingException")),
			"AWS throttled cloudtrail:DescribeTrails even after retries: try again later, or audit fewer accounts and regions at once"},
		{"throttled 429", opErr("CloudWatch Logs", "DescribeMetricFilters", httpAPIErr(429, "SomethingElse")),
			"AWS throttled logs:DescribeMetricFilters even after retries: try again later, or audit fewer accounts and regions at once"},
		{"no credentials", opErr("STS", "GetCallerIdentity", errors.New("get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, request canceled")),
			noCredentialsAdvice},
		{"sso expired", opErr("STS", "GetCallerIdentity", fmt.Errorf("get identity: %w", &ssocreds.InvalidTokenError{})),
			"the AWS SSO session has expired or was never started: run `aws sso login` (with the bot's AWS_PROFILE)"},
		{"missing region", opErr("STS", "GetCallerIdentity", &aws.MissingRegionError{}),
			"no AWS region: set aws.region in the config or AWS_REGION"},
		{"unreachable", sendErr,
			"could not reach http://127.0.0.1:9: check the network, the region and any AWS_ENDPOINT_URL setting"},
		{"unrecognised code", opErr("CloudTrail", "DescribeTrails", apiErr("TrailNotFoundException")),
			"operation error CloudTrail: DescribeTrails, api error TrailNotFoundException: message from AWS"},
		{"plain error", errors.New("boom"), "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.err)
			if got != tt.want {
				t.Errorf("Describe() =\n  %q\nwant\n  %q", got, tt.want)
			}
			if strings.Contains(got, "secret") {
				t.Errorf("Describe() leaks a token: %q", got)
			}
		})
	}
}

func TestAPIErrorCodeAndIsThrottle(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     string
		throttle bool
	}{
		{"nil", nil, "", false},
		{"plain", errors.New("boom"), "", false},
		{"access denied", opErr("SNS", "Publish", apiErr("AccessDenied")), "AccessDenied", false},
		{"throttling", opErr("CloudTrail", "DescribeTrails", apiErr("ThrottlingException")), "ThrottlingException", true},
		{"throttling (query)", opErr("SNS", "ListTopics", apiErr("Throttling")), "Throttling", true},
		{"rate exceeded", opErr("SNS", "ListTopics", apiErr("RequestLimitExceeded")), "RequestLimitExceeded", true},
		{"too many requests", opErr("CloudWatch Logs", "FilterLogEvents", httpAPIErr(429, "Unmodelled")), "Unmodelled", true},
		{"wrapped", fmt.Errorf("x: %w", opErr("CloudWatch", "DescribeAlarms", apiErr("ThrottlingException"))), "ThrottlingException", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := APIErrorCode(tt.err); got != tt.code {
				t.Errorf("APIErrorCode() = %q, want %q", got, tt.code)
			}
			if got := IsThrottle(tt.err); got != tt.throttle {
				t.Errorf("IsThrottle() = %v, want %v", got, tt.throttle)
			}
		})
	}
}

func TestIAMAction(t *testing.T) {
	tests := []struct{ service, op, want string }{
		{"CloudWatch Logs", "PutMetricFilter", "logs:PutMetricFilter"},
		{"CloudWatch", "PutMetricAlarm", "cloudwatch:PutMetricAlarm"},
		{"CloudTrail", "GetTrailStatus", "cloudtrail:GetTrailStatus"},
		{"SNS", "Subscribe", "sns:Subscribe"},
		{"STS", "AssumeRole", "sts:AssumeRole"},
		{"Organizations", "ListAccounts", "organizations:ListAccounts"},
		{"", "ListAccounts", ""},
	}
	for _, tt := range tests {
		if got := iamAction(tt.service, tt.op); got != tt.want {
			t.Errorf("iamAction(%q, %q) = %q, want %q", tt.service, tt.op, got, tt.want)
		}
	}
}
