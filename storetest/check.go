package storetest

import (
	"slices"
	"testing"

	"github.com/rosterhq/roster"
)

var checkTests = []test{
	{"Check", testCheck},
	{"CheckPlatformScope", testCheckPlatformScope},
	{"CheckInvalid", testCheckInvalid},
	{"CheckMinRevision", testCheckMinRevision},
	{"CheckRestrictedActor", testCheckRestrictedActor},
}

var effectiveTests = []test{
	{"ExplainRoles", testExplainRoles},
	{"ExplainOwner", testExplainOwner},
	{"ExplainAdministrator", testExplainAdministrator},
	{"ExplainPlatformRole", testExplainPlatformRole},
	{"EffectivePlatformScope", testEffectivePlatformScope},
	{"EffectiveNotFound", testEffectiveNotFound},
}

// checkWorld is a community c1 owned by owner with members alice (Mods:
// BAN_MEMBERS, REDEEM_REWARDS), bob (no role) and cadmin (admin); outsider
// is no member but holds the platform role Global (MANAGE_POSTS), and root
// the platform admin.
type checkWorld struct {
	*fixture
	mods, global roster.Role
}

func newCheckWorld(t *testing.T, open Opener) *checkWorld {
	t.Helper()
	f := newFixture(t, open)
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "alice", "bob", "cadmin")
	w := &checkWorld{fixture: f}
	w.mods = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods", Permissions: []string{roster.PermBanMembers, "REDEEM_REWARDS"}})
	w.global = MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Global", Permissions: []string{roster.PermManagePosts}})
	MustGrant(t, f.key, f, "c1", "alice", w.mods.ID)
	MustGrant(t, f.key, f, "c1", "cadmin", roster.BuiltinAdmin)
	MustGrant(t, f.key, f, roster.Platform, "outsider", w.global.ID)
	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	return w
}

func testCheck(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	tests := []struct {
		user, perm string
		want       bool
	}{
		{"alice", roster.PermSendMessages, true},
		{"alice", roster.PermBanMembers, true},
		{"alice", "REDEEM_REWARDS", true},
		{"alice", roster.PermManageRoles, false},
		{"bob", roster.PermViewChannel, true},
		{"bob", roster.PermBanMembers, false},
		{"bob", "REDEEM_REWARDS", false},
		{"owner", roster.PermManageRoles, true},
		{"owner", "REDEEM_REWARDS", true},
		{"owner", roster.PermAdministrator, true},
		{"cadmin", roster.PermManageCommunity, true},
		{"cadmin", "REDEEM_REWARDS", true},
		{"outsider", roster.PermManagePosts, true},
		{"outsider", roster.PermSendMessages, false},
		{"outsider", roster.PermBanMembers, false},
		{"root", roster.PermBanMembers, true},
		{"root", "REDEEM_REWARDS", true},
		{"stranger", roster.PermViewChannel, false},
	}
	var checks []roster.Check
	for _, tc := range tests {
		checks = append(checks, roster.Check{CommunityID: "c1", UserID: tc.user, Permission: tc.perm})
	}
	got, rev, err := w.Check(w.key, checks, 0)
	wantCode(t, "Check", err, "")
	if len(got) != len(tests) {
		t.Fatalf("Check: got %d answers, want %d", len(got), len(tests))
	}
	for i, tc := range tests {
		if got[i] != tc.want {
			t.Errorf("Check(%s, %s): got %v, want %v", tc.user, tc.perm, got[i], tc.want)
		}
	}
	if now := MustRevision(t, w.key, w); rev != now {
		t.Errorf("Check: got revision %d, want the current %d", rev, now)
	}
	// One at a time gives the same answers.
	for i, tc := range tests {
		ans, _, err := w.Check(w.key, checks[i:i+1], 0)
		if err != nil || len(ans) != 1 || ans[0] != tc.want {
			t.Errorf("single Check(%s, %s): got %v, %v, want %v", tc.user, tc.perm, ans, err, tc.want)
		}
	}
	// Changes show at once.
	if _, _, err := w.RemoveRole(w.key, grant(one("c1", "alice", w.mods.ID))); err != nil {
		t.Fatalf("RemoveRoles: %v", err)
	}
	if got, _, _ := w.Check(w.key, checks[1:2], 0); len(got) != 1 || got[0] {
		t.Errorf("Check(alice, BAN_MEMBERS) after removal: got %v, want denied", got)
	}
	if _, err := w.RemoveMember(w.key, "c1", "bob"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	if got, _, _ := w.Check(w.key, checks[4:5], 0); len(got) != 1 || got[0] {
		t.Errorf("Check(bob, VIEW_CHANNEL) after leaving: got %v, want denied", got)
	}
}

func testCheckPlatformScope(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	perms := []string{roster.PermCreateCommunity}
	if _, _, err := w.UpdateRole(w.key, roster.Platform, roster.BuiltinEveryone, roster.RoleUpdate{Permissions: &perms}); err != nil {
		t.Fatalf("UpdateRole(platform everyone): %v", err)
	}
	tests := []struct {
		user, perm string
		want       bool
	}{
		{"outsider", roster.PermManagePosts, true},
		{"outsider", roster.PermBanMembers, false},
		{"alice", roster.PermBanMembers, false},
		{"alice", roster.PermSendMessages, false},
		{"owner", roster.PermManageRoles, false},
		{"root", roster.PermManageRoles, true},
		{"stranger", roster.PermCreateCommunity, true},
		{"stranger", roster.PermManagePosts, false},
	}
	for _, tc := range tests {
		got, _, err := w.Check(w.key, []roster.Check{{CommunityID: roster.Platform, UserID: tc.user, Permission: tc.perm}}, 0)
		wantCode(t, "Check", err, "")
		if got[0] != tc.want {
			t.Errorf("platform Check(%s, %s): got %v, want %v", tc.user, tc.perm, got[0], tc.want)
		}
	}
	// Platform everyone applies inside communities too, to members and others.
	got, _, err := w.Check(w.key, []roster.Check{
		{CommunityID: "c1", UserID: "bob", Permission: roster.PermCreateCommunity},
		{CommunityID: "c1", UserID: "stranger", Permission: roster.PermCreateCommunity},
	}, 0)
	wantCode(t, "Check", err, "")
	if !got[0] || !got[1] {
		t.Errorf("Check of a platform everyone permission in c1: got %v, want [true true]", got)
	}
}

func testCheckInvalid(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	_, _, err := w.Check(w.key, []roster.Check{
		{CommunityID: "c1", UserID: "alice", Permission: roster.PermBanMembers},
		{CommunityID: "c1", UserID: "alice", Permission: "NO_SUCH_KEY"},
	}, 0)
	wantCode(t, "Check of an unregistered permission", err, roster.EVALIDATION)
	_, _, err = w.Check(w.key, []roster.Check{{CommunityID: "nope", UserID: "alice", Permission: roster.PermBanMembers}}, 0)
	wantCode(t, "Check in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = w.Check(w.key, []roster.Check{
		{CommunityID: "c1", UserID: "alice", Permission: roster.PermBanMembers},
		{CommunityID: "nope", UserID: "alice", Permission: roster.PermBanMembers},
	}, 0)
	wantCode(t, "batch Check with an unknown community", err, roster.ECOMMUNITYNOTFOUND)
}

func testCheckMinRevision(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	now := MustRevision(t, w.key, w)
	check := []roster.Check{{CommunityID: "c1", UserID: "alice", Permission: roster.PermBanMembers}}
	_, _, err := w.Check(w.key, check, now+1)
	wantCode(t, "Check at a revision not reached", err, roster.EREVISIONNOTREADY)
	got, rev, err := w.Check(w.key, check, now)
	wantCode(t, "Check at the current revision", err, "")
	if rev < now || !got[0] {
		t.Errorf("Check: got %v at revision %d, want allowed at %d or later", got, rev, now)
	}
	// A write's revision is readable at once.
	_, wrev, err := w.RemoveRole(w.key, grant(one("c1", "alice", w.mods.ID)))
	wantCode(t, "RemoveRoles", err, "")
	got, rev, err = w.Check(w.key, check, wrev)
	wantCode(t, "Check at the write's revision", err, "")
	if rev < wrev || got[0] {
		t.Errorf("Check: got %v at revision %d, want denied at %d or later", got, rev, wrev)
	}
}

func testCheckRestrictedActor(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	MustCreateOwned(t, w.key, w, "c2", "")
	ctx := AsRestricted(t.Context(), "c1")
	got, _, err := w.Check(ctx, []roster.Check{{CommunityID: "c1", UserID: "alice", Permission: roster.PermBanMembers}}, 0)
	wantCode(t, "restricted Check in its community", err, "")
	if !got[0] {
		t.Error("restricted Check in its community: got denied, want allowed")
	}
	_, _, err = w.Check(ctx, []roster.Check{{CommunityID: "c2", UserID: "alice", Permission: roster.PermBanMembers}}, 0)
	wantCode(t, "restricted Check in another community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = w.Check(ctx, []roster.Check{
		{CommunityID: "c1", UserID: "alice", Permission: roster.PermBanMembers},
		{CommunityID: "c2", UserID: "alice", Permission: roster.PermBanMembers},
	}, 0)
	wantCode(t, "restricted batch Check reaching another community", err, roster.ECOMMUNITYNOTFOUND)
	// The platform scope is out of its reach, as platform routes are.
	_, _, err = w.Check(ctx, []roster.Check{{CommunityID: roster.Platform, UserID: "alice", Permission: roster.PermBanMembers}}, 0)
	wantCode(t, "restricted Check at platform scope", err, roster.EINSUFFICIENTSCOPE)
}

// reasonsOf returns the explanation of one permission.
func reasonsOf(e roster.Effective, perm string) []roster.Reason { return e.Explain[perm] }

func hasReason(rs []roster.Reason, want roster.Reason) bool {
	return slices.ContainsFunc(rs, func(r roster.Reason) bool {
		return r.Kind == want.Kind && r.RoleID == want.RoleID && r.Platform == want.Platform
	})
}

func testExplainRoles(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	MustGrant(t, w.key, w, roster.Platform, "alice", w.global.ID)
	also := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "Also bans", Permissions: []string{roster.PermBanMembers}})
	MustGrant(t, w.key, w, "c1", "alice", also.ID)
	eff, rev, err := w.EffectivePermissions(w.key, "c1", "", "alice")
	wantCode(t, "EffectivePermissions", err, "")
	if now := MustRevision(t, w.key, w); rev != now {
		t.Errorf("revision: got %d, want %d", rev, now)
	}
	if eff.UserID != "alice" || eff.CommunityID == nil || *eff.CommunityID != "c1" || !eff.Member || eff.Owner || eff.Administrator {
		t.Errorf("EffectivePermissions: got %+v, want alice, a plain member of c1", eff)
	}
	want := roster.CleanKeys(append(slices.Clone(roster.CommunityEveryonePermissions), roster.PermBanMembers, "REDEEM_REWARDS", roster.PermManagePosts))
	got := roster.CleanKeys(eff.Permissions)
	if !slices.Equal(got, want) {
		t.Errorf("permissions: got %v, want %v", got, want)
	}
	everyone := MustFindRole(t, w.key, w, "c1", roster.BuiltinEveryone)
	for _, tc := range []struct {
		perm string
		want []roster.Reason
	}{
		{roster.PermSendMessages, []roster.Reason{{Kind: roster.ReasonRole, RoleID: everyone.ID}}},
		{roster.PermBanMembers, []roster.Reason{{Kind: roster.ReasonRole, RoleID: w.mods.ID}, {Kind: roster.ReasonRole, RoleID: also.ID}}},
		{"REDEEM_REWARDS", []roster.Reason{{Kind: roster.ReasonRole, RoleID: w.mods.ID}}},
		{roster.PermManagePosts, []roster.Reason{{Kind: roster.ReasonRole, RoleID: w.global.ID, Platform: true}}},
	} {
		rs := reasonsOf(eff, tc.perm)
		if len(rs) != len(tc.want) {
			t.Errorf("Explain[%s]: got %+v, want %+v", tc.perm, rs, tc.want)
			continue
		}
		for _, r := range tc.want {
			if !hasReason(rs, r) {
				t.Errorf("Explain[%s]: got %+v, want one %+v", tc.perm, rs, r)
			}
		}
	}
	for _, r := range reasonsOf(eff, "REDEEM_REWARDS") {
		if r.RoleName != "Mods" {
			t.Errorf("Explain[REDEEM_REWARDS] role name: got %q, want Mods", r.RoleName)
		}
	}
	if _, ok := eff.Explain[roster.PermManageRoles]; ok {
		t.Errorf("Explain[MANAGE_ROLES]: got %+v, want none for a permission not held", eff.Explain[roster.PermManageRoles])
	}
}

func testExplainOwner(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	eff, _, err := w.EffectivePermissions(w.key, "c1", "", "owner")
	wantCode(t, "EffectivePermissions", err, "")
	if !eff.Owner || !eff.Administrator || !eff.Member {
		t.Errorf("EffectivePermissions(owner): got owner %v administrator %v member %v, want all true", eff.Owner, eff.Administrator, eff.Member)
	}
	all := allPermissions(t, w.fixture)
	if len(eff.Permissions) != len(all) {
		t.Errorf("permissions: got %d, want every one of the %d in the catalog", len(eff.Permissions), len(all))
	}
	if rs := reasonsOf(eff, "REDEEM_REWARDS"); !hasReason(rs, roster.Reason{Kind: roster.ReasonOwner}) {
		t.Errorf("Explain[REDEEM_REWARDS]: got %+v, want the owner reason", rs)
	}
}

func testExplainAdministrator(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	admin := MustFindRole(t, w.key, w, "c1", roster.BuiltinAdmin)
	eff, _, err := w.EffectivePermissions(w.key, "c1", "", "cadmin")
	wantCode(t, "EffectivePermissions", err, "")
	if eff.Owner || !eff.Administrator {
		t.Errorf("EffectivePermissions(cadmin): got owner %v administrator %v, want false, true", eff.Owner, eff.Administrator)
	}
	if len(eff.Permissions) != len(allPermissions(t, w.fixture)) {
		t.Errorf("permissions: got %d, want the whole catalog", len(eff.Permissions))
	}
	if rs := reasonsOf(eff, roster.PermBanMembers); !hasReason(rs, roster.Reason{Kind: roster.ReasonAdministrator, RoleID: admin.ID}) {
		t.Errorf("Explain[BAN_MEMBERS]: got %+v, want administrator through %s", rs, admin.ID)
	}
	// A platform administrator who is a member holds everything too.
	MustAddMember(t, w.key, w, "c1", "root")
	padmin := MustFindRole(t, w.key, w, roster.Platform, roster.BuiltinAdmin)
	eff, _, err = w.EffectivePermissions(w.key, "c1", "", "root")
	wantCode(t, "EffectivePermissions(root)", err, "")
	if !eff.Administrator || !hasReason(reasonsOf(eff, roster.PermBanMembers), roster.Reason{Kind: roster.ReasonAdministrator, RoleID: padmin.ID, Platform: true}) {
		t.Errorf("EffectivePermissions(root): got administrator %v explain %+v, want administrator through the platform admin role",
			eff.Administrator, reasonsOf(eff, roster.PermBanMembers))
	}
}

func testExplainPlatformRole(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	MustAddMember(t, w.key, w, "c1", "outsider")
	eff, _, err := w.EffectivePermissions(w.key, "c1", "", "outsider")
	wantCode(t, "EffectivePermissions", err, "")
	if !slices.Contains(eff.Permissions, roster.PermManagePosts) || !slices.Contains(eff.Permissions, roster.PermSendMessages) {
		t.Errorf("permissions: got %v, want MANAGE_POSTS and everyone's", eff.Permissions)
	}
	if rs := reasonsOf(eff, roster.PermManagePosts); !hasReason(rs, roster.Reason{Kind: roster.ReasonRole, RoleID: w.global.ID, Platform: true}) {
		t.Errorf("Explain[MANAGE_POSTS]: got %+v, want the platform role Global", rs)
	}
}

func testEffectivePlatformScope(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	eff, _, err := w.EffectivePermissions(w.key, roster.Platform, "", "outsider")
	wantCode(t, "EffectivePermissions at platform scope", err, "")
	if eff.CommunityID != nil || eff.Administrator || !slices.Equal(eff.Permissions, []string{roster.PermManagePosts}) {
		t.Errorf("EffectivePermissions(platform, outsider): got %+v, want only MANAGE_POSTS", eff)
	}
	eff, _, err = w.EffectivePermissions(w.key, roster.Platform, "", "alice")
	wantCode(t, "EffectivePermissions at platform scope", err, "")
	if len(eff.Permissions) != 0 {
		t.Errorf("EffectivePermissions(platform, alice): got %v, want none (community roles do not count)", eff.Permissions)
	}
	eff, _, err = w.EffectivePermissions(w.key, roster.Platform, "", "root")
	wantCode(t, "EffectivePermissions at platform scope", err, "")
	if !eff.Administrator {
		t.Errorf("EffectivePermissions(platform, root): got administrator false, want true")
	}
}

func testEffectiveNotFound(t *testing.T, open Opener) {
	w := newCheckWorld(t, open)
	_, _, err := w.EffectivePermissions(w.key, "c1", "", "outsider")
	wantCode(t, "EffectivePermissions of a non-member", err, roster.EMEMBERNOTFOUND)
	_, _, err = w.EffectivePermissions(w.key, "nope", "", "alice")
	wantCode(t, "EffectivePermissions in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
}
