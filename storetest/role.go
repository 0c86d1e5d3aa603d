package storetest

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

var roleTests = []test{
	{"CreateRole", testCreateRole},
	{"CreateRoleInvalid", testCreateRoleInvalid},
	{"CreateRoleNoColour", testCreateRoleNoColour},
	{"CreateRoleNameTaken", testCreateRoleNameTaken},
	{"CreateRoleLimit", testCreateRoleLimit},
	{"RoleNotFound", testRoleNotFound},
	{"UpdateRole", testUpdateRole},
	{"UpdateRoleNameTaken", testUpdateRoleNameTaken},
	{"UpdateRoleVersionMismatch", testUpdateRoleVersionMismatch},
	{"UpdateBuiltinRoles", testUpdateBuiltinRoles},
	{"DeleteRole", testDeleteRole},
	{"DeleteRoleProtected", testDeleteRoleProtected},
	{"DeleteRoleInUse", testDeleteRoleInUse},
	{"DeleteRoleForce", testDeleteRoleForce},
	{"DeleteRoleVersionMismatch", testDeleteRoleVersionMismatch},
	{"ListRoleHolders", testListRoleHolders},
	{"EveryoneHolders", testEveryoneHolders},
}

func testCreateRole(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	r, rev, err := f.CreateRole(f.key, "c1", roster.Role{
		Name: "  Moderators ", Description: "Keep the peace", Colour: ptr("#00Ff88"),
		Permissions: []string{roster.PermMuteMembers, roster.PermBanMembers, roster.PermMuteMembers},
		Badge:       true, Metadata: json.RawMessage(`{"icon":"shield"}`),
	})
	wantCode(t, "CreateRole", err, "")
	if r.ID == "" || r.Name != "Moderators" || r.Description != "Keep the peace" || r.Colour == nil || *r.Colour != "#00Ff88" {
		t.Errorf("CreateRole: got %+v, want the trimmed name, description and colour", r)
	}
	if want := []string{roster.PermBanMembers, roster.PermMuteMembers}; !slices.Equal(r.Permissions, want) {
		t.Errorf("permissions: got %v, want %v (sorted, duplicates collapsed)", r.Permissions, want)
	}
	if r.Position != 1 || r.Version != 1 || r.Protected || r.Builtin != "" || !r.Badge || r.IsDefault {
		t.Errorf("CreateRole: got position %d version %d protected %v builtin %q badge %v default %v, want 1, 1, false, none, true, false",
			r.Position, r.Version, r.Protected, r.Builtin, r.Badge, r.IsDefault)
	}
	if r.CommunityID == nil || *r.CommunityID != "c1" || r.CreatedAt.IsZero() {
		t.Errorf("CreateRole: got community %v createdAt %v, want c1 and a time", r.CommunityID, r.CreatedAt)
	}
	if ev := wantEvent(t, f, "CreateRole", before, rev, roster.ActionRoleCreated); ev.Revision != 0 && (ev.TargetID != r.ID || ev.TargetType != roster.TargetRole) {
		t.Errorf("event: got revision %d target %s %s, want %d role %s", ev.Revision, ev.TargetType, ev.TargetID, rev, r.ID)
	}
	got := MustFindRole(t, f.key, f, "c1", r.ID)
	if got.Name != r.Name || !slices.Equal(got.Permissions, r.Permissions) || got.Colour == nil || *got.Colour != *r.Colour || got.Position != 1 || !got.Badge {
		t.Errorf("FindRole: got %+v, want %+v", got, r)
	}
	var meta map[string]string
	if err := json.Unmarshal(got.Metadata, &meta); err != nil || meta["icon"] != "shield" {
		t.Errorf("metadata: got %s, want {\"icon\":\"shield\"}", got.Metadata)
	}
	// The new role sits just above everyone; admin was pushed up.
	if admin := MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin); admin.Position != 2 {
		t.Errorf("admin position: got %d, want 2", admin.Position)
	}
	// Platform roles work the same.
	p := MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Global mods"})
	if p.CommunityID != nil || p.Position != 1 {
		t.Errorf("platform role: got community %v position %d, want none and 1", p.CommunityID, p.Position)
	}
}

func testCreateRoleInvalid(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	tests := []struct {
		name string
		r    roster.Role
	}{
		{"empty name", roster.Role{Name: " "}},
		{"long name", roster.Role{Name: strings.Repeat("r", 101)}},
		{"control character", roster.Role{Name: "a\nb"}},
		{"long description", roster.Role{Name: "R", Description: strings.Repeat("d", 1001)}},
		{"bad colour", roster.Role{Name: "R", Colour: ptr("red")}},
		{"short colour", roster.Role{Name: "R", Colour: ptr("#fff")}},
		{"unregistered permission", roster.Role{Name: "R", Permissions: []string{"NO_SUCH_KEY"}}},
		{"array metadata", roster.Role{Name: "R", Metadata: json.RawMessage(`[]`)}},
		{"large metadata", roster.Role{Name: "R", Metadata: json.RawMessage(`{"x":"` + strings.Repeat("m", 4096) + `"}`)}},
		{"position below 1", roster.Role{Name: "R", Position: -1}},
		{"position above the top", roster.Role{Name: "R", Position: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.CreateRole(f.key, "c1", tc.r)
			wantCode(t, "CreateRole", err, roster.EVALIDATION)
			wantNoChange(t, f, "CreateRole", before, rev)
		})
	}
	if ids := MustRoleIDs(t, f.key, f, "c1"); len(ids) != 2 {
		t.Errorf("roles after refusals: got %d, want 2", len(ids))
	}
	// The top position itself is fine: the new role goes above admin.
	top := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Top", Position: 2})
	if top.Position != 2 {
		t.Errorf("CreateRole at the top: got position %d, want 2", top.Position)
	}
}

// testCreateRoleNoColour checks that an empty colour means none, in the
// answer as in the stored role.
func testCreateRoleNoColour(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Plain", Colour: ptr("")})
	if found := MustFindRole(t, f.key, f, "c1", r.ID); found.Colour != nil {
		t.Errorf("FindRole: got colour %q, want none", *found.Colour)
	}
	if r.Colour != nil {
		t.Errorf("CreateRole: got colour %q, want none (nil), as FindRole answers", *r.Colour)
	}
}

func testCreateRoleNameTaken(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustCreateOwned(t, f.key, f, "c2", "")
	MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Moderators"})
	before := MustRevision(t, f.key, f)
	for _, name := range []string{"Moderators", "moderators", " MODERATORS ", "Everyone", "ADMIN"} {
		_, rev, err := f.CreateRole(f.key, "c1", roster.Role{Name: name})
		wantCode(t, "CreateRole("+name+")", err, roster.EROLENAMETAKEN)
		wantNoChange(t, f, "CreateRole("+name+")", before, rev)
	}
	if ids := MustRoleIDs(t, f.key, f, "c1"); len(ids) != 3 {
		t.Errorf("roles after refusals: got %d, want 3 with positions unchanged", len(ids))
	}
	// Names are unique per scope only.
	MustCreateRole(t, f.key, f, "c2", roster.Role{Name: "moderators"})
	MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Moderators"})
}

func testCreateRoleLimit(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	for i := 2; i < roster.MaxRolesPerScope; i++ {
		if _, _, err := f.CreateRole(f.key, "c1", roster.Role{Name: "role " + strconv.Itoa(i)}); err != nil {
			t.Fatalf("CreateRole number %d: %v", i+1, err)
		}
	}
	ids := MustRoleIDs(t, f.key, f, "c1")
	if len(ids) != roster.MaxRolesPerScope {
		t.Fatalf("roles: got %d, want %d", len(ids), roster.MaxRolesPerScope)
	}
	before := MustRevision(t, f.key, f)
	_, rev, err := f.CreateRole(f.key, "c1", roster.Role{Name: "one too many"})
	wantCode(t, "CreateRole past the limit", err, roster.ELIMITREACHED)
	wantNoChange(t, f, "CreateRole", before, rev)
	// Other scopes are not affected, and deleting one makes room.
	MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "one too many"})
	if _, err := f.DeleteRole(f.key, "c1", ids[1], roster.RoleDelete{}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "one too many"})
}

func testRoleNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustCreateOwned(t, f.key, f, "c2", "")
	other := MustCreateRole(t, f.key, f, "c2", roster.Role{Name: "Elsewhere"})
	before := MustRevision(t, f.key, f)
	for _, id := range []string{"nope", other.ID} {
		_, err := f.FindRole(f.key, "c1", id)
		wantCode(t, "FindRole("+id+")", err, roster.EROLENOTFOUND)
		_, rev, err := f.UpdateRole(f.key, "c1", id, roster.RoleUpdate{Name: ptr("x")})
		wantCode(t, "UpdateRole("+id+")", err, roster.EROLENOTFOUND)
		wantNoChange(t, f, "UpdateRole", before, rev)
		rev, err = f.DeleteRole(f.key, "c1", id, roster.RoleDelete{Force: true})
		wantCode(t, "DeleteRole("+id+")", err, roster.EROLENOTFOUND)
		wantNoChange(t, f, "DeleteRole", before, rev)
		_, _, err = f.ListRoleHolders(f.key, "c1", id, roster.Page{})
		wantCode(t, "ListRoleHolders("+id+")", err, roster.EROLENOTFOUND)
	}
	// An unknown community comes first.
	_, _, err := f.CreateRole(f.key, "nope", roster.Role{Name: "R"})
	wantCode(t, "CreateRole in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, err = f.FindRole(f.key, "nope", roster.BuiltinAdmin)
	wantCode(t, "FindRole in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = f.ListRoles(f.key, "nope", roster.Page{})
	wantCode(t, "ListRoles in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = f.UpdateRole(f.key, "nope", roster.BuiltinAdmin, roster.RoleUpdate{Name: ptr("x")})
	wantCode(t, "UpdateRole in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, err = f.DeleteRole(f.key, "nope", other.ID, roster.RoleDelete{})
	wantCode(t, "DeleteRole in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = f.ReorderRoles(f.key, "nope", []string{roster.BuiltinAdmin})
	wantCode(t, "ReorderRoles in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = f.ListRoleHolders(f.key, "nope", roster.BuiltinAdmin, roster.Page{})
	wantCode(t, "ListRoleHolders in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "refused requests", before, 0)
}

func testUpdateRole(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods", Colour: ptr("#112233"), Permissions: []string{roster.PermBanMembers}})
	before := MustRevision(t, f.key, f)
	got, rev, err := f.UpdateRole(f.key, "c1", r.ID, roster.RoleUpdate{
		Name: ptr(" Moderators "), Description: ptr("New"), Colour: ptr(""),
		Permissions: &[]string{roster.PermMuteMembers, roster.PermAttachFiles}, Badge: ptr(true), IfVersion: 1,
	})
	wantCode(t, "UpdateRole", err, "")
	if got.Name != "Moderators" || got.Description != "New" || got.Colour != nil || !got.Badge || got.Version != 2 {
		t.Errorf("UpdateRole: got name %q description %q colour %v badge %v version %d, want Moderators, New, none, true, 2",
			got.Name, got.Description, got.Colour, got.Badge, got.Version)
	}
	if want := roster.CleanKeys([]string{roster.PermMuteMembers, roster.PermAttachFiles}); !slices.Equal(got.Permissions, want) {
		t.Errorf("permissions: got %v, want %v", got.Permissions, want)
	}
	wantEvent(t, f, "UpdateRole", before, rev, roster.ActionRoleUpdated)
	found := MustFindRole(t, f.key, f, "c1", r.ID)
	if found.Name != "Moderators" || found.Version != 2 || !slices.Equal(found.Permissions, got.Permissions) {
		t.Errorf("FindRole: got %+v, want the update", found)
	}
	// Renaming a role to its own name in another case is fine.
	got, _, err = f.UpdateRole(f.key, "c1", r.ID, roster.RoleUpdate{Name: ptr("MODERATORS")})
	wantCode(t, "UpdateRole to another case", err, "")
	if got.Name != "MODERATORS" || got.Version != 3 {
		t.Errorf("UpdateRole: got name %q version %d, want MODERATORS, 3", got.Name, got.Version)
	}
	// Bad fields change nothing.
	before = MustRevision(t, f.key, f)
	for name, upd := range map[string]roster.RoleUpdate{
		"empty name":              {Name: ptr("")},
		"bad colour":              {Colour: ptr("#12345G")},
		"unregistered permission": {Permissions: &[]string{"NO_SUCH_KEY"}},
		"position 0":              {Position: ptr(0)},
		"position above the top":  {Position: ptr(3)},
	} {
		_, rev, err := f.UpdateRole(f.key, "c1", r.ID, upd)
		wantCode(t, "UpdateRole with "+name, err, roster.EVALIDATION)
		wantNoChange(t, f, "UpdateRole with "+name, before, rev)
	}
}

func testUpdateRoleNameTaken(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Helpers"})
	before := MustRevision(t, f.key, f)
	for _, name := range []string{"mods", "EVERYONE", "Admin"} {
		_, rev, err := f.UpdateRole(f.key, "c1", r.ID, roster.RoleUpdate{Name: ptr(name)})
		wantCode(t, "UpdateRole to "+name, err, roster.EROLENAMETAKEN)
		wantNoChange(t, f, "UpdateRole", before, rev)
	}
	if got := MustFindRole(t, f.key, f, "c1", r.ID); got.Name != "Helpers" || got.Version != 1 {
		t.Errorf("FindRole: got name %q version %d, want Helpers, 1", got.Name, got.Version)
	}
}

func testUpdateRoleVersionMismatch(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	if _, _, err := f.UpdateRole(f.key, "c1", r.ID, roster.RoleUpdate{Description: ptr("v2"), IfVersion: 1}); err != nil {
		t.Fatalf("UpdateRole at the current version: %v", err)
	}
	before := MustRevision(t, f.key, f)
	_, rev, err := f.UpdateRole(f.key, "c1", r.ID, roster.RoleUpdate{Description: ptr("v3"), IfVersion: 1})
	wantCode(t, "UpdateRole at a stale version", err, roster.EVERSIONMISMATCH)
	wantNoChange(t, f, "UpdateRole", before, rev)
	if got := MustFindRole(t, f.key, f, "c1", r.ID); got.Description != "v2" || got.Version != 2 {
		t.Errorf("FindRole: got description %q version %d, want v2, 2", got.Description, got.Version)
	}
}

func testUpdateBuiltinRoles(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	for _, alias := range []string{roster.BuiltinEveryone, roster.BuiltinAdmin} {
		_, rev, err := f.UpdateRole(f.key, "c1", alias, roster.RoleUpdate{Name: ptr("renamed")})
		wantCode(t, "renaming "+alias, err, roster.EROLEPROTECTED)
		wantNoChange(t, f, "renaming "+alias, before, rev)
		_, rev, err = f.UpdateRole(f.key, roster.Platform, alias, roster.RoleUpdate{Name: ptr("renamed")})
		wantCode(t, "renaming platform "+alias, err, roster.EROLEPROTECTED)
		wantNoChange(t, f, "renaming platform "+alias, before, rev)
	}
	// everyone's permissions are editable.
	perms := []string{roster.PermViewChannel, roster.PermAttachFiles}
	got, _, err := f.UpdateRole(f.key, "c1", roster.BuiltinEveryone, roster.RoleUpdate{Permissions: &perms, Description: ptr("All of us")})
	wantCode(t, "editing everyone's permissions", err, "")
	if !slices.Equal(got.Permissions, roster.CleanKeys(perms)) || got.Name != roster.BuiltinEveryone || got.Position != 0 {
		t.Errorf("everyone: got name %q position %d permissions %v, want everyone at 0 with %v", got.Name, got.Position, got.Permissions, perms)
	}
	// admin always grants ADMINISTRATOR.
	before = MustRevision(t, f.key, f)
	_, rev, err := f.UpdateRole(f.key, "c1", roster.BuiltinAdmin, roster.RoleUpdate{Permissions: &[]string{roster.PermManageRoles}})
	wantCode(t, "taking ADMINISTRATOR from admin", err, roster.EROLEPROTECTED)
	wantNoChange(t, f, "taking ADMINISTRATOR from admin", before, rev)
	// admin can move and change colour, but keeps its name.
	admin, _, err := f.UpdateRole(f.key, "c1", roster.BuiltinAdmin, roster.RoleUpdate{Colour: ptr("#ff0000")})
	wantCode(t, "editing admin's colour", err, "")
	if admin.Name != roster.BuiltinAdmin || admin.Colour == nil || !admin.Protected {
		t.Errorf("admin: got %+v, want the protected admin with a colour", admin)
	}
}

func testDeleteRole(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	a := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "A"})
	b := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "B"})
	c := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "C"})
	// Bottom up: everyone, C, B, A, admin.
	// Creating C pushed B up, a change of B: its version is now 2.
	before := MustRevision(t, f.key, f)
	rev, err := f.DeleteRole(f.key, "c1", b.ID, roster.RoleDelete{IfVersion: 2})
	wantCode(t, "DeleteRole", err, "")
	if ev := wantEvent(t, f, "DeleteRole", before, rev, roster.ActionRoleDeleted); ev.Revision != 0 && (ev.TargetID != b.ID) {
		t.Errorf("event: got revision %d target %s, want %d, %s", ev.Revision, ev.TargetID, rev, b.ID)
	}
	_, err = f.FindRole(f.key, "c1", b.ID)
	wantCode(t, "FindRole after deletion", err, roster.EROLENOTFOUND)
	admin := MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin)
	if got, want := MustRoleIDs(t, f.key, f, "c1"), []string{MustFindRole(t, f.key, f, "c1", roster.BuiltinEveryone).ID, c.ID, a.ID, admin.ID}; !slices.Equal(got, want) {
		t.Errorf("roles after deletion: got %v, want %v with positions closed up", got, want)
	}
	// The name is free again.
	MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "b"})
}

func testDeleteRoleProtected(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	for _, scope := range []string{"c1", roster.Platform} {
		for _, alias := range []string{roster.BuiltinEveryone, roster.BuiltinAdmin} {
			r := MustFindRole(t, f.key, f, scope, alias)
			for _, id := range []string{alias, r.ID} {
				rev, err := f.DeleteRole(f.key, scope, id, roster.RoleDelete{Force: true})
				wantCode(t, "DeleteRole("+id+")", err, roster.EROLEPROTECTED)
				wantNoChange(t, f, "DeleteRole", before, rev)
			}
		}
	}
}

func testDeleteRoleInUse(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{r.ID}})
	MustProvision(t, f.key, f, "c1", "alice", r.ID)
	before := MustRevision(t, f.key, f)
	rev, err := f.DeleteRole(f.key, "c1", r.ID, roster.RoleDelete{})
	wantCode(t, "DeleteRole of a held role", err, roster.EROLEINUSE)
	if got := extra(err, "holders"); got != 2 {
		t.Errorf("Extra[holders]: got %v, want 2", got)
	}
	wantNoChange(t, f, "DeleteRole", before, rev)
	if m := MustMember(t, f.key, f, "c1", "bob"); !holds(m, r.ID) {
		t.Errorf("bob's roles: got %v, want Mods kept", m.Roles)
	}
}

func testDeleteRoleForce(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{r.ID}})
	MustProvision(t, f.key, f, "c1", "alice", r.ID)
	before := MustRevision(t, f.key, f)
	rev, err := f.DeleteRole(f.key, "c1", r.ID, roster.RoleDelete{Force: true})
	wantCode(t, "DeleteRole with force", err, "")
	events := MustEventsSince(t, f.key, f, before)
	// One event per assignment removed: alice's two grants and bob's one.
	wantActions(t, "forced DeleteRole", events, roster.ActionMemberRoleRemoved, roster.ActionMemberRoleRemoved, roster.ActionMemberRoleRemoved, roster.ActionRoleDeleted)
	if n := len(events); n > 0 && events[n-1].Revision != rev {
		t.Errorf("DeleteRole: got revision %d, want %d", rev, events[n-1].Revision)
	}
	var targets []string
	for _, e := range events {
		if e.Action == roster.ActionMemberRoleRemoved {
			targets = append(targets, e.TargetID)
		}
	}
	slices.Sort(targets)
	if want := []string{"alice", "alice", "bob"}; !slices.Equal(targets, want) {
		t.Errorf("targets of %s: got %v, want %v", roster.ActionMemberRoleRemoved, targets, want)
	}
	for _, u := range []string{"alice", "bob"} {
		if m := MustMember(t, f.key, f, "c1", u); len(m.Roles) != 0 {
			t.Errorf("%s's roles: got %v, want none", u, m.Roles)
		}
	}
}

func testDeleteRoleVersionMismatch(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	if _, _, err := f.UpdateRole(f.key, "c1", r.ID, roster.RoleUpdate{Description: ptr("v2")}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	before := MustRevision(t, f.key, f)
	rev, err := f.DeleteRole(f.key, "c1", r.ID, roster.RoleDelete{IfVersion: 1})
	wantCode(t, "DeleteRole at a stale version", err, roster.EVERSIONMISMATCH)
	wantNoChange(t, f, "DeleteRole", before, rev)
	_, err = f.DeleteRole(f.key, "c1", r.ID, roster.RoleDelete{IfVersion: 2})
	wantCode(t, "DeleteRole at the current version", err, "")
}

func testListRoleHolders(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "carol", "alice", "bob")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"carol", "alice"}, RoleIDs: []string{r.ID}})
	MustProvision(t, f.key, f, "c1", "alice", r.ID)
	holders, next, err := f.ListRoleHolders(f.key, "c1", r.ID, roster.Page{})
	wantCode(t, "ListRoleHolders", err, "")
	if len(holders) != 2 || next != "" {
		t.Fatalf("ListRoleHolders: got %d holders (next %q), want alice and carol", len(holders), next)
	}
	if holders[0].UserID != "alice" || holders[1].UserID != "carol" {
		t.Errorf("order: got %s, %s, want alice, carol", holders[0].UserID, holders[1].UserID)
	}
	if len(holders[0].Grants) != 2 || len(holders[1].Grants) != 1 {
		t.Errorf("grants: got %d for alice and %d for carol, want 2 and 1", len(holders[0].Grants), len(holders[1].Grants))
	}
	for _, g := range holders[1].Grants {
		if g.Source != roster.SourceManual || g.GrantedBy.KeyID != KeyID || g.GrantedAt.IsZero() || g.ExpiresAt != nil {
			t.Errorf("carol's grant: got %+v, want manual by %s with a time, no expiry", g, KeyID)
		}
	}
	admins, _, err := f.ListRoleHolders(f.key, "c1", roster.BuiltinAdmin, roster.Page{})
	wantCode(t, "ListRoleHolders(admin)", err, "")
	if len(admins) != 0 {
		t.Errorf("holders of admin: got %d, want none", len(admins))
	}
}

func testEveryoneHolders(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "alice")
	MustAddMember(t, f.key, f, "c1", "bob", "carol")
	MustCreateOwned(t, f.key, f, "other", "dave")
	holders, next, err := f.ListRoleHolders(f.key, "c1", roster.BuiltinEveryone, roster.Page{Limit: 2})
	wantCode(t, "ListRoleHolders(everyone)", err, "")
	more, _, err := f.ListRoleHolders(f.key, "c1", roster.BuiltinEveryone, roster.Page{Limit: 2, Cursor: next})
	wantCode(t, "ListRoleHolders(everyone) page 2", err, "")
	var users []string
	for _, h := range append(holders, more...) {
		if len(h.Grants) != 0 {
			t.Errorf("holder %s: got grants %v, want none (everyone is held implicitly)", h.UserID, h.Grants)
		}
		users = append(users, h.UserID)
	}
	if want := []string{"alice", "bob", "carol"}; !slices.Equal(users, want) {
		t.Errorf("holders of everyone: got %v, want the members %v", users, want)
	}
	platform, _, err := f.ListRoleHolders(f.key, roster.Platform, roster.BuiltinEveryone, roster.Page{})
	wantCode(t, "ListRoleHolders(platform everyone)", err, "")
	if len(platform) != 4 {
		t.Errorf("holders of the platform's everyone: got %v, want every user (4)", platform)
	}
}
