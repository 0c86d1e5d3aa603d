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
	scopes   map[string]*scope
	platform *scope
	// users interns user ids, so that every scope's member maps share one
	// copy of each.
	users map[string]string
	// now is the clock; expiries holds, for each member with grants yet to
	// expire, the first such expiry, when their entry must be refreshed.
	now      roster.Clock
	expiries map[expiryKey]int64
	// members is the checks' view of every membership, and of every holder
	// of platform roles; channels that of every channel. Both are named by
	// scope and id.
	names    names
	members  table[member]
	channels table[channel]
}

// scope is the platform scope or one community.
type scope struct {
	id    string
	owner string
	// roles holds the scope's roles by slot; a free slot has no id.
	roles []role
	byID  map[string]uint16
	// order lists the slots bottom to top: a role's position is its place.
	order    []uint16
	everyone uint16
	// perms holds each slot's permissions, apart from the rest of the role
	// so that checks read a dense array.
	perms []set
	// holders maps each member to their grants, sorted by role slot. At
	// platform scope it holds the users with platform grants.
	holders map[string][]grant
	// channels lists the ids of the scope's channels.
	channels map[string]bool
}

type role struct {
	id   string
	name string
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

// channel holds a channel's overwrites: of roles (everyone's included) by
// slot, then of members, named as in the members table. The first few live
// in the channel's table entry, the rest in more.
type channel struct {
	// named holds the first 64 bits of every key an overwrite names.
	named uint64
	n     int
	first [inlineOverwrites]overwrite
	more  []overwrite
}

const inlineOverwrites = 4

func channelOf(list []overwrite) channel {
	c := channel{n: len(list)}
	for _, o := range list {
		c.named |= o.allow.lo | o.deny.lo
	}
	copy(c.first[:], list)
	if len(list) > len(c.first) {
		c.more = slices.Clone(list[len(c.first):])
	}
	return c
}

// overwrites returns the channel's overwrites, in a new slice.
func (c *channel) overwrites() []overwrite {
	return append(slices.Clone(c.first[:min(c.n, len(c.first))]), c.more...)
}

// overwrite is a role's (member is zero) or a member's overwrite.
type overwrite struct {
	member      name
	slot        uint16
	everyone    bool
	allow, deny set
}

// expiryKey names a member for their next expiry.
type expiryKey struct {
	scope *scope
	user  string
}

func newState(now roster.Clock) *state {
	st := &state{now: now, expiries: map[expiryKey]int64{}, bits: map[string]uint16{}, scopes: map[string]*scope{}, users: map[string]string{},
		names: newNames(), members: newTable[member](), channels: newTable[channel]()}
	// ADMINISTRATOR always has position 0, so that one mask tests it, and
	// the built-in keys come next, within the first 64 whatever the catalog.
	for _, k := range roster.BuiltinPermissions {
		st.Permission(k)
	}
	st.platform = st.newScope(roster.Platform, "")
	st.scopes[roster.Platform] = st.platform
	return st
}

func (st *state) newScope(id, owner string) *scope {
	return &scope{id: id, owner: owner, byID: map[string]uint16{}, holders: map[string][]grant{}, channels: map[string]bool{}}
}

var noPerms set

// everyonePerms returns the permissions of the scope's everyone role (none
// before the role is known).
func (s *scope) everyonePerms() *set {
	if int(s.everyone) >= len(s.perms) {
		return &noPerms
	}
	return &s.perms[s.everyone]
}

// member returns the checks' view of the user in the scope.
func (st *state) member(s *scope, user string) (member, bool) {
	return st.members.get(st.names.of(s.id, user))
}

// refresh rebuilds the checks' view of the user in the scope from their
// grants, or removes it when they are no longer a member (or, at platform
// scope, hold nothing).
func (st *state) refresh(s *scope, user string) {
	grants, ok := s.holders[user]
	delete(st.expiries, expiryKey{s, user})
	if !ok {
		st.members.del(st.names.of(s.id, user))
		return
	}
	var m member
	var now, next int64
	if s != st.platform {
		m.lo = s.everyonePerms().lo
		if s.owner == user {
			m.flags |= owner
		}
	}
	for i, g := range grants {
		if g.expires != 0 && now == 0 {
			now = micros(st.now())
		}
		switch {
		case !g.live(now):
			// Expired: it counts no more.
		case g.expires != 0:
			m.flags |= expiring
			if next == 0 || g.expires < next {
				next = g.expires
			}
		case i > 0 && grants[i-1].role == g.role && grants[i-1].expires == 0:
		case m.n == inlineRoles:
			m.flags |= partial
			m.lo |= s.perms[g.role].lo
		default:
			m.roles[m.n] = g.role
			m.n++
			m.lo |= s.perms[g.role].lo
		}
	}
	st.members.put(st.names.of(s.id, user), m)
	if next != 0 {
		st.expiries[expiryKey{s, st.user(user)}] = next
	}
}

// due reports whether some member's grant has expired since their entry
// was made.
func (st *state) due() bool {
	now := micros(st.now())
	for _, at := range st.expiries {
		if at <= now {
			return true
		}
	}
	return false
}

// sweep refreshes the members whose grants have expired since their entry
// was made, so that their checks read the entry alone again.
func (st *state) sweep() {
	now := micros(st.now())
	for k, at := range st.expiries {
		if at <= now {
			st.refresh(k.scope, k.user)
		}
	}
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
		was := s.owner
		s.owner = owner
		st.refresh(s, was)
		st.refresh(s, owner)
		return
	}
	st.scopes[c.ID] = st.newScope(c.ID, owner)
}

func (st *state) dropCommunity(id string) {
	s, ok := st.scopes[id]
	if !ok || id == roster.Platform {
		return
	}
	delete(st.scopes, id)
	users := s.holders
	s.holders = nil
	for u := range users {
		st.refresh(s, u)
	}
	for id := range s.channels {
		st.channels.del(st.names.of(s.id, id))
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
			s.perms = append(s.perms, set{})
		}
		s.byID[r.ID] = slot
		if r.Builtin == roster.BuiltinEveryone {
			s.everyone = slot
		}
	} else {
		s.order = slices.DeleteFunc(s.order, func(o uint16) bool { return o == slot })
	}
	s.roles[slot] = role{id: r.ID, name: r.Name}
	perms := st.setOf(r.Permissions)
	changed := exists && perms.lo != s.perms[slot].lo
	s.perms[slot] = perms
	if changed {
		st.eachHolder(s, slot, func(string, []grant) []grant { return nil })
	}
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
	s.roles[slot], s.perms[slot] = role{}, set{}
	s.order = slices.DeleteFunc(s.order, func(o uint16) bool { return o == slot })
	st.eachHolder(s, slot, func(_ string, gs []grant) []grant {
		return slices.DeleteFunc(gs, func(g grant) bool { return g.role == slot })
	})
	for id := range s.channels {
		st.editChannel(s, id, func(list []overwrite) []overwrite {
			return slices.DeleteFunc(list, func(o overwrite) bool { return o.member == (name{}) && o.slot == slot })
		})
	}
}

// eachHolder calls edit for each user holding the role at slot (every
// member, for everyone's slot); when it returns grants, they replace the
// user's. Then it refreshes the user's entry.
func (st *state) eachHolder(s *scope, slot uint16, edit func(user string, grants []grant) []grant) {
	for u, gs := range s.holders {
		if slot != s.everyone && !slices.ContainsFunc(gs, func(g grant) bool { return g.role == slot }) {
			continue
		}
		if gs := edit(u, gs); gs != nil {
			s.holders[u] = gs
			if len(gs) == 0 && s == st.platform {
				delete(s.holders, u)
			}
		}
		st.refresh(s, u)
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
		if _, ok := s.holders[user]; !ok {
			s.holders[st.user(user)] = []grant{}
			st.refresh(s, user)
		}
	}
}

func (st *state) dropMember(community, user string) {
	if s, ok := st.scopes[community]; ok && community != roster.Platform {
		delete(s.holders, user)
		st.refresh(s, user)
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
	gs, member := s.holders[a.UserID]
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
	s.holders[st.user(a.UserID)] = out
	st.refresh(s, a.UserID)
}

// ungrant removes one source's grant of a role.
func (st *state) ungrant(scopeID string, a roster.Assignment) {
	s, ok := st.scopes[scopeID]
	if !ok {
		return
	}
	slot, ok := s.byID[a.RoleID]
	gs, held := s.holders[a.UserID]
	if !ok || !held {
		return
	}
	src := sourceOf(a.Source)
	gs = slices.DeleteFunc(gs, func(g grant) bool { return g.role == slot && g.source == src })
	if scopeID == roster.Platform && len(gs) == 0 {
		delete(s.holders, a.UserID)
	} else {
		s.holders[a.UserID] = gs
	}
	st.refresh(s, a.UserID)
}

// Channel adds a channel with its overwrites, replacing any it had.
func (st *state) Channel(c roster.Channel) {
	s, ok := st.scopes[c.CommunityID]
	if !ok {
		return
	}
	s.channels[c.ID] = true
	st.channels.put(st.names.of(s.id, c.ID), channel{})
	for _, o := range c.Overwrites {
		st.setOverwrite(c.CommunityID, o)
	}
}

func (st *state) dropChannel(community, id string) {
	if s, ok := st.scopes[community]; ok {
		delete(s.channels, id)
		st.channels.del(st.names.of(s.id, id))
	}
}

// setOverwrite sets a channel's overwrite for a role or a member.
func (st *state) setOverwrite(community string, o roster.Overwrite) {
	s, ow, ok := st.overwriteOf(community, o)
	if !ok {
		return
	}
	st.editChannel(s, o.ChannelID, func(list []overwrite) []overwrite {
		list = append(slices.DeleteFunc(list, ow.same), ow)
		slices.SortFunc(list, func(a, b overwrite) int {
			if am, bm := a.member != (name{}), b.member != (name{}); am != bm {
				if am {
					return 1
				}
				return -1
			}
			return int(a.slot) - int(b.slot)
		})
		return list
	})
}

func (st *state) dropOverwrite(community string, o roster.Overwrite) {
	s, ow, ok := st.overwriteOf(community, o)
	if !ok {
		return
	}
	st.editChannel(s, o.ChannelID, func(list []overwrite) []overwrite { return slices.DeleteFunc(list, ow.same) })
}

// overwriteOf returns an overwrite as the index holds it, with its scope;
// false when its community or role is unknown.
func (st *state) overwriteOf(community string, o roster.Overwrite) (*scope, overwrite, bool) {
	s, ok := st.scopes[community]
	if !ok {
		return nil, overwrite{}, false
	}
	ow := overwrite{allow: st.setOf(o.Allow), deny: st.setOf(o.Deny)}
	if o.Type == roster.OverwriteMember {
		ow.member = st.names.of(s.id, o.ID)
	} else if ow.slot, ok = s.byID[o.ID]; !ok {
		return nil, overwrite{}, false
	}
	ow.everyone = ow.member == name{} && ow.slot == s.everyone
	return s, ow, true
}

// same reports whether two overwrites have the same target.
func (o overwrite) same(other overwrite) bool {
	return o.member == other.member && (o.member != name{} || o.slot == other.slot)
}

// editChannel changes the overwrites of a channel of the scope, if it
// exists.
func (st *state) editChannel(s *scope, id string, edit func([]overwrite) []overwrite) {
	n := st.names.of(s.id, id)
	c, ok := st.channels.get(n)
	if !ok {
		return
	}
	st.channels.put(n, channelOf(edit(c.overwrites())))
}

// micros is a time as grants store it.
func micros(t time.Time) int64 { return t.UnixMicro() }
