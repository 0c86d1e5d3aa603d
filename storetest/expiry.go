package storetest

import (
	"encoding/json"
	"fmt"
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
	{"ExpireGrants", testExpireGrants},
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

func testExpireGrants(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice", "bob")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Temp", Permissions: []string{roster.PermBanMembers}})
	soon, later := f.clock.Now().Add(time.Minute), f.clock.Now().Add(time.Hour)
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, ExpiresAt: &soon})
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"bob"}, RoleIDs: []string{r.ID}, ExpiresAt: &later})
	MustAddRoles(t, f.key, f, roster.Change{Scope: roster.Platform, UserIDs: []string{"carol"}, RoleIDs: []string{roster.BuiltinAdmin}, ExpiresAt: &soon})
	if n, err := f.ExpireGrants(f.key, 100); err != nil || n != 0 {
		t.Fatalf("ExpireGrants before any expiry: got %d, %v; want 0", n, err)
	}

	f.clock.Advance(2 * time.Minute)
	before := MustRevision(t, f.key, f)
	if n, err := f.ExpireGrants(f.key, 100); err != nil || n != 2 {
		t.Fatalf("ExpireGrants: got %d, %v; want alice's and carol's grants", n, err)
	}
	events := MustEventsSince(t, f.key, f, before)
	var got []string
	for _, e := range events {
		var a roster.Assignment
		if err := json.Unmarshal(e.Before, &a); err != nil {
			t.Fatalf("event %s: before %s: %v", e.Action, e.Before, err)
		}
		got = append(got, fmt.Sprintf("%s %s %v %s %s %v", e.Action, e.TargetID, e.CommunityID != nil, a.RoleName, e.Actor.KeyID, a.ExpiresAt != nil && a.ExpiresAt.Equal(soon)))
		if string(e.After) != "null" {
			t.Errorf("event %s: after %s, want null", e.Action, e.After)
		}
	}
	slices.Sort(got)
	want := []string{
		"member.role_expired alice true Temp system true",
		"member.role_expired carol false admin system true",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events: got %q, want %q", got, want)
	}
	holders, _, err := f.ListRoleHolders(f.key, "c1", r.ID, roster.Page{})
	wantCode(t, "ListRoleHolders", err, "")
	if len(holders) != 1 || holders[0].UserID != "bob" {
		t.Errorf("holders once alice's grant expired: got %+v, want bob", holders)
	}
	if n, err := f.ExpireGrants(f.key, 100); err != nil || n != 0 {
		t.Errorf("ExpireGrants again: got %d, %v; want 0, each grant removed once", n, err)
	}
	// Given again without an expiry, a grant is not removed.
	MustAddRoles(t, f.key, f, one("c1", "alice", r.ID))
	f.clock.Advance(2 * time.Hour)
	if n, err := f.ExpireGrants(f.key, 1); err != nil || n != 1 {
		t.Errorf("ExpireGrants of bob's grant: got %d, %v; want 1", n, err)
	}
	if got := MustMember(t, f.key, f, "c1", "alice"); !holds(got, r.ID) {
		t.Errorf("alice, given Temp again with no expiry: got %v, want it held", got.Roles)
	}
}
