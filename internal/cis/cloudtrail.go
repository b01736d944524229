package cis

// What CloudTrail writes, as far as judging a pattern needs it: which fields every record
// carries (as strings), the values real records hold, and a realistic record to build
// counterexamples on.

// alwaysString are the fields every CloudTrail record carries, always as a string. Generated
// events vary their value, never their presence or type, so that a pattern is not failed for
// an event CloudTrail never writes.
var alwaysString = map[string]bool{
	"$.eventVersion":       true,
	"$.eventTime":          true,
	"$.eventSource":        true,
	"$.eventName":          true,
	"$.awsRegion":          true,
	"$.sourceIPAddress":    true,
	"$.eventID":            true,
	"$.eventType":          true,
	"$.recipientAccountId": true,
	"$.userIdentity.type":  true,
}

// alwaysObject are the fields every record carries as an object.
var alwaysObject = map[string]bool{
	"$.userIdentity": true,
}

// realValues are values real records hold, tried for a field besides those the patterns name.
var realValues = map[string][]string{
	"$.errorCode": {
		"AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation", "UnauthorizedOperation",
		"Server.UnauthorizedOperation", "AuthorizationError", "ThrottlingException", "Client.DryRunOperation",
		"accessdenied", "KMS.AccessDeniedException",
	},
	"$.sourceIPAddress": {"198.51.100.23", "delivery.logs.amazonaws.com", "sqs.amazonaws.com", "AWS Internal"},
	"$.eventName":       {"GetRole", "HeadBucket", "RunInstances", "ConsoleLogin", "AssumeRole", "DescribeSecurityGroups", "CreatePolicy", "CreateRoute", "DeleteRoute"},
	"$.eventSource": {
		"iam.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com", "kms.amazonaws.com", "signin.amazonaws.com",
		"organizations.amazonaws.com", "apigateway.amazonaws.com", "cloudtrail.amazonaws.com", "config.amazonaws.com",
	},
	"$.awsRegion":         {"us-east-1", "eu-west-1", "ap-northeast-1"},
	"$.eventType":         {"AwsApiCall", "AwsServiceEvent", "AwsConsoleSignIn", "AwsConsoleAction"},
	"$.userIdentity.type": {"IAMUser", "AssumedRole", "Root", "AWSService", "FederatedUser", "IdentityCenterUser"},
	"$.userAgent":         {"aws-cli/2.15.0", "console.amazonaws.com", "aws-internal/3 aws-sdk-java/1.12"},
	// Console sign-ins (4.2, 4.6) and the root user (4.3).
	"$.additionalEventData.MFAUsed":   {"No", "Yes"},
	"$.responseElements.ConsoleLogin": {"Success", "Failure"},
	"$.errorMessage":                  {"Failed authentication", "No username found in supplied account"},
	"$.userIdentity.invokedBy":        {"signin.amazonaws.com", "cloudtrail.amazonaws.com"},
}

// freeTextPath is where a term or regex pattern's words are planted in a generated event: a
// request parameter, which can hold any text a caller sends.
const freeTextPath = "$.requestParameters.roleName"

// templateRecord returns a realistic CloudTrail record, as CloudWatch Logs stores it, on which
// generated values are set. It carries no errorCode; generated events set one when they need it.
func templateRecord() map[string]any {
	return map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type":        "IAMUser",
			"principalId": "AIDAEXAMPLEPRINCIPAL",
			"arn":         "arn:aws:iam::111122223333:user/example",
			"accountId":   "111122223333",
			"accessKeyId": "AKIAEXAMPLEKEY",
			"userName":    "example",
		},
		"eventTime":          "2026-01-01T00:00:00Z",
		"eventSource":        "iam.amazonaws.com",
		"eventName":          "GetRole",
		"awsRegion":          "us-east-1",
		"sourceIPAddress":    "198.51.100.23",
		"userAgent":          "aws-cli/2.15.0",
		"requestParameters":  map[string]any{"roleName": "example-role"},
		"responseElements":   nil,
		"requestID":          "00000000-0000-0000-0000-000000000001",
		"eventID":            "00000000-0000-0000-0000-000000000002",
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": "111122223333",
		"eventCategory":      "Management",
	}
}
