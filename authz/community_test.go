package authz

import (
	"testing"

	"github.com/rosterhq/roster"
)

var (
	// sMembers may remove members below position 5.
	sMembers = Subject{User: "mm", Perms: perms(roster.PermManageMembers), Top: 5}
	// sCommunity may rename the community but does not own it.
	sCommunity = Subject{User: "cm", Perms: perms(roster.PermManageCommunity), Top: 5}
)

func TestRemoveMember(t *testing.T) {
	tests := []struct {
		name         string
		s            Subject
		m            MemberFacts
		hasOwner     bool
		adminHolders int
		want         string
	}{
		// Leaving.
		{"user leaves without permissions", sNobody, MemberFacts{User: "nobody", Top: 5}, false, 1, ""},
		{"user with no roles leaves", Subject{User: "u"}, MemberFacts{User: "u"}, false, 0, ""},
		{"last admin of an ownerless community leaves", sBoss, MemberFacts{User: "boss", Top: 10, HoldsAdmin: true}, false, 1, roster.ELASTADMIN},
		{"last admin of an owned community leaves", sBoss, MemberFacts{User: "boss", Top: 10, HoldsAdmin: true}, true, 1, ""},
		{"one of two admins of an ownerless community leaves", sBoss, MemberFacts{User: "boss", Top: 10, HoldsAdmin: true}, false, 2, ""},
		{"owner leaves", sOwner, MemberFacts{User: "owner", Owner: true}, true, 0, roster.EOWNERCANNOTLEAVE},
		{"owner holding admin leaves", Subject{User: "owner", Owner: true, Top: 9}, MemberFacts{User: "owner", Owner: true, Top: 9, HoldsAdmin: true}, true, 1, roster.EOWNERCANNOTLEAVE},

		// Removing another member.
		{"user without MANAGE_MEMBERS removes another", sNobody, MemberFacts{User: "alice", Top: 1}, true, 0, roster.EMISSINGPERMISSION},
		{"MANAGE_ROLES is not MANAGE_MEMBERS", sManager, MemberFacts{User: "alice", Top: 1}, true, 0, roster.EMISSINGPERMISSION},
		{"missing_permission before role_hierarchy", sNobody, MemberFacts{User: "alice", Top: 9}, true, 0, roster.EMISSINGPERMISSION},
		{"missing_permission before owner_cannot_leave", sNobody, MemberFacts{User: "owner", Owner: true}, true, 0, roster.EMISSINGPERMISSION},
		{"member manager removes a lower member", sMembers, MemberFacts{User: "alice", Top: 4}, true, 0, ""},
		{"member manager removes a member with only everyone", sMembers, MemberFacts{User: "alice", Top: 0}, true, 0, ""},
		{"member manager removes an equal member", sMembers, MemberFacts{User: "alice", Top: 5}, true, 0, roster.EROLEHIERARCHY},
		{"member manager removes a higher member", sMembers, MemberFacts{User: "alice", Top: 6}, true, 0, roster.EROLEHIERARCHY},
		{"member manager removes the owner", sMembers, MemberFacts{User: "owner", Owner: true, Top: 0}, true, 0, roster.EROLEHIERARCHY},
		{"member manager removes the last admin below them", sMembers, MemberFacts{User: "alice", Top: 3, HoldsAdmin: true}, false, 1, roster.ELASTADMIN},
		{"role_hierarchy before last_admin", sMembers, MemberFacts{User: "alice", Top: 9, HoldsAdmin: true}, false, 1, roster.EROLEHIERARCHY},
		{"community ADMINISTRATOR removes a lower member", sCAdmin, MemberFacts{User: "alice", Top: 2}, true, 0, ""},
		{"community ADMINISTRATOR removes a higher member", sCAdmin, MemberFacts{User: "alice", Top: 7}, true, 0, roster.EROLEHIERARCHY},
		{"owner removes a member above every role", sOwner, MemberFacts{User: "alice", Top: 99}, true, 0, ""},
		{"platform admin removes a member above every role", sPAdmin, MemberFacts{User: "alice", Top: 99}, false, 0, ""},
		{"key removes a member above every role", sKey, MemberFacts{User: "alice", Top: 99}, false, 0, ""},
		{"key removes the owner", sKey, MemberFacts{User: "owner", Owner: true}, true, 0, roster.EOWNERCANNOTLEAVE},
		{"platform admin removes the owner", sPAdmin, MemberFacts{User: "owner", Owner: true}, true, 0, roster.EOWNERCANNOTLEAVE},
		{"key removes the last admin of an ownerless community", sKey, MemberFacts{User: "alice", Top: 9, HoldsAdmin: true}, false, 1, roster.ELASTADMIN},
		{"platform admin removes the last admin of an ownerless community", sPAdmin, MemberFacts{User: "alice", Top: 9, HoldsAdmin: true}, false, 1, roster.ELASTADMIN},
		{"key removes the last admin of an owned community", sKey, MemberFacts{User: "alice", Top: 9, HoldsAdmin: true}, true, 1, ""},
		{"key removes one of two admins", sKey, MemberFacts{User: "alice", Top: 9, HoldsAdmin: true}, false, 2, ""},
		{"key removes a non-admin while one admin is left", sKey, MemberFacts{User: "alice", Top: 3}, false, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := RemoveMember(RemoveMemberFacts{Actor: tc.s, Member: tc.m, HasOwner: tc.hasOwner, AdminHolders: tc.adminHolders})
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

func TestUpdateCommunity(t *testing.T) {
	tests := []struct {
		name         string
		s            Subject
		rename       bool
		transfer     bool
		clearOwner   bool
		adminHolders int
		want         string
	}{
		{"nothing changes", sNobody, false, false, false, 0, ""},

		// Renaming.
		{"key renames", sKey, true, false, false, 0, ""},
		{"owner renames", sOwner, true, false, false, 0, ""},
		{"platform admin renames", sPAdmin, true, false, false, 0, ""},
		{"user with MANAGE_COMMUNITY renames", sCommunity, true, false, false, 0, ""},
		{"community ADMINISTRATOR renames", sCAdmin, true, false, false, 0, ""},
		{"user without MANAGE_COMMUNITY renames", sNobody, true, false, false, 1, roster.EMISSINGPERMISSION},
		{"MANAGE_ROLES is not MANAGE_COMMUNITY", sManager, true, false, false, 1, roster.EMISSINGPERMISSION},

		// Transferring.
		{"owner transfers", sOwner, false, true, false, 0, ""},
		{"platform admin transfers", sPAdmin, false, true, false, 0, ""},
		{"key transfers", sKey, false, true, false, 0, ""},
		{"user with MANAGE_COMMUNITY transfers", sCommunity, false, true, false, 1, roster.ENOTOWNER},
		{"community ADMINISTRATOR transfers", sCAdmin, false, true, false, 1, roster.ENOTOWNER},
		{"user without permissions transfers", sNobody, false, true, false, 1, roster.ENOTOWNER},
		{"missing_permission before not_owner", sNobody, true, true, false, 1, roster.EMISSINGPERMISSION},
		{"rename allowed, transfer refused", sCommunity, true, true, false, 1, roster.ENOTOWNER},
		{"owner renames and transfers", sOwner, true, true, false, 0, ""},

		// Clearing the owner.
		{"owner clears owner with an admin left", sOwner, false, true, true, 1, ""},
		{"owner clears owner with no admin", sOwner, false, true, true, 0, roster.ELASTADMIN},
		{"platform admin clears owner with no admin", sPAdmin, false, true, true, 0, roster.ELASTADMIN},
		{"key clears owner with no admin", sKey, false, true, true, 0, roster.ELASTADMIN},
		{"key clears owner with two admins", sKey, false, true, true, 2, ""},
		{"not_owner before last_admin", sCommunity, false, true, true, 0, roster.ENOTOWNER},
		// The guard's doc says removing ownership, like transferring it,
		// is for the owner or a platform administrator; this does not rely
		// on the caller also setting transfer.
		{"user with MANAGE_COMMUNITY clears owner", sCommunity, false, false, true, 1, roster.ENOTOWNER},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := UpdateCommunity(UpdateCommunityFacts{Actor: tc.s, Rename: tc.rename, Transfer: tc.transfer, ClearOwner: tc.clearOwner, AdminHolders: tc.adminHolders})
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			if tc.want == roster.EMISSINGPERMISSION {
				if got := extra(err, "permission"); got != roster.PermManageCommunity {
					t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermManageCommunity)
				}
			}
		})
	}
}

func TestDeleteCommunity(t *testing.T) {
	tests := []struct {
		name string
		s    Subject
		want string
	}{
		{"key", sKey, ""},
		{"owner", sOwner, ""},
		{"platform admin", sPAdmin, ""},
		{"community ADMINISTRATOR", sCAdmin, roster.ENOTOWNER},
		{"user with MANAGE_COMMUNITY", sCommunity, roster.ENOTOWNER},
		{"user without permissions", sNobody, roster.ENOTOWNER},
		{"user with every permission and the top role", Subject{User: "u", Perms: allPerms(), Top: 99}, roster.ENOTOWNER},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := code(DeleteCommunity(DeleteCommunityFacts{Actor: tc.s})); got != tc.want {
				t.Errorf("code: got %q, want %q", got, tc.want)
			}
		})
	}
}
