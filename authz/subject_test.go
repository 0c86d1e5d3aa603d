package authz

import (
	"testing"

	"github.com/rosterhq/roster"
)

// Subjects used across the guard tests. Restricted users have their highest
// role at position 5 unless named otherwise.
var (
	sKey     = Key
	sOwner   = Subject{User: "owner", Owner: true}
	sPAdmin  = Subject{User: "padmin", PlatformAdmin: true}
	sNobody  = Subject{User: "nobody", Perms: perms(roster.PermSendMessages, roster.PermBanMembers), Top: 5}
	sManager = Subject{User: "manager", Perms: perms(roster.PermManageRoles, roster.PermSendMessages), Top: 5}
	sCAdmin  = Subject{User: "cadmin", Perms: allPerms(), Top: 5}
	// sFloor holds MANAGE_ROLES through everyone only: no role above 0.
	sFloor = Subject{User: "floor", Perms: perms(roster.PermManageRoles), Top: 0}
)

// Roles used across the guard tests.
var (
	rLow      = RoleFacts{ID: "r-low", Position: 2, Permissions: []string{roster.PermSendMessages}}
	rBan      = RoleFacts{ID: "r-ban", Position: 3, Permissions: []string{roster.PermBanMembers, roster.PermSendMessages, roster.PermMuteMembers}}
	rTop      = RoleFacts{ID: "r-top", Position: 5}
	rAbove    = RoleFacts{ID: "r-above", Position: 7}
	rEveryone = RoleFacts{ID: "r-everyone", Position: 0, Builtin: roster.BuiltinEveryone, Protected: true, Permissions: []string{roster.PermViewChannel}}
	rAdmin    = RoleFacts{ID: "r-admin", Position: 9, Builtin: roster.BuiltinAdmin, Protected: true, Permissions: []string{roster.PermAdministrator}}
)

func TestRequire(t *testing.T) {
	tests := []struct {
		name string
		s    Subject
		perm string
		want string
	}{
		{"key bypasses", sKey, roster.PermManageRoles, ""},
		{"key bypasses a custom key", sKey, "REDEEM_REWARDS", ""},
		{"owner bypasses", sOwner, roster.PermManageRoles, ""},
		{"platform admin bypasses", sPAdmin, roster.PermManageCommunity, ""},
		{"user holding the permission", sManager, roster.PermManageRoles, ""},
		{"user lacking MANAGE_ROLES", sNobody, roster.PermManageRoles, roster.EMISSINGPERMISSION},
		{"user lacking MANAGE_MEMBERS", sManager, roster.PermManageMembers, roster.EMISSINGPERMISSION},
		{"user with no permissions", Subject{User: "u"}, roster.PermViewChannel, roster.EMISSINGPERMISSION},
		{"community ADMINISTRATOR satisfies", sCAdmin, roster.PermManageRoles, ""},
		{"community ADMINISTRATOR satisfies a custom key", sCAdmin, "REDEEM_REWARDS", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Require(tc.s, tc.perm)
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			if tc.want == roster.EMISSINGPERMISSION {
				if got := extra(err, "permission"); got != tc.perm {
					t.Errorf("Extra[permission]: got %v, want %s", got, tc.perm)
				}
			}
		})
	}
}

func TestSelf(t *testing.T) {
	tests := []struct {
		name   string
		s      Subject
		target string
		want   string
	}{
		{"user acts on self without the permission", sNobody, "nobody", ""},
		{"user acts on another without the permission", sNobody, "alice", roster.EMISSINGPERMISSION},
		{"user acts on another with the permission", Subject{User: "mm", Perms: perms(roster.PermManageMembers), Top: 1}, "alice", ""},
		{"user with no permissions acts on self", Subject{User: "u"}, "u", ""},
		{"community ADMINISTRATOR acts on another", sCAdmin, "alice", ""},
		{"key acts on a user", sKey, "alice", ""},
		{"owner acts on another", sOwner, "alice", ""},
		{"platform admin acts on another", sPAdmin, "alice", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := PutUser(PutUserFacts{Actor: tc.s, User: tc.target})
			if got := code(AddMembers(AddMembersFacts{Actor: tc.s, Users: []string{tc.target}})); got != code(err) {
				t.Fatalf("AddMembers: got %q, want %q as PutUser", got, code(err))
			}
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			if tc.want == roster.EMISSINGPERMISSION {
				if got := extra(err, "permission"); got != roster.PermManageMembers {
					t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermManageMembers)
				}
			}
		})
	}
}
