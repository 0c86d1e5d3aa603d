package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var auditTests = []test{
	{"EveryMutationAudited", testEveryMutationAudited},
	{"EventContents", testEventContents},
	{"EventActor", testEventActor},
	{"Filters", testAuditFilters},
	{"TimeFilter", testAuditTimeFilter},
	{"Pagination", testAuditPagination},
	{"AuditGuards", testAuditGuards},
	{"AuditRestrictedActor", testAuditRestrictedActor},
}

// step is one mutation and the actions its events must include.
type step struct {
	name string
	do   func(ctx context.Context) (roster.Revision, error)
	want []string
}

func testEveryMutationAudited(t *testing.T, open Opener) {
	f := newFixture(t, open)
	var roleID, keyID string
	steps := []step{
		{"CreatePermission", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.CreatePermission(ctx, roster.Permission{Key: "REDEEM_REWARDS"})
			return rev, err
		}, []string{roster.ActionPermissionCreated}},
		{"PutUser", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.PutUser(ctx, "owner", roster.UserUpdate{DisplayName: ptr("Owner")})
			return rev, err
		}, []string{roster.ActionUserCreated}},
		{"CreateCommunity", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.CreateCommunity(ctx, roster.Community{ID: "c1", Name: "C1", OwnerID: ptr("owner")})
			return rev, err
		}, []string{roster.ActionCommunityCreated, roster.ActionRoleCreated, roster.ActionRoleCreated, roster.ActionMemberJoined}},
		{"AddMember", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.AddMember(ctx, "c1", "alice", nil)
			return rev, err
		}, []string{roster.ActionMemberJoined}},
		{"CreateRole", func(ctx context.Context) (roster.Revision, error) {
			r, rev, err := f.CreateRole(ctx, "c1", roster.Role{Name: "Mods", Permissions: []string{"REDEEM_REWARDS"}})
			roleID = r.ID
			return rev, err
		}, []string{roster.ActionRoleCreated}},
		{"UpdateRole", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.UpdateRole(ctx, "c1", roleID, roster.RoleUpdate{Name: ptr("Moderators")})
			return rev, err
		}, []string{roster.ActionRoleUpdated}},
		{"ReorderRoles", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.ReorderRoles(ctx, "c1", []string{roster.BuiltinAdmin, roleID})
			return rev, err
		}, []string{roster.ActionRolesReordered}},
		{"AddRoles", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.AddRoles(ctx, roster.Change{Scope: "c1", UserIDs: []string{"alice", "owner"}, RoleIDs: []string{roleID}})
			return rev, err
		}, []string{roster.ActionMemberRoleAdded, roster.ActionMemberRoleAdded}},
		{"RemoveRoles", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.RemoveRole(ctx, grant(one("c1", "owner", roleID)))
			return rev, err
		}, []string{roster.ActionMemberRoleRemoved}},
		{"RemoveMember", func(ctx context.Context) (roster.Revision, error) {
			return f.RemoveMember(ctx, "c1", "alice")
		}, []string{roster.ActionMemberRoleRemoved, roster.ActionMemberLeft}},
		{"DeleteRole", func(ctx context.Context) (roster.Revision, error) {
			return f.DeleteRole(ctx, "c1", roleID, roster.RoleDelete{})
		}, []string{roster.ActionRoleDeleted}},
		{"DeletePermission", func(ctx context.Context) (roster.Revision, error) {
			return f.DeletePermission(ctx, "REDEEM_REWARDS")
		}, []string{roster.ActionPermissionDeleted}},
		{"UpdateCommunity", func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := f.UpdateCommunity(ctx, "c1", roster.CommunityUpdate{Name: ptr("Renamed")})
			return rev, err
		}, []string{roster.ActionCommunityUpdated}},
		{"CreateAPIKey", func(ctx context.Context) (roster.Revision, error) {
			k, rev, err := f.CreateAPIKey(ctx, roster.APIKey{Name: "bot", Scopes: []string{roster.ScopeRead}, CommunityID: ptr("c1")})
			keyID = k.ID
			return rev, err
		}, []string{roster.ActionAPIKeyCreated}},
		{"RevokeAPIKey", func(ctx context.Context) (roster.Revision, error) {
			return f.RevokeAPIKey(ctx, keyID)
		}, []string{roster.ActionAPIKeyRevoked}},
		{"DeleteCommunity", func(ctx context.Context) (roster.Revision, error) {
			return f.DeleteCommunity(ctx, "c1")
		}, []string{roster.ActionCommunityDeleted}},
	}
	var last roster.Revision
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := MustRevision(t, f.key, f)
			if before < last {
				t.Errorf("revision went back: got %d after %d", before, last)
			}
			rev, err := st.do(f.key)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			last = rev
			events := MustEventsSince(t, f.key, f, before)
			if len(events) == 0 {
				t.Fatalf("%s: got no events, want %v", st.name, st.want)
			}
			for i, e := range events {
				if i > 0 && e.Revision <= events[i-1].Revision {
					t.Errorf("revisions: got %d after %d, want strictly increasing", e.Revision, events[i-1].Revision)
				}
				if e.Actor.KeyID != KeyID || e.Actor.UserID != "" || e.At.IsZero() || e.TargetType == "" || e.TargetID == "" {
					t.Errorf("event %s: got actor %+v at %v target %q %q, want key %s, a time and a target", e.Action, e.Actor, e.At, e.TargetType, e.TargetID, KeyID)
				}
			}
			if got := events[len(events)-1].Revision; got != rev {
				t.Errorf("%s: got revision %d, want that of its last event %d", st.name, rev, got)
			}
			if now := MustRevision(t, f.key, f); now != rev {
				t.Errorf("CurrentRevision: got %d, want %d", now, rev)
			}
			got := actions(events)
			for _, w := range st.want {
				i := slices.Index(got, w)
				if i < 0 {
					t.Errorf("%s: got actions %v, want those of %v", st.name, actions(events), st.want)
					break
				}
				got = slices.Delete(got, i, i+1)
			}
		})
	}
}

// payload decodes an event's before or after document.
func payload(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("event payload %s: %v", raw, err)
	}
	return m
}

func testEventContents(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	rev := MustRevision(t, f.key, f)
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods"})
	if _, _, err := f.UpdateRole(f.key, "c1", r.ID, roster.RoleUpdate{Name: ptr("Moderators")}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	if _, err := f.DeleteRole(f.key, "c1", r.ID, roster.RoleDelete{}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	events := MustEventsSince(t, f.key, f, rev)
	if len(events) != 3 {
		t.Fatalf("events: got %v, want created, updated, deleted", actions(events))
	}
	for _, e := range events {
		if e.TargetType != roster.TargetRole || e.TargetID != r.ID || e.CommunityID == nil || *e.CommunityID != "c1" {
			t.Errorf("event %s: got target %s %s in %v, want role %s in c1", e.Action, e.TargetType, e.TargetID, e.CommunityID, r.ID)
		}
	}
	created, updated, deleted := events[0], events[1], events[2]
	if created.Action != roster.ActionRoleCreated || payload(t, created.Before) != nil || payload(t, created.After)["name"] != "Mods" {
		t.Errorf("created: got %s before %s after %s, want role.created from nothing to Mods", created.Action, created.Before, created.After)
	}
	if updated.Action != roster.ActionRoleUpdated || payload(t, updated.Before)["name"] != "Mods" || payload(t, updated.After)["name"] != "Moderators" {
		t.Errorf("updated: got %s before %s after %s, want role.updated from Mods to Moderators", updated.Action, updated.Before, updated.After)
	}
	if deleted.Action != roster.ActionRoleDeleted || payload(t, deleted.Before)["name"] != "Moderators" || payload(t, deleted.After) != nil {
		t.Errorf("deleted: got %s before %s after %s, want role.deleted from Moderators to nothing", deleted.Action, deleted.Before, deleted.After)
	}
}

func testEventActor(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	before := MustRevision(t, f.key, f)
	ctx := roster.NewContext(t.Context(), roster.Actor{KeyID: "k9", UserID: "owner", RequestID: "req-42"})
	if _, _, err := f.CreateRole(ctx, "c1", roster.Role{Name: "Mods"}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	events := MustEventsSince(t, f.key, f, before)
	if len(events) != 1 {
		t.Fatalf("events: got %v, want one", actions(events))
	}
	if e := events[0]; e.Actor.KeyID != "k9" || e.Actor.UserID != "owner" || e.RequestID != "req-42" {
		t.Errorf("event: got actor %+v request %q, want k9 acting as owner in req-42", e.Actor, e.RequestID)
	}
	if at := events[0].At; at.Before(time.Now().Add(-time.Hour)) || at.After(time.Now().Add(time.Hour)) {
		t.Errorf("event time: got %v, want about now", at)
	}
}

// auditWorld makes events in two communities and at platform scope, by a
// key and by a user.
func auditWorld(t *testing.T, f *fixture) (roles []roster.Role) {
	t.Helper()
	// The owner acts through a key of their own.
	owner := roster.NewContext(t.Context(), roster.Actor{KeyID: "k2", UserID: "owner"})
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustCreateOwned(t, f.key, f, "c2", "owner")
	for _, c := range []string{"c1", "c2"} {
		MustAddMember(t, f.key, f, c, "alice")
		roles = append(roles, MustCreateRole(t, f.key, f, c, roster.Role{Name: "Mods"}))
		MustCreateRole(t, owner, f, c, roster.Role{Name: "By owner"})
	}
	MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Global"})
	MustGrant(t, f.key, f, "c1", "alice", roles[0].ID)
	MustGrant(t, owner, f, "c2", "alice", roles[1].ID)
	return roles
}

func testAuditFilters(t *testing.T, open Opener) {
	f := newFixture(t, open)
	roles := auditWorld(t, f)
	all := MustEvents(t, f.key, f, roster.EventFilter{})
	if len(all) < 10 {
		t.Fatalf("events: got %d, want at least 10", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Revision <= all[i-1].Revision {
			t.Fatalf("ListEvents: got revision %d after %d, want oldest first", all[i].Revision, all[i-1].Revision)
		}
	}
	tests := []struct {
		name   string
		filter roster.EventFilter
		match  func(e roster.Event) bool
	}{
		{"community", roster.EventFilter{CommunityID: "c1"}, func(e roster.Event) bool { return e.CommunityID != nil && *e.CommunityID == "c1" }},
		{"platform only", roster.EventFilter{PlatformOnly: true}, func(e roster.Event) bool { return e.CommunityID == nil }},
		{"actor user", roster.EventFilter{Actor: "owner"}, func(e roster.Event) bool { return e.Actor.UserID == "owner" || e.Actor.KeyID == "owner" }},
		{"actor key", roster.EventFilter{Actor: KeyID}, func(e roster.Event) bool { return e.Actor.KeyID == KeyID || e.Actor.UserID == KeyID }},
		{"action", roster.EventFilter{Action: roster.ActionMemberRoleAdded}, func(e roster.Event) bool { return e.Action == roster.ActionMemberRoleAdded }},
		{"target", roster.EventFilter{Target: roles[1].ID}, func(e roster.Event) bool { return e.TargetID == roles[1].ID }},
		{"community and action", roster.EventFilter{CommunityID: "c2", Action: roster.ActionRoleCreated},
			func(e roster.Event) bool {
				return e.CommunityID != nil && *e.CommunityID == "c2" && e.Action == roster.ActionRoleCreated
			}},
		{"actor and target", roster.EventFilter{Actor: "owner", Target: "alice"},
			func(e roster.Event) bool { return e.Actor.UserID == "owner" && e.TargetID == "alice" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []roster.Revision
			for _, e := range all {
				if tc.match(e) {
					want = append(want, e.Revision)
				}
			}
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("filter %s: %d of %d events match, want a strict subset", tc.name, len(want), len(all))
			}
			var got []roster.Revision
			for _, e := range MustEvents(t, f.key, f, tc.filter) {
				got = append(got, e.Revision)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ListEvents(%+v): got revisions %v, want %v", tc.filter, got, want)
			}
			tc.filter.Newest = true
			var newest []roster.Revision
			for _, e := range MustEvents(t, f.key, f, tc.filter) {
				newest = append(newest, e.Revision)
			}
			slices.Reverse(want)
			if !slices.Equal(newest, want) {
				t.Errorf("ListEvents(%+v): got revisions %v, want %v", tc.filter, newest, want)
			}
		})
	}
}

func testAuditPagination(t *testing.T, open Opener) {
	f := newFixture(t, open)
	auditWorld(t, f)
	all := MustEvents(t, f.key, f, roster.EventFilter{})
	var want []string
	for _, e := range all {
		want = append(want, strconv.Itoa(int(e.Revision)))
	}
	list := func(newest bool) func(roster.Page) ([]string, string, error) {
		return func(p roster.Page) ([]string, string, error) {
			events, next, err := f.ListEvents(f.key, roster.EventFilter{Newest: newest}, p)
			var ids []string
			for _, e := range events {
				ids = append(ids, strconv.Itoa(int(e.Revision)))
			}
			return ids, next, err
		}
	}
	wantPages(t, "ListEvents", list(false), want)
	slices.Reverse(want)
	wantPages(t, "ListEvents newest first", list(true), want)
	// A filtered list pages too.
	filtered := func(p roster.Page) ([]string, string, error) {
		events, next, err := f.ListEvents(f.key, roster.EventFilter{CommunityID: "c2", Newest: true}, p)
		var ids []string
		for _, e := range events {
			ids = append(ids, strconv.Itoa(int(e.Revision)))
		}
		return ids, next, err
	}
	var c2 []string
	for _, e := range MustEvents(t, f.key, f, roster.EventFilter{CommunityID: "c2", Newest: true}) {
		c2 = append(c2, strconv.Itoa(int(e.Revision)))
	}
	wantPages(t, "ListEvents of c2 newest first", filtered, c2)
}

func testAuditGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	auditWorld(t, f)
	_, _, err := f.ListEvents(f.as(t, "alice"), roster.EventFilter{CommunityID: "c1"}, roster.Page{})
	wantCode(t, "ListEvents by a member without VIEW_AUDIT_LOG", err, roster.EMISSINGPERMISSION)
	_, _, err = f.ListEvents(f.as(t, "owner"), roster.EventFilter{}, roster.Page{})
	wantCode(t, "whole log by a community owner", err, roster.EMISSINGPERMISSION)
	events, _, err := f.ListEvents(f.as(t, "owner"), roster.EventFilter{CommunityID: "c1"}, roster.Page{})
	wantCode(t, "ListEvents by the owner", err, "")
	if len(events) == 0 {
		t.Error("ListEvents by the owner: got no events, want c1's")
	}
	auditors := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Auditors", Permissions: []string{roster.PermViewAuditLog}})
	MustGrant(t, f.key, f, "c1", "alice", auditors.ID)
	_, _, err = f.ListEvents(f.as(t, "alice"), roster.EventFilter{CommunityID: "c1"}, roster.Page{})
	wantCode(t, "ListEvents by a member with VIEW_AUDIT_LOG", err, "")
	_, _, err = f.ListEvents(f.as(t, "alice"), roster.EventFilter{CommunityID: "c2"}, roster.Page{})
	wantCode(t, "ListEvents of another community", err, roster.EMISSINGPERMISSION)
	MustGrant(t, f.key, f, roster.Platform, "root", roster.BuiltinAdmin)
	_, _, err = f.ListEvents(f.as(t, "root"), roster.EventFilter{}, roster.Page{})
	wantCode(t, "whole log by a platform admin", err, "")
}

func testAuditRestrictedActor(t *testing.T, open Opener) {
	f := newFixture(t, open)
	auditWorld(t, f)
	ctx := AsRestricted(t.Context(), "c1")
	events := MustEvents(t, ctx, f, roster.EventFilter{})
	if len(events) == 0 {
		t.Fatal("ListEvents by a key restricted to c1: got none, want c1's events")
	}
	for _, e := range events {
		if e.CommunityID == nil || *e.CommunityID != "c1" {
			t.Errorf("ListEvents by a key restricted to c1: got an event of %v", e.CommunityID)
		}
	}
	_, _, err := f.ListEvents(ctx, roster.EventFilter{CommunityID: "c2"}, roster.Page{})
	wantCode(t, "ListEvents of another community by a restricted key", err, roster.ECOMMUNITYNOTFOUND)
	// The platform scope is out of its reach, as platform routes are.
	_, _, err = f.ListEvents(ctx, roster.EventFilter{PlatformOnly: true}, roster.Page{})
	wantCode(t, "ListEvents of the platform by a restricted key", err, roster.EINSUFFICIENTSCOPE)
}

func testAuditTimeFilter(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	start := f.clock.Now()
	f.clock.Advance(time.Hour)
	MustAddMember(t, f.key, f, "c1", "alice")
	mid := f.clock.Now()
	f.clock.Advance(time.Hour)
	MustAddMember(t, f.key, f, "c1", "bob")
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         []string
	}{
		{"since", mid, time.Time{}, []string{"alice", "bob"}},
		{"until", time.Time{}, mid, []string{"c1"}},
		{"between", start.Add(time.Minute), mid.Add(time.Minute), []string{"alice"}},
	} {
		var got []string
		for _, e := range MustEvents(t, f.key, f, roster.EventFilter{CommunityID: "c1", Since: tc.since, Until: tc.until}) {
			if e.TargetType != roster.TargetRole && !slices.Contains(got, e.TargetID) {
				got = append(got, e.TargetID)
			}
			if !(roster.EventFilter{Since: tc.since, Until: tc.until}).Match(e) {
				t.Errorf("%s: EventFilter.Match refuses %s at %v, which ListEvents returned", tc.name, e.Action, e.At)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got events of %v, want %v", tc.name, got, tc.want)
		}
	}
}
