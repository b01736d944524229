package app

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"golang.org/x/sync/singleflight"

	"github.com/cisbot/cisbot/internal/accountreader"
	"github.com/cisbot/cisbot/internal/audit"
	"github.com/cisbot/cisbot/internal/awsenv"
	"github.com/cisbot/cisbot/internal/awsregion"
	"github.com/cisbot/cisbot/internal/commands"
	"github.com/cisbot/cisbot/internal/config"
	"github.com/cisbot/cisbot/internal/enrich"
	"github.com/cisbot/cisbot/internal/suggest"
)

// Accounts resolves account names to AWS sessions.
type Accounts struct {
	cfg     *config.Config
	factory *awsenv.Factory

	mu           sync.Mutex
	ids          map[string]string // account name -> id, learned from GetCallerIdentity
	memberList   []member          // the organization's accounts, listed at memberListAt
	memberListAt time.Time
	listing      singleflight.Group
}

var _ commands.Directory = (*Accounts)(nil)

// NewAccounts binds a configuration to a session factory.
func NewAccounts(cfg *config.Config, f *awsenv.Factory) *Accounts {
	return &Accounts{cfg: cfg, factory: f, ids: map[string]string{}}
}

// API adapts a session to what the audit reads.
func API(s *awsenv.Session) *accountreader.AccountAPI {
	return &accountreader.AccountAPI{
		CloudTrail: func(region string) accountreader.TrailReader { return s.CloudTrail(region) },
		Logs:       func(region string) accountreader.LogsReader { return s.Logs(region) },
		CloudWatch: func(region string) accountreader.AlarmsReader { return s.CloudWatch(region) },
		SNS:        func(region string) accountreader.TopicsReader { return s.SNS(region) },
		AccountID:  s.AccountID,
	}
}

func (a *Accounts) session(acc *config.Account) *awsenv.Session {
	return a.factory.Session(awsenv.Target{Name: acc.Name, RoleARN: acc.RoleARN, ExternalID: acc.ExternalID})
}

// Collector returns a collector that follows log groups and topics into other configured
// accounts, and into any organization account when an organization role is configured.
func (a *Accounts) Collector() *accountreader.Collector {
	return &accountreader.Collector{Region: a.factory.Region(), Other: a.other}
}

func (a *Accounts) other(ctx context.Context, accountID string) (*accountreader.AccountAPI, bool) {
	s, ok := a.SessionFor(ctx, accountID)
	if !ok {
		return nil, false
	}
	return API(s), true
}

// SessionFor finds a session in the account with this id: a configured account (by its role's
// account, or by asking for the id of those on the base credentials), else the organization
// role when one is configured.
func (a *Accounts) SessionFor(ctx context.Context, accountID string) (*awsenv.Session, bool) {
	if acc, ok := a.configuredByID(ctx, accountID); ok {
		return a.session(acc), true
	}
	if org := a.cfg.Organization; org != nil {
		return a.factory.Session(awsenv.Target{Name: accountID, RoleARN: a.orgRole(accountID), ExternalID: org.ExternalID}), true
	}
	return nil, false
}

// configuredByID finds the configured account whose id is accountID: by its role's account,
// then by asking STS about those on the base credentials (once each, then known).
func (a *Accounts) configuredByID(ctx context.Context, accountID string) (*config.Account, bool) {
	for i := range a.cfg.Accounts {
		if acc := &a.cfg.Accounts[i]; roleAccount(acc.RoleARN) == accountID {
			return acc, true
		}
	}
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		if acc.RoleARN != "" {
			continue
		}
		if id, err := a.accountID(ctx, acc); err == nil && id == accountID {
			return acc, true
		}
	}
	return nil, false
}

// idOf is a configured account's id: its role's account, or, on the base credentials, what
// STS says (asked once, then known).
func (a *Accounts) idOf(ctx context.Context, acc *config.Account) (string, error) {
	if id := roleAccount(acc.RoleARN); id != "" {
		return id, nil
	}
	return a.accountID(ctx, acc)
}

// accountID asks STS for the id of an account on the base credentials, once.
func (a *Accounts) accountID(ctx context.Context, acc *config.Account) (string, error) {
	a.mu.Lock()
	id, ok := a.ids[acc.Name]
	a.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := a.session(acc).AccountID(ctx)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.ids[acc.Name] = id
	a.mu.Unlock()
	return id, nil
}

func (a *Accounts) orgRole(accountID string) string {
	return arn.ARN{Partition: partition(a.factory.Region()), Service: "iam", AccountID: accountID, Resource: "role/" + a.cfg.Organization.RoleName}.String()
}

// partition is the ARN partition of region, from the one table (commercial when unknown).
func partition(region string) string {
	if p, ok := awsregion.PartitionOf(region); ok {
		return p.ID
	}
	return "aws"
}

// roleAccount is the account id in a role ARN (arn:aws:iam::<id>:role/x), or "".
func roleAccount(roleARN string) string {
	a, err := arn.Parse(roleARN)
	if err != nil {
		return ""
	}
	return a.AccountID
}

// Targets resolves names ("all", configured names, and with an organization section its ACTIVE
// accounts' names or ids) into audit targets; all adds the organization's ACTIVE accounts when
// an organization section is configured.
func (a *Accounts) Targets(ctx context.Context, names []string, all bool) ([]audit.Target, error) {
	var out []audit.Target
	seen := map[string]bool{}
	add := func(name string, s *awsenv.Session) {
		if !seen[name] {
			seen[name] = true
			out = append(out, audit.Target{Name: name, Resolve: func(context.Context) (*accountreader.AccountAPI, error) { return API(s), nil }})
		}
	}
	for _, n := range names {
		if n == "all" {
			all = true
			continue
		}
		r, s, err := a.resolve(ctx, n)
		if err != nil {
			return nil, err
		}
		add(r.name, s)
	}
	if !all {
		if len(out) == 0 {
			return nil, fmt.Errorf("name the accounts to audit (configured: %s), or use --all", strings.Join(a.cfg.Names(), ", "))
		}
		return out, nil
	}
	for i := range a.cfg.Accounts {
		add(a.cfg.Accounts[i].Name, a.session(&a.cfg.Accounts[i]))
	}
	if a.cfg.Organization == nil {
		return out, nil
	}
	members, _, err := a.members(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		add(m.name, a.memberSession(m))
	}
	return out, nil
}

// Resolve returns the name audits give the account name names (commands.Directory).
func (a *Accounts) Resolve(ctx context.Context, name string) (string, error) {
	resolved, _, err := a.resolve(ctx, name)
	return resolved.name, err
}

// resolved is an account found by name or id: the name audits give it, and its id when known
// without asking AWS.
type resolved struct{ name, id string }

// resolve finds the account name names: a configured account by its name or the id of its
// role, else, with an organization section, an ACTIVE member account by the name audits give
// it or by its id.
func (a *Accounts) resolve(ctx context.Context, name string) (resolved, *awsenv.Session, error) {
	if acc, ok := a.cfg.Account(name); ok {
		return resolved{acc.Name, a.knownID(acc)}, a.session(acc), nil
	}
	if isAccountID(name) {
		if acc, ok := a.configuredByID(ctx, name); ok {
			return resolved{acc.Name, name}, a.session(acc), nil
		}
	}
	unknown := &commands.UnknownAccountError{Name: name, Closest: suggest.Closest(name, a.cfg.Names()), Known: a.cfg.Names()}
	if a.cfg.Organization == nil {
		return resolved{}, nil, unknown
	}
	// The list may be a few minutes old: a member created or renamed since is found by listing
	// again, once.
	for _, maxAge := range []time.Duration{membersTTL, membersFresh} {
		members, listed, err := a.members(ctx, maxAge)
		if err != nil {
			if unknown.Closest != "" { // a typo of a configured name needs no listing to be told
				return resolved{}, nil, fmt.Errorf("%w (the organization's accounts could not be listed: %v)", unknown, err)
			}
			return resolved{}, nil, err
		}
		if m, ok := findMember(members, name); ok {
			return resolved{m.name, m.id}, a.memberSession(m), nil
		}
		if time.Since(listed) < membersFresh {
			names := make([]string, len(members))
			for i, m := range members {
				names[i] = m.name
			}
			unknown.Organization = true
			unknown.Closest = cmp.Or(unknown.Closest, suggest.Closest(name, names))
			break
		}
	}
	return resolved{}, nil, unknown
}

// findMember finds a member by id, then by name: an id typed is never taken for another
// member's name that happens to be 12 digits.
func findMember(members []member, name string) (member, bool) {
	if isAccountID(name) {
		for _, m := range members {
			if m.id == name {
				return m, true
			}
		}
	}
	for _, m := range members {
		if m.name == name {
			return m, true
		}
	}
	return member{}, false
}

// isAccountID reports whether s is an AWS account id: 12 digits.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// knownID is a configured account's id when known without asking AWS: its role's account, or
// the id learned earlier for an account on the base credentials ("" otherwise).
func (a *Accounts) knownID(acc *config.Account) string {
	if id := roleAccount(acc.RoleARN); id != "" {
		return id
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ids[acc.Name]
}

// member is an organization account that no configured account covers, under the name audits
// give it.
type member struct{ id, name string }

// membersTTL is how long the organization's account list is reused to resolve a name: a fix
// resolves its account when it is planned, approved and applied, and an organization of a
// thousand accounts lists them in fifty calls. A name it lacks is looked up in a list at most
// membersFresh old, and an audit of all accounts lists them afresh.
const (
	membersTTL   = 5 * time.Minute
	membersFresh = 10 * time.Second
)

// members lists the organization's ACTIVE accounts that no configured account covers, by id,
// each named as in audits: its name, or its id when it has none or shares it with an earlier
// one (or with a configured account). A list at most maxAge old is reused; listed is when it
// was listed. Concurrent callers share one listing.
func (a *Accounts) members(ctx context.Context, maxAge time.Duration) (list []member, listed time.Time, err error) {
	a.mu.Lock()
	list, listed = a.memberList, a.memberListAt
	a.mu.Unlock()
	if list != nil && time.Since(listed) <= maxAge {
		return list, listed, nil
	}
	// The listing is shared, so it runs on a context of its own: a caller that gives up does
	// not fail the others waiting on it.
	ch := a.listing.DoChan("members", func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), membersListTimeout)
		defer cancel()
		return a.listMembers(lctx)
	})
	select {
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return nil, time.Time{}, res.Err
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		return res.Val.([]member), a.memberListAt, nil
	}
}

// membersListTimeout bounds one listing of the organization's accounts (fifty pages for a
// thousand accounts).
const membersListTimeout = 2 * time.Minute

// listMembers lists the organization's accounts and keeps the list for members.
func (a *Accounts) listMembers(ctx context.Context) ([]member, error) {
	orgAccounts, err := a.factory.OrganizationAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the organization's accounts (organization: in the config): %w", err)
	}
	covered := map[string]bool{}
	seen := map[string]bool{}
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		seen[acc.Name] = true
		if id, err := a.idOf(ctx, acc); err == nil {
			covered[id] = true
		}
	}
	sort.Slice(orgAccounts, func(i, j int) bool { return orgAccounts[i].ID < orgAccounts[j].ID })
	out := []member{}
	for _, oa := range orgAccounts {
		if covered[oa.ID] {
			continue
		}
		name := oa.Name
		if name == "" || seen[name] {
			name = oa.ID
		}
		seen[name] = true
		out = append(out, member{id: oa.ID, name: name})
	}
	a.mu.Lock()
	a.memberList, a.memberListAt = out, time.Now()
	a.mu.Unlock()
	return out, nil
}

func (a *Accounts) memberSession(m member) *awsenv.Session {
	return a.factory.Session(awsenv.Target{Name: m.name, RoleARN: a.orgRole(m.id), ExternalID: a.cfg.Organization.ExternalID})
}

// Accounts lists the configured accounts for /cis accounts.
func (a *Accounts) Accounts() []commands.AccountInfo {
	out := make([]commands.AccountInfo, 0, len(a.cfg.Accounts))
	for _, acc := range a.cfg.Accounts {
		out = append(out, commands.AccountInfo{Name: acc.Name, RoleARN: acc.RoleARN, Channel: acc.Channel})
	}
	return out
}

// OrganizationRole is the role name assumed in organization accounts, "" without one.
func (a *Accounts) OrganizationRole() string {
	if a.cfg.Organization == nil {
		return ""
	}
	return a.cfg.Organization.RoleName
}

// AlertChannel is where an alarm of accountID is posted: the configured account's channel, else
// alerts.default_channel ("" when neither is set). An account with a channel but no role ARN is
// resolved through STS; when that fails the error says so, rather than sending the alarm to the
// default channel's audience.
func (a *Accounts) AlertChannel(ctx context.Context, accountID string) (string, error) {
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		if acc.Channel == "" {
			continue
		}
		id, err := a.idOf(ctx, acc)
		if err != nil {
			return "", fmt.Errorf("account %s (accounts[%d]) has a channel but its account id is unknown: %w", acc.Name, i, err)
		}
		if id == accountID {
			return acc.Channel, nil
		}
	}
	return a.cfg.Alerts.DefaultChannel, nil
}

// Enricher reads the CloudTrail events behind an alarm in the alarm's own account, through the
// same sessions the audit uses.
func (a *Accounts) Enricher() *enrich.Enricher {
	return &enrich.Enricher{Logs: func(ctx context.Context, account, region string) (enrich.LogsReader, error) {
		s, ok := a.SessionFor(ctx, account)
		if !ok {
			return nil, fmt.Errorf("account %s is not configured: add it to accounts (or set organization.role_name) so cisbot can read its CloudTrail logs", account)
		}
		return s.Logs(region), nil
	}}
}
