package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var expiryTests = []test{
	{"ExpiredGrantNotHeld", testExpiredGrantNotHeld},
	{"ExpiredGrantReAdded", testExpiredGrantReAdded},
	{"ExpiredAdminNotCounted", testExpiredAdminNotCounted},
	{"ExpiredPlatformAdminNotCounted", testExpiredPlatformAdminNotCounted},
	{"ExpiredRoleNotInUse", testExpiredRoleNotInUse},
}

func testExpiredGrantNotHeld(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Temp", Permissions: []string{roster.PermBanMembers}})
	exp := f.clock.Now().Add(time.Hour)
	res, _, err := f.AddRole(f.key, roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, ExpiresAt: &exp})
	wantCode(t, "AddRole with an expiry", err, "")
	if m := res.Member; !holds(m, r.ID) || m.Roles[0].Grants[0].ExpiresAt == nil || !m.Roles[0].Grants[0].ExpiresAt.Equal(exp) {
		t.Fatalf("member: got %+v, want Temp held until %v", m.Roles, exp)
	}
	check := []roster.Check{{CommunityID: "c1", UserID: "alice", Permission: roster.PermBanMembers}}
	if got, _, err := f.Check(f.key, check, 0); err != nil || !got[0] {
		t.Fatalf("Check before expiry: got %v, %v, want allowed", got, err)
	}

	f.clock.Advance(time.Hour)
	if got := MustMember(t, f.key, f, "c1", "alice"); holds(got, r.ID) {
		t.Errorf("ListUserRoles after expiry: got %v, want Temp gone", got.Roles)
	}
	if got, _, err := f.Check(f.key, check, 0); err != nil || got[0] {
		t.Errorf("Check after expiry: got %v, %v, want denied", got, err)
	}
	eff, _, err := f.EffectivePermissions(f.key, "c1", "", "alice")
	wantCode(t, "EffectivePermissions", err, "")
	if slices.Contains(eff.Permissions, roster.PermBanMembers) {
		t.Errorf("EffectivePermissions after expiry: got %v, want no BAN_MEMBERS", eff.Permissions)
	}
	holders, _, err := f.ListRoleHolders(f.key, "c1", r.ID, roster.Page{})
	wantCode(t, "ListRoleHolders", err, "")
	if len(holders) != 0 {
		t.Errorf("ListRoleHolders after expiry: got %d holders, want none", len(holders))
	}
	members, _, err := f.ListMembers(f.key, "c1", roster.MemberFilter{RoleID: r.ID}, roster.Page{})
	wantCode(t, "ListMembers", err, "")
	if len(members) != 0 {
		t.Errorf("ListMembers holding Temp after expiry: got %d, want none", len(members))
	}
	ms, _, err := f.ListMemberships(f.key, "alice", roster.Page{})
	wantCode(t, "ListMemberships", err, "")
	if len(ms) != 1 || holds(ms[0].Member, r.ID) {
		t.Errorf("ListMemberships after expiry: got %+v, want c1 without Temp", ms)
	}
	_, _, err = f.RemoveRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "RemoveRoles of an expired grant", err, roster.EROLENOTHELD)
}

func testExpiredGrantReAdded(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Temp"})
	exp := f.clock.Now().Add(time.Minute)
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, ExpiresAt: &exp})
	res, _, err := f.AddRoles(f.key, one("c1", "alice", r.ID))
	wantCode(t, "AddRoles before expiry", err, "")
	wantResults(t, "AddRoles before expiry", res, pr("alice", r.ID, roster.AlreadyHeld))

	f.clock.Advance(2 * time.Minute)
	before := MustRevision(t, f.key, f)
	got, rev, err := f.AddRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "AddRole after expiry", err, "")
	wantResult(t, "AddRole after expiry", got, "alice", roster.Added)
	if m := got.Member; !holds(m, r.ID) || m.Roles[0].Grants[0].ExpiresAt != nil {
		t.Errorf("member: got %+v, want Temp held with no expiry", m.Roles)
	}
	wantEvent(t, f, "AddRoles after expiry", before, rev, roster.ActionMemberRoleAdded)
	f.clock.Advance(24 * time.Hour)
	if got := MustMember(t, f.key, f, "c1", "alice"); !holds(got, r.ID) {
		t.Errorf("ListUserRoles a day later: got %v, want the permanent grant", got.Roles)
	}
}

func testExpiredAdminNotCounted(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice", "bob")
	MustGrant(t, f.key, f, "c1", "alice", roster.BuiltinAdmin)
	exp := f.clock.Now().Add(time.Hour)
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"bob"}, RoleIDs: []string{roster.BuiltinAdmin}, ExpiresAt: &exp})
	f.clock.Advance(2 * time.Hour)
	before := MustRevision(t, f.key, f)
	_, rev, err := f.RemoveRole(f.key, grant(one("c1", "alice", roster.BuiltinAdmin)))
	wantCode(t, "removing the last unexpired admin", err, roster.ELASTADMIN)
	wantNoChange(t, f, "RemoveRoles", before, rev)
	rev, err = f.RemoveMember(f.key, "c1", "alice")
	wantCode(t, "removing the last unexpired admin from the community", err, roster.ELASTADMIN)
	wantNoChange(t, f, "RemoveMember", before, rev)
	// bob's admin is gone, so he holds only everyone's permissions.
	got, _, err := f.Check(f.key, []roster.Check{{CommunityID: "c1", UserID: "bob", Permission: roster.PermManageRoles}}, 0)
	wantCode(t, "Check", err, "")
	if got[0] {
		t.Error("Check of an expired admin: got allowed, want denied")
	}
}

func testExpiredPlatformAdminNotCounted(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	exp := f.clock.Now().Add(time.Hour)
	MustAddRoles(t, f.key, f, roster.Change{Scope: roster.Platform, UserIDs: []string{"temp"}, RoleIDs: []string{roster.BuiltinAdmin}, ExpiresAt: &exp})
	// temp is a platform administrator until the grant expires.
	if _, _, err := f.CreatePermission(f.as(t, "temp"), roster.Permission{Key: "TEMP_KEY"}); err != nil {
		t.Errorf("CreatePermission by a platform admin: got %v, want success", err)
	}
	f.clock.Advance(2 * time.Hour)
	_, _, err := f.CreatePermission(f.as(t, "temp"), roster.Permission{Key: "TEMP_KEY_2"})
	wantCode(t, "CreatePermission once the admin grant expired", err, roster.EMISSINGPERMISSION)
	_, _, err = f.RemoveRole(f.key, grant(one(roster.Platform, "root", roster.BuiltinAdmin)))
	wantCode(t, "removing the last unexpired platform admin", err, roster.ELASTADMIN)
}

func testExpiredRoleNotInUse(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Temp"})
	exp := f.clock.Now().Add(time.Hour)
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, ExpiresAt: &exp})
	_, err := f.DeleteRole(f.key, "c1", r.ID, roster.RoleDelete{})
	wantCode(t, "DeleteRole of a held role", err, roster.EROLEINUSE)
	f.clock.Advance(2 * time.Hour)
	_, err = f.DeleteRole(f.key, "c1", r.ID, roster.RoleDelete{})
	wantCode(t, "DeleteRole once every grant expired", err, "")
}
