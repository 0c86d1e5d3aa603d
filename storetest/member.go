package storetest

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var userTests = []test{
	{"PutUser", testPutUser},
	{"PutUserGuards", testPutUserGuards},
	{"FindUserNotFound", testFindUserNotFound},
	{"ListMemberships", testListMemberships},
}

var memberTests = []test{
	{"AddMember", testAddMember},
	{"AddMemberAgain", testAddMemberAgain},
	{"AddMemberNotFound", testAddMemberNotFound},
	{"AddMemberGuards", testAddMemberGuards},
	{"DefaultRolesOnJoin", testDefaultRolesOnJoin},
	{"FindMemberNotFound", testFindMemberNotFound},
	{"ListMembersByRole", testListMembersByRole},
	{"ListMembersSearch", testListMembersSearch},
	{"CountRoleHolders", testCountRoleHolders},
	{"LeaveRemovesAssignments", testLeaveRemovesAssignments},
	{"OwnerCannotLeave", testOwnerCannotLeave},
	{"RemoveMemberNotFound", testRemoveMemberNotFound},
	{"RemoveMemberGuards", testRemoveMemberGuards},
}

func testPutUser(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	first, rev, err := f.PutUser(f.key, "alice", roster.UserUpdate{DisplayName: ptr("Alice"), Metadata: json.RawMessage(`{"tier":"gold"}`)})
	u, created := first.Value, first.Created
	wantCode(t, "PutUser", err, "")
	if !created || u.ID != "alice" || u.DisplayName != "Alice" {
		t.Errorf("PutUser: got created %v %+v, want a new user alice named Alice", created, u)
	}
	events := MustEventsSince(t, f.key, f, before)
	if len(events) == 0 || events[len(events)-1].Revision != rev {
		t.Errorf("PutUser: got revision %d and events %v, want the revision of its last event", rev, actions(events))
	}
	got, err := f.FindUser(f.key, "alice")
	wantCode(t, "FindUser", err, "")
	var meta map[string]string
	if err := json.Unmarshal(got.Metadata, &meta); err != nil || meta["tier"] != "gold" || got.DisplayName != "Alice" {
		t.Errorf("FindUser: got name %q metadata %s, want Alice and the metadata", got.DisplayName, got.Metadata)
	}
	before = MustRevision(t, f.key, f)
	var again roster.Upserted[roster.User]
	again, rev, err = f.PutUser(f.key, "alice", roster.UserUpdate{DisplayName: ptr("Alice B")})
	u, created = again.Value, again.Created
	wantCode(t, "PutUser again", err, "")
	if created || u.DisplayName != "Alice B" {
		t.Errorf("PutUser again: got created %v name %q, want an update to Alice B", created, u.DisplayName)
	}
	if ev := wantEvent(t, f, "PutUser again", before, rev, roster.ActionUserUpdated); ev.Revision != 0 && (ev.TargetID != "alice" || ev.CommunityID != nil) {
		t.Errorf("event: got revision %d target %s community %v, want %d, alice, the platform", ev.Revision, ev.TargetID, ev.CommunityID, rev)
	}
	// The same values again change nothing.
	before = MustRevision(t, f.key, f)
	if _, _, err := f.PutUser(f.key, "alice", roster.UserUpdate{DisplayName: ptr("Alice B")}); err != nil {
		t.Fatalf("PutUser with the same name: %v", err)
	}
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("PutUser with the same name: got events %v, want none", actions(events))
	}
	_, _, err = f.PutUser(f.key, "alice", roster.UserUpdate{Metadata: json.RawMessage(`[1]`)})
	wantCode(t, "PutUser with array metadata", err, roster.EVALIDATION)
}

func testPutUserGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	_, _, err := f.PutUser(f.as(t, "alice"), "alice", roster.UserUpdate{DisplayName: ptr("Me")})
	wantCode(t, "PutUser by the user themselves", err, "")
	before := MustRevision(t, f.key, f)
	_, rev, err := f.PutUser(f.as(t, "alice"), "bob", roster.UserUpdate{DisplayName: ptr("Bob")})
	wantCode(t, "PutUser of another user", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "PutUser", before, rev)
}

func testFindUserNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	_, err := f.FindUser(f.key, "ghost")
	wantCode(t, "FindUser", err, roster.EUSERNOTFOUND)
	_, _, err = f.ListMemberships(f.key, "ghost", roster.Page{})
	wantCode(t, "ListMemberships", err, roster.EUSERNOTFOUND)
	_, err = f.ListUserRoles(f.key, roster.Platform, "ghost")
	wantCode(t, "ListUserRoles at platform scope", err, roster.EUSERNOTFOUND)
}

func testListMemberships(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "b", "")
	MustCreateOwned(t, f.key, f, "a", "")
	MustCreateOwned(t, f.key, f, "z", "")
	MustAddMember(t, f.key, f, "b", "alice")
	MustAddMember(t, f.key, f, "a", "alice")
	mods := MustCreateRole(t, f.key, f, "b", roster.Role{Name: "Mods"})
	MustGrant(t, f.key, f, "b", "alice", mods.ID)
	ms, next, err := f.ListMemberships(f.key, "alice", roster.Page{})
	wantCode(t, "ListMemberships", err, "")
	if len(ms) != 2 || next != "" {
		t.Fatalf("ListMemberships: got %d (next %q), want 2", len(ms), next)
	}
	if ms[0].Community.ID != "a" || ms[1].Community.ID != "b" {
		t.Errorf("order: got %s, %s, want a, b", ms[0].Community.ID, ms[1].Community.ID)
	}
	if len(ms[0].Member.Roles) != 0 || !holds(ms[1].Member, mods.ID) {
		t.Errorf("roles: got %d in a and %v in b, want none in a and Mods in b", len(ms[0].Member.Roles), ms[1].Member.Roles)
	}
}

func testAddMember(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	put, rev, err := f.AddMember(f.key, "c1", "alice", ptr("Alice"))
	m, joined := put.Value, put.Created
	wantCode(t, "AddMember", err, "")
	if !joined || m.UserID != "alice" || m.DisplayName != "Alice" || m.CommunityID == nil || *m.CommunityID != "c1" || m.JoinedAt == nil {
		t.Errorf("AddMember: got joined %v %+v, want alice joined c1 as Alice", joined, m)
	}
	if len(m.Roles) != 0 {
		t.Errorf("roles: got %v, want none (everyone is implicit)", m.Roles)
	}
	events := MustEventsSince(t, f.key, f, before)
	if !slices.Contains(actions(events), roster.ActionMemberJoined) {
		t.Errorf("events: got %v, want %s", actions(events), roster.ActionMemberJoined)
	}
	if n := len(events); n > 0 && events[n-1].Revision != rev {
		t.Errorf("AddMember: got revision %d, want %d", rev, events[n-1].Revision)
	}
	if _, err := f.FindUser(f.key, "alice"); err != nil {
		t.Errorf("FindUser: got %v, want the record created on join", err)
	}
	got, err := f.FindMember(f.key, "c1", "alice")
	wantCode(t, "FindMember", err, "")
	if got.DisplayName != "Alice" {
		t.Errorf("FindMember: got display name %q, want Alice", got.DisplayName)
	}
}

func testAddMemberAgain(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	mods := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	MustGrant(t, f.key, f, "c1", "alice", mods.ID)

	before := MustRevision(t, f.key, f)
	put, _, err := f.AddMember(f.key, "c1", "alice", nil)
	joined := put.Created
	wantCode(t, "AddMember again", err, "")
	if joined {
		t.Error("AddMember again: got joined true, want false")
	}
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("AddMember again without changes: got events %v, want none", actions(events))
	}
	put, _, err = f.AddMember(f.key, "c1", "alice", ptr("Alice"))
	m, joined := put.Value, put.Created
	wantCode(t, "AddMember with a display name", err, "")
	if joined || m.DisplayName != "Alice" || !holds(m, mods.ID) {
		t.Errorf("AddMember with a display name: got joined %v name %q roles %v, want the name changed and roles kept", joined, m.DisplayName, m.Roles)
	}
	wantActions(t, "rename member", MustEventsSince(t, f.key, f, before), roster.ActionMemberUpdated)
}

func testAddMemberNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	_, rev, err := f.AddMember(f.key, "nope", "alice", nil)
	wantCode(t, "AddMember", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "AddMember", before, rev)
	MustCreateOwned(t, f.key, f, "c1", "")
	_, _, err = f.AddMember(f.key, "c1", "not valid", nil)
	wantCode(t, "AddMember with a bad user id", err, roster.EVALIDATION)
}

func testAddMemberGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	put, _, err := f.AddMember(f.as(t, "alice"), "c1", "alice", nil)
	joined := put.Created
	wantCode(t, "AddMember of oneself", err, "")
	if !joined {
		t.Error("AddMember of oneself: got joined false, want true")
	}
	before := MustRevision(t, f.key, f)
	_, rev, err := f.AddMember(f.as(t, "alice"), "c1", "bob", nil)
	wantCode(t, "AddMember of another without MANAGE_MEMBERS", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "AddMember", before, rev)
	_, _, err = f.AddMember(f.as(t, "owner"), "c1", "bob", nil)
	wantCode(t, "AddMember by the owner", err, "")
}

func testDefaultRolesOnJoin(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	def := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Newcomer", IsDefault: true})
	other := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Other"})
	before := MustRevision(t, f.key, f)
	alice, rev, err := f.AddMember(f.key, "c1", "alice", nil)
	m := alice.Value
	wantCode(t, "AddMember", err, "")
	if !holds(m, def.ID) || holds(m, other.ID) {
		t.Errorf("roles on join: got %v, want only the default role %s", m.Roles, def.ID)
	}
	events := MustEventsSince(t, f.key, f, before)
	var added int
	for _, e := range events {
		if e.Action == roster.ActionMemberRoleAdded {
			added++
		}
	}
	if added != 1 {
		t.Errorf("events: got %v, want one %s for the default role", actions(events), roster.ActionMemberRoleAdded)
	}
	if n := len(events); n > 0 && events[n-1].Revision != rev {
		t.Errorf("AddMember: got revision %d, want %d", rev, events[n-1].Revision)
	}
	// A role made default later goes to those who join later.
	if _, _, err := f.UpdateRole(f.key, "c1", other.ID, roster.RoleUpdate{IsDefault: ptr(true)}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	bob, _, err := f.AddMember(f.key, "c1", "bob", nil)
	wantCode(t, "AddMember bob", err, "")
	m = bob.Value
	if !holds(m, def.ID) || !holds(m, other.ID) {
		t.Errorf("roles on join: got %v, want both default roles", m.Roles)
	}
	if m = MustMember(t, f.key, f, "c1", "alice"); holds(m, other.ID) {
		t.Errorf("roles of an earlier member: got %v, want no role made default after they joined", m.Roles)
	}
}

func testFindMemberNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	_, err := f.FindMember(f.key, "c1", "alice")
	wantCode(t, "FindMember of a non-member", err, roster.EMEMBERNOTFOUND)
	_, err = f.FindMember(f.key, "nope", "alice")
	wantCode(t, "FindMember in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, err = f.ListUserRoles(f.key, "c1", "alice")
	wantCode(t, "ListUserRoles of a non-member", err, roster.EMEMBERNOTFOUND)
	_, _, err = f.ListMembers(f.key, "nope", roster.MemberFilter{}, roster.Page{})
	wantCode(t, "ListMembers of an unknown community", err, roster.ECOMMUNITYNOTFOUND)
}

func testListMembersByRole(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "carol", "alice", "bob")
	mods := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"carol", "alice"}, RoleIDs: []string{mods.ID}})
	MustGrant(t, f.key, f, "c1", "bob", roster.BuiltinAdmin)
	tests := []struct {
		role string
		want []string
	}{
		{"", []string{"alice", "bob", "carol"}},
		{mods.ID, []string{"alice", "carol"}},
		{roster.BuiltinAdmin, []string{"bob"}},
		{roster.BuiltinEveryone, []string{"alice", "bob", "carol"}},
	}
	for _, tc := range tests {
		t.Run("role="+tc.role, func(t *testing.T) {
			list, _, err := f.ListMembers(f.key, "c1", roster.MemberFilter{RoleID: tc.role}, roster.Page{})
			wantCode(t, "ListMembers", err, "")
			var got []string
			for _, m := range list {
				got = append(got, m.UserID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListMembers: got %v, want %v", got, tc.want)
			}
		})
	}
	list, _, _ := f.ListMembers(f.key, "c1", roster.MemberFilter{}, roster.Page{})
	if len(list) == 3 && !holds(list[0], mods.ID) {
		t.Errorf("ListMembers: got roles %v for alice, want Mods", list[0].Roles)
	}
	_, _, err := f.ListMembers(f.key, "c1", roster.MemberFilter{RoleID: "nope"}, roster.Page{})
	wantCode(t, "ListMembers with an unknown role", err, roster.EROLENOTFOUND)
}

func testLeaveRemovesAssignments(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "alice")
	mods := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	MustGrant(t, f.key, f, "c1", "alice", mods.ID)
	MustGrant(t, f.key, f, "c1", "alice", roster.BuiltinAdmin)
	MustProvision(t, f.key, f, "c1", "alice", mods.ID)
	MustGrant(t, f.key, f, roster.Platform, "alice", roster.BuiltinAdmin)

	before := MustRevision(t, f.key, f)
	rev, err := f.RemoveMember(f.as(t, "alice"), "c1", "alice")
	wantCode(t, "RemoveMember of oneself", err, "")
	events := MustEventsSince(t, f.key, f, before)
	wantActions(t, "leave", events, roster.ActionMemberRoleRemoved, roster.ActionMemberRoleRemoved, roster.ActionMemberRoleRemoved, roster.ActionMemberLeft)
	if n := len(events); n > 0 && events[n-1].Revision != rev {
		t.Errorf("RemoveMember: got revision %d, want %d", rev, events[n-1].Revision)
	}
	for _, e := range events {
		if e.TargetID != "alice" || e.CommunityID == nil || *e.CommunityID != "c1" {
			t.Errorf("event %s: got target %q community %v, want alice in c1", e.Action, e.TargetID, e.CommunityID)
		}
	}
	_, err = f.FindMember(f.key, "c1", "alice")
	wantCode(t, "FindMember after leaving", err, roster.EMEMBERNOTFOUND)
	holders, _, err := f.ListRoleHolders(f.key, "c1", mods.ID, roster.Page{})
	wantCode(t, "ListRoleHolders", err, "")
	if len(holders) != 0 {
		t.Errorf("holders of Mods: got %d, want none", len(holders))
	}
	// Rejoining does not bring the roles back; platform roles stay.
	put, _, err := f.AddMember(f.key, "c1", "alice", nil)
	m := put.Value
	wantCode(t, "AddMember again", err, "")
	if len(m.Roles) != 0 {
		t.Errorf("roles after rejoining: got %v, want none", m.Roles)
	}
	if p := MustMember(t, f.key, f, roster.Platform, "alice"); len(p.Roles) != 1 {
		t.Errorf("platform roles: got %v, want admin kept", p.Roles)
	}
}

func testOwnerCannotLeave(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	before := MustRevision(t, f.key, f)
	for _, ctx := range []struct {
		name string
		as   string
	}{{"owner leaves", "owner"}, {"key removes owner", ""}} {
		actor := f.key
		if ctx.as != "" {
			actor = f.as(t, ctx.as)
		}
		rev, err := f.RemoveMember(actor, "c1", "owner")
		wantCode(t, ctx.name, err, roster.EOWNERCANNOTLEAVE)
		wantNoChange(t, f, ctx.name, before, rev)
	}
	if _, err := f.FindMember(f.key, "c1", "owner"); err != nil {
		t.Errorf("FindMember(owner): got %v, want the owner still a member", err)
	}
}

func testRemoveMemberNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	rev, err := f.RemoveMember(f.key, "c1", "alice")
	wantCode(t, "RemoveMember of a non-member", err, roster.EMEMBERNOTFOUND)
	wantNoChange(t, f, "RemoveMember", before, rev)
	rev, err = f.RemoveMember(f.key, "nope", "alice")
	wantCode(t, "RemoveMember in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "RemoveMember", before, rev)
}

func testRemoveMemberGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "alice", "bob", "carol")
	low := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Low"})
	kick := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Kickers", Position: 2, Permissions: []string{roster.PermManageMembers}})
	MustGrant(t, f.key, f, "c1", "alice", kick.ID)
	MustGrant(t, f.key, f, "c1", "bob", low.ID)
	MustGrant(t, f.key, f, "c1", "carol", kick.ID)

	before := MustRevision(t, f.key, f)
	rev, err := f.RemoveMember(f.as(t, "bob"), "c1", "carol")
	wantCode(t, "RemoveMember by a member without MANAGE_MEMBERS", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "RemoveMember", before, rev)
	rev, err = f.RemoveMember(f.as(t, "alice"), "c1", "carol")
	wantCode(t, "RemoveMember of a member at the same top role", err, roster.EROLEHIERARCHY)
	wantNoChange(t, f, "RemoveMember", before, rev)
	_, err = f.RemoveMember(f.as(t, "alice"), "c1", "bob")
	wantCode(t, "RemoveMember of a lower member", err, "")
	_, err = f.RemoveMember(f.as(t, "owner"), "c1", "carol")
	wantCode(t, "RemoveMember by the owner", err, "")
}

func testListMembersSearch(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob", "alfred")
	if _, _, err := f.AddMember(f.key, "c1", "bob", ptr("Bob the Builder")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"al", []string{"alfred", "alice"}},
		{"BUILD", []string{"bob"}},
		{"ice", nil},
		{"%", nil},
		{"_", nil},
	} {
		list, _, err := f.ListMembers(f.key, "c1", roster.MemberFilter{Search: tc.search}, roster.Page{})
		wantCode(t, "ListMembers", err, "")
		var got []string
		for _, m := range list {
			got = append(got, m.UserID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListMembers searching %q: got %v, want %v", tc.search, got, tc.want)
		}
	}
	_, _, err := f.ListMembers(f.key, "c1", roster.MemberFilter{Search: strings.Repeat("x", roster.MaxSearchLength+1)}, roster.Page{})
	wantCode(t, "ListMembers with a long search", err, roster.EVALIDATION)
}

func testCountRoleHolders(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice", "bob", "carol")
	mods := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	temp := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Temp"})
	idle := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Idle"})
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{mods.ID}})
	MustProvision(t, f.key, f, "c1", "alice", mods.ID)
	exp := f.clock.Now().Add(time.Minute)
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"carol"}, RoleIDs: []string{temp.ID}, ExpiresAt: &exp})
	everyone := MustFindRole(t, f.key, f, "c1", roster.BuiltinEveryone)
	counts, err := f.CountRoleHolders(f.key, "c1")
	wantCode(t, "CountRoleHolders", err, "")
	want := map[string]int{everyone.ID: 3, mods.ID: 2, temp.ID: 1}
	if !maps.Equal(counts, want) {
		t.Errorf("CountRoleHolders: got %v, want %v (no %s)", counts, want, idle.ID)
	}
	counts, err = f.CountRoleHolders(f.key, "c1", mods.ID, idle.ID)
	wantCode(t, "CountRoleHolders of two roles", err, "")
	if want := map[string]int{mods.ID: 2}; !maps.Equal(counts, want) {
		t.Errorf("CountRoleHolders of Mods and Idle: got %v, want %v", counts, want)
	}
	if counts, _ = f.CountRoleHolders(f.key, "c1", everyone.ID); counts[everyone.ID] != 3 || len(counts) != 1 {
		t.Errorf("CountRoleHolders of everyone: got %v, want 3 members", counts)
	}
	f.clock.Advance(2 * time.Minute)
	counts, _ = f.CountRoleHolders(f.key, "c1")
	if counts[temp.ID] != 0 {
		t.Errorf("CountRoleHolders after Temp expired: got %d holders, want none", counts[temp.ID])
	}
	_, err = f.CountRoleHolders(f.key, "nowhere")
	wantCode(t, "CountRoleHolders of no community", err, roster.ECOMMUNITYNOTFOUND)
}
