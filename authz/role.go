package authz

import (
	"fmt"
	"slices"

	"github.com/rosterhq/roster"
)

// CreateRoleFacts are the facts that decide creating a role.
type CreateRoleFacts struct {
	Actor Subject
	// Position is where the new role goes; Roles counts the scope's roles,
	// everyone included.
	Position, Roles int
	Permissions     []string
}

// CreateRole decides whether the actor may create a role at Position
// granting Permissions: the position must be one of the scope's (1 to
// Roles), a user needs MANAGE_ROLES, may only place it at or below their
// highest role's position (the roles from there up move up, so it lands
// below their role) and may only grant what they hold; a scope holds at most
// MaxRolesPerScope roles.
func CreateRole(f CreateRoleFacts) error {
	if f.Position < 1 || f.Position > f.Roles {
		return roster.Invalid(roster.FieldError{Location: "position", Message: fmt.Sprintf("must be between 1 and %d", f.Roles), Value: f.Position})
	}
	s := f.Actor
	if err := Require(s, roster.PermManageRoles); err != nil {
		return err
	}
	if !s.unrestricted() && f.Position > s.Top {
		return below(s, f.Position, "the new role")
	}
	if err := mayGrant(s, f.Permissions); err != nil {
		return err
	}
	if f.Roles >= roster.MaxRolesPerScope {
		return roster.Errorf(roster.ELIMITREACHED, "a scope holds at most %d roles", roster.MaxRolesPerScope)
	}
	return nil
}

// RoleEdit is what an update changes of a role.
type RoleEdit struct {
	// Position is the new position, or nil.
	Position *int
	// Rename is true when the name changes.
	Rename bool
	// Permissions is the new permission set, or nil when unchanged.
	Permissions []string
}

// UpdateRoleFacts are the facts that decide an update of a role.
type UpdateRoleFacts struct {
	Actor Subject
	Role  RoleFacts
	Edit  RoleEdit
	// Roles counts the scope's roles, everyone included.
	Roles int
	// IfVersion, when not zero, is the version the caller expects.
	IfVersion int
}

// UpdateRole decides whether the actor may make the edit: a new position
// must be one of the roles above everyone's; a user needs MANAGE_ROLES, may
// only touch a role below their highest and move it below it, and may only
// add permissions they hold (those the role granted before do not count);
// the built-in roles keep their names, everyone its position and admin
// ADMINISTRATOR; and the role must be at IfVersion.
func UpdateRole(f UpdateRoleFacts) error {
	s, r, e := f.Actor, f.Role, f.Edit
	if p := e.Position; p != nil && r.Builtin != roster.BuiltinEveryone && (*p < 1 || *p > f.Roles-1) {
		return roster.Invalid(roster.FieldError{Location: "position", Message: fmt.Sprintf("must be between 1 and %d", f.Roles-1), Value: *p})
	}
	if err := Require(s, roster.PermManageRoles); err != nil {
		return err
	}
	if err := below(s, r.Position, r.what()); err != nil {
		return err
	}
	if e.Position != nil {
		if err := below(s, *e.Position, "the new position"); err != nil {
			return err
		}
	}
	var added []string
	for _, p := range e.Permissions {
		if !slices.Contains(r.Permissions, p) {
			added = append(added, p)
		}
	}
	if err := mayGrant(s, added); err != nil {
		return err
	}
	switch {
	case e.Rename && r.Protected:
		return roster.Errorf(roster.EROLEPROTECTED, "built-in role %q cannot be renamed", r.Builtin)
	case e.Position != nil && r.Builtin == roster.BuiltinEveryone && *e.Position != roster.EveryonePosition:
		return roster.Errorf(roster.EROLEPROTECTED, "everyone always stays at position 0")
	case e.Permissions != nil && r.Builtin == roster.BuiltinAdmin && !slices.Contains(e.Permissions, roster.PermAdministrator):
		return roster.Errorf(roster.EROLEPROTECTED, "built-in role admin always grants ADMINISTRATOR")
	}
	return version(r, f.IfVersion)
}

// version returns version_mismatch unless the role is at the version the
// caller expects (none when zero).
func version(r RoleFacts, want int) error {
	if want != 0 && want != r.Version {
		return roster.Errorf(roster.EVERSIONMISMATCH, "the role is at version %d", r.Version).With("version", r.Version)
	}
	return nil
}

// DeleteRoleFacts are the facts that decide deleting a role.
type DeleteRoleFacts struct {
	Actor Subject
	Role  RoleFacts
	// Holders counts the users who hold the role now.
	Holders int
	// Force removes the role from its holders instead of refusing.
	Force     bool
	IfVersion int
}

// DeleteRole decides whether the actor may delete the role: a user needs
// MANAGE_ROLES and a role below their highest; built-in roles are never
// deleted, held roles only when forced; and the role must be at IfVersion.
func DeleteRole(f DeleteRoleFacts) error {
	s, r := f.Actor, f.Role
	if err := Require(s, roster.PermManageRoles); err != nil {
		return err
	}
	if err := below(s, r.Position, r.what()); err != nil {
		return err
	}
	if r.Protected {
		return roster.Errorf(roster.EROLEPROTECTED, "built-in role %q cannot be deleted", r.Builtin)
	}
	if f.Holders > 0 && !f.Force {
		return roster.Errorf(roster.EROLEINUSE, "the role is held by %d users; delete with force=true to remove it from them", f.Holders).With("holders", f.Holders)
	}
	return version(r, f.IfVersion)
}

// ReorderRolesFacts are the facts that decide a new order of a scope's
// roles.
type ReorderRolesFacts struct {
	Actor Subject
	// Roles are the scope's roles but everyone, bottom to top.
	Roles []RoleFacts
	// IDs is the order asked for, bottom to top: role ids, or the alias
	// admin.
	IDs []string
}

// ReorderRoles decides a new order and returns each role's new position by
// id: IDs must list every role but everyone exactly once; a user needs
// MANAGE_ROLES, and their highest role and every role above it keep their
// positions.
func ReorderRoles(f ReorderRolesFacts) (map[string]int, error) {
	before, after, err := newOrder(f.Roles, f.IDs)
	if err != nil {
		return nil, err
	}
	if err := Require(f.Actor, roster.PermManageRoles); err != nil {
		return nil, err
	}
	for _, r := range f.Roles {
		if before[r.ID] == after[r.ID] {
			continue
		}
		if err := below(f.Actor, max(before[r.ID], after[r.ID]), r.named()); err != nil {
			return nil, err
		}
	}
	return after, nil
}

// StepMoves decides, for each of a scope's roles but everyone (bottom to
// top, at positions 1 to n), moving it one step up and one step down: the
// decision ReorderRoles makes of the order with it and its neighbour
// swapped, for every role in one pass. At the top (bottom) there is no step
// up (down).
func StepMoves(s Subject, roles []RoleFacts) (up, down []error) {
	n := len(roles)
	up, down = make([]error, n), make([]error, n)
	need := Require(s, roster.PermManageRoles)
	// swap decides swapping the roles at i and i+1, as ReorderRoles checks
	// the two roles that change, in their order.
	swap := func(i int) error {
		if need != nil {
			return need
		}
		lo, hi := roles[i], roles[i+1]
		if err := below(s, max(lo.Position, i+2), lo.named()); err != nil {
			return err
		}
		return below(s, max(hi.Position, i+1), hi.named())
	}
	for i := range roles {
		if up[i] = atEdge("top"); i < n-1 {
			up[i] = swap(i)
		}
		if down[i] = atEdge("bottom"); i > 0 {
			down[i] = swap(i - 1)
		}
	}
	return up, down
}

// atEdge is the refusal of a step past the top or the bottom.
func atEdge(edge string) error {
	return roster.Invalid(roster.FieldError{Location: "move", Message: "the role is already at the " + edge})
}

// newOrder checks that ids lists each of roles exactly once (resolving the
// built-in alias) and returns the positions before and after, by role id.
func newOrder(roles []RoleFacts, ids []string) (before, after map[string]int, err error) {
	before, after = make(map[string]int, len(roles)), make(map[string]int, len(roles))
	alias := map[string]string{}
	for _, r := range roles {
		before[r.ID] = r.Position
		if r.Builtin != "" {
			alias[r.Builtin] = r.ID
		}
	}
	var bad []roster.FieldError
	for i, id := range ids {
		if a, ok := alias[id]; ok {
			id = a
		}
		loc := fmt.Sprintf("roleIds[%d]", i)
		switch _, known := before[id]; {
		case !known:
			bad = append(bad, roster.FieldError{Location: loc, Message: "is not a role of this scope (everyone cannot be moved)", Value: ids[i]})
		case after[id] != 0:
			bad = append(bad, roster.FieldError{Location: loc, Message: "is listed more than once", Value: ids[i]})
		default:
			after[id] = i + 1
		}
	}
	if len(bad) == 0 && len(after) != len(before) {
		bad = append(bad, roster.FieldError{Location: "roleIds", Message: fmt.Sprintf("must list each of the %d roles other than everyone exactly once", len(before)), Value: len(ids)})
	}
	if len(bad) > 0 {
		return nil, nil, roster.Invalid(bad...)
	}
	return before, after, nil
}
