package authz

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rosterhq/roster"
)

func TestCreateRole(t *testing.T) {
	tests := []struct {
		name     string
		s        Subject
		pos      int
		perms    []string
		want     string
		wantPerm string // Extra["permission"] for missing_permission and cannot_grant_permission
	}{
		{"key anywhere with anything", sKey, 100, []string{roster.PermAdministrator, "REDEEM_REWARDS"}, "", ""},
		{"owner anywhere with anything", sOwner, 100, []string{roster.PermAdministrator}, "", ""},
		{"platform admin anywhere with anything", sPAdmin, 100, []string{roster.PermAdministrator}, "", ""},
		{"user without MANAGE_ROLES", sNobody, 1, nil, roster.EMISSINGPERMISSION, roster.PermManageRoles},
		{"missing_permission before role_hierarchy and cannot_grant", sNobody, 10, []string{roster.PermAdministrator}, roster.EMISSINGPERMISSION, roster.PermManageRoles},
		{"manager at position 1", sManager, 1, []string{roster.PermSendMessages}, "", ""},
		{"manager just below top", sManager, 4, nil, "", ""},
		{"manager at top pushes own role up", sManager, 5, nil, "", ""},
		{"manager above top", sManager, 6, nil, roster.EROLEHIERARCHY, ""},
		{"manager far above top", sManager, 50, nil, roster.EROLEHIERARCHY, ""},
		{"role_hierarchy before cannot_grant", sManager, 6, []string{roster.PermAdministrator}, roster.EROLEHIERARCHY, ""},
		{"manager grants a held permission", sManager, 1, []string{roster.PermManageRoles, roster.PermSendMessages}, "", ""},
		{"manager grants a permission not held", sManager, 1, []string{roster.PermSendMessages, roster.PermBanMembers}, roster.ECANNOTGRANT, roster.PermBanMembers},
		{"manager grants ADMINISTRATOR", sManager, 1, []string{roster.PermAdministrator}, roster.ECANNOTGRANT, roster.PermAdministrator},
		{"manager grants a custom key not held", sManager, 2, []string{"REDEEM_REWARDS"}, roster.ECANNOTGRANT, "REDEEM_REWARDS"},
		{"community ADMINISTRATOR grants anything below top", sCAdmin, 5, []string{roster.PermAdministrator, "REDEEM_REWARDS"}, "", ""},
		{"community ADMINISTRATOR above top", sCAdmin, 6, nil, roster.EROLEHIERARCHY, ""},
		{"user with only everyone cannot create at 1", sFloor, 1, nil, roster.EROLEHIERARCHY, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CreateRole(CreateRoleFacts{Actor: tc.s, Position: tc.pos, Roles: roster.MaxRolesPerScope - 1, Permissions: tc.perms})
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			if tc.wantPerm != "" {
				if got := extra(err, "permission"); got != tc.wantPerm {
					t.Errorf("Extra[permission]: got %v, want %s", got, tc.wantPerm)
				}
			}
		})
	}
}

func TestUpdateRole(t *testing.T) {
	tests := []struct {
		name     string
		s        Subject
		r        RoleFacts
		e        RoleEdit
		want     string
		wantPerm string
	}{
		// Who may edit at all.
		{"key edits a role above anyone", sKey, rAbove, RoleEdit{Rename: true, Position: intp(20), Permissions: []string{roster.PermAdministrator}}, "", ""},
		{"owner edits a role above anyone", sOwner, rAbove, RoleEdit{Position: intp(20), Permissions: []string{roster.PermAdministrator}}, "", ""},
		{"platform admin edits a role above anyone", sPAdmin, rAbove, RoleEdit{Position: intp(20), Permissions: []string{roster.PermAdministrator}}, "", ""},
		{"user without MANAGE_ROLES", sNobody, rLow, RoleEdit{Rename: true}, roster.EMISSINGPERMISSION, roster.PermManageRoles},
		{"missing_permission before role_hierarchy", sNobody, rAbove, RoleEdit{Rename: true}, roster.EMISSINGPERMISSION, roster.PermManageRoles},
		{"manager edits description of a lower role", sManager, rLow, RoleEdit{}, "", ""},
		{"manager renames a lower role", sManager, rLow, RoleEdit{Rename: true}, "", ""},
		{"community ADMINISTRATOR adds ADMINISTRATOR to a lower role", sCAdmin, rLow, RoleEdit{Permissions: []string{roster.PermAdministrator}}, "", ""},

		// Hierarchy of the role itself.
		{"manager edits the role at top", sManager, rTop, RoleEdit{Rename: true}, roster.EROLEHIERARCHY, ""},
		{"manager edits a role above top", sManager, rAbove, RoleEdit{}, roster.EROLEHIERARCHY, ""},
		{"community ADMINISTRATOR edits the role at top", sCAdmin, rTop, RoleEdit{}, roster.EROLEHIERARCHY, ""},
		{"user with only everyone edits everyone", sFloor, rEveryone, RoleEdit{Permissions: []string{}}, roster.EROLEHIERARCHY, ""},

		// Hierarchy of the new position.
		{"manager moves a role down", sManager, rBan, RoleEdit{Position: intp(1)}, "", ""},
		{"manager moves a role just below top", sManager, rLow, RoleEdit{Position: intp(4)}, "", ""},
		{"manager moves a role to top", sManager, rLow, RoleEdit{Position: intp(5)}, roster.EROLEHIERARCHY, ""},
		{"manager moves a role above top", sManager, rLow, RoleEdit{Position: intp(6)}, roster.EROLEHIERARCHY, ""},
		{"key moves a role anywhere", sKey, rLow, RoleEdit{Position: intp(60)}, "", ""},

		// Granting permissions.
		{"manager adds a held permission", sManager, rLow, RoleEdit{Permissions: []string{roster.PermSendMessages, roster.PermManageRoles}}, "", ""},
		{"manager adds a permission not held", sManager, rLow, RoleEdit{Permissions: []string{roster.PermSendMessages, roster.PermBanMembers}}, roster.ECANNOTGRANT, roster.PermBanMembers},
		{"manager adds ADMINISTRATOR", sManager, rLow, RoleEdit{Permissions: []string{roster.PermAdministrator}}, roster.ECANNOTGRANT, roster.PermAdministrator},
		{"manager keeps permissions not held and adds a held one", sManager, rBan, RoleEdit{Permissions: []string{roster.PermBanMembers, roster.PermMuteMembers, roster.PermSendMessages, roster.PermManageRoles}}, "", ""},
		{"manager removes a permission not held", sManager, rBan, RoleEdit{Permissions: []string{roster.PermMuteMembers}}, "", ""},
		{"manager clears a role", sManager, rBan, RoleEdit{Permissions: []string{}}, "", ""},
		{"manager renames a role granting permissions not held", sManager, rBan, RoleEdit{Rename: true, Position: intp(1)}, "", ""},
		{"manager keeps permissions not held and adds one not held", sManager, rBan, RoleEdit{Permissions: []string{roster.PermBanMembers, roster.PermManageChannels}}, roster.ECANNOTGRANT, roster.PermManageChannels},
		{"role_hierarchy before cannot_grant", sManager, rAbove, RoleEdit{Permissions: []string{roster.PermAdministrator}}, roster.EROLEHIERARCHY, ""},
		{"new position role_hierarchy before cannot_grant", sManager, rLow, RoleEdit{Position: intp(5), Permissions: []string{roster.PermAdministrator}}, roster.EROLEHIERARCHY, ""},

		// Protected roles.
		{"key renames everyone", sKey, rEveryone, RoleEdit{Rename: true}, roster.EROLEPROTECTED, ""},
		{"key renames admin", sKey, rAdmin, RoleEdit{Rename: true}, roster.EROLEPROTECTED, ""},
		{"owner renames admin", sOwner, rAdmin, RoleEdit{Rename: true}, roster.EROLEPROTECTED, ""},
		{"platform admin renames everyone", sPAdmin, rEveryone, RoleEdit{Rename: true}, roster.EROLEPROTECTED, ""},
		{"manager renames everyone", sManager, rEveryone, RoleEdit{Rename: true}, roster.EROLEPROTECTED, ""},
		{"role_hierarchy before role_protected", sManager, rAdmin, RoleEdit{Rename: true}, roster.EROLEHIERARCHY, ""},
		{"cannot_grant before role_protected", sManager, rEveryone, RoleEdit{Rename: true, Permissions: []string{roster.PermBanMembers}}, roster.ECANNOTGRANT, roster.PermBanMembers},
		{"key renames an unprotected role", sKey, rTop, RoleEdit{Rename: true}, "", ""},
		{"key takes ADMINISTRATOR from admin", sKey, rAdmin, RoleEdit{Permissions: []string{roster.PermManageRoles}}, roster.EROLEPROTECTED, ""},
		{"key clears admin", sKey, rAdmin, RoleEdit{Permissions: []string{}}, roster.EROLEPROTECTED, ""},
		{"owner takes ADMINISTRATOR from admin", sOwner, rAdmin, RoleEdit{Permissions: []string{roster.PermBanMembers}}, roster.EROLEPROTECTED, ""},
		{"key adds to admin keeping ADMINISTRATOR", sKey, rAdmin, RoleEdit{Permissions: []string{roster.PermManageRoles, roster.PermAdministrator}}, "", ""},
		{"key moves admin", sKey, rAdmin, RoleEdit{Position: intp(3)}, "", ""},
		{"key edits admin description", sKey, rAdmin, RoleEdit{}, "", ""},
		{"key moves everyone", sKey, rEveryone, RoleEdit{Position: intp(2)}, roster.EROLEPROTECTED, ""},
		{"manager moves everyone below top", sManager, rEveryone, RoleEdit{Position: intp(1)}, roster.EROLEPROTECTED, ""},
		{"key keeps everyone at 0", sKey, rEveryone, RoleEdit{Position: intp(0)}, "", ""},
		{"key clears everyone permissions", sKey, rEveryone, RoleEdit{Permissions: []string{}}, "", ""},
		{"manager edits everyone permissions", sManager, rEveryone, RoleEdit{Permissions: []string{roster.PermViewChannel, roster.PermSendMessages}}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := UpdateRole(UpdateRoleFacts{Actor: tc.s, Role: tc.r, Edit: tc.e, Roles: 100})
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			if tc.wantPerm != "" {
				if got := extra(err, "permission"); got != tc.wantPerm {
					t.Errorf("Extra[permission]: got %v, want %s", got, tc.wantPerm)
				}
			}
		})
	}
}

func TestDeleteRole(t *testing.T) {
	tests := []struct {
		name    string
		s       Subject
		r       RoleFacts
		holders int
		force   bool
		want    string
	}{
		{"key deletes an unheld role", sKey, rAbove, 0, false, ""},
		{"key deletes a held role without force", sKey, rAbove, 3, false, roster.EROLEINUSE},
		{"key deletes a held role with force", sKey, rAbove, 3, true, ""},
		{"key deletes everyone", sKey, rEveryone, 0, false, roster.EROLEPROTECTED},
		{"key deletes admin with force", sKey, rAdmin, 2, true, roster.EROLEPROTECTED},
		{"role_protected before role_in_use", sKey, rAdmin, 4, false, roster.EROLEPROTECTED},
		{"owner deletes admin", sOwner, rAdmin, 0, false, roster.EROLEPROTECTED},
		{"platform admin deletes everyone with force", sPAdmin, rEveryone, 0, true, roster.EROLEPROTECTED},
		{"owner deletes a role above anyone", sOwner, rAbove, 0, false, ""},
		{"platform admin deletes a held role without force", sPAdmin, rAbove, 1, false, roster.EROLEINUSE},
		{"user without MANAGE_ROLES", sNobody, rLow, 0, false, roster.EMISSINGPERMISSION},
		{"missing_permission before role_hierarchy", sNobody, rAbove, 0, false, roster.EMISSINGPERMISSION},
		{"manager deletes a lower role", sManager, rLow, 0, false, ""},
		{"manager deletes the role at top", sManager, rTop, 0, false, roster.EROLEHIERARCHY},
		{"manager deletes a role above top", sManager, rAbove, 0, false, roster.EROLEHIERARCHY},
		{"role_hierarchy before role_protected", sManager, rAdmin, 0, false, roster.EROLEHIERARCHY},
		{"role_hierarchy before role_in_use", sManager, rAbove, 2, false, roster.EROLEHIERARCHY},
		{"manager deletes everyone", sManager, rEveryone, 0, false, roster.EROLEPROTECTED},
		{"manager deletes a held lower role without force", sManager, rLow, 2, false, roster.EROLEINUSE},
		{"manager deletes a held lower role with force", sManager, rLow, 2, true, ""},
		{"community ADMINISTRATOR deletes a held lower role with force", sCAdmin, rBan, 1, true, ""},
		{"community ADMINISTRATOR deletes a role above top", sCAdmin, rAbove, 0, true, roster.EROLEHIERARCHY},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DeleteRole(DeleteRoleFacts{Actor: tc.s, Role: tc.r, Holders: tc.holders, Force: tc.force})
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			switch tc.want {
			case roster.EROLEINUSE:
				if got := extra(err, "holders"); got != tc.holders {
					t.Errorf("Extra[holders]: got %v, want %d", got, tc.holders)
				}
			case roster.EMISSINGPERMISSION:
				if got := extra(err, "permission"); got != roster.PermManageRoles {
					t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermManageRoles)
				}
			}
		})
	}
}

// roleFacts returns roles at the positions, bottom to top.
func roleFacts(positions map[string]int) []RoleFacts {
	out := make([]RoleFacts, 0, len(positions))
	for _, id := range listed(positions) {
		out = append(out, RoleFacts{ID: id, Position: positions[id]})
	}
	return out
}

// listed returns the ids of the positions, bottom to top.
func listed(positions map[string]int) []string {
	ids := make([]string, len(positions))
	for id, p := range positions {
		ids[p-1] = id
	}
	return ids
}

// order returns the positions of ids listed bottom to top, from 1.
func order(ids ...string) map[string]int {
	m := make(map[string]int, len(ids))
	for i, id := range ids {
		m[id] = i + 1
	}
	return m
}

func TestReorderRoles(t *testing.T) {
	// "top" is at position 5: the highest role of the restricted subjects.
	before := order("r1", "r2", "r3", "r4", "top", "r6", "r7")
	tests := []struct {
		name  string
		s     Subject
		after map[string]int
		want  string
	}{
		{"manager keeps the order", sManager, before, ""},
		{"manager swaps two roles below top", sManager, order("r2", "r1", "r3", "r4", "top", "r6", "r7"), ""},
		{"manager rotates every role below top", sManager, order("r4", "r1", "r2", "r3", "top", "r6", "r7"), ""},
		{"manager swaps a role with own top", sManager, order("r1", "r2", "r3", "top", "r4", "r6", "r7"), roster.EROLEHIERARCHY},
		{"manager lifts a role from below to top position", sManager, order("r2", "r3", "r4", "top", "r1", "r6", "r7"), roster.EROLEHIERARCHY},
		{"manager lifts a role above top", sManager, order("r2", "r3", "r4", "top", "r6", "r1", "r7"), roster.EROLEHIERARCHY},
		{"manager swaps two roles above top", sManager, order("r1", "r2", "r3", "r4", "top", "r7", "r6"), roster.EROLEHIERARCHY},
		{"manager lowers a role from above top", sManager, order("r7", "r1", "r2", "r3", "r4", "top", "r6"), roster.EROLEHIERARCHY},
		{"user without MANAGE_ROLES keeps the order", sNobody, before, roster.EMISSINGPERMISSION},
		{"user without MANAGE_ROLES swaps roles below top", sNobody, order("r2", "r1", "r3", "r4", "top", "r6", "r7"), roster.EMISSINGPERMISSION},
		{"missing_permission before role_hierarchy", sNobody, order("r1", "r2", "r3", "r4", "top", "r7", "r6"), roster.EMISSINGPERMISSION},
		{"community ADMINISTRATOR swaps roles below top", sCAdmin, order("r2", "r1", "r3", "r4", "top", "r6", "r7"), ""},
		{"community ADMINISTRATOR swaps roles above top", sCAdmin, order("r1", "r2", "r3", "r4", "top", "r7", "r6"), roster.EROLEHIERARCHY},
		{"key reverses everything", sKey, order("r7", "r6", "top", "r4", "r3", "r2", "r1"), ""},
		{"owner reverses everything", sOwner, order("r7", "r6", "top", "r4", "r3", "r2", "r1"), ""},
		{"platform admin reverses everything", sPAdmin, order("r7", "r6", "top", "r4", "r3", "r2", "r1"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReorderRoles(ReorderRolesFacts{Actor: tc.s, Roles: roleFacts(before), IDs: listed(tc.after)})
			if got := code(err); got != tc.want {
				t.Errorf("code: got %q, want %q", got, tc.want)
			}
		})
	}
}

// StepMoves decides each step as ReorderRoles decides the order it makes.
func TestStepMoves(t *testing.T) {
	ids := []string{"r1", "r2", "r3", "r4", "top", "r6", "r7"}
	roles := roleFacts(order(ids...))
	for _, s := range []Subject{sKey, sOwner, sPAdmin, sManager, sNobody, sCAdmin, sFloor} {
		up, down := StepMoves(s, roles)
		for i := range ids {
			for _, step := range []struct {
				dir  string
				got  error
				with int
			}{{"up", up[i], i + 1}, {"down", down[i], i - 1}} {
				if step.with < 0 || step.with >= len(ids) {
					if code(step.got) != roster.EVALIDATION {
						t.Errorf("%s: %s %s past the edge: got %v, want a validation error", s.User, ids[i], step.dir, step.got)
					}
					continue
				}
				swapped := slices.Clone(ids)
				swapped[i], swapped[step.with] = swapped[step.with], swapped[i]
				_, want := ReorderRoles(ReorderRolesFacts{Actor: s, Roles: roles, IDs: swapped})
				if code(step.got) != code(want) || fmt.Sprint(step.got) != fmt.Sprint(want) {
					t.Errorf("%q: %s %s: got %v, want %v (as ReorderRoles)", s.User, ids[i], step.dir, step.got, want)
				}
			}
		}
	}
}
