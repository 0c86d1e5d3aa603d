package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

var communityTests = []test{
	{"CreateCommunity", testCreateCommunity},
	{"CreateCommunityGeneratedID", testCreateCommunityGeneratedID},
	{"CreateCommunityInvalid", testCreateCommunityInvalid},
	{"CreateCommunityExists", testCreateCommunityExists},
	{"CommunityBuiltinRoles", testCommunityBuiltinRoles},
	{"PlatformBuiltinRoles", testPlatformBuiltinRoles},
	{"CreateCommunityByUser", testCreateCommunityByUser},
	{"FindCommunityNotFound", testFindCommunityNotFound},
	{"RenameCommunity", testRenameCommunity},
	{"TransferOwnership", testTransferOwnership},
	{"RemoveOwnerWithoutAdmin", testRemoveOwnerWithoutAdmin},
	{"DeleteCommunity", testDeleteCommunity},
	{"DeleteCommunityGuards", testDeleteCommunityGuards},
	{"ListCommunitiesRestricted", testListCommunitiesRestricted},
	{"SearchCommunities", testSearchCommunities},
}

func testCreateCommunity(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	c, rev, err := f.CreateCommunity(f.key, roster.Community{ID: "guild-1", Name: "  The Guild  ", OwnerID: ptr("alice")})
	wantCode(t, "CreateCommunity", err, "")
	if c.ID != "guild-1" || c.Name != "The Guild" {
		t.Errorf("CreateCommunity: got id %q name %q, want guild-1 and the trimmed name", c.ID, c.Name)
	}
	if c.OwnerID == nil || *c.OwnerID != "alice" {
		t.Errorf("CreateCommunity: got owner %v, want alice", c.OwnerID)
	}
	if c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
		t.Errorf("CreateCommunity: got times %v %v, want both set", c.CreatedAt, c.UpdatedAt)
	}
	got, err := f.FindCommunity(f.key, "guild-1")
	wantCode(t, "FindCommunity", err, "")
	if got.ID != c.ID || got.Name != c.Name || got.OwnerID == nil || *got.OwnerID != "alice" {
		t.Errorf("FindCommunity: got %+v, want %+v", got, c)
	}
	// The owner is the first member.
	if _, err := f.FindMember(f.key, "guild-1", "alice"); err != nil {
		t.Errorf("FindMember(owner): got %v, want the owner as a member", err)
	}
	if _, err := f.FindUser(f.key, "alice"); err != nil {
		t.Errorf("FindUser(owner): got %v, want the owner's user record", err)
	}
	events := MustEventsSince(t, f.key, f, before)
	got2 := actions(events)
	for _, want := range []string{roster.ActionCommunityCreated, roster.ActionRoleCreated, roster.ActionMemberJoined} {
		if !slices.Contains(got2, want) {
			t.Errorf("events: got %v, want one %s", got2, want)
		}
	}
	if n := len(events); n > 0 && events[n-1].Revision != rev {
		t.Errorf("CreateCommunity: got revision %d, want that of its last event %d", rev, events[n-1].Revision)
	}
}

func testCreateCommunityGeneratedID(t *testing.T, open Opener) {
	f := newFixture(t, open)
	a := MustCreateCommunity(t, f.key, f, roster.Community{Name: "A"})
	b := MustCreateCommunity(t, f.key, f, roster.Community{Name: "B"})
	if !roster.ValidID(a.ID) || !roster.ValidID(b.ID) || a.ID == b.ID {
		t.Errorf("generated ids: got %q and %q, want two distinct valid ids", a.ID, b.ID)
	}
	if a.OwnerID != nil {
		t.Errorf("owner: got %v, want none when a key creates without ownerId", *a.OwnerID)
	}
	if _, err := f.FindCommunity(f.key, a.ID); err != nil {
		t.Errorf("FindCommunity(%s): %v", a.ID, err)
	}
}

func testCreateCommunityInvalid(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	tests := []struct {
		name string
		c    roster.Community
	}{
		{"empty name", roster.Community{ID: "c1", Name: "   "}},
		{"long name", roster.Community{ID: "c1", Name: strings.Repeat("n", 101)}},
		{"control character", roster.Community{ID: "c1", Name: "a\x00b"}},
		{"bad id", roster.Community{ID: "c 1", Name: "C"}},
		{"long id", roster.Community{ID: strings.Repeat("c", 129), Name: "C"}},
		{"bad owner", roster.Community{ID: "c1", Name: "C", OwnerID: ptr("al/ice")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.CreateCommunity(f.key, tc.c)
			wantCode(t, "CreateCommunity", err, roster.EVALIDATION)
			wantNoChange(t, f, "CreateCommunity", before, rev)
		})
	}
	wantCode(t, "FindCommunity after refusals", func() error { _, err := f.FindCommunity(f.key, "c1"); return err }(), roster.ECOMMUNITYNOTFOUND)
}

func testCreateCommunityExists(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateCommunity(t, f.key, f, roster.Community{ID: "c1", Name: "First"})
	before := MustRevision(t, f.key, f)
	_, rev, err := f.CreateCommunity(f.key, roster.Community{ID: "c1", Name: "Second", OwnerID: ptr("bob")})
	wantCode(t, "CreateCommunity", err, roster.ECOMMUNITYEXISTS)
	wantNoChange(t, f, "CreateCommunity", before, rev)
	c, _ := f.FindCommunity(f.key, "c1")
	if c.Name != "First" || c.OwnerID != nil {
		t.Errorf("FindCommunity: got %+v, want the first community unchanged", c)
	}
	wantCode(t, "FindUser(bob)", func() error { _, err := f.FindUser(f.key, "bob"); return err }(), roster.EUSERNOTFOUND)
}

// wantBuiltins checks the built-in roles of a new scope.
func wantBuiltins(t *testing.T, f *fixture, scope string, everyonePerms []string) {
	t.Helper()
	roles, next, err := f.ListRoles(f.key, scope, roster.Page{})
	wantCode(t, "ListRoles", err, "")
	if len(roles) != 2 || next != "" {
		t.Fatalf("ListRoles(%q): got %d roles (next %q), want everyone and admin only", scope, len(roles), next)
	}
	everyone, admin := roles[0], roles[1]
	if everyone.Name != roster.BuiltinEveryone || everyone.Builtin != roster.BuiltinEveryone || everyone.Position != 0 || !everyone.Protected {
		t.Errorf("first role: got name %q builtin %q position %d protected %v, want protected everyone at 0",
			everyone.Name, everyone.Builtin, everyone.Position, everyone.Protected)
	}
	if got, want := everyone.Permissions, roster.CleanKeys(everyonePerms); !slices.Equal(got, want) {
		t.Errorf("everyone permissions: got %v, want %v", got, want)
	}
	if admin.Name != roster.BuiltinAdmin || admin.Builtin != roster.BuiltinAdmin || admin.Position != 1 || !admin.Protected {
		t.Errorf("second role: got name %q builtin %q position %d protected %v, want protected admin at 1",
			admin.Name, admin.Builtin, admin.Position, admin.Protected)
	}
	if !slices.Equal(admin.Permissions, []string{roster.PermAdministrator}) {
		t.Errorf("admin permissions: got %v, want [ADMINISTRATOR]", admin.Permissions)
	}
	for _, r := range roles {
		if (r.CommunityID == nil) != (scope == roster.Platform) || (r.CommunityID != nil && *r.CommunityID != scope) {
			t.Errorf("%s: got communityId %v, want the scope %q", r.Name, r.CommunityID, scope)
		}
		if r.ID == "" || r.Version != 1 || r.IsDefault {
			t.Errorf("%s: got id %q version %d isDefault %v, want an id, version 1, not default", r.Name, r.ID, r.Version, r.IsDefault)
		}
	}
	// The aliases name the built-in roles.
	if got := MustFindRole(t, f.key, f, scope, roster.BuiltinEveryone); got.ID != everyone.ID {
		t.Errorf("FindRole(everyone): got %s, want %s", got.ID, everyone.ID)
	}
	if got := MustFindRole(t, f.key, f, scope, roster.BuiltinAdmin); got.ID != admin.ID {
		t.Errorf("FindRole(admin): got %s, want %s", got.ID, admin.ID)
	}
}

func testCommunityBuiltinRoles(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	wantBuiltins(t, f, "c1", []string{roster.PermViewChannel, roster.PermSendMessages, roster.PermCreatePost, roster.PermAddReactions})
}

func testPlatformBuiltinRoles(t *testing.T, open Opener) {
	f := newFixture(t, open)
	wantBuiltins(t, f, roster.Platform, []string{})
	// Creating communities does not touch the platform's roles.
	MustCreateOwned(t, f.key, f, "c1", "")
	wantBuiltins(t, f, roster.Platform, []string{})
}

func testCreateCommunityByUser(t *testing.T, open Opener) {
	f := newFixture(t, open)
	before := MustRevision(t, f.key, f)
	_, rev, err := f.CreateCommunity(f.as(t, "alice"), roster.Community{ID: "c1", Name: "C"})
	wantCode(t, "CreateCommunity by a user without CREATE_COMMUNITY", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "CreateCommunity", before, rev)

	creators := MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Creators", Permissions: []string{roster.PermCreateCommunity}})
	MustGrant(t, f.key, f, roster.Platform, "alice", creators.ID)
	c, _, err := f.CreateCommunity(f.as(t, "alice"), roster.Community{ID: "c1", Name: "C"})
	wantCode(t, "CreateCommunity by a user with CREATE_COMMUNITY", err, "")
	if c.OwnerID == nil || *c.OwnerID != "alice" {
		t.Errorf("owner: got %v, want the creating user alice", c.OwnerID)
	}
	c, _, err = f.CreateCommunity(f.as(t, "alice"), roster.Community{ID: "c2", Name: "C2", OwnerID: ptr("bob")})
	wantCode(t, "CreateCommunity naming another owner", err, "")
	if c.OwnerID == nil || *c.OwnerID != "bob" {
		t.Errorf("owner: got %v, want the named owner bob", c.OwnerID)
	}
}

func testFindCommunityNotFound(t *testing.T, open Opener) {
	f := newFixture(t, open)
	_, err := f.FindCommunity(f.key, "nope")
	wantCode(t, "FindCommunity", err, roster.ECOMMUNITYNOTFOUND)
	before := MustRevision(t, f.key, f)
	_, rev, err := f.UpdateCommunity(f.key, "nope", roster.CommunityUpdate{Name: ptr("x")})
	wantCode(t, "UpdateCommunity", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "UpdateCommunity", before, rev)
	rev, err = f.DeleteCommunity(f.key, "nope")
	wantCode(t, "DeleteCommunity", err, roster.ECOMMUNITYNOTFOUND)
	wantNoChange(t, f, "DeleteCommunity", before, rev)
}

func testRenameCommunity(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "bob", "carol")
	before := MustRevision(t, f.key, f)
	c, rev, err := f.UpdateCommunity(f.key, "c1", roster.CommunityUpdate{Name: ptr(" Renamed ")})
	wantCode(t, "UpdateCommunity", err, "")
	if c.Name != "Renamed" {
		t.Errorf("name: got %q, want Renamed", c.Name)
	}
	wantEvent(t, f, "rename", before, rev, roster.ActionCommunityUpdated)
	_, _, err = f.UpdateCommunity(f.key, "c1", roster.CommunityUpdate{Name: ptr("")})
	wantCode(t, "UpdateCommunity to an empty name", err, roster.EVALIDATION)

	// A user needs MANAGE_COMMUNITY.
	before = MustRevision(t, f.key, f)
	_, rev, err = f.UpdateCommunity(f.as(t, "bob"), "c1", roster.CommunityUpdate{Name: ptr("Bob's")})
	wantCode(t, "rename by a member without MANAGE_COMMUNITY", err, roster.EMISSINGPERMISSION)
	wantNoChange(t, f, "rename", before, rev)
	managers := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Managers", Permissions: []string{roster.PermManageCommunity}})
	MustGrant(t, f.key, f, "c1", "bob", managers.ID)
	_, _, err = f.UpdateCommunity(f.as(t, "bob"), "c1", roster.CommunityUpdate{Name: ptr("Bob's")})
	wantCode(t, "rename by a member with MANAGE_COMMUNITY", err, "")
	// Transferring ownership is for the owner only.
	_, _, err = f.UpdateCommunity(f.as(t, "bob"), "c1", roster.CommunityUpdate{OwnerID: ptr("bob")})
	wantCode(t, "transfer by a manager", err, roster.ENOTOWNER)
	if got, _ := f.FindCommunity(f.key, "c1"); got.Name != "Bob's" || got.OwnerID == nil || *got.OwnerID != "owner" {
		t.Errorf("FindCommunity: got name %q owner %v, want Bob's, owner", got.Name, got.OwnerID)
	}
}

func testTransferOwnership(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "bob")

	before := MustRevision(t, f.key, f)
	_, rev, err := f.UpdateCommunity(f.key, "c1", roster.CommunityUpdate{OwnerID: ptr("stranger")})
	wantCode(t, "transfer to a non-member", err, roster.EMEMBERNOTFOUND)
	wantNoChange(t, f, "transfer", before, rev)

	c, _, err := f.UpdateCommunity(f.as(t, "owner"), "c1", roster.CommunityUpdate{OwnerID: ptr("bob")})
	wantCode(t, "transfer by the owner", err, "")
	if c.OwnerID == nil || *c.OwnerID != "bob" {
		t.Fatalf("owner: got %v, want bob", c.OwnerID)
	}
	events := MustEventsSince(t, f.key, f, before)
	if len(events) == 0 || events[len(events)-1].Action != roster.ActionOwnerTransferred {
		t.Errorf("events: got %v, want %s", actions(events), roster.ActionOwnerTransferred)
	}
	// The former owner is an ordinary member now.
	_, _, err = f.UpdateCommunity(f.as(t, "owner"), "c1", roster.CommunityUpdate{OwnerID: ptr("owner")})
	wantCode(t, "transfer by the former owner", err, roster.ENOTOWNER)

	// A platform administrator may transfer it.
	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	c, _, err = f.UpdateCommunity(f.as(t, "root"), "c1", roster.CommunityUpdate{OwnerID: ptr("owner")})
	wantCode(t, "transfer by a platform administrator", err, "")
	if c.OwnerID == nil || *c.OwnerID != "owner" {
		t.Errorf("owner: got %v, want owner", c.OwnerID)
	}
}

func testRemoveOwnerWithoutAdmin(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "bob")
	before := MustRevision(t, f.key, f)
	_, rev, err := f.UpdateCommunity(f.key, "c1", roster.CommunityUpdate{OwnerID: ptr("")})
	wantCode(t, "removing the owner of a community without an admin", err, roster.ELASTADMIN)
	wantNoChange(t, f, "remove owner", before, rev)

	MustGrant(t, f.key, f, "c1", "bob", roster.BuiltinAdmin)
	c, _, err := f.UpdateCommunity(f.key, "c1", roster.CommunityUpdate{OwnerID: ptr("")})
	wantCode(t, "removing the owner once there is an admin", err, "")
	if c.OwnerID != nil {
		t.Errorf("UpdateCommunity: got owner %q, want none (nil), as FindCommunity answers", *c.OwnerID)
	}
	if got, _ := f.FindCommunity(f.key, "c1"); got.OwnerID != nil {
		t.Errorf("FindCommunity: got owner %v, want none", *got.OwnerID)
	}
}

func testDeleteCommunity(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustCreateOwned(t, f.key, f, "c2", "owner")
	MustAddMember(t, f.key, f, "c1", "bob")
	mods := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	MustGrant(t, f.key, f, "c1", "bob", mods.ID)

	before := MustRevision(t, f.key, f)
	rev, err := f.DeleteCommunity(f.key, "c1")
	wantCode(t, "DeleteCommunity", err, "")
	events := MustEventsSince(t, f.key, f, before)
	if !slices.Contains(actions(events), roster.ActionCommunityDeleted) {
		t.Errorf("events: got %v, want %s", actions(events), roster.ActionCommunityDeleted)
	}
	if n := len(events); n > 0 && events[n-1].Revision != rev {
		t.Errorf("DeleteCommunity: got revision %d, want %d", rev, events[n-1].Revision)
	}
	_, err = f.FindCommunity(f.key, "c1")
	wantCode(t, "FindCommunity after deletion", err, roster.ECOMMUNITYNOTFOUND)
	_, err = f.FindRole(f.key, "c1", mods.ID)
	wantCode(t, "FindRole after deletion", err, roster.ECOMMUNITYNOTFOUND)
	_, err = f.FindMember(f.key, "c1", "bob")
	wantCode(t, "FindMember after deletion", err, roster.ECOMMUNITYNOTFOUND)
	ms, _, err := f.ListMemberships(f.key, "owner", roster.Page{})
	wantCode(t, "ListMemberships", err, "")
	if len(ms) != 1 || ms[0].Community.ID != "c2" {
		t.Errorf("memberships of the owner: got %d, want only c2", len(ms))
	}
	// The id is free again, with fresh built-in roles.
	MustCreateOwned(t, f.key, f, "c1", "")
	if ids := MustRoleIDs(t, f.key, f, "c1"); len(ids) != 2 {
		t.Errorf("roles of the new c1: got %d, want 2", len(ids))
	}
	if _, err := f.FindMember(f.key, "c1", "bob"); roster.ErrorCode(err) != roster.EMEMBERNOTFOUND {
		t.Errorf("FindMember(bob) in the new c1: got %v, want %s", err, roster.EMEMBERNOTFOUND)
	}
}

func testDeleteCommunityGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "bob")
	MustGrant(t, f.key, f, "c1", "bob", roster.BuiltinAdmin)
	before := MustRevision(t, f.key, f)
	rev, err := f.DeleteCommunity(f.as(t, "bob"), "c1")
	wantCode(t, "DeleteCommunity by a community admin", err, roster.ENOTOWNER)
	wantNoChange(t, f, "DeleteCommunity", before, rev)
	_, err = f.DeleteCommunity(f.as(t, "owner"), "c1")
	wantCode(t, "DeleteCommunity by the owner", err, "")

	MustCreateOwned(t, f.key, f, "c2", "owner")
	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	_, err = f.DeleteCommunity(f.as(t, "root"), "c2")
	wantCode(t, "DeleteCommunity by a platform administrator", err, "")
}

func testListCommunitiesRestricted(t *testing.T, open Opener) {
	f := newFixture(t, open)
	for _, id := range []string{"a", "b", "c"} {
		MustCreateOwned(t, f.key, f, id, "")
	}
	list, _, err := f.ListCommunities(f.key, roster.CommunityFilter{}, roster.Page{})
	wantCode(t, "ListCommunities", err, "")
	if got := len(list); got != 3 {
		t.Errorf("ListCommunities: got %d communities, want 3", got)
	}
	list, _, err = f.ListCommunities(AsRestricted(t.Context(), "b"), roster.CommunityFilter{}, roster.Page{})
	wantCode(t, "ListCommunities by a restricted key", err, "")
	if len(list) != 1 || list[0].ID != "b" {
		t.Errorf("ListCommunities by a key restricted to b: got %d communities, want only b", len(list))
	}
}

func testSearchCommunities(t *testing.T, open Opener) {
	f := newFixture(t, open)
	for id, name := range map[string]string{"fans": "Fan Club", "fc-2": "The FAN zone", "chess": "Chess 100%", "go_club": "Gophers"} {
		if _, _, err := f.CreateCommunity(f.key, roster.Community{ID: id, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	for search, want := range map[string]string{"fan": "[fans fc-2]", "FC": "[fc-2]", "100%": "[chess]", "0%": "[chess]", "%": "[chess]",
		"go_": "[go_club]", "g_": "[]", "zzz": "[]", "": "[chess fans fc-2 go_club]"} {
		list, _, err := f.ListCommunities(f.key, roster.CommunityFilter{Search: search}, roster.Page{})
		wantCode(t, "ListCommunities", err, "")
		var ids []string
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		if got := fmt.Sprint(ids); got != want && !(want == "[]" && len(ids) == 0) {
			t.Errorf("search %q: got %v, want %s", search, ids, want)
		}
	}
	list, _, err := f.ListCommunities(AsRestricted(t.Context(), "fans"), roster.CommunityFilter{Search: "fan"}, roster.Page{})
	if err != nil || len(list) != 1 || list[0].ID != "fans" {
		t.Errorf("a search by a key restricted to fans: got %v, %v; want fans alone", list, err)
	}
	_, _, err = f.ListCommunities(f.key, roster.CommunityFilter{Search: strings.Repeat("x", roster.MaxSearchLength+1)}, roster.Page{})
	wantCode(t, "a search too long", err, roster.EVALIDATION)
}
