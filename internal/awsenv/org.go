package awsenv

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// OrgAccount is one ACTIVE account of the organization.
type OrgAccount struct {
	ID, Name, Email string
}

// OrganizationAccounts lists the organization's ACTIVE accounts (organizations:ListAccounts,
// every page) with the base credentials, which must belong to the management account or a
// delegated administrator. Suspended, closed and pending accounts are left out.
func (f *Factory) OrganizationAccounts(ctx context.Context) ([]OrgAccount, error) {
	s := f.base()
	in := &organizations.ListAccountsInput{}
	if f.listAccountsPageSize > 0 {
		in.MaxResults = aws.Int32(f.listAccountsPageSize)
	}
	var accounts []OrgAccount
	pages := organizations.NewListAccountsPaginator(s.Organizations(), in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("list organization accounts", err)
		}
		for _, a := range page.Accounts {
			if !active(a) {
				continue
			}
			accounts = append(accounts, OrgAccount{
				ID:    aws.ToString(a.Id),
				Name:  aws.ToString(a.Name),
				Email: aws.ToString(a.Email),
			})
		}
	}
	return accounts, nil
}

// active reads State, and Status (which AWS retires in favour of State) when State is absent.
func active(a types.Account) bool {
	if a.State != "" {
		return a.State == types.AccountStateActive
	}
	return a.Status == types.AccountStatusActive
}
