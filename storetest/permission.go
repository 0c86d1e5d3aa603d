package storetest

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

var permissionTests = []test{
	{"BuiltinCatalog", testBuiltinCatalog},
	{"CreatePermission", testCreatePermission},
	{"CreatePermissionInvalid", testCreatePermissionInvalid},
	{"CreatePermissionExists", testCreatePermissionExists},
	{"CreatePermissionLimit", testCreatePermissionLimit},
	{"DeletePermission", testDeletePermission},
	{"DeletePermissionNotFound", testDeletePermissionNotFound},
	{"DeletePermissionBuiltin", testDeletePermissionBuiltin},
	{"DeletePermissionInUse", testDeletePermissionInUse},
	{"PermissionGuards", testPermissionGuards},
}

func allPermissions(t *testing.T, f *fixture) []roster.Permission {
	t.Helper()
	list, next, err := f.ListPermissions(f.key, roster.Page{Limit: roster.MaxPageLimit})
	if err != nil {
		t.Fatalf("ListPermissions: %v", err)
	}
	if next != "" {
		t.Fatalf("ListPermissions: got next cursor %q for a full page, want none", next)
	}
	return list
}

func testBuiltinCatalog(t *testing.T, open Opener) {
	f := newFixture(t, open)
	list := allPermissions(t, f)
	if got, want := len(list), len(roster.BuiltinPermissions); got != want {
		t.Fatalf("catalog size: got %d, want %d", got, want)
	}
	keys := make([]string, len(list))
	for i, p := range list {
		keys[i] = p.Key
		if !p.Builtin {
			t.Errorf("%s: got builtin false, want true", p.Key)
		}
	}
	want := roster.CleanKeys(roster.BuiltinPermissions)
	if !slices.Equal(keys, want) {
		t.Errorf("catalog: got %v, want %v (ordered by key)", keys, want)
	}
}

func testCreatePermission(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	p, rev, err := f.CreatePermission(f.key, roster.Permission{Key: "REDEEM_REWARDS", Description: "Redeem rewards"})
	wantCode(t, "CreatePermission", err, "")
	if p.Key != "REDEEM_REWARDS" || p.Description != "Redeem rewards" || p.Builtin {
		t.Errorf("CreatePermission: got %+v, want key REDEEM_REWARDS, the description, not builtin", p)
	}
	if p.CreatedAt.IsZero() {
		t.Error("CreatePermission: got zero createdAt, want the time of creation")
	}
	if ev := wantEvent(t, f, "CreatePermission", before, rev, roster.ActionPermissionCreated); ev.Revision != 0 && (ev.TargetID != "REDEEM_REWARDS" || ev.TargetType != roster.TargetPermission) {
		t.Errorf("event: got %+v, want revision %d, target permission REDEEM_REWARDS", ev, rev)
	}
	list := allPermissions(t, f)
	i := slices.IndexFunc(list, func(p roster.Permission) bool { return p.Key == "REDEEM_REWARDS" })
	if i < 0 {
		t.Fatal("ListPermissions: REDEEM_REWARDS missing after creation")
	}
	if list[i].Builtin || list[i].Description != "Redeem rewards" {
		t.Errorf("ListPermissions: got %+v, want a custom key with its description", list[i])
	}
}

func testCreatePermissionInvalid(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	tests := []struct {
		name string
		p    roster.Permission
	}{
		{"lower case", roster.Permission{Key: "redeem"}},
		{"one character", roster.Permission{Key: "R"}},
		{"leading digit", roster.Permission{Key: "1REDEEM"}},
		{"dash", roster.Permission{Key: "REDEEM-REWARDS"}},
		{"too long", roster.Permission{Key: "A" + strings.Repeat("B", 64)}},
		{"empty", roster.Permission{}},
		{"description too long", roster.Permission{Key: "REDEEM", Description: strings.Repeat("d", 1001)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.CreatePermission(f.key, tc.p)
			wantCode(t, "CreatePermission", err, roster.EVALIDATION)
			wantNoChange(t, f, "CreatePermission", before, rev)
		})
	}
	if _, _, err := f.CreatePermission(f.key, roster.Permission{Key: "A" + strings.Repeat("B", 63), Description: strings.Repeat("d", 1000)}); err != nil {
		t.Errorf("CreatePermission of 64 characters with a 1000-character description: got %v, want success", err)
	}
}

func testCreatePermissionExists(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	before := MustRevision(t, f.key, f)
	for _, key := range []string{"REDEEM_REWARDS", roster.PermManageRoles} {
		_, rev, err := f.CreatePermission(f.key, roster.Permission{Key: key})
		wantCode(t, "CreatePermission("+key+")", err, roster.EPERMISSIONEXISTS)
		wantNoChange(t, f, "CreatePermission("+key+")", before, rev)
	}
}

func testDeletePermission(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	before := MustRevision(t, f.key, f)
	rev, err := f.DeletePermission(f.key, "REDEEM_REWARDS")
	wantCode(t, "DeletePermission", err, "")
	wantEvent(t, f, "DeletePermission", before, rev, roster.ActionPermissionDeleted)
	for _, p := range allPermissions(t, f) {
		if p.Key == "REDEEM_REWARDS" {
			t.Error("ListPermissions: REDEEM_REWARDS still listed after deletion")
		}
	}
	_, err = f.DeletePermission(f.key, "REDEEM_REWARDS")
	wantCode(t, "DeletePermission again", err, roster.EPERMISSIONNOTFOUND)
	// The key can be registered again.
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
}

func testDeletePermissionNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	rev, err := f.DeletePermission(f.key, "NO_SUCH_KEY")
	wantCode(t, "DeletePermission", err, roster.EPERMISSIONNOTFOUND)
	wantNoChange(t, f, "DeletePermission", before, rev)
}

func testDeletePermissionBuiltin(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	for _, key := range []string{roster.PermSendMessages, roster.PermAdministrator} {
		rev, err := f.DeletePermission(f.key, key)
		wantCode(t, "DeletePermission("+key+")", err, roster.EPERMISSIONBUILTIN)
		wantNoChange(t, f, "DeletePermission("+key+")", before, rev)
	}
	if got := len(allPermissions(t, f)); got != len(roster.BuiltinPermissions) {
		t.Errorf("catalog size: got %d, want %d", got, len(roster.BuiltinPermissions))
	}
}

func testDeletePermissionInUse(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	MustCreateOwned(t, f.key, f, "c1", "")
	r1 := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Redeemer", Permissions: []string{"REDEEM_REWARDS"}})
	r2 := MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Global redeemer", Permissions: []string{"REDEEM_REWARDS"}})
	before := MustRevision(t, f.key, f)
	rev, err := f.DeletePermission(f.key, "REDEEM_REWARDS")
	wantCode(t, "DeletePermission", err, roster.EPERMISSIONINUSE)
	if got := extra(err, "roles"); got != 2 {
		t.Errorf("Extra[roles]: got %v, want 2", got)
	}
	wantNoChange(t, f, "DeletePermission", before, rev)

	// Once no role grants it, the key can go.
	if _, err := f.DeleteRole(f.key, "c1", r1.ID, roster.RoleDelete{}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	if _, _, err := f.UpdateRole(f.key, roster.Platform, r2.ID, roster.RoleUpdate{Permissions: &[]string{}}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	_, err = f.DeletePermission(f.key, "REDEEM_REWARDS")
	wantCode(t, "DeletePermission after its roles let it go", err, "")
}

// testPermissionGuards checks that managing the catalog is for keys and
// users with MANAGE_ROLES at platform scope.
func testPermissionGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	before := MustRevision(t, f.key, f)
	_, rev, err := f.CreatePermission(f.as(t, "nobody"), roster.Permission{Key: "OTHER_KEY"})
	wantCode(t, "CreatePermission by a user without MANAGE_ROLES", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "CreatePermission", before, rev)
	rev, err = f.DeletePermission(f.as(t, "nobody"), "REDEEM_REWARDS")
	wantCode(t, "DeletePermission by a user without MANAGE_ROLES", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "DeletePermission", before, rev)

	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	if _, _, err := f.CreatePermission(f.as(t, "root"), roster.Permission{Key: "OTHER_KEY"}); err != nil {
		t.Errorf("CreatePermission by a platform administrator: got %v, want success", err)
	}
	if _, err := f.DeletePermission(f.as(t, "root"), "OTHER_KEY"); err != nil {
		t.Errorf("DeletePermission by a platform administrator: got %v, want success", err)
	}
}

func testCreatePermissionLimit(t *testing.T, open Opener) {
	f := newFixture(t, open)
	for i := len(roster.BuiltinPermissions); i < roster.MaxPermissions; i++ {
		if _, _, err := f.CreatePermission(f.key, roster.Permission{Key: "KEY_" + strconv.Itoa(i)}); err != nil {
			t.Fatalf("CreatePermission number %d: %v", i+1, err)
		}
	}
	before := MustRevision(t, f.key, f)
	_, rev, err := f.CreatePermission(f.key, roster.Permission{Key: "ONE_TOO_MANY"})
	wantCode(t, "CreatePermission past the limit", err, roster.ELIMITREACHED)
	wantNoChange(t, f, "CreatePermission", before, rev)
	// Unregistering one makes room.
	if _, err := f.DeletePermission(f.key, "KEY_100"); err != nil {
		t.Fatalf("DeletePermission: %v", err)
	}
	MustCreatePermission(t, f.key, f, "ONE_TOO_MANY")
}
