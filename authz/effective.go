package authz

import (
	"slices"

	"github.com/rosterhq/roster"
)

// Grantor is a role as the permission rules see it.
type Grantor struct {
	RoleID      string
	RoleName    string
	Platform    bool
	Permissions []string
}

// Holdings are the facts about one user in one scope that decide their
// permissions.
type Holdings struct {
	// InCommunity is true when evaluating in a community, false at platform
	// scope.
	InCommunity bool
	Member      bool
	Owner       bool
	// Everyone and Roles are the community's everyone role and the community
	// roles the user holds (unexpired).
	Everyone Grantor
	Roles    []Grantor
	// PlatformEveryone and PlatformRoles are the platform scope's everyone role
	// and the platform roles the user holds (unexpired).
	PlatformEveryone Grantor
	PlatformRoles    []Grantor
	// Channel holds the overwrites that apply to the user when evaluating
	// in one channel of the community; nil otherwise. They apply to members
	// only: a non-member's platform permissions are the same in every
	// channel.
	Channel *Overwrites
}

// Perms is a user's effective permissions in one scope.
type Perms struct {
	// All is true when the user holds every permission; AllBecause says why.
	All        bool
	AllBecause []roster.Reason
	// Keys maps each permission held to the roles (and overwrites) that
	// grant it.
	Keys map[string][]roster.Reason
	// Denied maps each permission a channel overwrite took away (one the
	// roles, or an earlier overwrite, gave) to the overwrites that did.
	Denied map[string][]roster.Reason
}

// Has reports whether the permissions include key.
func (p Perms) Has(key string) bool {
	if p.All {
		return true
	}
	_, ok := p.Keys[key]
	return ok
}

// Explain returns, for each permission of the catalog held, the reasons it
// is held.
func (p Perms) Explain(catalog []string) map[string][]roster.Reason {
	out := make(map[string][]roster.Reason)
	for _, key := range catalog {
		if p.All {
			out[key] = p.AllBecause
		} else if r, ok := p.Keys[key]; ok {
			out[key] = r
		}
	}
	return out
}

// Refused returns, for each permission of the catalog a channel overwrite
// took away, the overwrites that did.
func (p Perms) Refused(catalog []string) map[string][]roster.Reason {
	out := make(map[string][]roster.Reason)
	for _, key := range catalog {
		if r, ok := p.Denied[key]; ok {
			out[key] = r
		}
	}
	return out
}

// List returns the permissions of the catalog held, in catalog order.
func (p Perms) List(catalog []string) []string {
	out := []string{}
	for _, key := range catalog {
		if p.Has(key) {
			out = append(out, key)
		}
	}
	return out
}

// Effective computes a user's permissions (SPEC §2): a non-member of a
// community gets only what platform roles give; the owner, or a holder of
// ADMINISTRATOR from any counted role, gets every permission; otherwise the
// union of the counted roles' permissions, changed by the channel's
// overwrites when there is a channel.
func Effective(h Holdings) Perms {
	grantors := make([]Grantor, 0, 2+len(h.Roles)+len(h.PlatformRoles))
	if h.InCommunity && h.Member {
		grantors = append(grantors, h.Everyone)
		grantors = append(grantors, h.Roles...)
	}
	grantors = append(grantors, h.PlatformEveryone)
	grantors = append(grantors, h.PlatformRoles...)

	if h.InCommunity && h.Member && h.Owner {
		return Perms{All: true, AllBecause: []roster.Reason{{Kind: roster.ReasonOwner}}}
	}
	var admins []roster.Reason
	for _, g := range grantors {
		if slices.Contains(g.Permissions, roster.PermAdministrator) {
			admins = append(admins, reason(roster.ReasonAdministrator, g))
		}
	}
	if len(admins) > 0 {
		return Perms{All: true, AllBecause: admins}
	}
	p := Perms{Keys: make(map[string][]roster.Reason), Denied: make(map[string][]roster.Reason)}
	for _, g := range grantors {
		for _, key := range g.Permissions {
			p.Keys[key] = append(p.Keys[key], reason(roster.ReasonRole, g))
		}
	}
	if h.Channel != nil && h.InCommunity && h.Member {
		applyOverwrites(&p, h.Channel)
	}
	return p
}

func reason(kind string, g Grantor) roster.Reason {
	return roster.Reason{Kind: kind, RoleID: g.RoleID, RoleName: g.RoleName, Platform: g.Platform}
}
