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
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := ix.st
	now := ix.clock()
	s, ok := st.scopes[scopeID]
	if !ok {
		return roster.Effective{}, 0, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", scopeID)
	}
	e := roster.Effective{CommunityID: roster.ScopeRef(scopeID), UserID: userID, Member: true}
	platform := st.platform
	h := authz.Holdings{
		PlatformEveryone: st.grantor(platform, platform.everyone, true),
		PlatformRoles:    st.held(platform, userID, &now, true),
	}
	if scopeID != roster.Platform {
		m, member := st.member(s, userID)
		if !member {
			return e, 0, roster.Errorf(roster.EMEMBERNOTFOUND, "user %s is not a member of community %s", userID, scopeID)
		}
		h.InCommunity, h.Member, h.Owner = true, true, s.owner == userID
		h.Everyone = st.grantor(s, s.everyone, false)
		h.Roles = st.held(s, userID, &now, false)
		if channelID != "" {
			ch, ok := st.channels.get(st.names.of(s.id, channelID))
			if !ok {
				return e, 0, roster.Errorf(roster.ECHANNELNOTFOUND, "channel %s not found in community %s", channelID, scopeID)
			}
			e.ChannelID = &channelID
			h.Channel = st.overwritesFor(s, &ch, m, userID, &now)
		}
	}
	perms := authz.Effective(h)
	catalog := st.catalog()
	e.Owner, e.Administrator = h.Owner, perms.All
	e.Permissions = perms.List(catalog)
	e.Explain = perms.Explain(catalog)
	if h.Channel != nil {
		e.Denied = perms.Refused(catalog)
	}
	return e, ix.Revision(), nil
}

// catalog lists the registered keys in order.
func (st *state) catalog() []string {
	keys := make([]string, 0, len(st.bits))
	for k := range st.bits {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// grantor is the role at slot as the rules see it.
func (st *state) grantor(s *scope, slot uint16, platform bool) authz.Grantor {
	r := &s.roles[slot]
	return authz.Grantor{RoleID: r.id, RoleName: r.name, Platform: platform, Permissions: st.keysOf(s.perms[slot])}
}

// held returns the roles the user's live grants give, bottom to top.
func (st *state) held(s *scope, user string, now *clock, platform bool) []authz.Grantor {
	var out []authz.Grantor
	grants := s.holders[user]
	for _, slot := range s.order {
		if slices.ContainsFunc(grants, func(g grant) bool { return g.role == slot && g.live(now.at()) }) {
			out = append(out, st.grantor(s, slot, platform))
		}
	}
	return out
}

// overwritesFor returns the channel's overwrites that apply to a member.
func (st *state) overwritesFor(s *scope, ch *channel, m member, user string, now *clock) *authz.Overwrites {
	ows := &authz.Overwrites{}
	who := st.names.of(s.id, user)
	bySlot := map[uint16]overwrite{}
	for _, o := range ch.overwrites() {
		switch {
		case o.member == who:
			ows.Member = &authz.Overwrite{UserID: user, Allow: st.keysOf(o.allow), Deny: st.keysOf(o.deny)}
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
		a := authz.Overwrite{RoleID: r.id, RoleName: r.name, Allow: st.keysOf(o.allow), Deny: st.keysOf(o.deny)}
		if slot == s.everyone {
			ows.Everyone = &a
		} else if m.holds(s, user, slot, now) {
			ows.Roles = append(ows.Roles, a)
		}
	}
	return ows
}
