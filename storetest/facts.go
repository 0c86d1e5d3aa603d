package storetest

import (
	"testing"

	"github.com/rosterhq/roster"
)

// Tests of the facts a role change reads: the community and which users
// are its members, the roles named, the admin role's holders.

// testLastAdminByID removes the admin role named by its id, in a batch
// and singly, from the last holder of an ownerless community.
func testLastAdminByID(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob")
	admin := MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin)
	other := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Other"})
	MustGrant(t, f.key, f, "c1", "alice", admin.ID)
	_, _, err := f.RemoveRole(f.key, grant(one("c1", "alice", admin.ID)))
	wantCode(t, "single removal by id", err, roster.ELASTADMIN)
	_, _, err = f.RemoveRoles(f.key, roster.Change{Scope: "c1", UserIDs: []string{"bob", "alice", "alice"}, RoleIDs: []string{other.ID, admin.ID, roster.BuiltinAdmin}})
	wantCode(t, "batch removal by id and alias", err, roster.ELASTADMIN)
}

// testBatchMembership runs batches through the LEFT JOIN: to a community
// that does not exist, to one where none of the users is a member, and
// with a member listed twice beside a stranger.
func testBatchMembership(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	MustCreateOwned(t, f.key, f, "empty", "")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R"})
	_, _, err := f.AddRoles(f.key, roster.Change{Scope: "nope", UserIDs: []string{"alice", "alice"}, RoleIDs: []string{roster.BuiltinAdmin}})
	wantCode(t, "batch to no community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = f.AddRoles(f.key, roster.Change{Scope: "empty", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{roster.BuiltinAdmin}})
	wantCode(t, "batch to a community without those members", err, roster.EMEMBERNOTFOUND)
	_, _, err = f.AddRoles(f.key, roster.Change{Scope: "c1", UserIDs: []string{"alice", "stranger", "alice"}, RoleIDs: []string{r.ID}})
	wantCode(t, "batch with a stranger", err, roster.EMEMBERNOTFOUND)
	if fe := err.(*roster.Error).Fields; len(fe) != 1 || fe[0].Location != "userIds[1]" {
		t.Errorf("fields: got %+v, want userIds[1] only", fe)
	}
	res, _, err := f.AddRoles(f.key, roster.Change{Scope: "c1", UserIDs: []string{"alice", "alice"}, RoleIDs: []string{r.ID}})
	wantCode(t, "batch with alice twice", err, "")
	if len(res) != 1 || res[0].Result != roster.Added {
		t.Errorf("results: got %+v, want one added", res)
	}
}
