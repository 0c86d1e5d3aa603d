package index

import (
	"context"
	"slices"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// EffectivePermissions returns what the user may do in the scope (in the
// channel when channelID is set), and why.
func (ix *Index) EffectivePermissions(ctx context.Context, scopeID, channelID, userID string) (roster.Effective, roster.Revision, error) {
	if err := authz.Reach(roster.ActorFrom(ctx), scopeID); err != nil {
		return roster.Effective{}, 0, err
	}
	if channelID != "" && scopeID == roster.Platform {
		return roster.Effective{}, 0, roster.Invalid(roster.FieldError{Location: "channelId",
			Message: "applies only in a community: channels belong to one", Value: channelID})
	}
	v := ix.snap.Load()
	now := ix.clock()
	s, ok := v.scopes.get(scopeID)
	if !ok {
		return roster.Effective{}, 0, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", scopeID)
	}
	e := roster.Effective{CommunityID: roster.ScopeRef(scopeID), UserID: userID, Member: true}
	platform := v.platform
	h := authz.Holdings{
		PlatformEveryone: v.grantor(platform, platform.everyone, true),
		PlatformRoles:    v.held(platform, userID, &now, true),
	}
	if scopeID != roster.Platform {
		m, member := v.member(s, userID)
		if !member {
			return e, 0, roster.Errorf(roster.EMEMBERNOTFOUND, "user %s is not a member of community %s", userID, scopeID)
		}
		h.InCommunity, h.Member, h.Owner = true, true, s.owner == userID
		h.Everyone = v.grantor(s, s.everyone, false)
		h.Roles = v.held(s, userID, &now, false)
		if channelID != "" {
			ch, ok := v.channels.get(v.names.of(s.id, channelID))
			if !ok {
				return e, 0, roster.Errorf(roster.ECHANNELNOTFOUND, "channel %s not found in community %s", channelID, scopeID)
			}
			e.ChannelID = &channelID
			h.Channel = v.overwritesFor(s, &ch, m, userID, &now)
		}
	}
	perms := authz.Effective(h)
	catalog := v.catalog.sorted
	e.Owner, e.Administrator = h.Owner, perms.All
	e.Permissions = perms.List(catalog)
	e.Explain = perms.Explain(catalog)
	if h.Channel != nil {
		e.Denied = perms.Refused(catalog)
	}
	return e, v.rev, nil
}

// grantor is the role at slot as the rules see it.
func (v *snapshot) grantor(s *scope, slot uint16, platform bool) authz.Grantor {
	r := &s.roles[slot]
	return authz.Grantor{RoleID: r.id, RoleName: r.name, Platform: platform, Permissions: v.catalog.keysOf(s.perms[slot])}
}

// held returns the roles the user's live grants give, bottom to top.
func (v *snapshot) held(s *scope, user string, now *clock, platform bool) []authz.Grantor {
	var out []authz.Grantor
	grants, _ := s.holders.get(user)
	for _, slot := range s.order {
		if slices.ContainsFunc(grants, func(g grant) bool { return g.role == slot && g.live(now.at()) }) {
			out = append(out, v.grantor(s, slot, platform))
		}
	}
	return out
}

// overwritesFor returns the channel's overwrites that apply to a member.
func (v *snapshot) overwritesFor(s *scope, ch *channel, m member, user string, now *clock) *authz.Overwrites {
	ows := &authz.Overwrites{}
	who := v.names.of(s.id, user)
	bySlot := map[uint16]overwrite{}
	for _, o := range ch.overwrites() {
		switch {
		case o.member == who:
			ows.Member = &authz.Overwrite{UserID: user, Allow: v.catalog.keysOf(o.allow), Deny: v.catalog.keysOf(o.deny)}
		case o.member == name{}:
			bySlot[o.slot] = o
		}
	}
	for _, slot := range s.order {
		o, ok := bySlot[slot]
		if !ok {
			continue
		}
		r := &s.roles[slot]
		a := authz.Overwrite{RoleID: r.id, RoleName: r.name, Allow: v.catalog.keysOf(o.allow), Deny: v.catalog.keysOf(o.deny)}
		if slot == s.everyone {
			ows.Everyone = &a
		} else if m.holds(s, user, slot, now) {
			ows.Roles = append(ows.Roles, a)
		}
	}
	return ows
}
