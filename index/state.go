package index

import (
	"slices"
	"time"

	"github.com/rosterhq/roster"
)

// state is everything checks read. It is changed only under the index's
// write lock, by loading (as a roster.StateSink) and by applying events.
type state struct {
	// bits maps each catalog key to its position; keys lists the keys by
	// position ("" for a free one).
	bits map[string]uint16
	keys []string
	// scopes holds the platform scope (key "") and every community.
	scopes map[string]*scope
	// users interns user ids, so that every scope's member maps share one
	// copy of each.
	users map[string]string
	// keysChanged is the revision of the last change to API keys.
	keysChanged roster.Revision
}

// scope is the platform scope or one community.
type scope struct {
	owner string
	// roles holds the scope's roles by slot; a free slot has no id.
	roles []role
	byID  map[string]uint16
	// order lists the slots bottom to top: a role's position is its place.
	order    []uint16
	everyone uint16
	// members maps each member to their grants, sorted by role slot. At
	// platform scope it holds the users with platform grants.
	members  map[string][]grant
	channels map[string]*channel
}

type role struct {
	id    string
	name  string
	perms set
}

// grant is one source's grant of a role; expires is in Unix microseconds,
// 0 for never.
type grant struct {
	role    uint16
	source  uint8
	expires int64
}

// Sources as grants store them.
const (
	manual uint8 = iota
	provisioning
)

func sourceOf(s roster.Source) uint8 {
	if s == roster.SourceProvisioning {
		return provisioning
	}
	return manual
}

func (g grant) live(now int64) bool { return g.expires == 0 || g.expires > now }

// channel holds a channel's overwrites: of roles (everyone's included),
// sorted by slot, and of members.
type channel struct {
	roles   []roleOverwrite
	members map[string]overwrite
}

type overwrite struct{ allow, deny set }

type roleOverwrite struct {
	slot uint16
	overwrite
}

func newState() *state {
	st := &state{bits: map[string]uint16{}, scopes: map[string]*scope{}, users: map[string]string{}}
	// ADMINISTRATOR always has position 0, so that one mask tests it.
	st.Permission(roster.PermAdministrator)
	st.scopes[roster.Platform] = newScope("")
	return st
}

func newScope(owner string) *scope {
	return &scope{owner: owner, byID: map[string]uint16{}, members: map[string][]grant{}, channels: map[string]*channel{}}
}

// user returns the interned copy of a user id.
func (st *state) user(id string) string {
	if u, ok := st.users[id]; ok {
		return u
	}
	id = string([]byte(id))
	st.users[id] = id
	return id
}

// setOf maps keys to their positions, skipping unknown ones.
func (st *state) setOf(keys []string) set {
	var s set
	for _, k := range keys {
		if b, ok := st.bits[k]; ok {
			s.add(b)
		}
	}
	return s
}

// keysOf lists the keys of a set, in catalog order.
func (st *state) keysOf(s set) []string {
	out := []string{}
	s.each(func(b uint16) {
		if int(b) < len(st.keys) && st.keys[b] != "" {
			out = append(out, st.keys[b])
		}
	})
	slices.Sort(out)
	return out
}

// Permission registers a catalog key.
func (st *state) Permission(key string) {
	if _, ok := st.bits[key]; ok {
		return
	}
	b := slices.Index(st.keys, "")
	if b < 0 {
		b = len(st.keys)
		st.keys = append(st.keys, key)
	} else {
		st.keys[b] = key
	}
	st.bits[key] = uint16(b)
}

// dropPermission frees a key's position. No role or overwrite uses it: the
// store refuses to unregister a key in use.
func (st *state) dropPermission(key string) {
	if b, ok := st.bits[key]; ok && key != roster.PermAdministrator {
		delete(st.bits, key)
		st.keys[b] = ""
	}
}

// Community adds a community, or changes its owner.
func (st *state) Community(c roster.Community) {
	owner := ""
	if c.OwnerID != nil {
		owner = st.user(*c.OwnerID)
	}
	if s, ok := st.scopes[c.ID]; ok {
		s.owner = owner
		return
	}
	st.scopes[c.ID] = newScope(owner)
}

func (st *state) dropCommunity(id string) {
	if id != roster.Platform {
		delete(st.scopes, id)
	}
}

func scopeID(community *string) string {
	if community == nil {
		return roster.Platform
	}
	return *community
}

// Role adds a role at its position, or updates it (moving it when its
// position changed).
func (st *state) Role(r roster.Role) {
	s, ok := st.scopes[scopeID(r.CommunityID)]
	if !ok {
		return
	}
	slot, exists := s.byID[r.ID]
	if !exists {
		slot = uint16(len(s.roles))
		for i, old := range s.roles {
			if old.id == "" {
				slot = uint16(i)
				break
			}
		}
		if int(slot) == len(s.roles) {
			s.roles = append(s.roles, role{})
		}
		s.byID[r.ID] = slot
		if r.Builtin == roster.BuiltinEveryone {
			s.everyone = slot
		}
	} else {
		s.order = slices.DeleteFunc(s.order, func(o uint16) bool { return o == slot })
	}
	s.roles[slot] = role{id: r.ID, name: r.Name, perms: st.setOf(r.Permissions)}
	pos := min(max(r.Position, 0), len(s.order))
	s.order = slices.Insert(s.order, pos, slot)
}

// dropRole removes a role, its grants and its overwrites.
func (st *state) dropRole(r roster.Role) {
	s, ok := st.scopes[scopeID(r.CommunityID)]
	if !ok {
		return
	}
	slot, ok := s.byID[r.ID]
	if !ok {
		return
	}
	delete(s.byID, r.ID)
	s.roles[slot] = role{}
	s.order = slices.DeleteFunc(s.order, func(o uint16) bool { return o == slot })
	for u, gs := range s.members {
		if slices.ContainsFunc(gs, func(g grant) bool { return g.role == slot }) {
			s.members[u] = slices.DeleteFunc(slices.Clone(gs), func(g grant) bool { return g.role == slot })
		}
	}
	for _, c := range s.channels {
		c.roles = slices.DeleteFunc(c.roles, func(o roleOverwrite) bool { return o.slot == slot })
	}
}

// reorder sets the order of the scope's roles above everyone.
func (st *state) reorder(community *string, ids []string) {
	s, ok := st.scopes[scopeID(community)]
	if !ok {
		return
	}
	order := []uint16{s.everyone}
	for _, id := range ids {
		if slot, ok := s.byID[id]; ok {
			order = append(order, slot)
		}
	}
	s.order = order
}

// Member adds a member with no grants.
func (st *state) Member(community, user string) {
	if s, ok := st.scopes[community]; ok && community != roster.Platform {
		if _, ok := s.members[user]; !ok {
			s.members[st.user(user)] = []grant{}
		}
	}
}

func (st *state) dropMember(community, user string) {
	if s, ok := st.scopes[community]; ok && community != roster.Platform {
		delete(s.members, user)
	}
}

// Grant adds or replaces one source's grant of a role.
func (st *state) Grant(scopeID string, a roster.Assignment) {
	s, ok := st.scopes[scopeID]
	if !ok {
		return
	}
	slot, ok := s.byID[a.RoleID]
	if !ok {
		return
	}
	gs, member := s.members[a.UserID]
	if !member && scopeID != roster.Platform {
		return
	}
	g := grant{role: slot, source: sourceOf(a.Source)}
	if a.ExpiresAt != nil {
		g.expires = a.ExpiresAt.UnixMicro()
	}
	out := make([]grant, 0, len(gs)+1)
	for _, old := range gs {
		if old.role != g.role || old.source != g.source {
			out = append(out, old)
		}
	}
	out = append(out, g)
	slices.SortFunc(out, func(a, b grant) int { return int(a.role) - int(b.role) })
	s.members[st.user(a.UserID)] = out
}

// ungrant removes one source's grant of a role.
func (st *state) ungrant(scopeID string, a roster.Assignment) {
	s, ok := st.scopes[scopeID]
	if !ok {
		return
	}
	slot, ok := s.byID[a.RoleID]
	gs, held := s.members[a.UserID]
	if !ok || !held {
		return
	}
	src := sourceOf(a.Source)
	out := slices.DeleteFunc(slices.Clone(gs), func(g grant) bool { return g.role == slot && g.source == src })
	if scopeID == roster.Platform && len(out) == 0 {
		delete(s.members, a.UserID)
		return
	}
	s.members[a.UserID] = out
}

// Channel adds a channel with its overwrites, replacing any it had.
func (st *state) Channel(c roster.Channel) {
	s, ok := st.scopes[c.CommunityID]
	if !ok {
		return
	}
	s.channels[c.ID] = &channel{}
	for _, o := range c.Overwrites {
		st.setOverwrite(c.CommunityID, o)
	}
}

func (st *state) dropChannel(community, id string) {
	if s, ok := st.scopes[community]; ok {
		delete(s.channels, id)
	}
}

// setOverwrite sets a channel's overwrite for a role or a member.
func (st *state) setOverwrite(community string, o roster.Overwrite) {
	s, c := st.channel(community, o.ChannelID)
	if c == nil {
		return
	}
	ow := overwrite{allow: st.setOf(o.Allow), deny: st.setOf(o.Deny)}
	if o.Type == roster.OverwriteMember {
		if c.members == nil {
			c.members = map[string]overwrite{}
		}
		c.members[st.user(o.ID)] = ow
		return
	}
	slot, ok := s.byID[o.ID]
	if !ok {
		return
	}
	roles := slices.DeleteFunc(slices.Clone(c.roles), func(r roleOverwrite) bool { return r.slot == slot })
	roles = append(roles, roleOverwrite{slot: slot, overwrite: ow})
	slices.SortFunc(roles, func(a, b roleOverwrite) int { return int(a.slot) - int(b.slot) })
	c.roles = roles
}

func (st *state) dropOverwrite(community string, o roster.Overwrite) {
	s, c := st.channel(community, o.ChannelID)
	if c == nil {
		return
	}
	if o.Type == roster.OverwriteMember {
		delete(c.members, o.ID)
		return
	}
	if slot, ok := s.byID[o.ID]; ok {
		c.roles = slices.DeleteFunc(slices.Clone(c.roles), func(r roleOverwrite) bool { return r.slot == slot })
	}
}

func (st *state) channel(community, id string) (*scope, *channel) {
	s, ok := st.scopes[community]
	if !ok {
		return nil, nil
	}
	return s, s.channels[id]
}

// micros is a time as grants store it.
func micros(t time.Time) int64 { return t.UnixMicro() }
