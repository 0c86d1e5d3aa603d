package authz

import (
	"fmt"
	"slices"

	"github.com/rosterhq/roster"
)

// Subject is what the guards know of an actor in one scope.
type Subject struct {
	// User is the acting user; empty for an API key acting as itself, which
	// the permission and hierarchy guards do not restrict.
	User string
	// Owner is true when the user owns the community.
	Owner bool
	// PlatformAdmin is true when the user holds ADMINISTRATOR at platform scope.
	PlatformAdmin bool
	// Perms are the user's effective permissions in the scope.
	Perms Perms
	// Top is the position of the user's highest role in the scope; 0 when
	// they hold only everyone.
	Top int
}

// Top is the position of a user's highest role, given the positions of the
// roles they hold in a scope: 0 (everyone's) when they hold none.
func Top(positions ...int) int {
	top := 0
	for _, p := range positions {
		top = max(top, p)
	}
	return top
}

// Key is the subject of an API key acting as itself.
var Key = Subject{}

// unrestricted reports whether the permission and hierarchy guards let the
// subject through: keys, community owners and platform administrators.
func (s Subject) unrestricted() bool { return s.User == "" || s.Owner || s.PlatformAdmin }

// Require returns missing_permission unless the subject may use perm.
func Require(s Subject, perm string) error {
	if s.unrestricted() || s.Perms.Has(perm) {
		return nil
	}
	return roster.Errorf(roster.EMISSINGPERMISSION, "this needs the %s permission", perm).With("permission", perm)
}

// below returns role_hierarchy unless position pos is strictly below the
// subject's highest role.
func below(s Subject, pos int, what string) error {
	if s.unrestricted() || pos < s.Top {
		return nil
	}
	return roster.Errorf(roster.EROLEHIERARCHY, "%s must be below your highest role (position %d)", what, s.Top)
}

// mayGrant returns cannot_grant_permission for the first permission the
// subject does not hold.
func mayGrant(s Subject, perms []string) error {
	if s.unrestricted() {
		return nil
	}
	for _, p := range perms {
		if !s.Perms.Has(p) {
			return roster.Errorf(roster.ECANNOTGRANT, "you cannot grant %s: you do not hold it", p).With("permission", p)
		}
	}
	return nil
}

// RoleFacts is a role as the guards see it.
type RoleFacts struct {
	ID          string
	Position    int
	Builtin     string
	Protected   bool
	Permissions []string
}

func (r RoleFacts) what() string { return fmt.Sprintf("role %s (position %d)", r.ID, r.Position) }

// CreateRole decides whether the subject may create a role at position pos
// granting perms. A new role at pos pushes the roles at pos and above up, so
// it lands below the subject's highest role when pos is at most its position.
func CreateRole(s Subject, pos int, perms []string) error {
	if err := Require(s, roster.PermManageRoles); err != nil {
		return err
	}
	if !s.unrestricted() && pos > s.Top {
		return below(s, pos, "the new role")
	}
	return mayGrant(s, perms)
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

// UpdateRole decides whether the subject may make the edit to role r. Only
// permissions the role did not grant before count as granted by the edit.
func UpdateRole(s Subject, r RoleFacts, e RoleEdit) error {
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
	return nil
}

// DeleteRole decides whether the subject may delete role r, held by holders
// users: built-in roles never, held roles only when forced.
func DeleteRole(s Subject, r RoleFacts, holders int, force bool) error {
	if err := Require(s, roster.PermManageRoles); err != nil {
		return err
	}
	if err := below(s, r.Position, r.what()); err != nil {
		return err
	}
	if r.Protected {
		return roster.Errorf(roster.EROLEPROTECTED, "built-in role %q cannot be deleted", r.Builtin)
	}
	if holders > 0 && !force {
		return roster.Errorf(roster.EROLEINUSE, "the role is held by %d users; delete with force=true to remove it from them", holders).With("holders", holders)
	}
	return nil
}

// ReorderRoles decides whether the subject may move roles from the positions
// in before to those in after (both keyed by role id): the subject's highest
// role and every role above it must keep their positions.
func ReorderRoles(s Subject, before, after map[string]int) error {
	if err := Require(s, roster.PermManageRoles); err != nil {
		return err
	}
	ids := make([]string, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if before[id] == after[id] {
			continue
		}
		if err := below(s, max(before[id], after[id]), fmt.Sprintf("role %s", id)); err != nil {
			return err
		}
	}
	return nil
}
