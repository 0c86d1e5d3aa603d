package authz

import (
	"slices"

	"github.com/rosterhq/roster"
)

// Pair is one (user, role) of a change, with the sources through which the
// user holds the role now (unexpired grants only).
type Pair struct {
	User string
	Role RoleFacts
	Held []roster.Source
}

// ChangeFacts are the facts that decide adding or removing roles: the
// change asked for and the state it meets.
type ChangeFacts struct {
	Actor Subject
	// Single is true for the one-role routes, where removing a role not
	// held, or held only through another source, is an error rather than
	// an outcome.
	Single bool
	Source roster.Source
	Pairs  []Pair
	// HasOwner is true in a community with an owner, which stays
	// administrable through them: last_admin does not apply there.
	HasOwner bool
	// Platform is true at platform scope.
	Platform bool
	// AdminHolders are the users who hold the scope's admin role now,
	// needed only when NeedsAdminHolders.
	AdminHolders []string
}

// NeedsAdminHolders reports whether a removal with these facts (Pairs and
// HasOwner set) is decided by AdminHolders: when it removes the admin role
// from a scope no owner keeps.
func (c ChangeFacts) NeedsAdminHolders() bool {
	return !c.HasOwner && slices.ContainsFunc(c.Pairs, func(p Pair) bool { return p.Role.Builtin == roster.BuiltinAdmin })
}

// AddRoles decides adding roles and returns the outcome of each pair, in
// order: added, or already_held from the same source. Only a key acting as
// itself may change provisioning grants; a user needs MANAGE_ROLES and may
// only give roles below their highest; everyone is never assigned.
func AddRoles(f ChangeFacts) ([]string, error) { return changeRoles(f, false) }

// RemoveRoles decides removing roles and returns the outcome of each pair,
// in order: removed, retained (another source still gives it), kept or
// not_held. A manual removal never removes a provisioning grant: in a batch,
// a pair held only through provisioning is kept and the other pairs apply;
// the single removal of such a role is refused (granted_by_source). Nobody
// removes admin from themselves, and a scope without an owner keeps an admin
// holder (last_admin); otherwise as AddRoles.
func RemoveRoles(f ChangeFacts) ([]string, error) { return changeRoles(f, true) }

// changeRoles decides a change. When several rules refuse it, the error is
// the first in SPEC §3's order, over all pairs: source_not_allowed, then
// role_not_held (single removals), then cannot_remove_own_admin, missing_permission,
// role_hierarchy, then the conflicts role_not_assignable, granted_by_source
// (single removals) and last_admin.
func changeRoles(c ChangeFacts, remove bool) ([]string, error) {
	if c.Source == roster.SourceProvisioning && c.Actor.User != "" {
		return nil, roster.Errorf(roster.ESOURCENOTALLOWED, "only an API key acting as itself may change provisioning grants")
	}
	out := make([]string, len(c.Pairs))
	for i, p := range c.Pairs {
		out[i] = outcome(remove, c.Source, p.Held)
		if c.Single && out[i] == roster.NotHeld && p.Role.Builtin != roster.BuiltinEveryone {
			return nil, roster.Errorf(roster.EROLENOTHELD, "user %s does not hold role %s through source %s", p.User, p.Role.ID, c.Source)
		}
	}
	if remove {
		for _, p := range c.Pairs {
			if p.Role.Builtin == roster.BuiltinAdmin && p.User == c.Actor.User {
				return nil, roster.Errorf(roster.ECANNOTREMOVEADMIN, "you cannot remove the admin role from yourself")
			}
		}
	}
	if err := Require(c.Actor, roster.PermManageRoles); err != nil {
		return nil, err
	}
	for _, p := range c.Pairs {
		if err := below(c.Actor, p.Role.Position, p.Role.what()); err != nil {
			return nil, err
		}
	}
	for _, p := range c.Pairs {
		if p.Role.Builtin == roster.BuiltinEveryone {
			return nil, roster.Errorf(roster.EROLENOTASSIGNABLE, "everyone is held implicitly: it cannot be assigned or removed")
		}
	}
	for i, p := range c.Pairs {
		switch {
		case out[i] != grantedBySource:
		case !c.Single:
			out[i] = roster.Kept
		default:
			return nil, roster.Errorf(roster.EGRANTEDBYSOURCE, "user %s holds role %s only through %s grants, which a %s removal does not remove",
				p.User, p.Role.ID, otherSource(c.Source), c.Source).With("userId", p.User).With("roleId", p.Role.ID)
		}
	}
	if remove && !c.HasOwner {
		if err := keepAdmin(c, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// grantedBySource is the interim outcome of removing a role held only
// through another source; changeRoles turns it into kept in a batch and an
// error for a single removal.
const grantedBySource = "granted_by_source"

func outcome(remove bool, src roster.Source, held []roster.Source) string {
	has := slices.Contains(held, src)
	switch {
	case !remove && has:
		return roster.AlreadyHeld
	case !remove:
		return roster.Added
	case has && len(held) > 1:
		return roster.Retained
	case has:
		return roster.Removed
	case len(held) > 0 && src == roster.SourceManual:
		return grantedBySource
	}
	return roster.NotHeld
}

func otherSource(s roster.Source) roster.Source {
	if s == roster.SourceManual {
		return roster.SourceProvisioning
	}
	return roster.SourceManual
}

// keepAdmin returns last_admin if the removals take the admin role from its
// last holders.
func keepAdmin(c ChangeFacts, out []string) error {
	left := slices.Clone(c.AdminHolders)
	for i, p := range c.Pairs {
		if p.Role.Builtin == roster.BuiltinAdmin && out[i] == roster.Removed {
			left = slices.DeleteFunc(left, func(u string) bool { return u == p.User })
		}
	}
	if len(c.AdminHolders) > 0 && len(left) == 0 {
		return lastAdmin(c.Platform)
	}
	return nil
}

func lastAdmin(platform bool) error {
	where := "this community has no owner"
	if platform {
		where = "the platform scope has no owner"
	}
	return roster.Errorf(roster.ELASTADMIN, "%s and this would leave its admin role with no holder", where)
}
