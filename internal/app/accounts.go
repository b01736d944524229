package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

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
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		if roleAccount(acc.RoleARN) == accountID {
			return a.session(acc), true
		}
	}
	// Accounts on the base credentials: their id is known only by asking.
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		if acc.RoleARN != "" {
			continue
		}
		if id, err := a.accountID(ctx, acc); err == nil && id == accountID {
			return a.session(acc), true
		}
	}
	if org := a.cfg.Organization; org != nil {
		return a.factory.Session(awsenv.Target{Name: accountID, RoleARN: a.orgRole(accountID), ExternalID: org.ExternalID}), true
	}
	return nil, false
}

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

// UnknownAccountError is a name that is not configured (nor, with an organization section, a
// member account's), with the closest known one.
type UnknownAccountError struct {
	Name    string
	Closest string
	Known   []string
	// Organization: the organization's accounts were searched too.
	Organization bool
}

func (e *UnknownAccountError) Error() string {
	msg := fmt.Sprintf("unknown account %q", e.Name)
	if e.Closest != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Closest)
	}
	if e.Organization {
		msg += ": it is neither a configured account"
		if len(e.Known) > 0 {
			msg += " (" + strings.Join(e.Known, ", ") + ")"
		}
		return msg + " nor an ACTIVE account of the organization, by name or 12-digit id"
	}
	if len(e.Known) == 0 {
		return msg + ": no accounts are configured; add them under accounts: in the config file"
	}
	return msg + "; configured accounts: " + strings.Join(e.Known, ", ")
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
		name, s, err := a.resolve(ctx, n)
		if err != nil {
			return nil, err
		}
		add(name, s)
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
	members, err := a.members(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		add(m.name, a.memberSession(m))
	}
	return out, nil
}

// resolve finds the account name names: a configured account, else, with an organization
// section, an ACTIVE member account by the name audits give it or by its id. The name
// returned is the account's (an id given for a member becomes its name).
func (a *Accounts) resolve(ctx context.Context, name string) (string, *awsenv.Session, error) {
	if acc, ok := a.cfg.Account(name); ok {
		return acc.Name, a.session(acc), nil
	}
	unknown := &UnknownAccountError{Name: name, Closest: suggest.Closest(name, a.cfg.Names()), Known: a.cfg.Names()}
	if a.cfg.Organization == nil {
		return "", nil, unknown
	}
	members, err := a.members(ctx)
	if err != nil {
		return "", nil, err
	}
	names := make([]string, len(members))
	for i, m := range members {
		if m.name == name || m.id == name {
			return m.name, a.memberSession(m), nil
		}
		names[i] = m.name
	}
	unknown.Organization = true
	if unknown.Closest == "" {
		unknown.Closest = suggest.Closest(name, names)
	}
	return "", nil, unknown
}

// member is an organization account that no configured account covers, under the name audits
// give it.
type member struct{ id, name string }

// membersTTL is how long the organization's account list is reused: a fix resolves its account
// three times (plan, approval, apply), and an organization of a thousand accounts lists them
// in fifty calls.
const membersTTL = 5 * time.Minute

// members lists the organization's ACTIVE accounts that no configured account covers, by id,
// each named as in audits: its name, or its id when it has none or shares it with an earlier
// one (or with a configured account).
func (a *Accounts) members(ctx context.Context) ([]member, error) {
	a.mu.Lock()
	if a.memberList != nil && time.Since(a.memberListAt) < membersTTL {
		defer a.mu.Unlock()
		return a.memberList, nil
	}
	a.mu.Unlock()
	orgAccounts, err := a.factory.OrganizationAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the organization's accounts (organization: in the config): %w", err)
	}
	covered := map[string]bool{}
	seen := map[string]bool{}
	for i := range a.cfg.Accounts {
		acc := &a.cfg.Accounts[i]
		seen[acc.Name] = true
		if id := roleAccount(acc.RoleARN); id != "" {
			covered[id] = true
		} else if id, err := a.accountID(ctx, acc); err == nil {
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
		id := roleAccount(acc.RoleARN)
		if id == "" {
			var err error
			if id, err = a.accountID(ctx, acc); err != nil {
				return "", fmt.Errorf("account %s (accounts[%d]) has a channel but its account id is unknown: %w", acc.Name, i, err)
			}
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
