package awsenv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/cisbot/cisbot/internal/emulator"
)

func TestOrganizationAccounts(t *testing.T) {
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := newFactory(t, Options{}, nil)
	org := f.Session(Target{}).Organizations()
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	want := []OrgAccount{{ID: emulator.DefaultAccountID}} // the management account; moto names it
	for i := range 4 {
		name := fmt.Sprintf("member-%d", i)
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if i == 2 { // closed accounts are SUSPENDED, not ACTIVE
			if _, err := org.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(id)}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want = append(want, OrgAccount{ID: id, Name: name, Email: name + "@example.com"})
	}

	for _, pageSize := range []int32{0, 2} { // the service's default page, and several pages
		t.Run(fmt.Sprintf("page size %d", pageSize), func(t *testing.T) {
			f.listAccountsPageSize = pageSize
			got, err := f.OrganizationAccounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d accounts, want %d: %+v", len(got), len(want), got)
			}
			if got[0].ID != want[0].ID || got[0].Name == "" || got[0].Email == "" {
				t.Errorf("first account = %+v, want the management account %s", got[0], want[0].ID)
			}
			for _, w := range want[1:] {
				if !slices.Contains(got, w) {
					t.Errorf("account %+v missing from %+v", w, got)
				}
			}
		})
	}
}

func TestOrganizationAccountsWithoutOrganization(t *testing.T) {
	// AWS refuses ListAccounts outside an organization; moto answers with an empty list, so
	// a loopback fake plays AWS here.
	org := newFakeAWS(t, 400, "application/x-amz-json-1.1",
		`{"__type":"AWSOrganizationsNotInUseException","Message":"Your account is not a member of an organization."}`)
	f, err := New(context.Background(), Options{ConfigOptions: mockOpts(org, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.OrganizationAccounts(context.Background())
	if err == nil {
		t.Fatal("OrganizationAccounts succeeded without an organization")
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AWSOrganizationsNotInUseException" {
		t.Fatalf("err = %v, want AWSOrganizationsNotInUseException", err)
	}
	if !strings.HasPrefix(err.Error(), "base credentials: list organization accounts: the base account is not in an AWS Organization") {
		t.Errorf("error = %q", err)
	}
}
