package storetest

import (
	"testing"

	"github.com/rosterhq/roster"
)

var reachTests = []test{
	{"RestrictedKey", testRestrictedKey},
}

// testRestrictedKey checks that the store itself holds a key restricted to
// one community to it, whichever front calls it: another community does not
// exist for the key, the platform scope is out of its scope, and its own
// community works as for any key.
func testRestrictedKey(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	MustCreateOwned(t, f.key, f, "c2", "")
	MustAddMember(t, f.key, f, "c2", "bob")
	ctx := AsRestricted(t.Context(), "c1")
	before := MustRevision(t, f.key, f)

	_, rev, err := f.CreateRole(ctx, "c2", roster.Role{Name: "Elsewhere"})
	wantCode(t, "CreateRole in another community", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "CreateRole in another community", before, rev)
	_, rev, err = f.AddRole(ctx, roster.RoleGrant{Scope: "c2", UserID: "bob", RoleID: roster.BuiltinAdmin})
	wantCode(t, "AddRole in another community", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "AddRole in another community", before, rev)
	_, rev, err = f.CreatePermission(ctx, roster.Permission{Key: "ELSEWHERE"})
	wantCode(t, "CreatePermission", err, roster.EINSUFFICIENTSCOPE)
	wantNoChange(t, f, "CreatePermission", before, rev)
	_, rev, err = f.CreateRole(ctx, roster.Platform, roster.Role{Name: "Global"})
	wantCode(t, "CreateRole at platform scope", err, roster.EINSUFFICIENTSCOPE)
	wantNoChange(t, f, "CreateRole at platform scope", before, rev)
	// A refusal of the key comes before the lookups: the permission does
	// not exist either.
	_, err = f.DeletePermission(ctx, "NO_SUCH_KEY")
	wantCode(t, "DeletePermission of an unknown key", err, roster.EINSUFFICIENTSCOPE)

	_, err = f.FindCommunity(ctx, "c2")
	wantCode(t, "FindCommunity of another community", err, roster.ECOMMUNITYNOTFOUND)
	_, err = f.FindMember(ctx, "c2", "bob")
	wantCode(t, "FindMember in another community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = f.ListRoles(ctx, "c2", roster.Page{})
	wantCode(t, "ListRoles of another community", err, roster.ECOMMUNITYNOTFOUND)
	_, err = f.FindUser(ctx, "alice")
	wantCode(t, "FindUser", err, roster.EINSUFFICIENTSCOPE)
	_, _, err = f.ListMemberships(ctx, "alice", roster.Page{})
	wantCode(t, "ListMemberships", err, roster.EINSUFFICIENTSCOPE)
	_, _, err = f.ListAPIKeys(ctx, roster.Page{})
	wantCode(t, "ListAPIKeys", err, roster.EINSUFFICIENTSCOPE)

	if _, err := f.FindCommunity(ctx, "c1"); err != nil {
		t.Errorf("FindCommunity of its own community: got %v, want it", err)
	}
	if _, _, err := f.CreateRole(ctx, "c1", roster.Role{Name: "Here"}); err != nil {
		t.Errorf("CreateRole in its own community: got %v, want it created", err)
	}
	if _, _, err := f.ListPermissions(ctx, roster.Page{}); err != nil {
		t.Errorf("ListPermissions: got %v, want the catalog (checks need it)", err)
	}
}
