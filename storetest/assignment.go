package storetest

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var assignmentTests = []test{
	{"AddAndRemoveOne", testAddAndRemoveOne},
	{"RemoveOneNotHeld", testRemoveOneNotHeld},
	{"AddNotFound", testAddNotFound},
	{"EveryoneNotAssignable", testEveryoneNotAssignable},
	{"BatchOutcomes", testBatchOutcomes},
	{"BatchAllOrNothing", testBatchAllOrNothing},
	{"BatchInvalid", testBatchInvalid},
	{"GrantInvalid", testGrantInvalid},
	{"Provisioning", testProvisioning},
	{"ProvisioningRetained", testProvisioningRetained},
	{"GrantedBySource", testGrantedBySource},
	{"SourceNotAllowed", testSourceNotAllowed},
	{"PlatformAssignment", testPlatformAssignment},
	{"ConcurrentAdd", testConcurrentAdd},
	{"SingleAnswer", testSingleAnswer},
	{"ExpiredReplacedAnswer", testExpiredReplacedAnswer},
	{"ExpiredWhileWaiting", testExpiredWhileWaiting},
	{"LastAdminByID", testLastAdminByID},
	{"BatchMembership", testBatchMembership},
}

// wantResults fails unless the outcomes are want, one per pair, in any
// order.
func wantResults(t *testing.T, what string, got []roster.PairResult, want ...roster.PairResult) {
	t.Helper()
	order := func(a, b roster.PairResult) int {
		return strings.Compare(a.UserID+"\x00"+a.RoleID, b.UserID+"\x00"+b.RoleID)
	}
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Errorf("%s: got results %v, want %v", what, got, want)
	}
}

func pr(user, role, result string) roster.PairResult {
	return roster.PairResult{UserID: user, RoleID: role, Result: result}
}

// kept is a pair's outcome, retained or kept, naming the source that keeps
// the role.
func kept(user, role, result string, by roster.Source) roster.PairResult {
	return roster.PairResult{UserID: user, RoleID: role, Result: result, KeptBy: by}
}

func testAddAndRemoveOne(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})

	before := MustRevision(t, f.key, f)
	res, rev, err := f.AddRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "AddRole", err, "")
	wantResult(t, "AddRole", res, "alice", roster.Added)
	m := res.Member
	if m.UserID != "alice" || !holds(m, r.ID) {
		t.Errorf("member after AddRoles: got %+v, want alice holding Mods", m)
	}
	if g := m.Roles[0].Grants; len(g) != 1 || g[0].Source != roster.SourceManual || g[0].GrantedBy.KeyID != KeyID || g[0].GrantedAt.IsZero() {
		t.Errorf("grant: got %+v, want one manual grant by %s", g, KeyID)
	}
	if ev := wantEvent(t, f, "AddRoles", before, rev, roster.ActionMemberRoleAdded); ev.Revision != 0 && (ev.TargetID != "alice" || ev.TargetType != roster.TargetMember) {
		t.Errorf("event: got %+v, want revision %d on member alice", ev, rev)
	}

	before = MustRevision(t, f.key, f)
	res, _, err = f.AddRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "AddRole again", err, "")
	wantResult(t, "AddRole again", res, "alice", roster.AlreadyHeld)
	if m = res.Member; !holds(m, r.ID) {
		t.Errorf("member: got %v, want Mods held", m.Roles)
	}
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("events of already_held: got %v, want none", actions(events))
	}

	before = MustRevision(t, f.key, f)
	res, rev, err = f.RemoveRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "RemoveRole", err, "")
	wantResult(t, "RemoveRole", res, "alice", roster.Removed)
	if m = res.Member; holds(m, r.ID) {
		t.Errorf("member after RemoveRoles: got %v, want Mods gone", m.Roles)
	}
	wantEvent(t, f, "RemoveRoles", before, rev, roster.ActionMemberRoleRemoved)
	if got := MustMember(t, f.key, f, "c1", "alice"); len(got.Roles) != 0 {
		t.Errorf("ListUserRoles: got %v, want none", got.Roles)
	}
	// Roles may be named by alias.
	pairs, _, err := f.AddRoles(f.key, one("c1", "alice", roster.BuiltinAdmin))
	wantCode(t, "AddRoles(admin)", err, "")
	admin := MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin)
	wantResults(t, "AddRoles(admin)", pairs, pr("alice", admin.ID, roster.Added))
}

func testRemoveOneNotHeld(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	before := MustRevision(t, f.key, f)
	_, rev, err := f.RemoveRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "single RemoveRoles of a role not held", err, roster.EROLENOTHELD)
	wantNoChange(t, f, "RemoveRoles", before, rev)
	res, rev, err := f.RemoveRoles(f.key, one("c1", "alice", r.ID))
	wantCode(t, "batch RemoveRoles of a role not held", err, "")
	wantResults(t, "batch RemoveRoles", res, pr("alice", r.ID, roster.NotHeld))
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("events of not_held: got %v, want none", actions(events))
	}
	if rev != before {
		t.Errorf("revision of a change with no effect: got %d, want the current %d", rev, before)
	}
}

func testAddNotFound(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	before := MustRevision(t, f.key, f)
	for _, tc := range []struct {
		name string
		c    roster.Change
		want string
	}{
		{"unknown community", one("nope", "alice", r.ID), roster.ECOMMUNITYNOTFOUND},
		{"unknown role", one("c1", "alice", "nope"), roster.EROLENOTFOUND},
		{"role of the platform", one("c1", "alice", MustFindRole(t, f.key, f, roster.Platform, roster.BuiltinAdmin).ID), roster.EROLENOTFOUND},
		{"non-member", one("c1", "bob", r.ID), roster.EMEMBERNOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.AddRoles(f.key, tc.c)
			wantCode(t, "AddRoles", err, tc.want)
			wantNoChange(t, f, "AddRoles", before, rev)
			_, rev, err = f.RemoveRole(f.key, grant(tc.c))
			wantCode(t, "RemoveRoles", err, tc.want)
			wantNoChange(t, f, "RemoveRoles", before, rev)
		})
	}
	_, err := f.FindUser(f.key, "bob")
	wantCode(t, "FindUser(bob)", err, roster.EUSERNOTFOUND)
}

func testEveryoneNotAssignable(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	everyone := MustFindRole(t, f.key, f, "c1", roster.BuiltinEveryone)
	before := MustRevision(t, f.key, f)
	for _, id := range []string{roster.BuiltinEveryone, everyone.ID} {
		_, rev, err := f.AddRoles(f.key, one("c1", "alice", id))
		wantCode(t, "AddRoles("+id+")", err, roster.EROLENOTASSIGNABLE)
		wantNoChange(t, f, "AddRoles", before, rev)
		_, rev, err = f.RemoveRole(f.key, grant(one("c1", "alice", id)))
		wantCode(t, "RemoveRoles("+id+")", err, roster.EROLENOTASSIGNABLE)
		wantNoChange(t, f, "RemoveRoles", before, rev)
	}
	_, _, err := f.AddRoles(f.key, one(roster.Platform, "alice", roster.BuiltinEveryone))
	wantCode(t, "AddRoles(platform everyone)", err, roster.EROLENOTASSIGNABLE)
}

func testBatchOutcomes(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob")
	r1 := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R1"})
	r2 := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R2"})
	MustGrant(t, f.key, f, "c1", "bob", r2.ID)

	before := MustRevision(t, f.key, f)
	res, rev, err := f.AddRoles(f.key, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob", "alice"}, RoleIDs: []string{r1.ID, r2.ID, r1.ID}})
	wantCode(t, "batch AddRoles", err, "")
	wantResults(t, "batch AddRoles", res,
		pr("alice", r1.ID, roster.Added), pr("alice", r2.ID, roster.Added),
		pr("bob", r1.ID, roster.Added), pr("bob", r2.ID, roster.AlreadyHeld))
	events := MustEventsSince(t, f.key, f, before)
	wantActions(t, "batch AddRoles", events, roster.ActionMemberRoleAdded, roster.ActionMemberRoleAdded, roster.ActionMemberRoleAdded)
	if n := len(events); n > 0 && events[n-1].Revision != rev {
		t.Errorf("batch AddRoles: got revision %d, want %d", rev, events[n-1].Revision)
	}
	for i := 1; i < len(events); i++ {
		if events[i].Revision <= events[i-1].Revision {
			t.Errorf("revisions: got %d after %d, want strictly increasing", events[i].Revision, events[i-1].Revision)
		}
	}

	MustRemoveOne := func(user, role string) {
		t.Helper()
		if _, _, err := f.RemoveRole(f.key, grant(one("c1", user, role))); err != nil {
			t.Fatalf("RemoveRoles(%s, %s): %v", user, role, err)
		}
	}
	MustRemoveOne("alice", r2.ID)
	before = MustRevision(t, f.key, f)
	res, _, err = f.RemoveRoles(f.key, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{r1.ID, r2.ID}})
	wantCode(t, "batch RemoveRoles", err, "")
	wantResults(t, "batch RemoveRoles", res,
		pr("alice", r1.ID, roster.Removed), pr("alice", r2.ID, roster.NotHeld),
		pr("bob", r1.ID, roster.Removed), pr("bob", r2.ID, roster.Removed))
	wantActions(t, "batch RemoveRoles", MustEventsSince(t, f.key, f, before),
		roster.ActionMemberRoleRemoved, roster.ActionMemberRoleRemoved, roster.ActionMemberRoleRemoved)
	for _, u := range []string{"alice", "bob"} {
		if m := MustMember(t, f.key, f, "c1", u); len(m.Roles) != 0 {
			t.Errorf("%s's roles: got %v, want none", u, m.Roles)
		}
	}
}

func testBatchAllOrNothing(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice", "bob")
	r1 := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R1"})
	r2 := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R2"})
	MustGrant(t, f.key, f, "c1", "bob", r2.ID)
	MustProvision(t, f.key, f, "c1", "alice", r2.ID)
	before := MustRevision(t, f.key, f)
	tests := []struct {
		name   string
		remove bool
		c      roster.Change
		want   string
	}{
		{"add with a non-member", false, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob", "stranger"}, RoleIDs: []string{r1.ID}}, roster.EMEMBERNOTFOUND},
		{"add with an unknown role", false, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{r1.ID, "nope"}}, roster.EROLENOTFOUND},
		{"add with everyone", false, roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r1.ID, roster.BuiltinEveryone}}, roster.EROLENOTASSIGNABLE},
		{"remove with a non-member", true, roster.Change{Scope: "c1", UserIDs: []string{"bob", "stranger"}, RoleIDs: []string{r2.ID}}, roster.EMEMBERNOTFOUND},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rev roster.Revision
			var err error
			if tc.remove {
				_, rev, err = f.RemoveRoles(f.key, tc.c)
			} else {
				_, rev, err = f.AddRoles(f.key, tc.c)
			}
			wantCode(t, tc.name, err, tc.want)
			wantNoChange(t, f, tc.name, before, rev)
		})
	}
	if m := MustMember(t, f.key, f, "c1", "alice"); holds(m, r1.ID) {
		t.Errorf("alice's roles: got %v, want no R1 after refused batches", m.Roles)
	}
	if m := MustMember(t, f.key, f, "c1", "bob"); holds(m, r1.ID) || !holds(m, r2.ID) {
		t.Errorf("bob's roles: got %v, want R2 only after refused batches", m.Roles)
	}
}

func testBatchInvalid(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R"})
	many := make([]string, roster.MaxBatch+1)
	for i := range many {
		many[i] = "u" + strconv.Itoa(i)
	}
	past := time.Now().Add(-time.Hour)
	before := MustRevision(t, f.key, f)
	for _, tc := range []struct {
		name string
		c    roster.Change
	}{
		{"no users", roster.Change{Scope: "c1", RoleIDs: []string{r.ID}}},
		{"no roles", roster.Change{Scope: "c1", UserIDs: []string{"alice"}}},
		{"too many users", roster.Change{Scope: "c1", UserIDs: many, RoleIDs: []string{r.ID}}},
		{"bad user id", roster.Change{Scope: "c1", UserIDs: []string{"al ice"}, RoleIDs: []string{r.ID}}},
		{"bad source", roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, Source: "sync"}},
		{"expiry in the past", roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, ExpiresAt: &past}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.AddRoles(f.key, tc.c)
			wantCode(t, "AddRoles", err, roster.EVALIDATION)
			wantNoChange(t, f, "AddRoles", before, rev)
		})
	}
}

// testGrantInvalid checks that a single add or removal of a role refuses
// bad input and changes nothing, as a batch does.
func testGrantInvalid(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R"})
	past := time.Now().Add(-time.Hour)
	before := MustRevision(t, f.key, f)
	for _, tc := range []struct {
		name string
		g    roster.RoleGrant
	}{
		{"no user", roster.RoleGrant{Scope: "c1", RoleID: r.ID}},
		{"no role", roster.RoleGrant{Scope: "c1", UserID: "alice"}},
		{"bad user id", roster.RoleGrant{Scope: "c1", UserID: "al ice", RoleID: r.ID}},
		{"bad role id", roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: "r/1"}},
		{"bad source", roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, Source: "sync"}},
		{"expiry in the past", roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, ExpiresAt: &past}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.AddRole(f.key, tc.g)
			wantCode(t, "AddRole", err, roster.EVALIDATION)
			wantNoChange(t, f, "AddRole", before, rev)
			if tc.g.ExpiresAt != nil {
				return // a removal takes no expiry
			}
			_, rev, err = f.RemoveRole(f.key, tc.g)
			wantCode(t, "RemoveRole", err, roster.EVALIDATION)
			wantNoChange(t, f, "RemoveRole", before, rev)
		})
	}
}

func testProvisioning(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Synced"})
	prov := roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, Source: roster.SourceProvisioning}
	single, _, err := f.AddRole(f.key, grant(prov))
	wantCode(t, "provisioning AddRole", err, "")
	wantResult(t, "provisioning AddRole", single, "alice", roster.Added)
	if got := heldSources(single.Member, r.ID); !slices.Equal(got, []roster.Source{roster.SourceProvisioning}) {
		t.Errorf("sources: got %v, want [provisioning]", got)
	}
	// A manual add of the same role is a second grant.
	single, _, err = f.AddRole(f.key, roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID})
	wantCode(t, "manual AddRole", err, "")
	wantResult(t, "manual AddRole", single, "alice", roster.Added)
	if got := heldSources(single.Member, r.ID); !slices.Equal(got, []roster.Source{roster.SourceManual, roster.SourceProvisioning}) {
		t.Errorf("sources: got %v, want [manual provisioning]", got)
	}
	res, _, err := f.AddRoles(f.key, prov)
	wantCode(t, "provisioning AddRoles again", err, "")
	wantResults(t, "provisioning AddRoles again", res, pr("alice", r.ID, roster.AlreadyHeld))
	// A provisioning removal takes only its own grant.
	single, _, err = f.RemoveRole(f.key, grant(prov))
	wantCode(t, "provisioning RemoveRole", err, "")
	wantResult(t, "provisioning RemoveRole", single, "alice", roster.Retained)
	if got := heldSources(single.Member, r.ID); !slices.Equal(got, []roster.Source{roster.SourceManual}) {
		t.Errorf("sources: got %v, want [manual]", got)
	}
	_, _, err = f.RemoveRole(f.key, grant(prov))
	wantCode(t, "provisioning RemoveRoles of a manual grant", err, roster.EROLENOTHELD)
	res, _, err = f.RemoveRoles(f.key, prov)
	wantCode(t, "batch provisioning RemoveRoles of a manual grant", err, "")
	wantResults(t, "batch provisioning RemoveRoles", res, pr("alice", r.ID, roster.NotHeld))
	// A provisioning removal that leaves a manual grant names it.
	MustProvision(t, f.key, f, "c1", "alice", r.ID)
	res, _, err = f.RemoveRoles(f.key, prov)
	wantCode(t, "batch provisioning RemoveRoles of both grants", err, "")
	wantResults(t, "batch provisioning RemoveRoles of both grants", res, kept("alice", r.ID, roster.Retained, roster.SourceManual))
}

func testProvisioningRetained(t *testing.T, open Opener) {
	f := newFixture(t, open)
	r := syncedRole(t, f, "")
	MustGrant(t, f.key, f, "c1", "alice", r.ID)
	before := MustRevision(t, f.key, f)
	res, rev, err := f.RemoveRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "manual RemoveRole", err, "")
	wantResult(t, "manual RemoveRole", res, "alice", roster.Retained)
	if got := heldSources(res.Member, r.ID); !slices.Equal(got, []roster.Source{roster.SourceProvisioning}) {
		t.Errorf("sources: got %v, want [provisioning]", got)
	}
	wantEvent(t, f, "manual RemoveRoles", before, rev, roster.ActionMemberRoleRemoved)
	if got := MustMember(t, f.key, f, "c1", "alice"); !holds(got, r.ID) {
		t.Errorf("ListUserRoles: got %v, want the role still held", got.Roles)
	}
	// A batch says which source keeps the role.
	MustGrant(t, f.key, f, "c1", "alice", r.ID)
	before = MustRevision(t, f.key, f)
	batch, rev, err := f.RemoveRoles(f.key, one("c1", "alice", r.ID))
	wantCode(t, "manual RemoveRoles", err, "")
	wantResults(t, "manual RemoveRoles", batch, kept("alice", r.ID, roster.Retained, roster.SourceProvisioning))
	wantEvent(t, f, "manual RemoveRoles", before, rev, roster.ActionMemberRoleRemoved)
}

func testGrantedBySource(t *testing.T, open Opener) {
	f := newFixture(t, open)
	r := syncedRole(t, f, "")
	before := MustRevision(t, f.key, f)
	_, rev, err := f.RemoveRole(f.key, grant(one("c1", "alice", r.ID)))
	wantCode(t, "manual RemoveRole of a provisioning grant", err, roster.EGRANTEDBYSOURCE)
	wantNoChange(t, f, "RemoveRole", before, rev)
	if got := MustMember(t, f.key, f, "c1", "alice"); !holds(got, r.ID) {
		t.Errorf("ListUserRoles: got %v, want the role still held", got.Roles)
	}
	// A batch keeps that pair, with no event, and applies its others.
	MustAddMember(t, f.key, f, "c1", "bob")
	MustGrant(t, f.key, f, "c1", "bob", r.ID)
	before = MustRevision(t, f.key, f)
	res, rev, err := f.RemoveRoles(f.key, roster.Change{Scope: "c1", UserIDs: []string{"alice", "bob"}, RoleIDs: []string{r.ID}})
	wantCode(t, "manual RemoveRoles with a provisioning grant", err, "")
	wantResults(t, "manual RemoveRoles with a provisioning grant", res,
		kept("alice", r.ID, roster.Kept, roster.SourceProvisioning), pr("bob", r.ID, roster.Removed))
	if ev := wantEvent(t, f, "manual RemoveRoles with a provisioning grant", before, rev, roster.ActionMemberRoleRemoved); ev.TargetID != "bob" {
		t.Errorf("event target: got %q, want bob", ev.TargetID)
	}
	if got := MustMember(t, f.key, f, "c1", "alice"); !holds(got, r.ID) {
		t.Errorf("alice's roles: got %v, want the role still held", got.Roles)
	}
	if got := MustMember(t, f.key, f, "c1", "bob"); holds(got, r.ID) {
		t.Errorf("bob's roles: got %v, want the role removed", got.Roles)
	}
	// A batch of kept pairs only changes nothing.
	before = MustRevision(t, f.key, f)
	res, _, err = f.RemoveRoles(f.key, one("c1", "alice", r.ID))
	wantCode(t, "manual RemoveRoles of a provisioning grant", err, "")
	wantResults(t, "manual RemoveRoles of a provisioning grant", res, kept("alice", r.ID, roster.Kept, roster.SourceProvisioning))
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("events after a batch of kept pairs: got %v, want none", actions(events))
	}
}

func testSourceNotAllowed(t *testing.T, open Opener) {
	f := newFixture(t, open)
	r := syncedRole(t, f, "owner")
	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	prov := roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, Source: roster.SourceProvisioning}
	before := MustRevision(t, f.key, f)
	// Not even the owner or a platform administrator acts as provisioning.
	for _, user := range []string{"owner", "root"} {
		_, rev, err := f.AddRoles(f.as(t, user), prov)
		wantCode(t, "provisioning AddRoles by "+user, err, roster.ESOURCENOTALLOWED)
		wantNoChange(t, f, "AddRoles", before, rev)
		_, rev, err = f.RemoveRole(f.as(t, user), grant(prov))
		wantCode(t, "provisioning RemoveRoles by "+user, err, roster.ESOURCENOTALLOWED)
		wantNoChange(t, f, "RemoveRoles", before, rev)
	}
}

func testPlatformAssignment(t *testing.T, open Opener) {
	f := newFixture(t, open)
	r := MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Global mods"})
	before := MustRevision(t, f.key, f)
	res, rev, err := f.AddRole(f.key, grant(one(roster.Platform, "alice", r.ID)))
	wantCode(t, "platform AddRole to a new user", err, "")
	wantResult(t, "platform AddRole", res, "alice", roster.Added)
	if m := res.Member; m.CommunityID != nil || m.UserID != "alice" || !holds(m, r.ID) {
		t.Errorf("member: got %+v, want alice's platform roles with Global mods", m)
	}
	events := MustEventsSince(t, f.key, f, before)
	if n := len(events); n == 0 || events[n-1].Revision != rev || !slices.Contains(actions(events), roster.ActionMemberRoleAdded) {
		t.Errorf("events: got %v, want %s ending at revision %d", actions(events), roster.ActionMemberRoleAdded, rev)
	}
	for _, e := range events {
		if e.Action == roster.ActionMemberRoleAdded && e.CommunityID != nil {
			t.Errorf("event: got community %v, want the platform scope", *e.CommunityID)
		}
	}
	if _, err := f.FindUser(f.key, "alice"); err != nil {
		t.Errorf("FindUser: got %v, want the user record created", err)
	}
	if got := MustMember(t, f.key, f, roster.Platform, "alice"); !holds(got, r.ID) {
		t.Errorf("ListUserRoles: got %v, want Global mods", got.Roles)
	}
	res, _, err = f.RemoveRole(f.key, grant(one(roster.Platform, "alice", r.ID)))
	wantCode(t, "platform RemoveRole", err, "")
	wantResult(t, "platform RemoveRole", res, "alice", roster.Removed)
}

// testConcurrentAdd adds the same role to the same user at once: one call
// adds it, the others find it held, and none fails.
func testConcurrentAdd(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R"})
	before := MustRevision(t, f.key, f)
	const n = 6
	var wg sync.WaitGroup
	results := make([][]roster.PairResult, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], _, errs[i] = f.AddRoles(f.key, one("c1", "alice", r.ID))
		})
	}
	close(start)
	wg.Wait()
	var added int
	for i := range n {
		wantCode(t, "concurrent AddRoles", errs[i], "")
		if len(results[i]) == 1 && results[i][0].Result == roster.Added {
			added++
		}
	}
	if added != 1 {
		t.Errorf("concurrent AddRoles: got %d added, want 1 (the others already_held)", added)
	}
	wantActions(t, "concurrent AddRoles", MustEventsSince(t, f.key, f, before), roster.ActionMemberRoleAdded)
}

// syncedRole creates community c1 (with the owner, if any) where alice holds
// the role Synced through a provisioning grant, and returns the role.
func syncedRole(t *testing.T, f *fixture, owner string) roster.Role {
	t.Helper()
	MustCreateOwned(t, f.key, f, "c1", owner)
	MustAddMember(t, f.key, f, "c1", "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Synced"})
	MustProvision(t, f.key, f, "c1", "alice", r.ID)
	return r
}
