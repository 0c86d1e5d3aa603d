package index

import (
	"maps"
	"slices"
	"time"

	"github.com/rosterhq/roster"
)

// state is the follower's: the snapshot it is building, by loading (as a
// roster.StateSink) and by applying events, and what only following needs.
// Only the follower, one at a time, reads or changes it.
//
// Its snapshot's parts carry the generation that made them. The parts gen
// made are the state's alone, and change in place; the others may be in a
// published snapshot, and are copied first. Publishing a snapshot ends the
// generation, so that what it made is never changed again.
type state struct {
	snapshot
	gen uint64
	// users interns user ids, so that every scope's holders share one copy
	// of each.
	users map[string]string
	// now is the clock; expiries holds, for each member with grants yet to
	// expire, the first such expiry, when their entry must be refreshed.
	now      roster.Clock
	expiries map[expiryKey]int64
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

// expiryKey names a member for their next expiry.
type expiryKey struct {
	scope, user string
}

func newState(now roster.Clock) *state {
	const gen = 1
	st := &state{gen: gen, now: now, expiries: map[expiryKey]int64{}, users: map[string]string{}}
	st.snapshot = snapshot{catalog: newCatalog(gen),
		names: newNames(), members: newTable[member](gen), channels: newTable[channel](gen)}
	// ADMINISTRATOR always has position 0, so that one mask tests it, and
	// the built-in keys come next, within the first 64 whatever the catalog.
	for _, k := range roster.BuiltinPermissions {
		st.Permission(k)
	}
	st.platform = st.newScope(roster.Platform, "")
	st.scopes.put(gen, roster.Platform, st.platform)
	return st
}

// publish returns the snapshot built, at revision rev, and ends the
// generation.
func (st *state) publish(rev roster.Revision) *snapshot {
	v := st.snapshot
	v.rev, v.advanced = rev, make(chan struct{})
	st.gen++
	return &v
}

func (st *state) newScope(id, owner string) *scope {
	return &scope{gen: st.gen, rolesGen: st.gen, id: id, owner: owner, byID: map[string]uint16{}}
}

// edit returns the scope to change: s itself when this generation made it,
// else a copy, which replaces s in the state.
func (st *state) edit(s *scope) *scope {
	if s.gen == st.gen {
		return s
	}
	c := *s
	c.gen = st.gen
	st.scopes.put(st.gen, c.id, &c)
	if c.id == roster.Platform {
		st.platform = &c
	}
	return &c
}

// editRoles returns the scope to change its roles: edit's, with its roles
// copied unless this generation made them.
func (st *state) editRoles(s *scope) *scope {
	s = st.edit(s)
	if s.rolesGen != st.gen {
		s.rolesGen = st.gen
		s.roles, s.byID, s.order, s.perms = slices.Clone(s.roles), maps.Clone(s.byID), slices.Clone(s.order), slices.Clone(s.perms)
	}
	return s
}

// editCatalog returns the catalog to change: a copy unless this generation
// made it.
func (st *state) editCatalog() *catalog {
	if c := st.catalog; c.gen != st.gen {
		st.catalog = c.copyAt(st.gen)
	}
	return st.catalog
}

func (st *state) scope(id string) (*scope, bool) { return st.scopes.get(id) }

// refresh rebuilds the checks' view of the user in the scope from their
// grants, or removes it when they are no longer a member (or, at platform
// scope, hold nothing).
func (st *state) refresh(s *scope, user string) {
	grants, ok := s.holders.get(user)
	delete(st.expiries, expiryKey{s.id, user})
	who := st.names.of(s.id, user)
	if !ok {
		st.members.del(st.gen, who)
		return
	}
	var m member
	var now, next int64
	if s.id != roster.Platform {
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
	st.members.put(st.gen, who, m)
	if next != 0 {
		st.expiries[expiryKey{s.id, st.user(user)}] = next
	}
}

// sweep refreshes the members whose grants have expired since their entry
// was made, so that their checks read the entry alone again, and reports
// whether there were any.
func (st *state) sweep() bool {
	now := micros(st.now())
	swept := false
	for k, at := range st.expiries {
		if at > now {
			continue
		}
		swept = true
		if s, ok := st.scope(k.scope); ok {
			st.refresh(s, k.user)
		} else {
			delete(st.expiries, k)
		}
	}
	return swept
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

// Permission registers a catalog key.
func (st *state) Permission(key string) {
	if _, ok := st.catalog.bit(key); !ok {
		st.editCatalog().add(key)
	}
}

// dropPermission frees a key's position. No role or overwrite uses it: the
// store refuses to unregister a key in use.
func (st *state) dropPermission(key string) {
	if _, ok := st.catalog.bit(key); ok && key != roster.PermAdministrator {
		st.editCatalog().drop(key)
	}
}

// Community adds a community, or changes its owner.
func (st *state) Community(c roster.Community) {
	owner := ""
	if c.OwnerID != nil {
		owner = st.user(*c.OwnerID)
	}
	if s, ok := st.scope(c.ID); ok {
		was := s.owner
		s = st.edit(s)
		s.owner = owner
		st.refresh(s, was)
		st.refresh(s, owner)
		return
	}
	st.scopes.put(st.gen, c.ID, st.newScope(c.ID, owner))
}

func (st *state) dropCommunity(id string) {
	s, ok := st.scope(id)
	if !ok || id == roster.Platform {
		return
	}
	st.scopes.del(st.gen, id)
	// Refreshed with no holders, the members' entries go.
	gone := *s
	gone.holders = pmap[[]grant]{}
	s.holders.each(func(u string, _ []grant) { st.refresh(&gone, u) })
	s.channels.each(func(id string, _ struct{}) { st.channels.del(st.gen, st.names.of(s.id, id)) })
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
	s, ok := st.scope(scopeID(r.CommunityID))
	if !ok {
		return
	}
	s = st.editRoles(s)
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
	perms := st.catalog.setOf(r.Permissions)
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
	s, ok := st.scope(scopeID(r.CommunityID))
	if !ok {
		return
	}
	slot, ok := s.byID[r.ID]
	if !ok {
		return
	}
	s = st.editRoles(s)
	delete(s.byID, r.ID)
	s.roles[slot], s.perms[slot] = role{}, set{}
	s.order = slices.DeleteFunc(s.order, func(o uint16) bool { return o == slot })
	st.eachHolder(s, slot, func(_ string, gs []grant) []grant {
		return slices.DeleteFunc(slices.Clone(gs), func(g grant) bool { return g.role == slot })
	})
	s.channels.each(func(id string, _ struct{}) {
		st.editChannel(s, id, func(list []overwrite) []overwrite {
			return slices.DeleteFunc(list, func(o overwrite) bool { return o.member == (name{}) && o.slot == slot })
		})
	})
}

// eachHolder calls edit for each user holding the role at slot (every
// member, for everyone's slot); when it returns grants, they replace the
// user's. Then it refreshes the user's entry. s is this generation's.
func (st *state) eachHolder(s *scope, slot uint16, edit func(user string, grants []grant) []grant) {
	var users []string
	s.holders.each(func(u string, gs []grant) {
		if slot == s.everyone || slices.ContainsFunc(gs, func(g grant) bool { return g.role == slot }) {
			users = append(users, u)
		}
	})
	for _, u := range users {
		gs, _ := s.holders.get(u)
		if gs := edit(u, gs); gs != nil {
			if len(gs) == 0 && s.id == roster.Platform {
				s.holders.del(st.gen, u)
			} else {
				s.holders.put(st.gen, u, gs)
			}
		}
		st.refresh(s, u)
	}
}

// reorder sets the order of the scope's roles above everyone.
func (st *state) reorder(community *string, ids []string) {
	s, ok := st.scope(scopeID(community))
	if !ok {
		return
	}
	s = st.editRoles(s)
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
	if s, ok := st.scope(community); ok && community != roster.Platform {
		if _, ok := s.holders.get(user); !ok {
			s = st.edit(s)
			s.holders.put(st.gen, st.user(user), []grant{})
			st.refresh(s, user)
		}
	}
}

func (st *state) dropMember(community, user string) {
	if s, ok := st.scope(community); ok && community != roster.Platform {
		s = st.edit(s)
		s.holders.del(st.gen, user)
		st.refresh(s, user)
	}
}

// Grant adds or replaces one source's grant of a role.
func (st *state) Grant(scopeID string, a roster.Assignment) {
	s, ok := st.scope(scopeID)
	if !ok {
		return
	}
	slot, ok := s.byID[a.RoleID]
	if !ok {
		return
	}
	gs, member := s.holders.get(a.UserID)
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
	s = st.edit(s)
	s.holders.put(st.gen, st.user(a.UserID), out)
	st.refresh(s, a.UserID)
}

// ungrant removes one source's grant of a role.
func (st *state) ungrant(scopeID string, a roster.Assignment) {
	s, ok := st.scope(scopeID)
	if !ok {
		return
	}
	slot, ok := s.byID[a.RoleID]
	gs, held := s.holders.get(a.UserID)
	if !ok || !held {
		return
	}
	src := sourceOf(a.Source)
	gs = slices.DeleteFunc(slices.Clone(gs), func(g grant) bool { return g.role == slot && g.source == src })
	s = st.edit(s)
	if scopeID == roster.Platform && len(gs) == 0 {
		s.holders.del(st.gen, a.UserID)
	} else {
		s.holders.put(st.gen, a.UserID, gs)
	}
	st.refresh(s, a.UserID)
}

// Channel adds a channel with its overwrites, replacing any it had.
func (st *state) Channel(c roster.Channel) {
	s, ok := st.scope(c.CommunityID)
	if !ok {
		return
	}
	if _, ok := s.channels.get(c.ID); !ok {
		s = st.edit(s)
		s.channels.put(st.gen, c.ID, struct{}{})
	}
	st.channels.put(st.gen, st.names.of(s.id, c.ID), channel{})
	for _, o := range c.Overwrites {
		st.setOverwrite(c.CommunityID, o)
	}
}

func (st *state) dropChannel(community, id string) {
	if s, ok := st.scope(community); ok {
		s = st.edit(s)
		s.channels.del(st.gen, id)
		st.channels.del(st.gen, st.names.of(s.id, id))
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
	s, ok := st.scope(community)
	if !ok {
		return nil, overwrite{}, false
	}
	ow := overwrite{allow: st.catalog.setOf(o.Allow), deny: st.catalog.setOf(o.Deny)}
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
// exists. edit is given a new slice.
func (st *state) editChannel(s *scope, id string, edit func([]overwrite) []overwrite) {
	n := st.names.of(s.id, id)
	c, ok := st.channels.get(n)
	if !ok {
		return
	}
	st.channels.put(st.gen, n, channelOf(edit(c.overwrites())))
}

// micros is a time as grants store it.
func micros(t time.Time) int64 { return t.UnixMicro() }
