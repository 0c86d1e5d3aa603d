package storetest

import (
	"context"
	"strconv"
	"testing"

	"github.com/rosterhq/roster"
)

var guardTests = []test{
	{"MissingPermission", testMissingPermission},
	{"RoleHierarchy", testRoleHierarchy},
	{"CreateBelowOwnRole", testCreateBelowOwnRole},
	{"CannotGrantPermission", testCannotGrantPermission},
	{"CannotRemoveOwnAdmin", testCannotRemoveOwnAdmin},
	{"OwnerBypass", testOwnerBypass},
	{"PlatformAdminBypass", testPlatformAdminBypass},
	{"CommunityAdministrator", testCommunityAdministrator},
	{"NotFoundBeforeGuards", testNotFoundBeforeGuards},
}

// guarded is a community for the guard tests. Bottom up its roles are
// everyone, Low (BAN_MEMBERS), Mods (MANAGE_ROLES, MUTE_MEMBERS), High and
// admin. Members: owner, mod (Mods), nobody (no role), alice (Low) and
// cadmin (admin).
type guarded struct {
	*fixture
	low, mods, high roster.Role
}

func newGuarded(t *testing.T, open Opener) *guarded {
	t.Helper()
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "mod", "nobody", "alice", "cadmin")
	g := &guarded{fixture: f}
	g.low = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Low", Permissions: []string{roster.PermBanMembers}})
	g.mods = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods", Position: 2, Permissions: []string{roster.PermManageRoles, roster.PermMuteMembers}})
	g.high = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "High", Position: 3})
	MustGrant(t, f.key, f, "c1", "mod", g.mods.ID)
	MustGrant(t, f.key, f, "c1", "alice", g.low.ID)
	MustGrant(t, f.key, f, "c1", "cadmin", roster.BuiltinAdmin)
	if admin := MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin); admin.Position != 4 {
		t.Fatalf("admin position: got %d, want 4", admin.Position)
	}
	return g
}

// refused runs a request that must fail with code want and change nothing.
type refusal struct {
	name string
	do   func(ctx context.Context) (roster.Revision, error)
	want string
}

func (g *guarded) wantRefused(t *testing.T, user string, tests []refusal) {
	t.Helper()
	before := MustRevision(t, g.key, g)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev, err := tc.do(g.as(t, user))
			wantCode(t, tc.name, err, tc.want)
			wantNoChange(t, g.fixture, tc.name, before, rev)
		})
	}
}

// Helpers that drop all but the revision and the error.
func (g *guarded) create(r roster.Role) func(context.Context) (roster.Revision, error) {
	return func(ctx context.Context) (roster.Revision, error) {
		_, rev, err := g.CreateRole(ctx, "c1", r)
		return rev, err
	}
}

func (g *guarded) update(id string, u roster.RoleUpdate) func(context.Context) (roster.Revision, error) {
	return func(ctx context.Context) (roster.Revision, error) {
		_, rev, err := g.UpdateRole(ctx, "c1", id, u)
		return rev, err
	}
}

func (g *guarded) remove(id string) func(context.Context) (roster.Revision, error) {
	return func(ctx context.Context) (roster.Revision, error) {
		return g.DeleteRole(ctx, "c1", id, roster.RoleDelete{Force: true})
	}
}

func (g *guarded) reorder(ids ...string) func(context.Context) (roster.Revision, error) {
	return func(ctx context.Context) (roster.Revision, error) {
		_, rev, err := g.ReorderRoles(ctx, "c1", ids)
		return rev, err
	}
}

func (g *guarded) add(scope, user, role string) func(context.Context) (roster.Revision, error) {
	return func(ctx context.Context) (roster.Revision, error) {
		_, rev, err := g.AddRoles(ctx, one(scope, user, role))
		return rev, err
	}
}

func (g *guarded) take(scope, user, role string) func(context.Context) (roster.Revision, error) {
	return func(ctx context.Context) (roster.Revision, error) {
		_, rev, err := g.RemoveRole(ctx, grant(one(scope, user, role)))
		return rev, err
	}
}

func testMissingPermission(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	g.wantRefused(t, "nobody", []refusal{
		{"CreateRole", g.create(roster.Role{Name: "New"}), roster.EMISSINGPERMISSION},
		{"UpdateRole", g.update(g.low.ID, roster.RoleUpdate{Description: ptr("x")}), roster.EMISSINGPERMISSION},
		{"DeleteRole", g.remove(g.low.ID), roster.EMISSINGPERMISSION},
		{"ReorderRoles", g.reorder(g.low.ID, g.mods.ID, g.high.ID, roster.BuiltinAdmin), roster.EMISSINGPERMISSION},
		{"AddRoles", g.add("c1", "alice", g.high.ID), roster.EMISSINGPERMISSION},
		{"AddRoles to oneself", g.add("c1", "nobody", g.low.ID), roster.EMISSINGPERMISSION},
		{"RemoveRoles", g.take("c1", "alice", g.low.ID), roster.EMISSINGPERMISSION},
		{"platform AddRoles", g.add(roster.Platform, "nobody", roster.BuiltinAdmin), roster.EMISSINGPERMISSION},
		// 403s come before the 409 conflicts.
		{"AddRoles of everyone", g.add("c1", "alice", roster.BuiltinEveryone), roster.EMISSINGPERMISSION},
		{"CreateRole with a taken name", g.create(roster.Role{Name: "mods"}), roster.EMISSINGPERMISSION},
		{"DeleteRole of a held role", func(ctx context.Context) (roster.Revision, error) {
			return g.DeleteRole(ctx, "c1", g.low.ID, roster.RoleDelete{})
		}, roster.EMISSINGPERMISSION},
		{"DeleteRole of admin", g.remove(roster.BuiltinAdmin), roster.EMISSINGPERMISSION},
		{"UpdateRole renaming everyone", g.update(roster.BuiltinEveryone, roster.RoleUpdate{Name: ptr("all")}), roster.EMISSINGPERMISSION},
	})
	_, _, err := g.CreateRole(g.as(t, "nobody"), "c1", roster.Role{Name: "New"})
	if got := extra(err, "permission"); got != roster.PermManageRoles {
		t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermManageRoles)
	}
	// A role granting MANAGE_ROLES in another community does not count.
	MustCreateOwned(t, g.key, g, "c2", "")
	MustAddMember(t, g.key, g, "c2", "nobody")
	managers := MustCreateRole(t, g.key, g, "c2", roster.Role{Name: "Managers", Permissions: []string{roster.PermManageRoles}})
	MustGrant(t, g.key, g, "c2", "nobody", managers.ID)
	g.wantRefused(t, "nobody", []refusal{
		{"CreateRole with MANAGE_ROLES elsewhere", g.create(roster.Role{Name: "New"}), roster.EMISSINGPERMISSION},
	})
}

func testRoleHierarchy(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	MustGrant(t, g.key, g, "c1", "alice", g.high.ID)
	g.wantRefused(t, "mod", []refusal{
		{"AddRoles of one's own role", g.add("c1", "nobody", g.mods.ID), roster.EROLEHIERARCHY},
		{"AddRoles of a higher role", g.add("c1", "nobody", g.high.ID), roster.EROLEHIERARCHY},
		{"AddRoles of admin", g.add("c1", "nobody", roster.BuiltinAdmin), roster.EROLEHIERARCHY},
		{"RemoveRoles of a higher role", g.take("c1", "alice", g.high.ID), roster.EROLEHIERARCHY},
		{"UpdateRole of one's own role", g.update(g.mods.ID, roster.RoleUpdate{Description: ptr("x")}), roster.EROLEHIERARCHY},
		{"UpdateRole of a higher role", g.update(g.high.ID, roster.RoleUpdate{Description: ptr("x")}), roster.EROLEHIERARCHY},
		{"UpdateRole moving a lower role up to one's own", g.update(g.low.ID, roster.RoleUpdate{Position: ptr(2)}), roster.EROLEHIERARCHY},
		{"UpdateRole moving a lower role above one's own", g.update(g.low.ID, roster.RoleUpdate{Position: ptr(3)}), roster.EROLEHIERARCHY},
		{"DeleteRole of a higher role", g.remove(g.high.ID), roster.EROLEHIERARCHY},
		{"DeleteRole of one's own role", g.remove(g.mods.ID), roster.EROLEHIERARCHY},
		{"CreateRole above one's own", g.create(roster.Role{Name: "New", Position: 3}), roster.EROLEHIERARCHY},
		{"ReorderRoles swapping one's own role down", g.reorder(g.mods.ID, g.low.ID, g.high.ID, roster.BuiltinAdmin), roster.EROLEHIERARCHY},
		{"ReorderRoles moving higher roles", g.reorder(g.low.ID, g.mods.ID, roster.BuiltinAdmin, g.high.ID), roster.EROLEHIERARCHY},
		{"RemoveRoles of admin", g.take("c1", "cadmin", roster.BuiltinAdmin), roster.EROLEHIERARCHY},
		// Below one's own role, the conflicts still apply.
		{"UpdateRole renaming everyone", g.update(roster.BuiltinEveryone, roster.RoleUpdate{Name: ptr("all")}), roster.EROLEPROTECTED},
		{"AddRoles of everyone", g.add("c1", "alice", roster.BuiltinEveryone), roster.EROLENOTASSIGNABLE},
	})
	// Below one's own role everything is allowed.
	if _, _, err := g.AddRoles(g.as(t, "mod"), one("c1", "nobody", g.low.ID)); err != nil {
		t.Errorf("AddRoles of a lower role: got %v, want success", err)
	}
	if _, _, err := g.RemoveRole(g.as(t, "mod"), grant(one("c1", "nobody", g.low.ID))); err != nil {
		t.Errorf("RemoveRoles of a lower role: got %v, want success", err)
	}
	if _, _, err := g.UpdateRole(g.as(t, "mod"), "c1", g.low.ID, roster.RoleUpdate{Name: ptr("Lower")}); err != nil {
		t.Errorf("UpdateRole of a lower role: got %v, want success", err)
	}
	if _, _, err := g.ReorderRoles(g.as(t, "mod"), "c1", []string{g.low.ID, g.mods.ID, g.high.ID, roster.BuiltinAdmin}); err != nil {
		t.Errorf("ReorderRoles keeping the order: got %v, want success", err)
	}
	if _, err := g.DeleteRole(g.as(t, "mod"), "c1", g.low.ID, roster.RoleDelete{Force: true}); err != nil {
		t.Errorf("DeleteRole of a lower role: got %v, want success", err)
	}
}

func testCreateBelowOwnRole(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	// A new role at 2 pushes Mods up to 3, so it lands below Mods.
	for _, pos := range []int{0, 1, 2} {
		r, _, err := g.CreateRole(g.as(t, "mod"), "c1", roster.Role{Name: "New " + strconv.Itoa(pos), Position: pos})
		wantCode(t, "CreateRole at "+strconv.Itoa(pos), err, "")
		mods := MustFindRole(t, g.key, g, "c1", g.mods.ID)
		if r.Position >= mods.Position {
			t.Errorf("CreateRole at %d: got the new role at %d and Mods at %d, want it below Mods", pos, r.Position, mods.Position)
		}
	}
	// The reorder of roles below one's own is allowed.
	ids := MustRoleIDs(t, g.key, g, "c1")[1:]
	ids[0], ids[1] = ids[1], ids[0]
	if _, _, err := g.ReorderRoles(g.as(t, "mod"), "c1", ids); err != nil {
		t.Errorf("ReorderRoles below one's own role: got %v, want success", err)
	}
}

func testCannotGrantPermission(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	g.wantRefused(t, "mod", []refusal{
		{"CreateRole with a permission one lacks", g.create(roster.Role{Name: "New", Permissions: []string{roster.PermMuteMembers, roster.PermBanMembers}}), roster.ECANNOTGRANT},
		{"CreateRole with ADMINISTRATOR", g.create(roster.Role{Name: "New", Permissions: []string{roster.PermAdministrator}}), roster.ECANNOTGRANT},
		{"UpdateRole adding a permission one lacks", g.update(g.low.ID, roster.RoleUpdate{Permissions: &[]string{roster.PermBanMembers, roster.PermManageChannels}}), roster.ECANNOTGRANT},
	})
	_, _, err := g.CreateRole(g.as(t, "mod"), "c1", roster.Role{Name: "New", Permissions: []string{roster.PermBanMembers}})
	if got := extra(err, "permission"); got != roster.PermBanMembers {
		t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermBanMembers)
	}
	// Permissions one holds, from one's roles or from everyone, are fine; so
	// is keeping a permission the role already grants.
	if _, _, err := g.CreateRole(g.as(t, "mod"), "c1", roster.Role{Name: "Helpers", Permissions: []string{roster.PermMuteMembers, roster.PermSendMessages}}); err != nil {
		t.Errorf("CreateRole with held permissions: got %v, want success", err)
	}
	keep := []string{roster.PermBanMembers, roster.PermMuteMembers}
	if _, _, err := g.UpdateRole(g.as(t, "mod"), "c1", g.low.ID, roster.RoleUpdate{Permissions: &keep}); err != nil {
		t.Errorf("UpdateRole keeping BAN_MEMBERS: got %v, want success", err)
	}
}

func testCannotRemoveOwnAdmin(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	MustGrant(t, g.key, g, "c1", "owner", roster.BuiltinAdmin)
	MustGrant(t, g.key, g, roster.Platform, "root", roster.BuiltinAdmin)
	MustGrant(t, g.key, g, roster.Platform, "root2", roster.BuiltinAdmin)
	for _, user := range []string{"cadmin", "owner"} {
		g.wantRefused(t, user, []refusal{
			{user + " removes admin from self", g.take("c1", user, roster.BuiltinAdmin), roster.ECANNOTREMOVEADMIN},
		})
	}
	g.wantRefused(t, "root", []refusal{
		{"platform admin removes platform admin from self", g.take(roster.Platform, "root", roster.BuiltinAdmin), roster.ECANNOTREMOVEADMIN},
	})
	// Removing it from another holder is fine.
	if _, _, err := g.RemoveRole(g.as(t, "root"), grant(one(roster.Platform, "root2", roster.BuiltinAdmin))); err != nil {
		t.Errorf("platform admin removes another's admin: got %v, want success", err)
	}
	if _, _, err := g.RemoveRole(g.as(t, "owner"), grant(one("c1", "cadmin", roster.BuiltinAdmin))); err != nil {
		t.Errorf("owner removes another's admin: got %v, want success", err)
	}
}

func testOwnerBypass(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	ctx := g.as(t, "owner")
	top, _, err := g.CreateRole(ctx, "c1", roster.Role{Name: "Top", Position: 5, Permissions: []string{roster.PermAdministrator, roster.PermManageChannels}})
	wantCode(t, "owner CreateRole at the top", err, "")
	if top.Position != 5 {
		t.Errorf("position: got %d, want 5", top.Position)
	}
	_, _, err = g.AddRoles(ctx, one("c1", "alice", roster.BuiltinAdmin))
	wantCode(t, "owner AddRoles(admin)", err, "")
	_, _, err = g.UpdateRole(ctx, "c1", roster.BuiltinAdmin, roster.RoleUpdate{Position: ptr(1)})
	wantCode(t, "owner moves admin", err, "")
	_, err = g.DeleteRole(ctx, "c1", g.high.ID, roster.RoleDelete{})
	wantCode(t, "owner DeleteRole", err, "")
}

func testPlatformAdminBypass(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	MustGrant(t, g.key, g, roster.Platform, "root", roster.BuiltinAdmin)
	ctx := g.as(t, "root")
	// root is not even a member of c1.
	if _, _, err := g.CreateRole(ctx, "c1", roster.Role{Name: "Top", Position: 5, Permissions: []string{roster.PermManageChannels}}); err != nil {
		t.Errorf("platform admin CreateRole at the top: got %v, want success", err)
	}
	if _, _, err := g.AddRoles(ctx, one("c1", "alice", roster.BuiltinAdmin)); err != nil {
		t.Errorf("platform admin AddRoles(admin): got %v, want success", err)
	}
	if _, _, err := g.UpdateRole(ctx, "c1", g.high.ID, roster.RoleUpdate{Permissions: &[]string{roster.PermAdministrator}}); err != nil {
		t.Errorf("platform admin UpdateRole: got %v, want success", err)
	}
	// A platform role granting only MANAGE_ROLES is no bypass.
	managers := MustCreateRole(t, g.key, g, roster.Platform, roster.Role{Name: "Managers", Permissions: []string{roster.PermManageRoles}})
	MustGrant(t, g.key, g, roster.Platform, "pm", managers.ID)
	MustAddMember(t, g.key, g, "c1", "pm")
	g.wantRefused(t, "pm", []refusal{
		{"platform manager adds a community role above their own", g.add("c1", "alice", g.high.ID), roster.EROLEHIERARCHY},
	})
}

func testCommunityAdministrator(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	ctx := g.as(t, "cadmin")
	// ADMINISTRATOR gives every permission, but not a place above admin.
	if _, _, err := g.CreateRole(ctx, "c1", roster.Role{Name: "Channels", Permissions: []string{roster.PermManageChannels, roster.PermAdministrator}}); err != nil {
		t.Errorf("community admin CreateRole: got %v, want success", err)
	}
	if _, _, err := g.AddRoles(ctx, one("c1", "alice", g.high.ID)); err != nil {
		t.Errorf("community admin AddRoles(High): got %v, want success", err)
	}
	g.wantRefused(t, "cadmin", []refusal{
		{"community admin AddRoles(admin)", g.add("c1", "alice", roster.BuiltinAdmin), roster.EROLEHIERARCHY},
	})
}

func testNotFoundBeforeGuards(t *testing.T, open Opener) {
	g := newGuarded(t, open)
	g.wantRefused(t, "nobody", []refusal{
		{"UpdateRole of an unknown role", g.update("nope", roster.RoleUpdate{Description: ptr("x")}), roster.EROLENOTFOUND},
		{"DeleteRole of an unknown role", func(ctx context.Context) (roster.Revision, error) {
			return g.DeleteRole(ctx, "c1", "nope", roster.RoleDelete{})
		}, roster.EROLENOTFOUND},
		{"AddRoles to a non-member", g.add("c1", "stranger", g.low.ID), roster.EMEMBERNOTFOUND},
		{"AddRoles of an unknown role", g.add("c1", "alice", "nope"), roster.EROLENOTFOUND},
		{"CreateRole in an unknown community", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := g.CreateRole(ctx, "nope", roster.Role{Name: "R"})
			return rev, err
		}, roster.ECOMMUNITYNOTFOUND},
	})
}
