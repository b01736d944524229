package commands

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Groups resolves a user group to its members (Slack: usergroups.users.list).
type Groups interface {
	Members(ctx context.Context, groupID string) ([]string, error)
}

// Policy says who may do what where. Empty lists allow everyone and every channel.
type Policy struct {
	// Channels are the channel ids commands may be used in (config slack.allowed_channels).
	Channels []string
	// Auditors are user ids (U…, W…) and user group ids (S…) who may run audits
	// (config slack.auditors).
	Auditors []string
	// Approvers are user ids and user group ids who may approve or reject fix requests
	// (config remediation.approvers); empty, nobody may.
	Approvers []string
	// RequireSecondPerson refuses a requester's approval of their own fix request
	// (config remediation.require_second_person).
	RequireSecondPerson bool
	Groups              Groups
	// GroupTTL is how long a group's membership is trusted before it is asked again.
	GroupTTL time.Duration

	cacheOnce sync.Once
	cache     *lru.Cache[string, groupEntry] // group id → members, bounded
}

// maxCachedGroups bounds the membership cache; a workspace's approver and auditor lists name a
// handful of groups.
const maxCachedGroups = 256

// groupEntry is a group's members as asked at a time. Expiry is checked on read, so the cache
// needs no goroutine of its own.
type groupEntry struct {
	members []string
	at      time.Time
}

// Allow decides a request; why is the sentence to show when it is refused.
func (p *Policy) Allow(ctx context.Context, user, channel string, auditor bool) (ok bool, why string) {
	if ok, why := p.AllowChannel(channel); !ok {
		return false, why
	}
	if !auditor || len(p.Auditors) == 0 {
		return true, ""
	}
	in, err := p.listed(ctx, user, p.Auditors, false)
	switch {
	case err != nil:
		return false, "cisbot could not check your user group membership (" + err.Error() + "); try again, or ask an admin."
	case !in:
		return false, "You are not allowed to run audits: ask an admin to add you (or one of your user groups) to slack.auditors."
	}
	return true, ""
}

// AllowChannel decides whether the bot works in a channel (slack.allowed_channels) now.
func (p *Policy) AllowChannel(channel string) (ok bool, why string) {
	if len(p.Channels) > 0 && !slices.Contains(p.Channels, channel) {
		return false, "cisbot does not take commands in this channel. Use it in " + channelList(p.Channels) + ", or ask an admin to add this channel to slack.allowed_channels."
	}
	return true, ""
}

// AllowApprove decides whether user may approve or reject fix requests; why is the sentence to
// show when not. User groups are asked at every call, never answered from the cache: someone
// removed from the approvers' group a minute ago must not approve a change to an account.
func (p *Policy) AllowApprove(ctx context.Context, user string) (ok bool, why string) {
	if len(p.Approvers) == 0 {
		return false, "Nobody may approve fixes yet: ask an admin to list the approvers in remediation.approvers."
	}
	in, err := p.listed(ctx, user, p.Approvers, true)
	switch {
	case err != nil:
		return false, "cisbot could not check your user group membership (" + err.Error() + "); try again, or ask an admin."
	case !in:
		return false, "You are not allowed to approve fixes: ask an admin to add you (or one of your user groups) to remediation.approvers."
	}
	return true, ""
}

// listed reports whether user is in ids, directly or through a user group (S…); fresh asks
// for each group's members instead of trusting the cache.
func (p *Policy) listed(ctx context.Context, user string, ids []string, fresh bool) (bool, error) {
	if slices.Contains(ids, user) {
		return true, nil
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "S") || p.Groups == nil {
			continue
		}
		members, err := p.members(ctx, id, fresh)
		if err != nil {
			return false, err
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, nil
}

func (p *Policy) members(ctx context.Context, group string, fresh bool) ([]string, error) {
	p.cacheOnce.Do(func() {
		p.cache, _ = lru.New[string, groupEntry](maxCachedGroups) // fails only for a size below 1
	})
	ttl := cmp.Or(p.GroupTTL, 5*time.Minute)
	if e, ok := p.cache.Get(group); ok && !fresh && time.Since(e.at) < ttl {
		return e.members, nil
	}
	m, err := p.Groups.Members(ctx, group)
	if err != nil {
		return nil, err
	}
	p.cache.Add(group, groupEntry{members: m, at: time.Now()})
	return m, nil
}

func channelList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "<#" + id + ">"
	}
	return strings.Join(parts, ", ")
}
