package api_test

import (
	"encoding/json"
	"fmt"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// guardFix is the world every guard case starts from, built once per engine;
// each case gets its own copy.
//
// Community c has no owner. Its roles, bottom to top: everyone (0), spare (1,
// no permissions), low (2, BAN_MEMBERS), mod (3, MANAGE_ROLES and
// MUTE_MEMBERS), high (4, BAN_MEMBERS), admin (5). Members: modu holds mod,
// plain and target hold low, adm1, adm2 and padmin hold admin, padmin2 holds
// nothing. padmin and padmin2 hold the platform admin role.
//
// Community o is owned by own; its roles are everyone, ohigh (1) and admin
// (2), held by own and m1; m2 holds nothing.
//
// Community solo has no owner; its admin role is held by only; other holds
// nothing.
type guardFix struct {
	e *Env
	// act may act as any user (write scope); readAct too, with read scope.
	act, readAct string
	// vars replace {name} in paths, bodies and headers: role ids, etags.
	vars map[string]string
}

func mustGuardFix(t *testing.T, eng sqltest.Engine) *guardFix {
	t.Helper()
	e := MustEnv(t, eng)
	f := &guardFix{e: e, vars: map[string]string{}}
	f.act = e.MustKey(t, map[string]any{"name": "act", "scopes": []string{"write"}, "actAs": true})
	f.readAct = e.MustKey(t, map[string]any{"name": "read act", "scopes": []string{"read"}, "actAs": true})

	e.MustCommunity(t, "c", "", "modu", "plain", "target", "adm1", "adm2", "padmin", "padmin2")
	f.vars["high"] = e.MustRole(t, "c", "high", "BAN_MEMBERS")
	f.vars["mod"] = e.MustRole(t, "c", "mod", "MANAGE_ROLES", "MUTE_MEMBERS")
	f.vars["low"] = e.MustRole(t, "c", "low", "BAN_MEMBERS")
	f.vars["spare"] = e.MustRole(t, "c", "spare")
	e.MustGrant(t, "c", "modu", f.vars["mod"])
	e.MustGrant(t, "c", "plain", f.vars["low"])
	e.MustGrant(t, "c", "target", f.vars["low"])
	for _, u := range []string{"adm1", "adm2", "padmin"} {
		e.MustGrant(t, "c", u, "admin")
	}
	for _, u := range []string{"padmin", "padmin2"} {
		e.Must(t, http.StatusOK, "PUT", "/v1/platform/users/"+u+"/roles/admin", nil)
	}

	e.MustCommunity(t, "o", "own", "m1", "m2")
	f.vars["ohigh"] = e.MustRole(t, "o", "ohigh")
	e.MustGrant(t, "o", "own", "admin")
	e.MustGrant(t, "o", "m1", "admin")

	e.MustCommunity(t, "solo", "", "only", "other")
	e.MustGrant(t, "solo", "only", "admin")
	return f
}

// expand replaces every {name} of f.vars in s.
func (f *guardFix) expand(s string) string {
	for k, v := range f.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// guardRoleIDs returns the ids of the roles of a community's role list.
func guardRoleIDs(items []map[string]any) []string {
	var ids []string
	for _, r := range items {
		ids = append(ids, r["id"].(string))
	}
	return ids
}

// guardHolders returns the user ids of a role holder list, sorted.
func guardHolders(t *testing.T, e *Env, path string) []string {
	t.Helper()
	var users []string
	for _, h := range e.Must(t, http.StatusOK, "GET", path, nil).Items() {
		users = append(users, h["userId"].(string))
	}
	slices.Sort(users)
	return users
}

// guardResult returns the result member of a single change or of the only
// pair of a batch.
func guardResult(res Res) string {
	if r := res.Str("result"); r != "" {
		return r
	}
	list, _ := res.JSON["results"].([]any)
	if len(list) != 1 {
		return ""
	}
	r, _ := list[0].(map[string]any)["result"].(string)
	return r
}

// wantResult checks the outcome of a one-pair change.
func wantResult(want string) func(*testing.T, *guardFix, Res) {
	return func(t *testing.T, _ *guardFix, res Res) {
		if got := guardResult(res); got != want {
			t.Errorf("result: got %q, want %q (%s)", got, want, res.Raw)
		}
	}
}

// provisioned gives target the spare role through provisioning (and also
// manually when manual is true).
func provisioned(manual bool) func(*testing.T, *guardFix) {
	return func(t *testing.T, f *guardFix) {
		f.e.Must(t, http.StatusOK, "PUT", f.expand("/v1/communities/c/members/target/roles/{spare}"), map[string]any{"source": "provisioning"})
		if manual {
			f.e.Must(t, http.StatusOK, "PUT", f.expand("/v1/communities/c/members/target/roles/{spare}"), nil)
		}
	}
}

// retainedSpare checks that removing target's manual grant of spare answered
// retained, and that target still holds spare through provisioning only.
func retainedSpare(t *testing.T, f *guardFix, res Res) {
	wantResult("retained")(t, f, res)
	provisionedSpare(t, f)
}

// keptBySpare checks that a batch removal of target's spare answered result
// for its pair, naming provisioning as the source that keeps the role, and
// that target still holds spare through provisioning only.
func keptBySpare(result string) func(*testing.T, *guardFix, Res) {
	return func(t *testing.T, f *guardFix, res Res) {
		wantResult(result)(t, f, res)
		if list, _ := res.JSON["results"].([]any); len(list) != 1 || list[0].(map[string]any)["keptBy"] != "provisioning" {
			t.Errorf("keptBy: got %s, want provisioning", res.Raw)
		}
		provisionedSpare(t, f)
	}
}

// provisionedSpare checks that target holds spare through provisioning only.
func provisionedSpare(t *testing.T, f *guardFix) {
	m := f.e.Must(t, http.StatusOK, "GET", "/v1/communities/c/members/target", nil)
	var sources []string
	for _, r := range m.JSON["roles"].([]any) {
		role := r.(map[string]any)
		if role["roleId"] != f.vars["spare"] {
			continue
		}
		for _, g := range role["grants"].([]any) {
			sources = append(sources, g.(map[string]any)["source"].(string))
		}
	}
	if !slices.Equal(sources, []string{"provisioning"}) {
		t.Errorf("target's grants of spare: got %v, want [provisioning] (%s)", sources, m.Raw)
	}
}

// keptOthersRemoved checks a batch removal of spare and low from target
// and plain, where target holds spare through provisioning only: that pair
// is kept, low is removed from both, and plain never held spare.
func keptOthersRemoved(t *testing.T, f *guardFix, res Res) {
	var got []string
	for _, r := range res.JSON["results"].([]any) {
		m := r.(map[string]any)
		got = append(got, fmt.Sprint(m["userId"], " ", m["roleId"], " ", m["result"], " ", m["keptBy"]))
	}
	want := []string{
		"target " + f.vars["spare"] + " kept provisioning", "target " + f.vars["low"] + " removed <nil>",
		"plain " + f.vars["spare"] + " not_held <nil>", "plain " + f.vars["low"] + " removed <nil>",
	}
	if !slices.Equal(got, want) {
		t.Errorf("results: got %q, want %q", got, want)
	}
	provisionedSpare(t, f)
	if got := guardHolders(t, f.e, f.expand(cRoles+"/{low}/members")); len(got) != 0 {
		t.Errorf("holders of low: got %v, want none", got)
	}
}

// etag stores the current ETag of role spare as {etag}; with bump, it then
// changes the role so that the stored ETag is stale.
func etag(bump bool) func(*testing.T, *guardFix) {
	return func(t *testing.T, f *guardFix) {
		f.vars["etag"] = f.e.Must(t, http.StatusOK, "GET", f.expand("/v1/communities/c/roles/{spare}"), nil).Header.Get("ETag")
		if f.vars["etag"] == "" {
			t.Fatal("GET role: got no ETag, want the role's version")
		}
		if bump {
			f.e.Must(t, http.StatusOK, "PATCH", f.expand("/v1/communities/c/roles/{spare}"), map[string]any{"description": "bumped"})
		}
	}
}

type guardCase struct {
	name  string
	setup func(*testing.T, *guardFix)
	// as is the acting user; empty for the admin key acting as itself.
	as string
	// key overrides the key: "read" (read scope, may act as users), "bad"
	// (no such key) or "none".
	key          string
	method, path string
	body         any
	header       map[string]string
	status       int
	// code is the problem's code; empty for a success.
	code string
	// perm is the problem's permission member, when the code names one.
	perm string
	// noop marks a success that changes nothing (no new revision).
	noop  bool
	check func(*testing.T, *guardFix, Res)
}

const (
	cRoles  = "/v1/communities/c/roles"
	cMember = "/v1/communities/c/members/"
)

var (
	everyonePlusBan = []string{"ADD_REACTIONS", "BAN_MEMBERS", "CREATE_POST", "SEND_MESSAGES", "VIEW_CHANNEL"}
	noPerms         = []string{}
)

func guardCases() []guardCase {
	const (
		forbidden = http.StatusForbidden
		conflict  = http.StatusConflict
		notFound  = http.StatusNotFound
		ok        = http.StatusOK
		created   = http.StatusCreated
		gone      = http.StatusNoContent
	)
	newRole := func(name string, pos int, perms ...string) map[string]any {
		if perms == nil {
			perms = noPerms
		}
		b := map[string]any{"name": name, "permissions": perms}
		if pos > 0 {
			b["position"] = pos
		}
		return b
	}
	batch := func(users []string, roles ...string) map[string]any {
		return map[string]any{"userIds": users, "roleIds": roles}
	}
	order := func(ids ...string) map[string]any { return map[string]any{"roleIds": ids} }
	return []guardCase{
		// missing_permission: plain holds low (BAN_MEMBERS), not MANAGE_ROLES.
		{name: "missing_permission/create role", as: "plain", method: "POST", path: cRoles, body: newRole("x", 0),
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "missing_permission/edit role", as: "plain", method: "PATCH", path: cRoles + "/{spare}", body: map[string]any{"description": "x"},
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "missing_permission/reorder roles", as: "plain", method: "PUT", path: cRoles + "/order", body: order("{low}", "{spare}", "{mod}", "{high}", "admin"),
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "missing_permission/delete role", as: "plain", method: "DELETE", path: cRoles + "/{spare}",
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "missing_permission/assign role", as: "plain", method: "PUT", path: cMember + "target/roles/{spare}",
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "missing_permission/remove role", as: "plain", method: "DELETE", path: cMember + "target/roles/{low}",
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "missing_permission/batch-add", as: "plain", method: "POST", path: cRoles + "/batch-add", body: batch([]string{"target"}, "{spare}"),
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "missing_permission/batch-remove", as: "plain", method: "POST", path: cRoles + "/batch-remove", body: batch([]string{"target"}, "{low}"),
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},

		// role_hierarchy: modu's highest role is mod, at position 3.
		{name: "role_hierarchy/edit own top role", as: "modu", method: "PATCH", path: cRoles + "/{mod}", body: map[string]any{"description": "x"},
			status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/edit role above", as: "modu", method: "PATCH", path: cRoles + "/{high}", body: map[string]any{"description": "x"},
			status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/move role to own position", as: "modu", method: "PATCH", path: cRoles + "/{spare}", body: map[string]any{"position": 3},
			status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/move role above", as: "modu", method: "PATCH", path: cRoles + "/{spare}", body: map[string]any{"position": 4},
			status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/allowed/move role below", as: "modu", method: "PATCH", path: cRoles + "/{spare}", body: map[string]any{"position": 2},
			status: ok},
		{name: "role_hierarchy/create above", as: "modu", method: "POST", path: cRoles, body: newRole("x", 4),
			status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/allowed/create at own position lands below", as: "modu", method: "POST", path: cRoles, body: newRole("x", 3),
			status: created, check: func(t *testing.T, f *guardFix, res Res) {
				if got := res.JSON["position"]; got != 3.0 {
					t.Errorf("position: got %v, want 3", got)
				}
				if got := f.e.Must(t, ok, "GET", f.expand(cRoles+"/{mod}"), nil).JSON["position"]; got != 4.0 {
					t.Errorf("mod's position: got %v, want 4", got)
				}
			}},
		{name: "role_hierarchy/reorder roles above", as: "modu", method: "PUT", path: cRoles + "/order", body: order("{spare}", "{low}", "{mod}", "admin", "{high}"),
			status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/reorder own top role", as: "modu", method: "PUT", path: cRoles + "/order", body: order("{spare}", "{mod}", "{low}", "{high}", "admin"),
			status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/allowed/reorder roles below", as: "modu", method: "PUT", path: cRoles + "/order", body: order("{low}", "{spare}", "{mod}", "{high}", "admin"),
			status: ok, check: func(t *testing.T, f *guardFix, res Res) {
				want := []string{res.Items()[0]["id"].(string), f.vars["low"], f.vars["spare"], f.vars["mod"], f.vars["high"]}
				if got := guardRoleIDs(res.Items()); len(got) != 6 || !slices.Equal(got[:5], want) || res.Items()[5]["name"] != "admin" {
					t.Errorf("order: got %v, want everyone, low, spare, mod, high, admin", got)
				}
			}},
		{name: "role_hierarchy/delete own top role", as: "modu", method: "DELETE", path: cRoles + "/{mod}", status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/delete role above", as: "modu", method: "DELETE", path: cRoles + "/{high}", status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/assign own top role", as: "modu", method: "PUT", path: cMember + "target/roles/{mod}", status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/assign role above", as: "modu", method: "PUT", path: cMember + "target/roles/{high}", status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/remove admin from another", as: "modu", method: "DELETE", path: cMember + "adm1/roles/admin", status: forbidden, code: "role_hierarchy"},
		{name: "role_hierarchy/allowed/assign role below", as: "modu", method: "PUT", path: cMember + "target/roles/{spare}", status: ok, check: wantResult("added")},
		{name: "role_hierarchy/community ADMINISTRATOR edits admin", as: "adm1", method: "PATCH", path: cRoles + "/admin", body: map[string]any{"description": "x"},
			status: forbidden, code: "role_hierarchy"},

		// cannot_grant_permission: modu lacks BAN_MEMBERS and MANAGE_CHANNELS.
		{name: "cannot_grant_permission/create role", as: "modu", method: "POST", path: cRoles, body: newRole("x", 0, "BAN_MEMBERS"),
			status: forbidden, code: "cannot_grant_permission", perm: "BAN_MEMBERS"},
		{name: "cannot_grant_permission/edit role adding it", as: "modu", method: "PATCH", path: cRoles + "/{spare}",
			body: map[string]any{"permissions": []string{"MUTE_MEMBERS", "MANAGE_CHANNELS"}}, status: forbidden, code: "cannot_grant_permission", perm: "MANAGE_CHANNELS"},
		{name: "cannot_grant_permission/allowed/edit role already granting it", as: "modu", method: "PATCH", path: cRoles + "/{low}",
			body: map[string]any{"permissions": []string{"BAN_MEMBERS", "MUTE_MEMBERS"}, "description": "kept"}, status: ok,
			check: func(t *testing.T, _ *guardFix, res Res) {
				if got := res.JSON["permissions"]; len(got.([]any)) != 2 {
					t.Errorf("permissions: got %v, want BAN_MEMBERS and MUTE_MEMBERS", got)
				}
			}},
		{name: "cannot_grant_permission/allowed/create role with held permission", as: "modu", method: "POST", path: cRoles,
			body: newRole("x", 0, "MUTE_MEMBERS", "VIEW_CHANNEL"), status: created},
		{name: "cannot_grant_permission/allowed/community ADMINISTRATOR grants anything", as: "adm1", method: "POST", path: cRoles,
			body: newRole("x", 0, "BAN_MEMBERS", "MANAGE_CHANNELS"), status: created},

		// cannot_remove_own_admin, for every kind of actor.
		{name: "cannot_remove_own_admin/community admin", as: "adm1", method: "DELETE", path: cMember + "adm1/roles/admin",
			status: forbidden, code: "cannot_remove_own_admin"},
		{name: "cannot_remove_own_admin/batch-remove", as: "adm1", method: "POST", path: cRoles + "/batch-remove", body: batch([]string{"adm2", "adm1"}, "admin"),
			status: forbidden, code: "cannot_remove_own_admin"},
		{name: "cannot_remove_own_admin/platform administrator in a community", as: "padmin", method: "DELETE", path: cMember + "padmin/roles/admin",
			status: forbidden, code: "cannot_remove_own_admin"},
		{name: "cannot_remove_own_admin/owner", as: "own", method: "DELETE", path: "/v1/communities/o/members/own/roles/admin",
			status: forbidden, code: "cannot_remove_own_admin"},
		{name: "cannot_remove_own_admin/platform scope", as: "padmin", method: "DELETE", path: "/v1/platform/users/padmin/roles/admin",
			status: forbidden, code: "cannot_remove_own_admin"},
		{name: "cannot_remove_own_admin/platform batch-remove", as: "padmin2", method: "POST", path: "/v1/platform/roles/batch-remove",
			body: batch([]string{"padmin2"}, "admin"), status: forbidden, code: "cannot_remove_own_admin"},

		// last_admin: solo has no owner and one admin holder.
		{name: "last_admin/single removal", method: "DELETE", path: "/v1/communities/solo/members/only/roles/admin", status: conflict, code: "last_admin"},
		{name: "last_admin/batch-remove", method: "POST", path: "/v1/communities/solo/roles/batch-remove", body: batch([]string{"only"}, "admin"),
			status: conflict, code: "last_admin"},
		{name: "last_admin/remove the holder from the community", method: "DELETE", path: "/v1/communities/solo/members/only",
			status: conflict, code: "last_admin"},
		{name: "last_admin/batch-remove of every holder", method: "POST", path: cRoles + "/batch-remove", body: batch([]string{"adm1", "adm2", "padmin"}, "admin"),
			status: conflict, code: "last_admin"},
		{name: "last_admin/platform administrator acting", as: "padmin", method: "DELETE", path: "/v1/communities/solo/members/only/roles/admin",
			status: conflict, code: "last_admin"},
		{name: "last_admin/last holder after others left", setup: func(t *testing.T, f *guardFix) {
			f.e.Must(t, ok, "DELETE", cMember+"adm1/roles/admin", nil)
			f.e.Must(t, ok, "DELETE", cMember+"adm2/roles/admin", nil)
		}, method: "DELETE", path: cMember + "padmin/roles/admin", status: conflict, code: "last_admin"},
		{name: "last_admin/allowed/another holder remains", method: "DELETE", path: cMember + "adm1/roles/admin", status: ok, check: wantResult("removed")},
		{name: "last_admin/platform single removal", setup: func(t *testing.T, f *guardFix) {
			f.e.Must(t, ok, "DELETE", "/v1/platform/users/padmin2/roles/admin", nil)
		}, method: "DELETE", path: "/v1/platform/users/padmin/roles/admin", status: conflict, code: "last_admin"},
		{name: "last_admin/platform batch-remove", method: "POST", path: "/v1/platform/roles/batch-remove", body: batch([]string{"padmin", "padmin2"}, "admin"),
			status: conflict, code: "last_admin"},
		{name: "last_admin/allowed/community with an owner", method: "POST", path: "/v1/communities/o/roles/batch-remove", body: batch([]string{"own", "m1"}, "admin"),
			status: ok, check: func(t *testing.T, f *guardFix, _ Res) {
				if got := guardHolders(t, f.e, "/v1/communities/o/roles/admin/members"); len(got) != 0 {
					t.Errorf("admin holders: got %v, want none", got)
				}
			}},
		{name: "last_admin/allowed/removing a member of a community with an owner", setup: func(t *testing.T, f *guardFix) {
			f.e.Must(t, ok, "DELETE", "/v1/communities/o/members/own/roles/admin", nil)
		}, method: "DELETE", path: "/v1/communities/o/members/m1", status: gone},

		// role_protected, for the admin key and the owner too.
		{name: "role_protected/delete everyone", method: "DELETE", path: cRoles + "/everyone", status: conflict, code: "role_protected"},
		{name: "role_protected/delete admin", method: "DELETE", path: cRoles + "/admin", status: conflict, code: "role_protected"},
		{name: "role_protected/rename everyone", method: "PATCH", path: cRoles + "/everyone", body: map[string]any{"name": "all"}, status: conflict, code: "role_protected"},
		{name: "role_protected/rename admin", method: "PATCH", path: cRoles + "/admin", body: map[string]any{"name": "boss"}, status: conflict, code: "role_protected"},
		{name: "role_protected/owner deletes admin", as: "own", method: "DELETE", path: "/v1/communities/o/roles/admin", status: conflict, code: "role_protected"},
		{name: "role_protected/platform administrator renames everyone", as: "padmin2", method: "PATCH", path: cRoles + "/everyone",
			body: map[string]any{"name": "all"}, status: conflict, code: "role_protected"},

		// role_in_use: low is held by plain and target.
		{name: "role_in_use/held role then force", method: "DELETE", path: cRoles + "/{low}", status: conflict, code: "role_in_use", check: forceDelete},

		// Provisioning grants.
		{name: "granted_by_source/single removal", setup: provisioned(false), method: "DELETE", path: cMember + "target/roles/{spare}",
			status: conflict, code: "granted_by_source"},
		{name: "kept/batch-remove", setup: provisioned(false), method: "POST", path: cRoles + "/batch-remove", body: batch([]string{"target"}, "{spare}"),
			status: ok, noop: true, check: keptBySpare("kept")},
		{name: "kept/batch-remove applies the other pairs", setup: provisioned(false), method: "POST", path: cRoles + "/batch-remove",
			body: batch([]string{"target", "plain"}, "{spare}", "{low}"), status: ok, check: keptOthersRemoved},
		{name: "retained/single removal", setup: provisioned(true), method: "DELETE", path: cMember + "target/roles/{spare}", status: ok,
			check: retainedSpare},
		{name: "retained/batch-remove", setup: provisioned(true), method: "POST", path: cRoles + "/batch-remove", body: batch([]string{"target"}, "{spare}"),
			status: ok, check: keptBySpare("retained")},
		{name: "source_not_allowed/user assigns", as: "modu", method: "PUT", path: cMember + "target/roles/{spare}", body: map[string]any{"source": "provisioning"},
			status: forbidden, code: "source_not_allowed"},
		{name: "source_not_allowed/user batch-adds", as: "modu", method: "POST", path: cRoles + "/batch-add",
			body: map[string]any{"userIds": []string{"target"}, "roleIds": []string{"{spare}"}, "source": "provisioning"}, status: forbidden, code: "source_not_allowed"},
		{name: "source_not_allowed/platform administrator removes", setup: provisioned(false), as: "padmin2", method: "DELETE",
			path: cMember + "target/roles/{spare}?source=provisioning", status: forbidden, code: "source_not_allowed"},

		// role_not_assignable, member_not_found, role_not_held.
		{name: "role_not_assignable/assign everyone", method: "PUT", path: cMember + "target/roles/everyone", status: conflict, code: "role_not_assignable"},
		{name: "role_not_assignable/remove everyone", method: "DELETE", path: cMember + "target/roles/everyone", status: conflict, code: "role_not_assignable"},
		{name: "role_not_assignable/batch-add everyone", method: "POST", path: cRoles + "/batch-add", body: batch([]string{"target"}, "{spare}", "everyone"),
			status: conflict, code: "role_not_assignable"},
		{name: "role_not_assignable/platform everyone", method: "PUT", path: "/v1/platform/users/target/roles/everyone", status: conflict, code: "role_not_assignable"},
		{name: "member_not_found/assign to a non-member", method: "PUT", path: cMember + "outsider/roles/{spare}", status: notFound, code: "member_not_found"},
		{name: "member_not_found/batch-add to a non-member", method: "POST", path: cRoles + "/batch-add", body: batch([]string{"target", "outsider"}, "{spare}"),
			status: notFound, code: "member_not_found"},
		{name: "role_not_held/single removal", method: "DELETE", path: cMember + "target/roles/{spare}", status: notFound, code: "role_not_held"},
		{name: "role_not_held/batch says not_held", method: "POST", path: cRoles + "/batch-remove", body: batch([]string{"target"}, "{spare}"),
			status: ok, noop: true, check: wantResult("not_held")},

		// The owner and platform administrators bypass permissions and hierarchy.
		{name: "bypass/owner creates at the top", as: "own", method: "POST", path: "/v1/communities/o/roles", body: newRole("x", 3, "BAN_MEMBERS"), status: created},
		{name: "bypass/owner edits admin", as: "own", method: "PATCH", path: "/v1/communities/o/roles/admin", body: map[string]any{"description": "x"}, status: ok},
		{name: "bypass/owner reorders", as: "own", method: "PUT", path: "/v1/communities/o/roles/order", body: order("admin", "{ohigh}"), status: ok},
		{name: "bypass/owner assigns admin", as: "own", method: "PUT", path: "/v1/communities/o/members/m2/roles/admin", status: ok, check: wantResult("added")},
		{name: "bypass/owner removes admin from another", as: "own", method: "DELETE", path: "/v1/communities/o/members/m1/roles/admin", status: ok, check: wantResult("removed")},
		{name: "bypass/platform administrator creates at the top", as: "padmin2", method: "POST", path: cRoles, body: newRole("x", 6, "MANAGE_CHANNELS"), status: created},
		{name: "bypass/platform administrator edits admin", as: "padmin2", method: "PATCH", path: cRoles + "/admin", body: map[string]any{"description": "x"}, status: ok},
		{name: "bypass/platform administrator deletes a role above", as: "padmin2", method: "DELETE", path: cRoles + "/{high}", status: gone},
		{name: "bypass/platform administrator reorders", as: "padmin2", method: "PUT", path: cRoles + "/order", body: order("{spare}", "{low}", "{mod}", "admin", "{high}"), status: ok},
		{name: "bypass/platform administrator outside the community", as: "padmin", method: "POST", path: "/v1/communities/o/roles",
			body: newRole("x", 3, "MANAGE_CHANNELS"), status: created},
		{name: "bypass/platform administrator assigns admin", as: "padmin2", method: "PUT", path: cMember + "target/roles/admin", status: ok, check: wantResult("added")},

		// version_mismatch.
		{name: "version_mismatch/PATCH", method: "PATCH", path: cRoles + "/{spare}", body: map[string]any{"description": "x"},
			header: map[string]string{"If-Match": `"99"`}, status: http.StatusPreconditionFailed, code: "version_mismatch"},
		{name: "version_mismatch/DELETE", method: "DELETE", path: cRoles + "/{spare}",
			header: map[string]string{"If-Match": "99"}, status: http.StatusPreconditionFailed, code: "version_mismatch"},
		{name: "version_mismatch/stale PATCH", setup: etag(true), method: "PATCH", path: cRoles + "/{spare}", body: map[string]any{"description": "x"},
			header: map[string]string{"If-Match": "{etag}"}, status: http.StatusPreconditionFailed, code: "version_mismatch"},
		{name: "version_mismatch/stale DELETE", setup: etag(true), method: "DELETE", path: cRoles + "/{spare}",
			header: map[string]string{"If-Match": "{etag}"}, status: http.StatusPreconditionFailed, code: "version_mismatch"},
		{name: "version_mismatch/allowed/current PATCH", setup: etag(false), method: "PATCH", path: cRoles + "/{spare}", body: map[string]any{"description": "x"},
			header: map[string]string{"If-Match": "{etag}"}, status: ok},
		{name: "version_mismatch/allowed/current DELETE", setup: etag(false), method: "DELETE", path: cRoles + "/{spare}",
			header: map[string]string{"If-Match": "{etag}"}, status: gone},

		// Precedence when several rules refuse one request (SPEC §3).
		{name: "precedence/unauthenticated before not found", key: "bad", method: "DELETE", path: "/v1/communities/nope/roles/x",
			status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "precedence/unauthenticated without a key", key: "none", as: "plain", method: "POST", path: cRoles, body: newRole("x", 0),
			status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "precedence/insufficient_scope before not found", key: "read", as: "plain", method: "DELETE", path: "/v1/communities/nope/roles/x",
			status: forbidden, code: "insufficient_scope"},
		{name: "precedence/insufficient_scope before missing_permission", key: "read", as: "plain", method: "POST", path: cRoles, body: newRole("x", 0),
			status: forbidden, code: "insufficient_scope"},
		{name: "precedence/community_not_found before missing_permission", as: "plain", method: "DELETE", path: "/v1/communities/nope/roles/{spare}",
			status: notFound, code: "community_not_found"},
		{name: "precedence/role_not_found before missing_permission", as: "plain", method: "PATCH", path: cRoles + "/nope", body: map[string]any{"description": "x"},
			status: notFound, code: "role_not_found"},
		{name: "precedence/member_not_found before missing_permission", as: "plain", method: "PUT", path: cMember + "outsider/roles/{spare}",
			status: notFound, code: "member_not_found"},
		{name: "precedence/member_not_found before cannot_remove_own_admin", as: "adm1", method: "POST", path: cRoles + "/batch-remove",
			body: batch([]string{"adm1", "outsider"}, "admin"), status: notFound, code: "member_not_found"},
		{name: "precedence/role_not_held before missing_permission", as: "plain", method: "DELETE", path: cMember + "target/roles/{spare}",
			status: notFound, code: "role_not_held"},
		{name: "precedence/cannot_remove_own_admin before missing_permission", as: "plain", method: "POST", path: cRoles + "/batch-remove",
			body: batch([]string{"plain"}, "admin"), status: forbidden, code: "cannot_remove_own_admin"},
		{name: "precedence/cannot_remove_own_admin before role_hierarchy and last_admin", as: "only", method: "DELETE", path: "/v1/communities/solo/members/only/roles/admin",
			status: forbidden, code: "cannot_remove_own_admin"},
		{name: "precedence/missing_permission before role_hierarchy", as: "plain", method: "PATCH", path: cRoles + "/{high}", body: map[string]any{"description": "x"},
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "precedence/missing_permission before role_protected", as: "plain", method: "DELETE", path: cRoles + "/everyone",
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "precedence/missing_permission before role_not_assignable", as: "plain", method: "PUT", path: cMember + "target/roles/everyone",
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "precedence/missing_permission before last_admin", as: "other", method: "DELETE", path: "/v1/communities/solo/members/only/roles/admin",
			status: forbidden, code: "missing_permission", perm: "MANAGE_ROLES"},
		{name: "precedence/role_hierarchy before cannot_grant_permission on create", as: "modu", method: "POST", path: cRoles, body: newRole("x", 5, "BAN_MEMBERS"),
			status: forbidden, code: "role_hierarchy"},
		{name: "precedence/role_hierarchy before cannot_grant_permission on edit", as: "modu", method: "PATCH", path: cRoles + "/{high}",
			body: map[string]any{"permissions": []string{"BAN_MEMBERS", "MANAGE_CHANNELS"}}, status: forbidden, code: "role_hierarchy"},
		{name: "precedence/role_hierarchy before role_protected", as: "modu", method: "DELETE", path: cRoles + "/admin", status: forbidden, code: "role_hierarchy"},
		{name: "precedence/role_hierarchy before role_in_use", as: "modu", method: "DELETE", path: cRoles + "/{mod}", status: forbidden, code: "role_hierarchy"},
		{name: "precedence/cannot_grant_permission before role_protected", as: "modu", method: "PATCH", path: cRoles + "/everyone",
			body: map[string]any{"name": "all", "permissions": everyonePlusBan}, status: forbidden, code: "cannot_grant_permission", perm: "BAN_MEMBERS"},
	}
}

// forceDelete follows a role_in_use refusal of low: the problem names its
// two holders, and a forced delete removes it from both, with one
// member.role_removed event each.
func forceDelete(t *testing.T, f *guardFix, res Res) {
	if got := res.JSON["holders"]; got != 2.0 {
		t.Errorf("holders: got %v, want 2", got)
	}
	f.e.Must(t, http.StatusNoContent, "DELETE", f.expand(cRoles+"/{low}?force=true"), nil)
	f.e.Must(t, http.StatusNotFound, "GET", f.expand(cRoles+"/{low}"), nil)
	var removed []string
	for _, ev := range f.e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=c&action=member.role_removed&limit=1000", nil).Items() {
		var before struct {
			RoleID string `json:"roleId"`
			UserID string `json:"userId"`
		}
		b, _ := json.Marshal(ev["before"])
		json.Unmarshal(b, &before)
		if before.RoleID == f.vars["low"] {
			removed = append(removed, ev["targetId"].(string)+"/"+before.UserID)
		}
	}
	slices.Sort(removed)
	if want := []string{"plain/plain", "target/target"}; !slices.Equal(removed, want) {
		t.Errorf("member.role_removed events of low: got %v, want %v", removed, want)
	}
	for _, u := range []string{"plain", "target"} {
		for _, r := range f.e.Must(t, http.StatusOK, "GET", cMember+u, nil).JSON["roles"].([]any) {
			if r.(map[string]any)["roleId"] == f.vars["low"] {
				t.Errorf("%s: still holds the deleted role low", u)
			}
		}
	}
}

// TestGuards runs every guard of SPEC §3 over HTTP, each case on a fresh
// server over its own copy of the guard world.
func TestGuards(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		world := mustGuardFix(t, eng)
		snap := world.e.Snapshot(t)
		for _, tc := range guardCases() {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				f := &guardFix{e: MustEnvFrom(t, snap), act: world.act, readAct: world.readAct, vars: maps.Clone(world.vars)}
				if tc.setup != nil {
					tc.setup(t, f)
				}
				req := Req{Header: map[string]string{}}
				switch {
				case tc.key == "read":
					req.Key = f.readAct
				case tc.key == "bad":
					req.Key = "roster_no-such-key"
				case tc.key == "none":
					req.Key = "-"
				case tc.as != "":
					req.Key = f.act
				}
				if tc.as != "" {
					req.ActAs = tc.as
				}
				for k, v := range tc.header {
					req.Header[k] = f.expand(v)
				}
				if tc.body != nil {
					b, err := json.Marshal(tc.body)
					if err != nil {
						t.Fatal(err)
					}
					req.RawBody = f.expand(string(b))
				}
				before := f.e.Revision(t)
				res := f.e.Do(t, tc.method, f.expand(tc.path), nil, req)
				after := f.e.Revision(t)
				if res.Status != tc.status {
					t.Fatalf("status: got %d, want %d: %s", res.Status, tc.status, res.Raw)
				}
				if got := res.Code(); got != tc.code {
					t.Fatalf("code: got %q, want %q: %s", got, tc.code, res.Raw)
				}
				if (tc.code != "" || tc.noop) && after != before {
					t.Errorf("revision: got %d after the request, want %d (unchanged)", after, before)
				}
				if tc.code == "" && !tc.noop && after <= before {
					t.Errorf("revision: got %d after the change, want above %d", after, before)
				}
				if tc.perm != "" {
					if got := res.Str("permission"); got != tc.perm {
						t.Errorf("problem permission: got %q, want %q", got, tc.perm)
					}
				}
				if tc.check != nil {
					tc.check(t, f, res)
				}
			})
		}
	})
}
