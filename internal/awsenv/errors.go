package awsenv

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// APIErrorCode returns the AWS error code in err's chain ("AccessDenied",
// "ThrottlingException", …), or "" when err is not an AWS API error.
func APIErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// IsThrottle reports whether err is AWS throttling (by the SDK's own list of throttle codes,
// or an unmodelled HTTP 429). The clients already retried it with backoff.
func IsThrottle(err error) bool {
	return err != nil && retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// Describe turns an error from an AWS call into a sentence a user can act on: what went
// wrong and what to do. Errors it does not recognise are returned as they are. It never
// includes credentials.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	if advice, ok := advise(err); ok {
		return advice
	}
	return err.Error()
}

const assumeRoleAdvice = "access denied assuming the role: check that the role's trust policy " +
	"lets the bot's base principal call sts:AssumeRole and that the external id configured for " +
	"the account matches the one the trust policy requires"

const noCredentialsAdvice = "no AWS credentials found: set AWS_ACCESS_KEY_ID and " +
	"AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE, run `aws sso login` for an SSO " +
	"profile, or run the bot with an instance or task role"

// advise is Describe for the errors it recognises.
func advise(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var sso *ssocreds.InvalidTokenError
	if errors.As(err, &sso) {
		return "the AWS SSO session has expired or was never started: run `aws sso login` (with the bot's AWS_PROFILE)", true
	}
	var empty *credentials.StaticCredentialsEmptyError
	if errors.As(err, &empty) || isNoCredentials(err) {
		return noCredentialsAdvice, true
	}
	var noRegion *aws.MissingRegionError
	if errors.As(err, &noRegion) {
		return "no AWS region: set aws.region in the config or AWS_REGION", true
	}

	code := APIErrorCode(err)
	service, op := operation(err)
	switch {
	case code == "":
	case isAccessDenied(code):
		if service == "STS" && op == "AssumeRole" {
			return assumeRoleAdvice, true
		}
		if op == "" {
			return "access denied: grant the missing permission to the role (" + code + ")", true
		}
		return fmt.Sprintf("access denied: grant %s to the role", iamAction(service, op)), true
	case oneOf(code, "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"):
		return "the AWS credentials have expired: refresh them (run `aws sso login`, or get new temporary credentials) and try again", true
	case oneOf(code, "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "AuthFailure"):
		return "AWS does not recognise the access key: check AWS_ACCESS_KEY_ID (or the profile in AWS_PROFILE), and that the region is enabled for the account", true
	case oneOf(code, "SignatureDoesNotMatch", "IncompleteSignature"):
		return "AWS rejected the request signature: check AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE) and the machine's clock", true
	case code == "RegionDisabledException":
		return "STS is not activated in this region for the account: activate the region in the account's IAM settings or set aws.region to an enabled one", true
	case code == "OptInRequired":
		return "the account has not opted in to this region or service: enable it, or leave the region out of the audit", true
	case code == "AWSOrganizationsNotInUseException":
		return "the base account is not in an AWS Organization: list the accounts in the config instead of discovering them", true
	case IsThrottle(err):
		return fmt.Sprintf("AWS throttled %s even after retries: try again later, or audit fewer accounts and regions at once", orAPI(iamAction(service, op))), true
	}

	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		where := "the AWS endpoint"
		var uerr *url.Error
		if errors.As(err, &uerr) {
			if u, perr := url.Parse(uerr.URL); perr == nil && u.Host != "" {
				where = u.Scheme + "://" + u.Host
			}
		}
		return fmt.Sprintf("could not reach %s: check the network, the region and any AWS_ENDPOINT_URL setting", where), true
	}
	return "", false
}

// isNoCredentials recognises the default credential chain finding nothing. The SDK has no
// error type for it: the chain ends with the instance-metadata provider, whose failure
// reads "no EC2 IMDS role found", or with credentials-provider errors wrapped as text.
func isNoCredentials(err error) bool {
	msg := err.Error()
	for _, s := range []string{
		"no EC2 IMDS role found",
		"access disabled to EC2 IMDS",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func isAccessDenied(code string) bool {
	return oneOf(code, "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
		"AuthorizationError", "UnauthorizedAccess", "Forbidden")
}

// operation returns the service id and operation of the innermost operation error in err's
// chain: for a failed assume-role inside another call, that is STS AssumeRole.
func operation(err error) (service, op string) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if oe, ok := e.(*smithy.OperationError); ok {
			service, op = oe.ServiceID, oe.OperationName
		}
	}
	return service, op
}

// failedOperation reports whether service's op failed somewhere in err's chain.
func failedOperation(err error, service, op string) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if oe, ok := e.(*smithy.OperationError); ok && oe.ServiceID == service && oe.OperationName == op {
			return true
		}
	}
	return false
}

// iamPrefixes maps SDK service ids to IAM action prefixes where they differ from the
// lower-cased id.
var iamPrefixes = map[string]string{
	"CloudWatch Logs": "logs",
}

// iamAction is the IAM action for an SDK operation, e.g. logs:DescribeMetricFilters.
func iamAction(service, op string) string {
	if service == "" || op == "" {
		return ""
	}
	prefix, ok := iamPrefixes[service]
	if !ok {
		prefix = strings.ToLower(strings.ReplaceAll(service, " ", ""))
	}
	return prefix + ":" + op
}

func orAPI(action string) string {
	if action == "" {
		return "the request"
	}
	return action
}

func oneOf(s string, set ...string) bool { return slices.Contains(set, s) }
