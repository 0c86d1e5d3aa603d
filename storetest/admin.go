package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster"
)

var lastAdminTests = []test{
	{"PlatformLastAdmin", testPlatformLastAdmin},
	{"OwnerlessCommunityLastAdmin", testOwnerlessLastAdmin},
	{"LastAdminLeaves", testLastAdminLeaves},
	{"OwnedCommunityNoLastAdmin", testOwnedNoLastAdmin},
	{"RetainedAdminIsNotRemoved", testRetainedAdmin},
	{"ConcurrentLastAdmin", testConcurrentLastAdmin},
}

func testPlatformLastAdmin(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	before := MustRevision(t, f.key, f)
	_, rev, err := f.RemoveRole(f.key, grant(one(roster.Platform, "root", roster.BuiltinAdmin)))
	wantCode(t, "removing the only platform admin", err, roster.ELASTADMIN)
	wantNoChange(t, f, "RemoveRoles", before, rev)

	MustGrant(t, f.key, f, roster.Platform, "root2", roster.BuiltinAdmin)
	before = MustRevision(t, f.key, f)
	both := roster.Change{Scope: roster.Platform, UserIDs: []string{"root", "root2"}, RoleIDs: []string{roster.BuiltinAdmin}}
	_, rev, err = f.RemoveRoles(f.key, both)
	wantCode(t, "removing both platform admins at once", err, roster.ELASTADMIN)
	wantNoChange(t, f, "RemoveRoles", before, rev)

	_, _, err = f.RemoveRole(f.key, grant(one(roster.Platform, "root", roster.BuiltinAdmin)))
	wantCode(t, "removing one of two platform admins", err, "")
	_, _, err = f.RemoveRole(f.key, grant(one(roster.Platform, "root2", roster.BuiltinAdmin)))
	wantCode(t, "removing the last platform admin", err, roster.ELASTADMIN)
	if m := MustMember(t, f.key, f, roster.Platform, "root2"); !holds(m, MustFindRole(t, f.key, f, roster.Platform, roster.BuiltinAdmin).ID) {
		t.Errorf("root2's platform roles: got %v, want admin kept", m.Roles)
	}
}

func testOwnerlessLastAdmin(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob")
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{roster.BuiltinAdmin}})
	_, _, err := f.RemoveRole(f.key, grant(one("c1", "alice", roster.BuiltinAdmin)))
	wantCode(t, "removing one of two admins", err, "")
	before := MustRevision(t, f.key, f)
	_, rev, err := f.RemoveRole(f.key, grant(one("c1", "bob", roster.BuiltinAdmin)))
	wantCode(t, "removing the last admin of an ownerless community", err, roster.ELASTADMIN)
	wantNoChange(t, f, "RemoveRoles", before, rev)
	// A user with MANAGE_ROLES above admin is refused the same way.
	boss := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Boss", Position: 2, Permissions: []string{roster.PermManageRoles}})
	MustGrant(t, f.key, f, "c1", "alice", boss.ID)
	before = MustRevision(t, f.key, f)
	_, rev, err = f.RemoveRole(f.as(t, "alice"), grant(one("c1", "bob", roster.BuiltinAdmin)))
	wantCode(t, "a user removing the last admin", err, roster.ELASTADMIN)
	wantNoChange(t, f, "RemoveRoles", before, rev)
}

func testLastAdminLeaves(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob")
	MustGrant(t, f.key, f, "c1", "alice", roster.BuiltinAdmin)
	before := MustRevision(t, f.key, f)
	for _, tc := range []struct {
		name string
		as   string
	}{{"the last admin leaves", "alice"}, {"a key removes the last admin", ""}} {
		ctx := f.key
		if tc.as != "" {
			ctx = f.as(t, tc.as)
		}
		rev, err := f.RemoveMember(ctx, "c1", "alice")
		wantCode(t, tc.name, err, roster.ELASTADMIN)
		wantNoChange(t, f, tc.name, before, rev)
	}
	// Members without admin leave freely.
	if _, err := f.RemoveMember(f.as(t, "bob"), "c1", "bob"); err != nil {
		t.Errorf("a member leaves: got %v, want success", err)
	}
	// With a second admin, the first may go.
	MustAddMember(t, f.key, f, "c1", "bob")
	MustGrant(t, f.key, f, "c1", "bob", roster.BuiltinAdmin)
	if _, err := f.RemoveMember(f.as(t, "alice"), "c1", "alice"); err != nil {
		t.Errorf("an admin leaves while another remains: got %v, want success", err)
	}
}

func testOwnedNoLastAdmin(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "alice")
	MustGrant(t, f.key, f, "c1", "alice", roster.BuiltinAdmin)
	_, _, err := f.RemoveRole(f.key, grant(one("c1", "alice", roster.BuiltinAdmin)))
	wantCode(t, "removing the only admin of an owned community", err, "")
	MustGrant(t, f.key, f, "c1", "alice", roster.BuiltinAdmin)
	_, err = f.RemoveMember(f.as(t, "alice"), "c1", "alice")
	wantCode(t, "the only admin leaves an owned community", err, "")
}

func testRetainedAdmin(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	MustGrant(t, f.key, f, "c1", "alice", roster.BuiltinAdmin)
	MustProvision(t, f.key, f, "c1", "alice", roster.BuiltinAdmin)
	res, _, err := f.RemoveRole(f.key, grant(one("c1", "alice", roster.BuiltinAdmin)))
	wantCode(t, "manual removal of an admin also provisioned", err, "")
	admin := MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin)
	wantResult(t, "RemoveRole", res, "alice", roster.Retained)
	if !holds(res.Member, admin.ID) {
		t.Errorf("alice's roles: got %v, want admin retained", res.Member.Roles)
	}
	_, _, err = f.RemoveRole(f.key, grant(roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{roster.BuiltinAdmin}, Source: roster.SourceProvisioning}))
	wantCode(t, "provisioning removal of the last admin", err, roster.ELASTADMIN)
}

// testConcurrentLastAdmin takes admin from the two last holders of an
// ownerless community at the same time, by removing the role or by removing
// the members: exactly one of the two may succeed.
func testConcurrentLastAdmin(t *testing.T, open Opener) {
	f := newFixture(t, open)
	for _, tc := range []struct {
		name   string
		remove func(community, user string) error
	}{
		{"role removals", func(community, user string) error {
			_, _, err := f.RemoveRole(f.key, grant(one(community, user, roster.BuiltinAdmin)))
			return err
		}},
		{"members leaving", func(community, user string) error {
			_, err := f.RemoveMember(f.as(t, user), community, user)
			return err
		}},
	} {
		for i := range 8 {
			id := fmt.Sprintf("%s-%d", strings.ReplaceAll(tc.name, " ", "-"), i)
			MustCreateOwned(t, f.key, f, id, "")
			MustAddMember(t, f.key, f, id, "alice", "bob")
			MustAddRoles(t, f.key, f, roster.Change{Scope: id, UserIDs: []string{"alice", "bob"}, RoleIDs: []string{roster.BuiltinAdmin}})
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, 2)
			for j, user := range []string{"alice", "bob"} {
				wg.Go(func() {
					<-start
					errs[j] = tc.remove(id, user)
				})
			}
			close(start)
			wg.Wait()
			if a, b := roster.ErrorCode(errs[0]), roster.ErrorCode(errs[1]); !(a == "" && b == roster.ELASTADMIN || a == roster.ELASTADMIN && b == "") {
				t.Errorf("%s, round %d: got %q and %q, want one success and one %s", tc.name, i, a, b, roster.ELASTADMIN)
			}
			holders, _, err := f.ListRoleHolders(f.key, id, roster.BuiltinAdmin, roster.Page{})
			wantCode(t, "ListRoleHolders", err, "")
			if len(holders) != 1 {
				t.Errorf("%s, round %d: got %d admin holders, want 1", tc.name, i, len(holders))
			}
		}
	}
}
