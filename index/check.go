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
	v := ix.snap.Load()
	now := ix.clock()
	// Checks go by runs: first every name of the run is hashed, then every
	// member entry asked for, in a loop short enough that the processor
	// fetches them from memory together (hashing between two reads leaves
	// it room for one or two at a time).
	const run = 16
	var started [run]probe
	for at := 0; at < len(checks); at += run {
		batch := checks[at:min(at+run, len(checks))]
		for i, c := range batch {
			v.name(c, &started[i])
		}
		for i := range batch {
			v.probe(&started[i])
		}
		for i, c := range batch {
			ok, err := v.allowed(actor, c, &started[i], &now)
			if err != nil {
				return nil, 0, located(err, at+i)
			}
			out[at+i] = ok
		}
	}
	return out, v.rev, nil
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
	v := ix.snap.Load()
	var p probe
	v.name(c, &p)
	v.probe(&p)
	ok, err := v.allowed(actor, c, &p, &now)
	if err != nil {
		return false, 0, located(err, -1)
	}
	return ok, v.rev, nil
}

// validate names every bad field of a batch of checks at once.
func (ix *Index) validate(checks []roster.Check) error {
	v := ix.snap.Load()
	var bad []roster.FieldError
	for i, c := range checks {
		if err := v.valid(c); err != nil {
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
func (v *snapshot) valid(c roster.Check) error {
	if _, ok := v.catalog.bit(c.Permission); !ok {
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
	at              *entry[member]
	channelAt       *entry[channel]
	key, channelKey uint64
}

// name names the check's member and channel (none when it names no
// channel) in p.
func (v *snapshot) name(c roster.Check, p *probe) {
	p.who = v.names.of(c.CommunityID, c.UserID)
	p.channel = name{}
	if c.ChannelID != "" {
		p.channel = v.names.of(c.CommunityID, c.ChannelID)
	}
}

// probe begins the lookups of the member and channel p names.
func (v *snapshot) probe(p *probe) {
	p.at, p.key = v.members.probe(p.who)
	if p.channel != (name{}) {
		p.channelAt, p.channelKey = v.channels.probe(p.channel)
	}
}

// allowed decides one check, whose member lookup p began.
func (v *snapshot) allowed(actor roster.Actor, c roster.Check, p *probe, now *clock) (bool, error) {
	b, ok := v.catalog.bit(c.Permission)
	if !ok || c.ChannelID != "" && c.CommunityID == roster.Platform {
		return false, v.valid(c)
	}
	if err := authz.Reach(actor, c.CommunityID); err != nil {
		return false, err
	}
	var f authz.Facts
	platform := v.platform
	f.All, f.Granted = platform.everyoneHas(b)
	if platform.holders.len() > 0 {
		if m, ok := v.member(platform, c.UserID); ok {
			all, granted := m.grants(platform, c.UserID, b, now)
			f.All, f.Granted = f.All || all, f.Granted || granted
		}
	}
	if c.CommunityID == roster.Platform {
		return authz.Allowed(f), nil
	}
	// A member's entry answers for the community: the scope is read only
	// when the entry is not enough.
	m := v.members.finish(p.who, p.at, p.key)
	var ch *channel
	if c.ChannelID != "" {
		if ch = v.channels.finish(p.channel, p.channelAt, p.channelKey); ch == nil {
			if _, ok := v.scopes.get(c.CommunityID); !ok {
				return false, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", c.CommunityID)
			}
			return false, roster.Errorf(roster.ECHANNELNOTFOUND, "channel %s not found in community %s", c.ChannelID, c.CommunityID)
		}
	}
	if m == nil {
		if _, ok := v.scopes.get(c.CommunityID); !ok && c.ChannelID == "" {
			return false, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", c.CommunityID)
		}
		return authz.Allowed(f), nil
	}
	var s *scope
	if m.flags&(expiring|partial) != 0 || b >= 64 {
		s, _ = v.scopes.get(c.CommunityID)
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
	grants, _ := s.holders.get(user)
	for _, g := range grants {
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
	grants, _ := s.holders.get(user)
	for _, g := range grants {
		if g.role == slot && g.live(now.at()) {
			return true
		}
	}
	return false
}
