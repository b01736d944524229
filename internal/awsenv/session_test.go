package awsenv

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cisbot/cisbot/internal/emulator"
)

func TestBaseSessionAccountID(t *testing.T) {
	rec := &recorder{}
	f := newFactory(t, Options{}, rec)
	s := f.Session(Target{Name: "management"})
	for range 3 {
		id, err := s.AccountID(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if id != emulator.DefaultAccountID {
			t.Fatalf("AccountID = %s, want %s", id, emulator.DefaultAccountID)
		}
	}
	if n := len(rec.calls("GetCallerIdentity")); n != 1 {
		t.Errorf("GetCallerIdentity called %d times, want 1 (cached)", n)
	}
	if n := len(rec.calls("AssumeRole")); n != 0 {
		t.Errorf("AssumeRole called %d times for the base credentials", n)
	}
}

func TestAssumeRole(t *testing.T) {
	const role = "arn:aws:iam::222222222222:role/cisbot"
	tests := []struct {
		name       string
		externalID string
	}{
		{"without external id", ""},
		{"with external id", "cisbot-ext-7f3a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			rec := &recorder{}
			f := newFactory(t, Options{}, rec)
			s := f.Session(Target{Name: "prod", RoleARN: role, ExternalID: tt.externalID})

			id, err := s.AccountID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if id != "222222222222" {
				t.Errorf("AccountID = %s, want 222222222222", id)
			}
			who, err := s.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if arn := aws.ToString(who.Arn); !strings.Contains(arn, ":assumed-role/cisbot/"+RoleSessionName) {
				t.Errorf("caller ARN = %s, want the assumed role with session name %s", arn, RoleSessionName)
			}

			// Clients of the session act in the role's account, in any region.
			for _, region := range []string{"", "eu-west-1"} {
				out, err := s.SNS(region).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("assume-role-" + strings.ReplaceAll(tt.name, " ", "-"))})
				if err != nil {
					t.Fatal(err)
				}
				if arn := aws.ToString(out.TopicArn); !strings.Contains(arn, ":222222222222:") {
					t.Errorf("topic ARN %s (region %q) is not in account 222222222222", arn, region)
				}
			}

			// The credentials were fetched once and cached for every call and client.
			calls := rec.calls("AssumeRole")
			if len(calls) != 1 {
				t.Fatalf("AssumeRole called %d times, want 1", len(calls))
			}
			call := calls[0]
			if got := call.Get("RoleArn"); got != role {
				t.Errorf("RoleArn = %q, want %q", got, role)
			}
			if got := call.Get("RoleSessionName"); got != RoleSessionName {
				t.Errorf("RoleSessionName = %q, want %q", got, RoleSessionName)
			}
			if got, ok := call.Get("ExternalId"), call.Has("ExternalId"); got != tt.externalID || ok != (tt.externalID != "") {
				t.Errorf("ExternalId = %q (sent: %v), want %q", got, ok, tt.externalID)
			}

			// The base session is untouched by the role's.
			base, err := f.Session(Target{}).AccountID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if base != emulator.DefaultAccountID {
				t.Errorf("base AccountID = %s, want %s", base, emulator.DefaultAccountID)
			}
		})
	}
}

func TestSessionsAndClientsAreCached(t *testing.T) {
	f := newFactory(t, Options{Region: "eu-central-1"}, nil)
	prod := Target{Name: "prod", RoleARN: "arn:aws:iam::222222222222:role/cisbot", ExternalID: "x"}

	// Many goroutines asking at once get the same objects (run with -race).
	const workers = 16
	sessions := make([]*Session, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			s := f.Session(prod)
			s.CloudTrail("us-west-2")
			s.Logs("us-west-2")
			s.CloudWatch("us-west-2")
			s.SNS("us-west-2")
			s.STS()
			s.Organizations()
			sessions[i] = s
		})
	}
	wg.Wait()
	s := sessions[0]
	for i, other := range sessions {
		if other != s {
			t.Fatalf("session %d is a different *Session", i)
		}
	}
	if s.Target() != prod {
		t.Errorf("Target() = %+v, want %+v", s.Target(), prod)
	}
	if f.Session(Target{Name: "prod", RoleARN: prod.RoleARN}) == s {
		t.Error("a target with another external id shares the session")
	}
	if f.Session(Target{}) == s {
		t.Error("the base session is the role's session")
	}

	tests := []struct {
		name       string
		same, diff func() any
	}{
		{"cloudtrail", func() any { return s.CloudTrail("us-west-2") }, func() any { return s.CloudTrail("us-east-2") }},
		{"logs", func() any { return s.Logs("us-west-2") }, func() any { return s.Logs("us-east-2") }},
		{"cloudwatch", func() any { return s.CloudWatch("us-west-2") }, func() any { return s.CloudWatch("us-east-2") }},
		{"sns", func() any { return s.SNS("us-west-2") }, func() any { return s.SNS("us-east-2") }},
		{"sts", func() any { return s.STS() }, nil},
		{"organizations", func() any { return s.Organizations() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := tt.same(), tt.same(); a != b {
				t.Errorf("two calls gave two clients")
			}
			if tt.diff != nil && tt.same() == tt.diff() {
				t.Errorf("two regions share a client")
			}
		})
	}

	// An empty region is the factory's region.
	if s.SNS("") != s.SNS("eu-central-1") {
		t.Error(`SNS("") is not SNS(factory region)`)
	}
	for name, region := range map[string]string{
		"cloudtrail": s.CloudTrail("us-west-2").Options().Region,
		"logs":       s.Logs("us-west-2").Options().Region,
		"cloudwatch": s.CloudWatch("us-west-2").Options().Region,
		"sns":        s.SNS("us-west-2").Options().Region,
		"sts":        s.STS().Options().Region,
		"default":    s.CloudTrail("").Options().Region,
	} {
		want := "us-west-2"
		if name == "sts" || name == "default" {
			want = "eu-central-1"
		}
		if region != want {
			t.Errorf("%s client region = %q, want %q", name, region, want)
		}
	}
}

func TestAccountIDAssumeRoleDenied(t *testing.T) {
	// A loopback STS that refuses AssumeRole the way AWS does when the trust policy or the
	// external id does not match (moto does not enforce IAM).
	sts := newFakeAWS(t, 403, "text/xml", `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code>
  <Message>User: arn:aws:iam::123456789012:user/bot is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/cisbot</Message></Error>
  <RequestId>4c7c6f3e-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>`)
	f, err := New(context.Background(), Options{ConfigOptions: mockOpts(sts, nil)})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Session(Target{Name: "prod", RoleARN: "arn:aws:iam::222222222222:role/cisbot", ExternalID: "wrong"})
	_, err = s.AccountID(context.Background())
	if err == nil {
		t.Fatal("AccountID succeeded")
	}
	msg := err.Error()
	for _, want := range []string{
		`account "prod": assume role arn:aws:iam::222222222222:role/cisbot: `,
		"trust policy",
		"external id",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if code := APIErrorCode(err); code != "AccessDenied" {
		t.Errorf("APIErrorCode = %q, want AccessDenied", code)
	}
	if strings.Contains(msg, testSecretKey) {
		t.Errorf("error contains the secret key: %s", msg)
	}
	if got := Describe(err); got != assumeRoleAdvice {
		t.Errorf("Describe = %q, want the assume-role advice", got)
	}
}

func TestAccountIDNoCredentials(t *testing.T) {
	// The default chain with nothing configured (hermeticEnv leaves no variables, no shared
	// files, and instance metadata disabled).
	f, err := New(context.Background(), Options{ConfigOptions: mockOpts(srv.URL, nil)[:1]})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Session(Target{Name: "dev"}).AccountID(context.Background())
	if err == nil {
		t.Fatal("AccountID succeeded without credentials")
	}
	if !strings.HasPrefix(err.Error(), `account "dev": get caller identity: `+noCredentialsAdvice) {
		t.Errorf("error = %q, want the no-credentials advice", err)
	}
	if got := Describe(err); got != noCredentialsAdvice {
		t.Errorf("Describe = %q", got)
	}
}

func TestTargetLabel(t *testing.T) {
	tests := []struct {
		t    Target
		want string
	}{
		{Target{Name: "prod", RoleARN: "arn:aws:iam::1:role/x"}, `account "prod"`},
		{Target{RoleARN: "arn:aws:iam::1:role/x"}, "role arn:aws:iam::1:role/x"},
		{Target{}, "base credentials"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.t), func(t *testing.T) {
			if got := tt.t.label(); got != tt.want {
				t.Errorf("label() = %q, want %q", got, tt.want)
			}
		})
	}
}
