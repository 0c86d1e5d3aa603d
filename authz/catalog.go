package authz

import "github.com/rosterhq/roster"

// RegisterPermissionFacts are the facts that decide registering a
// permission key.
type RegisterPermissionFacts struct {
	// Actor is the actor at platform scope.
	Actor Subject
	Key   string
	// Exists is true when the key is registered already; Keys counts the
	// catalog's keys.
	Exists bool
	Keys   int
}

// RegisterPermission decides whether the actor may register a key: a user
// needs MANAGE_ROLES at platform scope; a key is registered once, and the
// catalog holds at most MaxPermissions keys.
func RegisterPermission(f RegisterPermissionFacts) error {
	if err := Require(f.Actor, roster.PermManageRoles); err != nil {
		return err
	}
	if f.Exists {
		return roster.Errorf(roster.EPERMISSIONEXISTS, "permission %s is already registered", f.Key)
	}
	if f.Keys >= roster.MaxPermissions {
		return roster.Errorf(roster.ELIMITREACHED, "the catalog holds at most %d keys", roster.MaxPermissions)
	}
	return nil
}

// UnregisterPermissionFacts are the facts that decide unregistering a
// permission key.
type UnregisterPermissionFacts struct {
	// Actor is the actor at platform scope.
	Actor   Subject
	Key     string
	Builtin bool
	// Roles and Overwrites count the roles and channel overwrites that
	// name the key.
	Roles, Overwrites int
}

// UnregisterPermission decides whether the actor may unregister a key: a
// user needs MANAGE_ROLES at platform scope; built-in keys stay, and a key
// stays while a role or an overwrite names it.
func UnregisterPermission(f UnregisterPermissionFacts) error {
	if err := Require(f.Actor, roster.PermManageRoles); err != nil {
		return err
	}
	if f.Builtin {
		return roster.Errorf(roster.EPERMISSIONBUILTIN, "built-in permission %s cannot be unregistered", f.Key)
	}
	if f.Roles > 0 || f.Overwrites > 0 {
		return roster.Errorf(roster.EPERMISSIONINUSE, "permission %s is used by %d roles and %d channel overwrites", f.Key, f.Roles, f.Overwrites).
			With("roles", f.Roles).With("overwrites", f.Overwrites)
	}
	return nil
}
