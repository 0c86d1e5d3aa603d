package index

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// Check answers each check in order, at one revision of at least
// minRevision.
func (ix *Index) Check(ctx context.Context, checks []roster.Check, minRevision roster.Revision) ([]bool, roster.Revision, error) {
	if len(checks) == 0 || len(checks) > roster.MaxCheckBatch {
		return nil, 0, roster.Invalid(roster.FieldError{Location: "body.checks", Message: "must list 1 to 1000 checks", Value: len(checks)})
	}
	if err := ix.reach(ctx, minRevision); err != nil {
		return nil, 0, err
	}
	actor := roster.ActorFrom(ctx)
	out := make([]bool, len(checks))
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	now := ix.clock()
	for i, c := range checks {
		ok, err := ix.allowed(actor, c, &now)
		if err != nil {
			return nil, 0, located(err, i)
		}
		out[i] = ok
	}
	return out, ix.Revision(), nil
}

// Allowed answers one check.
func (ix *Index) Allowed(ctx context.Context, c roster.Check, minRevision roster.Revision) (bool, roster.Revision, error) {
	if minRevision > 0 {
		if err := ix.reach(ctx, minRevision); err != nil {
			return false, 0, err
		}
	}
	actor := roster.ActorFrom(ctx)
	now := ix.clock()
	ix.mu.RLock()
	ok, err := ix.allowed(actor, c, &now)
	rev := ix.Revision()
	ix.mu.RUnlock()
	if err != nil {
		return false, 0, located(err, -1)
	}
	return ok, rev, nil
}

// badField is a bad field of a check; the caller names its place in the
// request.
type badField struct {
	field, message, value string
}

func (b *badField) Error() string { return b.field + " " + b.message }

// located names the field of a bad check: in a batch at index i, or in a
// single check when i < 0.
func located(err error, i int) error {
	b, ok := err.(*badField)
	if !ok {
		return err
	}
	loc := "body." + b.field
	if i >= 0 {
		loc = fmt.Sprintf("body.checks[%d].%s", i, b.field)
	}
	return roster.Invalid(roster.FieldError{Location: loc, Message: b.message, Value: b.value})
}

// clock reads the time once, when a check first needs it.
type clock struct {
	now    roster.Clock
	micros int64
}

func (ix *Index) clock() clock { return clock{now: ix.opt.Now} }

// at returns the time in Unix microseconds.
func (c *clock) at() int64 {
	if c.micros == 0 {
		c.micros = micros(c.now())
	}
	return c.micros
}

// allowed decides one check. The caller holds the read lock.
func (ix *Index) allowed(actor roster.Actor, c roster.Check, now *clock) (bool, error) {
	st := ix.st
	b, ok := st.bits[c.Permission]
	if !ok {
		return false, &badField{"permission", "is not a registered permission", c.Permission}
	}
	if c.ChannelID != "" && c.CommunityID == roster.Platform {
		return false, &badField{"channelId", "needs a communityId: channels belong to a community", c.ChannelID}
	}
	if actor.CommunityID != "" {
		if err := actor.Reach(c.CommunityID); err != nil {
			return false, err
		}
	}
	var f authz.Facts
	platform := st.platform
	f.All, f.Granted = platform.everyoneHas(b)
	if len(platform.holders) > 0 {
		if m, ok := st.member(platform, c.UserID); ok {
			all, granted := platform.grants(m, c.UserID, b, now)
			f.All, f.Granted = f.All || all, f.Granted || granted
		}
	}
	if c.CommunityID == roster.Platform {
		return f.All || f.Granted, nil
	}
	// Start reading the member's entry, then find the scope meanwhile.
	who := st.names.of(c.CommunityID, c.UserID)
	at, key := st.members.probe(who)
	s, ok := st.scopes[c.CommunityID]
	if !ok {
		return false, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", c.CommunityID)
	}
	var ch channel
	if c.ChannelID != "" {
		if ch, ok = st.channels.get(st.names.of(s.id, c.ChannelID)); !ok {
			return false, roster.Errorf(roster.ECHANNELNOTFOUND, "channel %s not found in community %s", c.ChannelID, c.CommunityID)
		}
	}
	m, member := st.members.finish(who, at, key)
	if !member {
		return f.All || f.Granted, nil
	}
	all, granted := s.everyoneHas(b)
	f.All = f.All || all || s.owner == c.UserID
	f.Granted = f.Granted || granted
	if !f.All {
		all, granted = s.grants(m, c.UserID, b, now)
		f.All, f.Granted = all, f.Granted || granted
	}
	if c.ChannelID != "" && !f.All {
		s.overwrites(&ch, m, who, c.UserID, b, now, &f)
	}
	return authz.Allowed(f), nil
}

// everyoneHas reports whether the scope's everyone role gives ADMINISTRATOR,
// and whether it gives the permission at bit b.
func (s *scope) everyoneHas(b uint16) (all, granted bool) {
	p := &s.perms[s.everyone]
	return p.lo&1 != 0, p.has(b)
}

// grants reports whether the member's live grants give ADMINISTRATOR, and
// whether they give the permission at bit b.
func (s *scope) grants(m member, user string, b uint16, now *clock) (all, granted bool) {
	all = m.lo&1 != 0
	if b < 64 {
		granted = m.lo>>b&1 != 0
	}
	// lo answers for the first 64 keys, unless a grant may expire.
	if b < 64 && (all || !m.expiring) {
		return all, granted
	}
	for _, g := range s.holders[user] {
		if g.expires == 0 || g.expires > now.at() {
			p := &s.perms[g.role]
			all = all || p.lo&1 != 0
			granted = granted || p.has(b)
		}
	}
	return all, granted
}

// overwrites fills in which of the channel's overwrites that apply to the
// member name bit b.
func (s *scope) overwrites(ch *channel, m member, who name, user string, b uint16, now *clock, f *authz.Facts) {
	for i := range ch.overwrites {
		o := &ch.overwrites[i]
		deny, allow := o.deny.has(b), o.allow.has(b)
		switch {
		case !deny && !allow:
		case o.member == who:
			f.MemberDeny, f.MemberAllow = deny, allow
		case o.member != name{}:
		case o.slot == s.everyone:
			f.EveryoneDeny, f.EveryoneAllow = deny, allow
		case s.holds(m, user, o.slot, now):
			f.RolesDeny = f.RolesDeny || deny
			f.RolesAllow = f.RolesAllow || allow
		}
	}
}

// holds reports whether the member holds the role at slot through a live
// grant.
func (s *scope) holds(m member, user string, slot uint16, now *clock) bool {
	for _, r := range m.roles[:m.n] {
		if r == slot {
			return true
		}
	}
	if !m.expiring && !m.partial {
		return false
	}
	for _, g := range s.holders[user] {
		if g.role == slot && (g.expires == 0 || g.expires > now.at()) {
			return true
		}
	}
	return false
}
