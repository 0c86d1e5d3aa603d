package api_test

import (
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestWalkthrough follows the README's curl walkthrough over HTTP.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)

		// Register a permission.
		perm := e.Must(t, http.StatusCreated, "POST", "/v1/permissions", map[string]any{"key": "REDEEM_REWARDS", "description": "Redeem loyalty rewards"})
		rev1, err := strconv.Atoi(perm.Header.Get("Roster-Revision"))
		if err != nil || rev1 < 1 {
			t.Fatalf("Roster-Revision: got %q, want a positive revision", perm.Header.Get("Roster-Revision"))
		}

		// Create a community owned by alice.
		c := e.Must(t, http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": "guild", "name": "The Guild", "ownerId": "alice"})
		if got := c.Str("ownerId"); got != "alice" {
			t.Fatalf("ownerId: got %q, want alice", got)
		}
		roles := e.Must(t, http.StatusOK, "GET", "/v1/communities/guild/roles", nil).Items()
		if len(roles) != 2 || roles[0]["name"] != "everyone" || roles[1]["name"] != "admin" {
			t.Fatalf("built-in roles: got %v, want everyone then admin", roles)
		}

		// Create roles.
		mod := e.Must(t, http.StatusCreated, "POST", "/v1/communities/guild/roles",
			map[string]any{"name": "Moderator", "permissions": []string{"MANAGE_POSTS", "MUTE_MEMBERS"}, "colour": "#3366FF"}).Str("id")
		vip := e.Must(t, http.StatusCreated, "POST", "/v1/communities/guild/roles",
			map[string]any{"name": "VIP", "permissions": []string{"REDEEM_REWARDS"}}).Str("id")

		// Add members.
		for _, u := range []string{"bob", "carol", "dave"} {
			e.Must(t, http.StatusCreated, "PUT", "/v1/communities/guild/members/"+u, map[string]any{"displayName": u})
		}

		// Assign one role, then a batch.
		m := e.Must(t, http.StatusOK, "PUT", "/v1/communities/guild/members/bob/roles/"+mod, nil)
		if m.Str("result") != "added" || len(m.JSON["roles"].([]any)) != 1 {
			t.Fatalf("add one role: got %s, want result added and one role", m.Raw)
		}
		batch := e.Must(t, http.StatusOK, "POST", "/v1/communities/guild/roles/batch-add",
			map[string]any{"userIds": []string{"bob", "carol", "dave"}, "roleIds": []string{vip}})
		var results []string
		for _, r := range batch.JSON["results"].([]any) {
			results = append(results, r.(map[string]any)["result"].(string))
		}
		if !slices.Equal(results, []string{"added", "added", "added"}) {
			t.Fatalf("batch-add results: got %v, want three added", results)
		}
		afterBatch, _ := strconv.Atoi(batch.Header.Get("Roster-Revision"))

		// Check.
		for _, tc := range []struct {
			user, perm string
			want       bool
		}{
			{"bob", "MANAGE_POSTS", true},
			{"carol", "MANAGE_POSTS", false},
			{"carol", "REDEEM_REWARDS", true},
			{"alice", "BAN_MEMBERS", true},
			{"erin", "VIEW_CHANNEL", false},
		} {
			res := e.Must(t, http.StatusOK, "POST", "/v1/check", map[string]any{"communityId": "guild", "userId": tc.user, "permission": tc.perm})
			if got := res.JSON["allowed"]; got != tc.want {
				t.Errorf("check %s %s: got %v, want %v", tc.user, tc.perm, got, tc.want)
			}
			if got := int(res.JSON["revision"].(float64)); got < afterBatch {
				t.Errorf("check revision: got %d, want at least %d", got, afterBatch)
			}
		}

		// Remove, then the check answers no.
		e.Must(t, http.StatusOK, "DELETE", "/v1/communities/guild/members/carol/roles/"+vip, nil)
		res := e.Must(t, http.StatusOK, "POST", "/v1/check", map[string]any{"communityId": "guild", "userId": "carol", "permission": "REDEEM_REWARDS"})
		if res.JSON["allowed"] != false {
			t.Fatalf("check after removal: got %s, want allowed false", res.Raw)
		}

		// Read the audit log: the removal is the newest event of the community.
		audit := e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=guild&order=desc&limit=1", nil).Items()
		if len(audit) != 1 || audit[0]["action"] != "member.role_removed" || audit[0]["targetId"] != "carol" {
			t.Fatalf("newest audit event: got %v, want member.role_removed of carol", audit)
		}
	})
}

// TestOpenAPI checks that the document describes every route with its
// request, response and error shapes.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		doc := e.Must(t, http.StatusOK, "GET", "/v1/openapi.json", nil, Req{Key: "-"}).JSON
		if doc["openapi"] != "3.1.0" {
			t.Fatalf("openapi: got %v, want 3.1.0", doc["openapi"])
		}
		paths := doc["paths"].(map[string]any)
		for _, p := range []string{
			"/v1/permissions", "/v1/permissions/{key}", "/v1/users/{userId}", "/v1/users/{userId}/memberships",
			"/v1/communities", "/v1/communities/{communityId}", "/v1/communities/{communityId}/members",
			"/v1/communities/{communityId}/members/{userId}", "/v1/communities/{communityId}/roles",
			"/v1/communities/{communityId}/roles/{roleId}", "/v1/communities/{communityId}/roles/order",
			"/v1/communities/{communityId}/members/{userId}/roles", "/v1/communities/{communityId}/members/{userId}/roles/{roleId}",
			"/v1/communities/{communityId}/roles/batch-add", "/v1/communities/{communityId}/roles/batch-remove",
			"/v1/communities/{communityId}/roles/{roleId}/members", "/v1/communities/{communityId}/members/{userId}/permissions",
			"/v1/platform/roles", "/v1/platform/roles/{roleId}", "/v1/platform/users/{userId}/roles/{roleId}",
			"/v1/check", "/v1/check/batch", "/v1/audit", "/v1/api-keys", "/v1/api-keys/{keyId}", "/healthz", "/readyz",
			"/v1/communities/{communityId}/members/batch-add", "/v1/communities/{communityId}/channels",
			"/v1/communities/{communityId}/channels/{channelId}",
			"/v1/communities/{communityId}/channels/{channelId}/overwrites/roles/{roleId}",
			"/v1/communities/{communityId}/channels/{channelId}/overwrites/members/{userId}",
		} {
			item, ok := paths[p].(map[string]any)
			if !ok {
				t.Errorf("path %s: missing", p)
				continue
			}
			for method, o := range item {
				op := o.(map[string]any)
				responses := op["responses"].(map[string]any)
				if len(responses) < 2 && p != "/healthz" {
					t.Errorf("%s %s: got %d responses, want success and errors", method, p, len(responses))
				}
				if (method == "post" || method == "patch" || strings.Contains(p, "/overwrites/") && method == "put") && op["requestBody"] == nil {
					t.Errorf("%s %s: no request body schema", method, p)
				}
			}
		}
		ops := map[string]bool{}
		for _, item := range paths {
			for _, o := range item.(map[string]any) {
				if id, ok := o.(map[string]any)["operationId"].(string); ok {
					ops[id] = true
				}
			}
		}
		for _, id := range []string{"listChannels", "putChannel", "getChannel", "deleteChannel", "setRoleOverwrite",
			"deleteRoleOverwrite", "setMemberOverwrite", "deleteMemberOverwrite", "batchAddMembers"} {
			if !ops[id] {
				t.Errorf("operation %s: missing", id)
			}
		}
		schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
		if item, _ := schemas["CheckItem"].(map[string]any); item == nil || item["properties"].(map[string]any)["channelId"] == nil {
			t.Errorf("CheckItem schema: got %v, want a channelId property", item)
		}
		problem, ok := schemas["Problem"].(map[string]any)
		if !ok {
			t.Fatal("the Problem schema is missing")
		}
		for _, f := range []string{"type", "title", "status", "detail", "code", "errors", "requestId"} {
			if _, ok := problem["properties"].(map[string]any)[f]; !ok {
				t.Errorf("Problem schema: no %s", f)
			}
		}
	})
}
