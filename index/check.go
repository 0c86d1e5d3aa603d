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
	if err := roster.CheckBatch(checks); err != nil {
		return nil, 0, err
	}
	if err := ix.validate(checks); err != nil {
		return nil, 0, err
	}
	if err := ix.reach(ctx, minRevision); err != nil {
		return nil, 0, err
	}
	actor := roster.ActorFrom(ctx)
	out := make([]bool, len(checks))
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	now := ix.clock()
	// Checks go by runs: first every member entry of the run is asked for,
	// so that the processor fetches them from memory together.
	const run = 16
	var started [run]probe
	for at := 0; at < len(checks); at += run {
		batch := checks[at:min(at+run, len(checks))]
		for i, c := range batch {
			ix.start(c, &started[i])
		}
		for i, c := range batch {
			ok, err := ix.allowed(actor, c, &started[i], &now)
			if err != nil {
				return nil, 0, located(err, at+i)
			}
			out[at+i] = ok
		}
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
	var p probe
	ix.start(c, &p)
	ok, err := ix.allowed(actor, c, &p, &now)
	rev := ix.Revision()
	ix.mu.RUnlock()
	if err != nil {
		return false, 0, located(err, -1)
	}
	return ok, rev, nil
}

// validate names every bad field of a batch of checks at once.
func (ix *Index) validate(checks []roster.Check) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var bad []roster.FieldError
	for i, c := range checks {
		if err := ix.st.valid(c); err != nil {
			bad = append(bad, located(err, i).(*roster.Error).Fields...)
		}
	}
	if len(bad) > 0 {
		return roster.Invalid(bad...)
	}
	return nil
}

// valid returns a *badField when the check names an unregistered
// permission, or a channel without a community.
func (st *state) valid(c roster.Check) error {
	if _, ok := st.bits[c.Permission]; !ok {
		return &badField{"permission", "is not a registered permission", c.Permission}
	}
	if c.ChannelID != "" && c.CommunityID == roster.Platform {
		return &badField{"channelId", "needs a communityId: channels belong to a community", c.ChannelID}
	}
	return nil
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
	loc := b.field
	if i >= 0 {
		loc = fmt.Sprintf("checks[%d].%s", i, b.field)
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

// probe is a lookup of a check's member entry, begun before the check is
// decided: the read from memory overlaps with the work before it is needed.
type probe struct {
	who, channel    name
	at, channelAt   int
	key, channelKey uint64
}

// start begins the lookups of the check's member and channel into p. The
// caller holds the read lock.
func (ix *Index) start(c roster.Check, p *probe) {
	ns := &ix.st.names
	p.who = ns.of(c.CommunityID, c.UserID)
	p.at, p.key = ix.st.members.probe(p.who)
	if c.ChannelID != "" {
		p.channel = ns.of(c.CommunityID, c.ChannelID)
		p.channelAt, p.channelKey = ix.st.channels.probe(p.channel)
	}
}

// allowed decides one check, whose member lookup p began. The caller holds
// the read lock.
func (ix *Index) allowed(actor roster.Actor, c roster.Check, p *probe, now *clock) (bool, error) {
	st := ix.st
	b, ok := st.bits[c.Permission]
	if !ok || c.ChannelID != "" && c.CommunityID == roster.Platform {
		return false, st.valid(c)
	}
	if err := authz.Reach(actor, c.CommunityID); err != nil {
		return false, err
	}
	var f authz.Facts
	platform := st.platform
	f.All, f.Granted = platform.everyoneHas(b)
	if len(platform.holders) > 0 {
		if m, ok := st.member(platform, c.UserID); ok {
			all, granted := m.grants(platform, c.UserID, b, now)
			f.All, f.Granted = f.All || all, f.Granted || granted
		}
	}
	if c.CommunityID == roster.Platform {
		return authz.Allowed(f), nil
	}
	// A member's entry answers for the community: the scope is read only
	// when the entry is not enough.
	m := st.members.finish(p.who, p.at, p.key)
	var ch *channel
	if c.ChannelID != "" {
		if ch = st.channels.finish(p.channel, p.channelAt, p.channelKey); ch == nil {
			if _, ok := st.scopes[c.CommunityID]; !ok {
				return false, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", c.CommunityID)
			}
			return false, roster.Errorf(roster.ECHANNELNOTFOUND, "channel %s not found in community %s", c.ChannelID, c.CommunityID)
		}
	}
	if m == nil {
		if _, ok := st.scopes[c.CommunityID]; !ok && c.ChannelID == "" {
			return false, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", c.CommunityID)
		}
		return authz.Allowed(f), nil
	}
	var s *scope
	if m.flags&(expiring|partial) != 0 || b >= 64 {
		s = st.scopes[c.CommunityID]
	}
	all, granted := m.grants(s, c.UserID, b, now)
	f.All, f.Granted = f.All || all || m.flags&owner != 0, f.Granted || granted
	if c.ChannelID == "" || f.All || b < 64 && ch.named>>b&1 == 0 {
		return authz.Allowed(f), nil
	}
	ch.decide(s, *m, p.who, c.UserID, b, now, &f)
	return authz.Allowed(f), nil
}

// grants reports whether what the member holds gives ADMINISTRATOR, and
// whether it gives the permission at bit b: from their entry, or from
// their grants in s when the entry cannot tell (a grant may have expired,
// or the key is past the entry's 64 bits).
func (m member) grants(s *scope, user string, b uint16, now *clock) (all, granted bool) {
	all, granted = m.lo&1 != 0, b < 64 && m.lo>>b&1 != 0
	if all || m.flags&expiring == 0 && b < 64 {
		return all, granted
	}
	return s.slowGrants(user, b, now)
}

// everyoneHas reports whether the scope's everyone role gives ADMINISTRATOR,
// and whether it gives the permission at bit b.
func (s *scope) everyoneHas(b uint16) (all, granted bool) {
	p := s.everyonePerms()
	return p.lo&1 != 0, p.has(b)
}

// slowGrants reports whether the scope's everyone role and the user's live
// grants give ADMINISTRATOR, and whether they give the permission at bit b,
// reading the grants themselves.
func (s *scope) slowGrants(user string, b uint16, now *clock) (all, granted bool) {
	all, granted = s.everyoneHas(b)
	for _, g := range s.holders[user] {
		if g.live(now.at()) {
			p := &s.perms[g.role]
			all = all || p.lo&1 != 0
			granted = granted || p.has(b)
		}
	}
	return all, granted
}

// decide fills in which of the channel's overwrites that apply to the
// member name bit b. s is the member's scope, needed only when their entry
// is flagged.
func (ch *channel) decide(s *scope, m member, who name, user string, b uint16, now *clock, f *authz.Facts) {
	for i := range ch.n {
		var o *overwrite
		if i < len(ch.first) {
			o = &ch.first[i]
		} else {
			o = &ch.more[i-len(ch.first)]
		}
		deny, allow := o.deny.has(b), o.allow.has(b)
		switch {
		case !deny && !allow:
		case o.member == who:
			f.Stages[authz.MemberStage] = authz.Stage{Deny: deny, Allow: allow}
		case o.member != name{}:
		case o.everyone:
			f.Stages[authz.EveryoneStage] = authz.Stage{Deny: deny, Allow: allow}
		case m.holds(s, user, o.slot, now):
			roles := &f.Stages[authz.RolesStage]
			roles.Deny = roles.Deny || deny
			roles.Allow = roles.Allow || allow
		}
	}
}

// holds reports whether the member holds the role at slot through a live
// grant; s is their scope, needed only when their entry is flagged.
func (m member) holds(s *scope, user string, slot uint16, now *clock) bool {
	for _, r := range m.roles[:m.n] {
		if r == slot {
			return true
		}
	}
	if m.flags&(expiring|partial) == 0 {
		return false
	}
	for _, g := range s.holders[user] {
		if g.role == slot && g.live(now.at()) {
			return true
		}
	}
	return false
}
