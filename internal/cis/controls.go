package cis

// The control table: one row per CIS monitoring control. The published patterns are quoted as
// the sources print them (Security Hub's user guide; CIS as Prowler transcribes each version);
// where a printing does not parse, the row says so and keeps it out of Patterns.

// The published patterns of control 4.1.
const (
	// PatternSecurityHub is the CIS v1.2 3.1 pattern, the one Security Hub CloudWatch.2 checks for.
	PatternSecurityHub = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`
	// PatternCISv3 is the CIS v1.4–v3.0 pattern with its two exclusions, as CIS prints it.
	PatternCISv3 = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`
)

// cisAlarm is the alarm every CIS version prescribes: one matching event in five minutes fires.
var cisAlarm = AlarmSpec{
	Statistic:          "Sum",
	Period:             300,
	Threshold:          1,
	ComparisonOperator: "GreaterThanOrEqualToThreshold",
	EvaluationPeriods:  1,
}

// The API calls each change control watches, as CIS lists them.
var (
	iamPolicyEvents = []string{"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"}
	trailEvents     = []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"}
	cmkEvents       = []string{"DisableKey", "ScheduleKeyDeletion"}
	bucketEvents    = []string{"PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"}
	configEvents    = []string{"StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"}
	// securityGroupEvents are the v1.2–v4.0.1 list; CIS v5.0.0 adds ModifySecurityGroupRules.
	securityGroupEvents = []string{"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"}
	naclEvents          = []string{"CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"}
	gatewayEvents       = []string{"CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"}
	routeEvents         = []string{"CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"}
	vpcEvents           = []string{"CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink"}
	// organizationsEvents are the 18 events CIS lists; Prowler's check also requires
	// prowlerOrganizationsEvents.
	organizationsEvents        = []string{"AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"}
	prowlerOrganizationsEvents = []string{"CancelHandshake", "CreateOrganization", "EnableAllFeatures"}
)

// Controls lists the controls the bot knows, in benchmark order. Adding a control is adding a
// row here and its corpus of events under testdata/events.
var Controls = []Control{
	{
		ID:    "4.1",
		Title: "Ensure unauthorized API calls are monitored",
		Refs: []Ref{
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v1.0.0–v1.2.0", ID: "3.1", Title: "Ensure a log metric filter and alarm exist for unauthorized API calls"},
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v1.3.0–v1.5.0", ID: "4.1", Title: "Ensure a log metric filter and alarm exist for unauthorized API calls"},
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v2.0.0–v3.0.0", ID: "4.1", Title: "Ensure unauthorized API calls are monitored"},
			{Benchmark: "CIS AWS Foundations Benchmark", Versions: "v4.0.0+", ID: "5.1", Title: "Ensure unauthorized API calls are monitored"},
			{Benchmark: "AWS Security Hub", ID: "CloudWatch.2", Title: "Ensure a log metric filter and alarm exist for unauthorized API calls"},
			{Benchmark: "Trend Micro Cloud One Conformity", ID: "CWL-002", Title: "AWS CloudWatch Unauthorized API Calls Alarm"},
		},
		// Prowler transcribes the v1.4 and v3.0 printings with every operator ||, which matches
		// nearly every event (testdata/patterns-4.1.tsv judges it); the v4.0+ printing is
		// PatternCISv3 with its values unquoted.
		Patterns: map[string]string{
			"securityhub": PatternSecurityHub,
			"cis-v3":      PatternCISv3,
		},
		DefaultPattern: "securityhub",
		SecurityHubAccepted: []string{
			`{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`,
			PatternSecurityHub,
		},
		Probes: []Probe{
			{
				Name:      "missed",
				Include:   []string{`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`},
				Exclude:   []string{`{ ($.sourceIPAddress = "delivery.logs.amazonaws.com") || ($.eventName = "HeadBucket") }`},
				WantMatch: true,
				Severity:  Fail,
				Problem:   "misses an unauthorized API call",
			},
			{
				Name:      "over-broad",
				Include:   []string{`{ $.errorCode NOT EXISTS }`},
				WantMatch: false,
				Severity:  Fail,
				Problem:   "matches a successful API call (an event with no errorCode), so the alarm would fire on normal traffic",
			},
			{
				Name:      "other-errors",
				Include:   []string{`{ $.errorCode = * }`},
				Exclude:   []string{`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`},
				WantMatch: false,
				Severity:  Warn,
				Problem:   "also counts errors that are not authorization failures; expect more alarms than CIS intends",
			},
		},
		Requirements: sameEverywhere(),
		LeavesAlone:  "no successful API call",
		Alarm:        cisAlarm,
		Defaults: Names{
			FilterName:      "unauthorized_api_calls_metric",
			MetricName:      "unauthorized_api_calls_metric",
			MetricNamespace: "CISBenchmark",
			AlarmName:       "unauthorized_api_calls_alarm",
			TopicName:       "cis-alarms",
		},
		AlertFields: alertFields("$.errorCode", "$.errorMessage", "$.userIdentity.type"),
		AlertTitle:  "Unauthorized API calls",
		AlertCount:  [2]string{"unauthorized call", "unauthorized calls"},
	},
	{
		ID:    "4.2",
		Title: "Ensure management console sign-in without MFA is monitored",
		Refs: append(cisRefs(2, true, "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA", "Ensure management console sign-in without MFA is monitored"),
			securityHubRef(3, "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA")),
		// Security Hub adds userIdentity.type = IAMUser and responseElements.ConsoleLogin = Success
		// to the CIS text: it leaves out the root user's and federated sign-ins, which CIS counts.
		Patterns: map[string]string{
			"securityhub": `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`,
			"cis-v3":      `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
			"cis-v4":      `{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }`,
		},
		DefaultPattern:      "cis-v4",
		SecurityHubAccepted: []string{`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`},
		Probes: []Probe{
			{
				Name:      "missed",
				Include:   []string{signIn(`$.userIdentity.type = "IAMUser" && $.responseElements.ConsoleLogin = "Success" && $.additionalEventData.MFAUsed = "No"`)},
				WantMatch: true,
				Severity:  Fail,
				Problem:   "misses an IAM user's console sign-in without MFA",
			},
			{
				Name:     "with-mfa",
				Include:  []string{signIn(`$.additionalEventData.MFAUsed = "Yes"`)},
				Severity: Fail,
				Problem:  "matches a console sign-in with MFA, so the alarm would fire on every normal sign-in",
			},
			{
				Name:     "over-broad",
				Include:  []string{`{ $.eventName != "ConsoleLogin" }`},
				Severity: Fail,
				Problem:  "matches an event that is not a console sign-in, so the alarm would fire on normal traffic",
			},
		},
		Requirements: []Requirement{
			{Benchmark: BenchmarkCIS, Since: "v1.2.0", Until: "v3.0.0", Pattern: "cis-v3", Probes: signInAnyPrincipal},
			{Benchmark: BenchmarkCIS, Since: "v4.0.0", Pattern: "cis-v4", Probes: signInAnyPrincipal},
			{Benchmark: BenchmarkSecurityHub, Pattern: "securityhub"},
		},
		LeavesAlone: "no sign-in with MFA and no other event",
		Alarm:       cisAlarm,
		Defaults:    names("no_mfa_console_signin"),
		AlertFields: alertFields("$.userIdentity.type", "$.additionalEventData.MFAUsed", "$.responseElements.ConsoleLogin"),
		AlertTitle:  "Console sign-in without MFA",
	},
	{
		ID:    "4.3",
		Title: "Ensure usage of the 'root' account is monitored",
		Refs: append(cisRefs(3, true, "Ensure a log metric filter and alarm exist for usage of 'root' account", "Ensure usage of the 'root' account is monitored"),
			securityHubRef(1, `A log metric filter and alarm should exist for usage of the "root" user`)),
		Patterns: map[string]string{
			"securityhub": `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`,
			"cis-v3":      `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
			"cis-v4":      `{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType != AwsServiceEvent }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`},
		Probes: []Probe{
			{
				Name:      "missed",
				Include:   []string{`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`},
				WantMatch: true,
				Severity:  Fail,
				Problem:   "misses an action of the root user",
			},
			{
				Name:     "over-broad",
				Include:  []string{`{ $.userIdentity.type != "Root" }`},
				Severity: Fail,
				Problem:  "matches an action of a principal other than the root user, so the alarm would fire on normal traffic",
			},
			{
				Name:     "service-events",
				Include:  []string{`{ $.userIdentity.type = "Root" && ($.userIdentity.invokedBy = * || $.eventType = "AwsServiceEvent") }`},
				Severity: Warn,
				Problem:  "also counts what AWS services do for the root user, which CIS leaves out; expect more alarms than CIS intends",
			},
		},
		Requirements: cisV4Printing(),
		LeavesAlone:  "no action of another principal",
		Alarm:        cisAlarm,
		Defaults:     names("root_usage"),
		AlertFields:  alertFields("$.userIdentity.type", "$.userIdentity.invokedBy", "$.eventType", "$.errorCode"),
		AlertTitle:   "Root user used",
		AlertShows:   []string{"$.userAgent"},
	},
	{
		ID:    "4.4",
		Title: "Ensure IAM policy changes are monitored",
		Refs: append(cisRefs(4, true, "Ensure a log metric filter and alarm exist for IAM policy changes", "Ensure IAM policy changes are monitored"),
			securityHubRef(4, "Ensure a log metric filter and alarm exist for IAM policy changes")),
		Patterns: map[string]string{
			"securityhub": `{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}`,
			"cis-v3":      `{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}`},
		Probes: append(changeProbes("an IAM policy change", "iam.amazonaws.com", iamPolicyEvents),
			sameNames("IAM policy changes", "AWS Organizations", "organizations.amazonaws.com", "CreatePolicy", "DeletePolicy")),
		Requirements: sameEverywhere(),
		LeavesAlone:  changesLeaveAlone,
		Alarm:        cisAlarm,
		Defaults:     names("iam_changes"),
		AlertFields:  alertFields("$.requestParameters.policyArn", "$.requestParameters.policyName", "$.requestParameters.roleName", "$.requestParameters.userName", "$.requestParameters.groupName"),
		AlertTitle:   "IAM policy changed",
		AlertShows:   []string{"$.requestParameters.policyArn", "$.requestParameters.policyName", "$.requestParameters.roleName", "$.requestParameters.userName", "$.requestParameters.groupName"},
	},
	{
		ID:    "4.5",
		Title: "Ensure CloudTrail configuration changes are monitored",
		Refs: append(cisRefs(5, true, "Ensure a log metric filter and alarm exist for CloudTrail configuration changes", "Ensure CloudTrail configuration changes are monitored"),
			securityHubRef(5, "Ensure a log metric filter and alarm exist for CloudTrail AWS Configuration changes")),
		Patterns: map[string]string{
			"securityhub": `{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`,
			"cis-v3":      `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`},
		Probes:              changeProbes("a CloudTrail configuration change", "cloudtrail.amazonaws.com", trailEvents),
		Requirements:        sameEverywhere(),
		LeavesAlone:         changesLeaveAlone,
		Alarm:               cisAlarm,
		Defaults:            names("cloudtrail_cfg_changes"),
		AlertFields:         alertFields("$.requestParameters.name"),
		AlertTitle:          "CloudTrail configuration changed",
		AlertShows:          []string{"$.requestParameters.name"},
	},
	{
		ID:    "4.6",
		Title: "Ensure AWS Management Console authentication failures are monitored",
		Refs: append(cisRefs(6, true, "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures", "Ensure AWS Management Console authentication failures are monitored"),
			securityHubRef(6, "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures")),
		// CIS v4.0+ prints `($.errorMessage = Failed authentication)`, unquoted, which does not
		// parse (a bare value cannot hold a space); Patterns keeps the quoted v3.0 printing, and
		// testdata/patterns-4.6.tsv holds the unparseable one.
		Patterns: map[string]string{
			"securityhub": `{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`,
			"cis-v3":      `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`},
		Probes: []Probe{
			{
				Name:      "missed",
				Include:   []string{signIn(`$.errorMessage = "Failed authentication" && $.responseElements.ConsoleLogin = "Failure"`)},
				WantMatch: true,
				Severity:  Fail,
				Problem:   "misses a failed console authentication",
			},
			{
				Name:     "over-broad",
				Include:  []string{`{ $.errorCode NOT EXISTS && $.errorMessage NOT EXISTS && ($.responseElements.ConsoleLogin NOT EXISTS || $.responseElements.ConsoleLogin = "Success") }`},
				Severity: Fail,
				Problem:  "matches a successful call or sign-in, so the alarm would fire on normal traffic",
			},
			{
				Name:     "other-failures",
				Include:  []string{`{ $.errorCode = * || $.errorMessage = * }`},
				Exclude:  []string{`{ $.eventName = "ConsoleLogin" && $.errorMessage = "Failed authentication" }`},
				Severity: Warn,
				Problem:  "also counts failures other than failed console authentication; expect more alarms than CIS intends",
			},
		},
		Requirements: sameEverywhere(),
		LeavesAlone:  "no successful call or sign-in",
		Alarm:        cisAlarm,
		Defaults:     names("console_signin_failure"),
		AlertFields:  alertFields("$.userIdentity.type", "$.errorMessage", "$.additionalEventData.MFAUsed"),
		AlertTitle:   "Console sign-in failed",
	},
	{
		ID:    "4.7",
		Title: "Ensure disabling or scheduled deletion of customer created CMKs is monitored",
		Refs: append(cisRefs(7, true, "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer created CMKs", "Ensure disabling or scheduled deletion of customer created CMKs is monitored"),
			securityHubRef(7, "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer managed keys")),
		Patterns: map[string]string{
			"securityhub": `{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`,
			"cis-v3":      `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`},
		Probes:              changeProbes("a customer managed key being disabled or scheduled for deletion", "kms.amazonaws.com", cmkEvents),
		Requirements:        sameEverywhere(),
		LeavesAlone:         changesLeaveAlone,
		Alarm:               cisAlarm,
		Defaults:            names("disable_or_delete_cmk_changes"),
		AlertFields:         alertFields("$.requestParameters.keyId", "$.requestParameters.pendingWindowInDays"),
		AlertTitle:          "KMS key disabled or scheduled for deletion",
		AlertShows:          []string{"$.requestParameters.keyId", "$.requestParameters.pendingWindowInDays"},
	},
	{
		ID:    "4.8",
		Title: "Ensure S3 bucket policy changes are monitored",
		Refs: append(cisRefs(8, true, "Ensure a log metric filter and alarm exist for S3 bucket policy changes", "Ensure S3 bucket policy changes are monitored"),
			securityHubRef(8, "Ensure a log metric filter and alarm exist for S3 bucket policy changes")),
		Patterns: map[string]string{
			"securityhub": `{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}`,
			"cis-v3":      `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}`},
		Probes:              changeProbes("an S3 bucket policy change", "s3.amazonaws.com", bucketEvents),
		Requirements:        sameEverywhere(),
		LeavesAlone:         changesLeaveAlone,
		Alarm:               cisAlarm,
		Defaults:            names("s3_bucket_policy_changes"),
		AlertFields:         alertFields("$.requestParameters.bucketName"),
		AlertTitle:          "S3 bucket policy changed",
		AlertShows:          []string{"$.requestParameters.bucketName"},
	},
	{
		ID:    "4.9",
		Title: "Ensure AWS Config configuration changes are monitored",
		Refs: append(cisRefs(9, true, "Ensure a log metric filter and alarm exist for AWS Config configuration changes", "Ensure AWS Config configuration changes are monitored"),
			securityHubRef(9, "Ensure a log metric filter and alarm exist for AWS Config configuration changes")),
		Patterns: map[string]string{
			"securityhub": `{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}`,
			"cis-v3":      `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}`},
		Probes:              changeProbes("an AWS Config configuration change", "config.amazonaws.com", configEvents),
		Requirements:        sameEverywhere(),
		LeavesAlone:         changesLeaveAlone,
		Alarm:               cisAlarm,
		Defaults:            names("aws_config_changes"),
		AlertFields:         alertFields("$.requestParameters.configurationRecorderName", "$.requestParameters.deliveryChannelName"),
		AlertTitle:          "AWS Config configuration changed",
		AlertShows:          []string{"$.requestParameters.configurationRecorderName", "$.requestParameters.deliveryChannelName"},
	},
	{
		ID:    "4.10",
		Title: "Ensure security group changes are monitored",
		Refs: append(cisRefs(10, true, "Ensure a log metric filter and alarm exist for security group changes", "Ensure security group changes are monitored"),
			securityHubRef(10, "Ensure a log metric filter and alarm exist for security group changes")),
		Patterns: map[string]string{
			"securityhub": `{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}`,
			"cis-v3":      `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`,
			"cis-v5":      `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }`,
		},
		DefaultPattern:      "cis-v5",
		SecurityHubAccepted: []string{`{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}`},
		Probes:              changeProbes("a security group change", "ec2.amazonaws.com", securityGroupEvents, "ModifySecurityGroupRules"),
		Requirements: []Requirement{
			{Benchmark: BenchmarkCIS, Since: "v1.2.0", Until: "v1.2.0", Pattern: "securityhub"},
			{Benchmark: BenchmarkCIS, Since: "v1.3.0", Until: "v4.0.1", Pattern: "cis-v3"},
			{Benchmark: BenchmarkCIS, Since: "v5.0.0", Pattern: "cis-v5", Probes: []Probe{
				requireChanges("missed-v5", "misses ModifySecurityGroupRules, which CIS requires from v5.0.0", "ec2.amazonaws.com", []string{"ModifySecurityGroupRules"}),
			}},
			{Benchmark: BenchmarkSecurityHub, Pattern: "securityhub"},
		},
		LeavesAlone: changesLeaveAlone,
		Alarm:       cisAlarm,
		Defaults:    names("security_group_changes"),
		AlertFields: alertFields("$.requestParameters.groupId", "$.requestParameters.groupName", "$.requestParameters.vpcId", "$.requestParameters.ipPermissions"),
		AlertTitle:  "Security group changed",
		AlertShows:  []string{"$.requestParameters.groupId", "$.requestParameters.groupName", "$.requestParameters.ipPermissions"},
	},
	{
		ID:    "4.11",
		Title: "Ensure Network Access Control List (NACL) changes are monitored",
		Refs: append(cisRefs(11, true, "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists (NACL)", "Ensure Network Access Control List (NACL) changes are monitored"),
			securityHubRef(11, "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists (NACL)")),
		Patterns: map[string]string{
			"securityhub": `{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`,
			"cis-v3":      `{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`},
		Probes:              changeProbes("a network ACL change", "ec2.amazonaws.com", naclEvents),
		Requirements:        sameEverywhere(),
		LeavesAlone:         changesLeaveAlone,
		Alarm:               cisAlarm,
		Defaults:            names("nacl_changes"),
		AlertFields:         alertFields("$.requestParameters.networkAclId", "$.requestParameters.ruleNumber", "$.requestParameters.cidrBlock", "$.requestParameters.egress"),
		AlertTitle:          "Network ACL changed",
		AlertShows:          []string{"$.requestParameters.networkAclId", "$.requestParameters.ruleNumber", "$.requestParameters.cidrBlock", "$.requestParameters.egress"},
	},
	{
		ID:    "4.12",
		Title: "Ensure changes to network gateways are monitored",
		Refs: append(cisRefs(12, true, "Ensure a log metric filter and alarm exist for changes to network gateways", "Ensure changes to network gateways are monitored"),
			securityHubRef(12, "Ensure a log metric filter and alarm exist for changes to network gateways")),
		Patterns: map[string]string{
			"securityhub": `{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}`,
			"cis-v3":      `{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}`},
		Probes:              changeProbes("a network gateway change", "ec2.amazonaws.com", gatewayEvents),
		Requirements:        sameEverywhere(),
		LeavesAlone:         changesLeaveAlone,
		Alarm:               cisAlarm,
		Defaults:            names("network_gw_changes"),
		AlertFields:         alertFields("$.requestParameters.internetGatewayId", "$.requestParameters.customerGatewayId", "$.requestParameters.vpcId"),
		AlertTitle:          "Network gateway changed",
		AlertShows:          []string{"$.requestParameters.internetGatewayId", "$.requestParameters.customerGatewayId", "$.requestParameters.vpcId"},
	},
	{
		ID:    "4.13",
		Title: "Ensure route table changes are monitored",
		Refs: append(cisRefs(13, true, "Ensure a log metric filter and alarm exist for route table changes", "Ensure route table changes are monitored"),
			securityHubRef(13, "Ensure a log metric filter and alarm exist for route table changes")),
		// From v4.0 CIS starts the pattern with an ungrouped ($.eventSource = ec2.amazonaws.com) &&,
		// which binds to CreateRoute alone: API Gateway's DeleteRoute still matches (a note).
		// The v3.0 printing has no pattern; cis-v3 is the v1.4 one.
		Patterns: map[string]string{
			"securityhub": `{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}`,
			"cis-v3":      `{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`,
			"cis-v4":      `{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}`},
		Probes: append(changeProbes("a route table change", "ec2.amazonaws.com", routeEvents),
			sameNames("route table changes", "API Gateway", "apigateway.amazonaws.com", "CreateRoute", "DeleteRoute")),
		Requirements: []Requirement{
			{Benchmark: BenchmarkCIS, Since: "v1.2.0", Until: "v1.2.0", Pattern: "securityhub"},
			{Benchmark: BenchmarkCIS, Since: "v1.3.0", Until: "v3.0.0", Pattern: "cis-v3"},
			{Benchmark: BenchmarkCIS, Since: "v4.0.0", Pattern: "cis-v4"},
			{Benchmark: BenchmarkSecurityHub, Pattern: "securityhub"},
		},
		LeavesAlone: changesLeaveAlone,
		Alarm:       cisAlarm,
		Defaults:    names("route_table_changes"),
		AlertFields: alertFields("$.requestParameters.routeTableId", "$.requestParameters.destinationCidrBlock", "$.requestParameters.gatewayId"),
		AlertTitle:  "Route table changed",
		AlertShows:  []string{"$.requestParameters.routeTableId", "$.requestParameters.destinationCidrBlock", "$.requestParameters.gatewayId"},
	},
	{
		ID:    "4.14",
		Title: "Ensure VPC changes are monitored",
		Refs: append(cisRefs(14, true, "Ensure a log metric filter and alarm exist for VPC changes", "Ensure VPC changes are monitored"),
			securityHubRef(14, "Ensure a log metric filter and alarm exist for VPC changes")),
		Patterns: map[string]string{
			"securityhub": `{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`,
			"cis-v3":      `{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`,
		},
		DefaultPattern:      "securityhub",
		SecurityHubAccepted: []string{`{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`},
		Probes:              changeProbes("a VPC change", "ec2.amazonaws.com", vpcEvents),
		Requirements:        sameEverywhere(),
		LeavesAlone:         changesLeaveAlone,
		Alarm:               cisAlarm,
		Defaults:            names("vpc_changes"),
		AlertFields:         alertFields("$.requestParameters.vpcId", "$.requestParameters.vpcPeeringConnectionId"),
		AlertTitle:          "VPC changed",
		AlertShows:          []string{"$.requestParameters.vpcId", "$.requestParameters.vpcPeeringConnectionId"},
	},
	{
		ID:    "4.15",
		Title: "Ensure AWS Organizations changes are monitored",
		Refs:  cisRefs(15, false, "Ensure a log metric filter and alarm exists for AWS Organizations changes", "Ensure AWS Organizations changes are monitored"),
		// Security Hub has no check for it. CIS lists 18 events; Prowler's check requires 21, so
		// the verbatim CIS pattern fails Prowler; "prowler" is the v4.0 text with the other three.
		Patterns: map[string]string{
			"cis-v3":  `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`,
			"cis-v4":  `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = AcceptHandshake) || ($.eventName = AttachPolicy) || ($.eventName = CreateAccount) || ($.eventName = CreateOrganizationalUnit) || ($.eventName = CreatePolicy) || ($.eventName = DeclineHandshake) || ($.eventName = DeleteOrganization) || ($.eventName = DeleteOrganizationalUnit) || ($.eventName = DeletePolicy) || ($.eventName = DetachPolicy) || ($.eventName = DisablePolicyType) || ($.eventName = EnablePolicyType) || ($.eventName = InviteAccountToOrganization) || ($.eventName = LeaveOrganization) || ($.eventName = MoveAccount) || ($.eventName = RemoveAccountFromOrganization) || ($.eventName = UpdatePolicy) || ($.eventName = UpdateOrganizationalUnit)) }`,
			"prowler": changePattern("organizations.amazonaws.com", append(append([]string{}, organizationsEvents...), prowlerOrganizationsEvents...), false),
		},
		DefaultPattern: "cis-v4",
		Probes: append(changeProbes("an AWS Organizations change", "organizations.amazonaws.com", organizationsEvents, prowlerOrganizationsEvents...),
			sameNames("AWS Organizations changes", "IAM", "iam.amazonaws.com", "CreatePolicy", "DeletePolicy")),
		Requirements: []Requirement{
			{Benchmark: BenchmarkCIS, Since: "v1.3.0", Until: "v3.0.0", Pattern: "cis-v3"},
			{Benchmark: BenchmarkCIS, Since: "v4.0.0", Pattern: "cis-v4"},
			{Benchmark: BenchmarkProwler, Pattern: "prowler", Probes: []Probe{
				requireChanges("missed-prowler", "misses an Organizations change Prowler's check requires beyond the 18 CIS lists", "organizations.amazonaws.com", prowlerOrganizationsEvents),
			}},
		},
		LeavesAlone: changesLeaveAlone,
		Alarm:       cisAlarm,
		Defaults:    names("organizations_changes"),
		AlertFields: alertFields("$.requestParameters.accountId", "$.requestParameters.policyId", "$.requestParameters.targetId", "$.requestParameters.organizationalUnitId"),
		AlertTitle:  "AWS Organizations changed",
		AlertShows:  []string{"$.requestParameters.accountId", "$.requestParameters.policyId", "$.requestParameters.targetId", "$.requestParameters.organizationalUnitId"},
	},
}

// changesLeaveAlone completes the passing verdict of a change control.
const changesLeaveAlone = "no successful read-only call"

// signIn is a JSON pattern over console sign-in events with further conditions.
func signIn(conds string) string {
	return `{ $.eventName = "ConsoleLogin" && $.eventSource = "signin.amazonaws.com" && $.eventType = "AwsConsoleSignIn" && ` + conds + ` }`
}

// signInAnyPrincipal is what CIS requires of 4.2 beyond Security Hub: the sign-ins of every
// kind of principal, not only IAM users'.
var signInAnyPrincipal = []Probe{{
	Name:      "missed-principal",
	Include:   []string{signIn(`$.responseElements.ConsoleLogin = "Success" && $.additionalEventData.MFAUsed = "No"`)},
	WantMatch: true,
	Severity:  Fail,
	Problem:   "misses a console sign-in without MFA by a principal other than an IAM user (the root user, a federated user), which CIS counts and Security Hub's variant leaves out",
}}

// cisV4Printing are the requirements of a control whose v4.0+ printing differs from v3.0's only
// in quoting.
func cisV4Printing() []Requirement {
	return []Requirement{
		{Benchmark: BenchmarkCIS, Since: "v1.2.0", Until: "v3.0.0", Pattern: "cis-v3"},
		{Benchmark: BenchmarkCIS, Since: "v4.0.0", Pattern: "cis-v4"},
		{Benchmark: BenchmarkSecurityHub, Pattern: "securityhub"},
	}
}
