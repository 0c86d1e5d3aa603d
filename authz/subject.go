package authz

import (
	"fmt"

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

// self lets a user act on themselves; acting on another user needs perm.
func self(s Subject, target, perm string) error {
	if s.User != "" && s.User == target {
		return nil
	}
	return Require(s, perm)
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
	ID string
	// Name is the role's name, for messages; the id stands in without it.
	Name        string
	Position    int
	Builtin     string
	Protected   bool
	Permissions []string
	Version     int
}

// RoleOf is a role as the guards see it.
func RoleOf(r roster.Role) RoleFacts {
	return RoleFacts{ID: r.ID, Name: r.Name, Position: r.Position, Builtin: r.Builtin, Protected: r.Protected, Permissions: r.Permissions, Version: r.Version}
}

// named names the role, by its name when it has one.
func (r RoleFacts) named() string {
	if r.Name != "" {
		return fmt.Sprintf("role %q (%s)", r.Name, r.ID)
	}
	return "role " + r.ID
}

func (r RoleFacts) what() string {
	if r.Name != "" {
		return fmt.Sprintf("role %q (%s, position %d)", r.Name, r.ID, r.Position)
	}
	return fmt.Sprintf("role %s (position %d)", r.ID, r.Position)
}

// SubjectOf is the subject a front shows choices for, made from what the
// service tells of the user in a community: their effective permissions
// there, whether they administer the platform, and the positions of the
// community roles they hold. The service decides again on each change;
// this only lets a page disable what would be refused, with the reason.
func SubjectOf(user string, eff roster.Effective, platformAdmin bool, positions ...int) Subject {
	s := Subject{User: user, Owner: eff.Owner, PlatformAdmin: platformAdmin, Top: Top(positions...)}
	if eff.Administrator {
		s.Perms = Perms{All: true}
		return s
	}
	s.Perms.Keys = make(map[string][]roster.Reason, len(eff.Permissions))
	for _, p := range eff.Permissions {
		s.Perms.Keys[p] = eff.Explain[p]
	}
	return s
}
