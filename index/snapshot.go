package index

import (
	"slices"

	"github.com/rosterhq/roster"
)

// snapshot is one version of everything checks read, at one revision.
// Once published it never changes: checks read it without locks, while the
// follower builds the next version beside it, copying (a page, a node, a
// scope at a time) what it changes; see state.
type snapshot struct {
	rev roster.Revision
	// advanced is closed when a newer snapshot is published.
	advanced chan struct{}

	catalog *catalog
	// scopes holds the platform scope (key "") and every community.
	scopes   pmap[*scope]
	platform *scope
	// members is the checks' view of every membership, and of every holder
	// of platform roles; channels that of every channel. Both are named by
	// scope and id.
	names    names
	members  table[member]
	channels table[channel]
}

// scope is the platform scope or one community. The follower copies the
// struct before it changes it in a new generation, and its roles (no more
// than roster.MaxRolesPerScope) with it when they change; holders and
// channels are persistent maps, which copy only the path to what changes.
type scope struct {
	gen   uint64
	id    string
	owner string
	// rolesGen is the generation that made roles, byID, order and perms.
	rolesGen uint64
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
	// platform scope it holds the users with platform grants. A grants
	// slice, once in the map, is never changed.
	holders pmap[[]grant]
	// channels lists the ids of the scope's channels.
	channels pmap[struct{}]
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
func (v *snapshot) member(s *scope, user string) (member, bool) {
	return v.members.get(v.names.of(s.id, user))
}
