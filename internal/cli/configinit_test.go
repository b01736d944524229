package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/testutil/awsaccount"
)

// managementAccount makes a fresh moto account the management account of a new organization
// with members named as people name accounts, and points the process's AWS credentials at it.
func managementAccount(t *testing.T, members ...string) {
	t.Helper()
	ctx := context.Background()
	f, err := awsenv.New(ctx, awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := awsaccount.NewID()
	s := f.Session(awsenv.Target{Name: "management", RoleARN: awsaccount.RoleARN(id)})
	creds, err := s.Config().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org := s.Organizations()
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	for i, name := range members {
		email := strings.Repeat("x", i+1) + "@example.com"
		if _, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(email)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", creds.SessionToken)
}

func TestConfigInitFromOrganization(t *testing.T) {
	managementAccount(t, "Prod", "prod", "Data Lake", "Data  lake", "ALL")
	out := filepath.Join(t.TempDir(), "cisbot.yml")
	code, _, errOut := run(t, "", "config", "init", "--from-organization", "--role-name", "cisbot", "--external-id", "ext-42", "--output", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out, data, nil)
	if err != nil {
		t.Fatalf("the written file does not load: %v\n%s", err, data)
	}
	names := strings.Join(cfg.Names(), " ")
	for _, want := range []string{"prod", "prod-2", "data-lake", "data-lake-2", "all-accounts"} {
		if !strings.Contains(" "+names+" ", " "+want+" ") {
			t.Errorf("names %q lack %q", names, want)
		}
	}
	if len(cfg.Accounts) != 6 { // the management account and five members
		t.Errorf("%d accounts, want 6: %s", len(cfg.Accounts), names)
	}
	for _, a := range cfg.Accounts {
		if !strings.HasSuffix(a.RoleARN, ":role/cisbot") || a.ExternalID != "ext-42" {
			t.Errorf("account %s: role %s, external id %q", a.Name, a.RoleARN, a.ExternalID)
		}
	}
	if cfg.Organization == nil || cfg.Organization.RoleName != "cisbot" {
		t.Errorf("organization %+v, want role cisbot", cfg.Organization)
	}

	t.Run("never overwrites without --force", func(t *testing.T) {
		code, _, errOut := run(t, "", "config", "init", "--output", out)
		if code != ExitError || !strings.Contains(errOut, "exists") || !strings.Contains(errOut, "--force") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
		if after, _ := os.ReadFile(out); string(after) != string(data) {
			t.Error("the file changed")
		}
		if code, _, errOut := run(t, "", "config", "init", "--output", out, "--force"); code != ExitOK {
			t.Errorf("with --force: exit %d: %s", code, errOut)
		}
	})
}

func TestConfigInitAsks(t *testing.T) {
	managementAccount(t, "Sandbox")
	tests := []struct {
		name     string
		terminal bool
		stdin    string
		args     []string
		wantCode int
		want     string // in the file, or in stderr when it fails
	}{
		{"not a terminal", false, "", nil, ExitError, "needs --role-name and --external-id"},
		{"asked on a terminal, the role name defaulted", true, "\next-7\n", nil, ExitOK, "external_id: \"ext-7\""},
		{"only what is missing asked", true, "ext-8\n", []string{"--role-name", "auditor"}, ExitOK, ":role/auditor"},
		{"a role name the config refuses", false, "", []string{"--role-name", "a/b", "--external-id", "x1"}, ExitError, "nothing was written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := isTerminal
			isTerminal = func(any) bool { return tt.terminal }
			t.Cleanup(func() { isTerminal = old })
			out := filepath.Join(t.TempDir(), "cisbot.yml")
			args := append([]string{"config", "init", "--from-organization", "--output", out}, tt.args...)
			code, _, errOut := run(t, tt.stdin, args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tt.wantCode, errOut)
			}
			got := errOut
			if code == ExitOK {
				b, _ := os.ReadFile(out)
				got = string(b)
			} else if _, err := os.Stat(out); err == nil {
				t.Error("a file was written")
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
