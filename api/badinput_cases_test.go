package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Statuses and codes of the table, short.
const (
	s400, s401, s403, s404, s409 = http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict
	s412, s413, s415, s422       = http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity
	vfailed                      = "validation_failed"
)

// jsonObj is a JSON object body.
type jsonObj = map[string]any

// nIDs returns n distinct well-formed ids.
func nIDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// badRoute is a write route with a request to it that would succeed.
type badRoute struct {
	op, method, path string
	body             jsonObj // nil for routes without a body
}

// badWriteRoutes lists every write route (and the checks), each with a valid
// request, so that a bad variant of it shows what is refused.
func badWriteRoutes(fx badFix) []badRoute {
	const c, p = "/v1/communities/guild", "/v1/platform"
	check := jsonObj{"communityId": "guild", "userId": "bob", "permission": "VIEW_CHANNEL"}
	return []badRoute{
		{"createPermission", "POST", "/v1/permissions", jsonObj{"key": "NEW_PERM"}},
		{"deletePermission", "DELETE", "/v1/permissions/REDEEM_REWARDS", nil},
		{"putUser", "PUT", "/v1/users/bob", jsonObj{"displayName": "Bobby"}},
		{"createCommunity", "POST", "/v1/communities", jsonObj{"id": "newc", "name": "New"}},
		{"updateCommunity", "PATCH", c, jsonObj{"name": "Renamed"}},
		{"deleteCommunity", "DELETE", c, nil},
		{"addMember", "PUT", c + "/members/dave", jsonObj{"displayName": "Dave"}},
		{"removeMember", "DELETE", c + "/members/carol", nil},
		{"createRole", "POST", c + "/roles", jsonObj{"name": "New", "permissions": []string{}}},
		{"updateRole", "PATCH", c + "/roles/" + fx.mod, jsonObj{"name": "Renamed"}},
		{"deleteRole", "DELETE", c + "/roles/" + fx.mod + "?force=true", nil},
		{"reorderRoles", "PUT", c + "/roles/order", jsonObj{"roleIds": []string{"admin", fx.mod}}},
		{"addUserRole", "PUT", c + "/members/carol/roles/" + fx.mod, jsonObj{"source": "manual"}},
		{"removeUserRole", "DELETE", c + "/members/bob/roles/" + fx.mod, nil},
		{"batchAddRoles", "POST", c + "/roles/batch-add", jsonObj{"userIds": []string{"carol"}, "roleIds": []string{fx.mod}}},
		{"batchRemoveRoles", "POST", c + "/roles/batch-remove", jsonObj{"userIds": []string{"bob"}, "roleIds": []string{fx.mod}}},
		{"createPlatformRole", "POST", p + "/roles", jsonObj{"name": "New", "permissions": []string{}}},
		{"updatePlatformRole", "PATCH", p + "/roles/" + fx.plat, jsonObj{"name": "Renamed"}},
		{"deletePlatformRole", "DELETE", p + "/roles/" + fx.plat + "?force=true", nil},
		{"reorderPlatformRoles", "PUT", p + "/roles/order", jsonObj{"roleIds": []string{"admin", fx.plat}}},
		{"addPlatformUserRole", "PUT", p + "/users/carol/roles/" + fx.plat, jsonObj{"source": "manual"}},
		{"removePlatformUserRole", "DELETE", p + "/users/bob/roles/" + fx.plat, nil},
		{"batchAddPlatformRoles", "POST", p + "/roles/batch-add", jsonObj{"userIds": []string{"carol"}, "roleIds": []string{fx.plat}}},
		{"batchRemovePlatformRoles", "POST", p + "/roles/batch-remove", jsonObj{"userIds": []string{"bob"}, "roleIds": []string{fx.plat}}},
		{"batchAddMembers", "POST", c + "/members/batch-add", jsonObj{"userIds": []string{"dave", "erin"}}},
		// The fixture has no channel: past the kinds shared by every route,
		// the routes below a channel answer channel_not_found (the cases
		// that need a channel are in TestChannelBadInput).
		{"putChannel", "PUT", c + "/channels/news", jsonObj{"name": "News"}},
		{"deleteChannel", "DELETE", c + "/channels/news", nil},
		{"setRoleOverwrite", "PUT", c + "/channels/news/overwrites/roles/" + fx.mod, jsonObj{"allow": []string{"SEND_MESSAGES"}, "deny": []string{}}},
		{"deleteRoleOverwrite", "DELETE", c + "/channels/news/overwrites/roles/" + fx.mod, nil},
		{"setMemberOverwrite", "PUT", c + "/channels/news/overwrites/members/bob", jsonObj{"allow": []string{}, "deny": []string{"SEND_MESSAGES"}}},
		{"deleteMemberOverwrite", "DELETE", c + "/channels/news/overwrites/members/bob", nil},
		{"check", "POST", "/v1/check", check},
		{"checkBatch", "POST", "/v1/check/batch", jsonObj{"checks": []jsonObj{check}}},
		{"createAPIKey", "POST", "/v1/api-keys", jsonObj{"name": "k", "scopes": []string{"read"}}},
		{"revokeAPIKey", "DELETE", "/v1/api-keys/" + fx.keyID, nil},
	}
}

// badListRoutes lists every list route, for bad pagination.
func badListRoutes(fx badFix) []badRoute {
	return []badRoute{
		{"listPermissions", "GET", "/v1/permissions", nil},
		{"listCommunities", "GET", "/v1/communities", nil},
		{"listMembers", "GET", "/v1/communities/guild/members", nil},
		{"listChannels", "GET", "/v1/communities/guild/channels", nil},
		{"listRoles", "GET", "/v1/communities/guild/roles", nil},
		{"listRoleHolders", "GET", "/v1/communities/guild/roles/" + fx.mod + "/members", nil},
		{"listPlatformRoles", "GET", "/v1/platform/roles", nil},
		{"listPlatformRoleHolders", "GET", "/v1/platform/roles/" + fx.plat + "/members", nil},
		{"listMemberships", "GET", "/v1/users/bob/memberships", nil},
		{"listAuditEvents", "GET", "/v1/audit", nil},
		{"listAPIKeys", "GET", "/v1/api-keys", nil},
	}
}

// badGenericCases applies the kinds of bad input every route shares: missing or
// bad credentials, a key without the scope, and for routes with a body bad
// JSON, a wrong media type, an unknown field and an oversized body; and bad
// pagination to every list.
func badGenericCases(fx badFix) []badCase {
	var out []badCase
	for _, r := range badWriteRoutes(fx) {
		out = append(out,
			bad(r.op, "no credentials", r.method, r.path, r.body, s401, "unauthenticated").with(Req{Key: "-"}),
			bad(r.op, "wrong key", r.method, r.path, r.body, s401, "unauthenticated").with(Req{Key: "not-a-key"}),
			bad(r.op, "wrong X-API-Key", r.method, r.path, r.body, s401, "unauthenticated").
				with(Req{Key: "-", Header: map[string]string{"X-API-Key": "not-a-key"}}),
			bad(r.op, "not Bearer", r.method, r.path, r.body, s401, "unauthenticated").
				with(Req{Key: "-", Header: map[string]string{"Authorization": "Basic " + fx.readKey}}),
		)
		if !strings.HasPrefix(r.op, "check") {
			out = append(out, bad(r.op, "read key", r.method, r.path, r.body, s403, "insufficient_scope").with(Req{Key: fx.readKey}))
		}
		if r.body == nil {
			continue
		}
		unknown := maps.Clone(r.body)
		unknown["bogus"] = true
		out = append(out,
			bad(r.op, "malformed JSON", r.method, r.path, nil, s400, "invalid_json").with(Req{RawBody: `{"name": "x",`}),
			bad(r.op, "JSON array body", r.method, r.path, []any{r.body}, s422, vfailed, "body"),
			bad(r.op, "text/plain body", r.method, r.path, r.body, s415, "unsupported_media_type").
				with(Req{Header: map[string]string{"Content-Type": "text/plain"}}),
			bad(r.op, "body without Content-Type", r.method, r.path, r.body, s415, "unsupported_media_type").
				with(Req{Header: map[string]string{"Content-Type": ""}}),
			bad(r.op, "unknown field", r.method, r.path, unknown, s422, vfailed, "body.bogus"),
			bad(r.op, "no credentials and malformed JSON", r.method, r.path, nil, s401, "unauthenticated").with(Req{Key: "-", RawBody: "{"}),
			bad(r.op, "body over 1 MiB", r.method, r.path, nil, s413, "body_too_large").
				with(Req{RawBody: `{"name":"` + nChars(1<<20) + `"}`}),
		)
	}
	for _, r := range badListRoutes(fx) {
		sep := "?"
		if strings.Contains(r.path, "?") {
			sep = "&"
		}
		for _, q := range []struct{ kind, query, loc string }{
			{"limit 0", "limit=0", "query.limit"},
			{"limit 1001", "limit=1001", "query.limit"},
			{"limit abc", "limit=abc", "query.limit"},
			{"limit -1", "limit=-1", "query.limit"},
			{"cursor garbage", "cursor=garbage", "query.cursor"},
			{"cursor not base64", "cursor=%21%21", "query.cursor"},
			{"cursor 513 characters", "cursor=" + nChars(513), "query.cursor"},
			// Well-formed cursors whose key is not text: a NUL, and a byte
			// that is not UTF-8.
			{"cursor of a NUL", "cursor=cm9zdGVyOgA", "query.cursor"},
			{"cursor not UTF-8", "cursor=cm9zdGVyOmH_", "query.cursor"},
		} {
			out = append(out, bad(r.op, q.kind, r.method, r.path+sep+q.query, nil, s422, vfailed, q.loc))
		}
	}
	return out
}

// badInputCases is the whole table: the generic kinds, then each route's own.
func badInputCases(fx badFix) []badCase {
	return slices.Concat(badGenericCases(fx), badSpecificCases(fx), badChannelCases(fx), badTextCases(fx), badQueryCases(fx), badActAsCases(fx))
}

// Values used across the table.
var (
	badPast     = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	badID       = "bad%20id%21" // "bad id!" escaped
	badID129    = nChars(129)
	badMeta     = jsonObj{"k": nChars(4100)}
	badName101  = nChars(101)
	badDesc1001 = nChars(1001)
)

// badSpecificCases are the bad values, ids and references of each route.
func badSpecificCases(fx badFix) []badCase {
	const c, p = "/v1/communities/guild", "/v1/platform"
	mod, plat := fx.mod, fx.plat
	role := c + "/roles/" + mod
	prole := p + "/roles/" + plat
	roles := jsonObj{"name": "New", "permissions": []string{}}
	with := func(base jsonObj, kv ...any) jsonObj {
		out := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	batch := func(users, roleIDs any, kv ...any) jsonObj {
		return with(jsonObj{"userIds": users, "roleIds": roleIDs}, kv...)
	}
	chk := func(kv ...any) jsonObj {
		return with(jsonObj{"communityId": "guild", "userId": "bob", "permission": "VIEW_CHANNEL"}, kv...)
	}
	checks := func(n int) []jsonObj {
		out := make([]jsonObj, n)
		for i := range out {
			out[i] = chk()
		}
		return out
	}
	return []badCase{
		// The snapshot is read by a key acting as itself, with credentials.
		bad("getSnapshot", "no credentials", "GET", "/v1/snapshot", nil, s401, "unauthenticated").with(Req{Key: "-"}),
		bad("getSnapshot", "wrong key", "GET", "/v1/snapshot", nil, s401, "unauthenticated").with(Req{Key: "not-a-key"}),
		bad("getSnapshot", "acting as a user", "GET", "/v1/snapshot", nil, s403, "insufficient_scope").
			with(Req{Key: fx.actKey, Header: map[string]string{"Roster-Act-As": "bob"}}),
		bad("getSnapshot", "acting as a malformed user", "GET", "/v1/snapshot", nil, s422, vfailed, "header.Roster-Act-As").
			with(Req{Key: fx.actKey, Header: map[string]string{"Roster-Act-As": "bad id"}}),
		bad("createPermission", "key lower case", "POST", "/v1/permissions", jsonObj{"key": "redeem"}, s422, vfailed, "body.key"),
		bad("createPermission", "key with a space", "POST", "/v1/permissions", jsonObj{"key": "BAD KEY"}, s422, vfailed, "body.key"),
		bad("createPermission", "key 65 characters", "POST", "/v1/permissions", jsonObj{"key": "A" + strings.Repeat("B", 64)}, s422, vfailed, "body.key"),
		bad("createPermission", "key a number", "POST", "/v1/permissions", jsonObj{"key": 5}, s422, vfailed, "body.key"),
		bad("createPermission", "key missing", "POST", "/v1/permissions", jsonObj{"description": "x"}, s422, vfailed, "body.key"),
		bad("createPermission", "description 1001 characters", "POST", "/v1/permissions", jsonObj{"key": "NEW_PERM", "description": badDesc1001}, s422, vfailed, "body.description").rereads("/v1/permissions"),
		bad("createPermission", "description with a NUL", "POST", "/v1/permissions", jsonObj{"key": "NEW_PERM", "description": "a\u0000b"}, s422, vfailed, "body.description").rereads("/v1/permissions"),
		bad("createPermission", "key exists", "POST", "/v1/permissions", jsonObj{"key": "REDEEM_REWARDS"}, s409, "permission_exists"),
		bad("deletePermission", "malformed key", "DELETE", "/v1/permissions/"+badID, nil, s422, vfailed, "path.key"),
		bad("deletePermission", "unknown permission", "DELETE", "/v1/permissions/NOPE_PERM", nil, s404, "permission_not_found").rereads("/v1/permissions"),
		bad("deletePermission", "built-in permission", "DELETE", "/v1/permissions/VIEW_CHANNEL", nil, s409, "permission_builtin"),

		bad("putUser", "malformed id", "PUT", "/v1/users/"+badID, jsonObj{"displayName": "x"}, s422, vfailed, "path.userId"),
		bad("putUser", "129-character id", "PUT", "/v1/users/"+badID129, jsonObj{"displayName": "x"}, s422, vfailed, "path.userId"),
		bad("putUser", "displayName 101 characters", "PUT", "/v1/users/bob", jsonObj{"displayName": badName101}, s422, vfailed, "body.displayName").rereads("/v1/users/bob"),
		bad("putUser", "displayName a number", "PUT", "/v1/users/bob", jsonObj{"displayName": 5}, s422, vfailed, "body.displayName"),
		bad("putUser", "metadata an array", "PUT", "/v1/users/bob", jsonObj{"metadata": []int{1}}, s422, vfailed, "body.metadata").rereads("/v1/users/bob"),
		bad("putUser", "metadata a string", "PUT", "/v1/users/bob", jsonObj{"metadata": "x"}, s422, vfailed, "body.metadata"),
		bad("putUser", "metadata over 4 KiB", "PUT", "/v1/users/bob", jsonObj{"metadata": badMeta}, s422, vfailed, "body.metadata"),
		bad("putUser", "new user with bad metadata", "PUT", "/v1/users/newbie", jsonObj{"metadata": 5}, s422, vfailed, "body.metadata").rereads("/v1/users/newbie"),

		bad("createCommunity", "name empty", "POST", "/v1/communities", jsonObj{"name": ""}, s422, vfailed, "body.name"),
		bad("createCommunity", "name blank", "POST", "/v1/communities", jsonObj{"name": "   "}, s422, vfailed, "body.name"),
		bad("createCommunity", "name 101 characters", "POST", "/v1/communities", jsonObj{"name": badName101}, s422, vfailed, "body.name"),
		bad("createCommunity", "name a number", "POST", "/v1/communities", jsonObj{"name": 5}, s422, vfailed, "body.name"),
		bad("createCommunity", "name missing", "POST", "/v1/communities", jsonObj{"id": "newc"}, s422, vfailed, "body.name"),
		bad("createCommunity", "id malformed", "POST", "/v1/communities", jsonObj{"id": "bad id!", "name": "X"}, s422, vfailed, "body.id"),
		bad("createCommunity", "id 129 characters", "POST", "/v1/communities", jsonObj{"id": badID129, "name": "X"}, s422, vfailed, "body.id"),
		bad("createCommunity", "ownerId malformed", "POST", "/v1/communities", jsonObj{"name": "X", "ownerId": "bad id!"}, s422, vfailed, "body.ownerId"),
		bad("createCommunity", "id and name bad", "POST", "/v1/communities", jsonObj{"id": "bad id!", "name": ""}, s422, vfailed, "body.id", "body.name"),
		bad("createCommunity", "id exists", "POST", "/v1/communities", jsonObj{"id": "guild", "name": "X"}, s409, "community_exists").rereads(c),

		bad("updateCommunity", "name empty", "PATCH", c, jsonObj{"name": ""}, s422, vfailed, "body.name").rereads(c),
		bad("updateCommunity", "name blank", "PATCH", c, jsonObj{"name": "   "}, s422, vfailed, "body.name").rereads(c),
		bad("updateCommunity", "name 101 characters", "PATCH", c, jsonObj{"name": badName101}, s422, vfailed, "body.name"),
		bad("updateCommunity", "ownerId malformed", "PATCH", c, jsonObj{"ownerId": "bad id!"}, s422, vfailed, "body.ownerId"),
		bad("updateCommunity", "ownerId not a member", "PATCH", c, jsonObj{"ownerId": "zed"}, s404, "member_not_found").rereads(c),
		bad("updateCommunity", "unknown community", "PATCH", "/v1/communities/nope", jsonObj{"name": "X"}, s404, "community_not_found"),
		bad("updateCommunity", "malformed community id", "PATCH", "/v1/communities/"+badID, jsonObj{"name": "X"}, s422, vfailed, "path.communityId"),
		bad("deleteCommunity", "unknown community", "DELETE", "/v1/communities/nope", nil, s404, "community_not_found"),
		bad("deleteCommunity", "malformed community id", "DELETE", "/v1/communities/"+badID, nil, s422, vfailed, "path.communityId"),
		bad("deleteCommunity", "129-character community id", "DELETE", "/v1/communities/"+badID129, nil, s422, vfailed, "path.communityId"),

		bad("addMember", "unknown community", "PUT", "/v1/communities/nope/members/dave", nil, s404, "community_not_found"),
		bad("addMember", "malformed user id", "PUT", c+"/members/"+badID, nil, s422, vfailed, "path.userId"),
		bad("addMember", "displayName 101 characters", "PUT", c+"/members/dave", jsonObj{"displayName": badName101}, s422, vfailed, "body.displayName").rereads(c + "/members/dave"),
		bad("addMember", "displayName a number", "PUT", c+"/members/bob", jsonObj{"displayName": 5}, s422, vfailed, "body.displayName").rereads(c + "/members/bob"),
		bad("removeMember", "not a member", "DELETE", c+"/members/zed", nil, s404, "member_not_found"),
		bad("removeMember", "unknown community", "DELETE", "/v1/communities/nope/members/bob", nil, s404, "community_not_found"),
		bad("removeMember", "malformed user id", "DELETE", c+"/members/"+badID, nil, s422, vfailed, "path.userId"),
		bad("removeMember", "the owner", "DELETE", c+"/members/alice", nil, s409, "owner_cannot_leave").rereads(c + "/members/alice"),

		bad("createRole", "name empty", "POST", c+"/roles", with(roles, "name", ""), s422, vfailed, "body.name").rereads(c + "/roles"),
		bad("createRole", "name blank", "POST", c+"/roles", with(roles, "name", "   "), s422, vfailed, "body.name"),
		bad("createRole", "name 101 characters", "POST", c+"/roles", with(roles, "name", badName101), s422, vfailed, "body.name"),
		bad("createRole", "name a number", "POST", c+"/roles", with(roles, "name", 5), s422, vfailed, "body.name"),
		bad("createRole", "name with a control character", "POST", c+"/roles", with(roles, "name", "a\x07b"), s422, vfailed, "body.name"),
		bad("createRole", "permissions missing", "POST", c+"/roles", jsonObj{"name": "New"}, s422, vfailed, "body.permissions"),
		bad("createRole", "description 1001 characters", "POST", c+"/roles", with(roles, "description", badDesc1001), s422, vfailed, "body.description"),
		bad("createRole", "description with a NUL", "POST", c+"/roles", with(roles, "description", "a\u0000b"), s422, vfailed, "body.description"),
		bad("createRole", "colour red", "POST", c+"/roles", with(roles, "colour", "red"), s422, vfailed, "body.colour"),
		bad("createRole", "position 0", "POST", c+"/roles", with(roles, "position", 0), s422, vfailed, "body.position"),
		bad("createRole", "position not an integer", "POST", c+"/roles", with(roles, "position", 1.5), s422, vfailed, "body.position"),
		bad("createRole", "position 1000", "POST", c+"/roles", with(roles, "position", 1000), s422, vfailed, "body.position"),
		bad("createRole", "position a string", "POST", c+"/roles", with(roles, "position", "1"), s422, vfailed, "body.position"),
		bad("createRole", "metadata an array", "POST", c+"/roles", with(roles, "metadata", []int{}), s422, vfailed, "body.metadata"),
		bad("createRole", "metadata over 4 KiB", "POST", c+"/roles", with(roles, "metadata", badMeta), s422, vfailed, "body.metadata"),
		bad("createRole", "unregistered permission", "POST", c+"/roles", with(roles, "permissions", []string{"VIEW_CHANNEL", "AA_NOPE"}), s422, vfailed, "body.permissions[1]").rereads(c + "/roles"),
		bad("createRole", "malformed permission", "POST", c+"/roles", with(roles, "permissions", []string{"bad key"}), s422, vfailed, "body.permissions[0]"),
		bad("createRole", "several bad fields", "POST", c+"/roles", with(roles, "name", "", "colour", "red", "position", 1000), s422, vfailed, "body.name", "body.colour", "body.position"),
		bad("createRole", "name taken", "POST", c+"/roles", with(roles, "name", "mod"), s409, "role_name_taken"),
		bad("createRole", "unknown community", "POST", "/v1/communities/nope/roles", roles, s404, "community_not_found"),

		bad("updateRole", "name empty", "PATCH", role, jsonObj{"name": ""}, s422, vfailed, "body.name").rereads(role),
		bad("updateRole", "name blank", "PATCH", role, jsonObj{"name": "   "}, s422, vfailed, "body.name").rereads(role),
		bad("updateRole", "name 101 characters", "PATCH", role, jsonObj{"name": badName101}, s422, vfailed, "body.name"),
		bad("updateRole", "colour red", "PATCH", role, jsonObj{"colour": "red"}, s422, vfailed, "body.colour").rereads(role),
		bad("updateRole", "description 1001 characters", "PATCH", role, jsonObj{"description": badDesc1001}, s422, vfailed, "body.description"),
		bad("updateRole", "description with a NUL", "PATCH", role, jsonObj{"description": "a\u0000b"}, s422, vfailed, "body.description"),
		bad("updateRole", "position 0", "PATCH", role, jsonObj{"position": 0}, s422, vfailed, "body.position").rereads(c + "/roles"),
		bad("updateRole", "position 1000", "PATCH", role, jsonObj{"position": 1000}, s422, vfailed, "body.position"),
		bad("updateRole", "unregistered permission", "PATCH", role, jsonObj{"permissions": []string{"MANAGE_POSTS", "AA_NOPE"}}, s422, vfailed, "body.permissions[1]").rereads(role),
		bad("updateRole", "metadata a string", "PATCH", role, jsonObj{"metadata": "x"}, s422, vfailed, "body.metadata"),
		bad("updateRole", "unknown role", "PATCH", c+"/roles/nope", jsonObj{"name": "X"}, s404, "role_not_found"),
		bad("updateRole", "malformed role id", "PATCH", c+"/roles/"+badID, jsonObj{"name": "X"}, s422, vfailed, "path.roleId"),
		bad("updateRole", "unknown community", "PATCH", "/v1/communities/nope/roles/"+mod, jsonObj{"name": "X"}, s404, "community_not_found"),
		bad("updateRole", "If-Match not a version", "PATCH", role, jsonObj{"name": "X"}, s422, vfailed, "header.If-Match").with(Req{Header: map[string]string{"If-Match": "abc"}}),
		bad("updateRole", "stale If-Match", "PATCH", role, jsonObj{"name": "X"}, s412, "version_mismatch").with(Req{Header: map[string]string{"If-Match": `"7"`}}).rereads(role),
		bad("updateRole", "rename everyone", "PATCH", c+"/roles/everyone", jsonObj{"name": "X"}, s409, "role_protected"),
		bad("deleteRole", "unknown role", "DELETE", c+"/roles/nope", nil, s404, "role_not_found"),
		bad("deleteRole", "malformed role id", "DELETE", c+"/roles/"+badID, nil, s422, vfailed, "path.roleId"),
		bad("deleteRole", "unknown community", "DELETE", "/v1/communities/nope/roles/"+mod, nil, s404, "community_not_found"),
		bad("deleteRole", "If-Match not a version", "DELETE", role, nil, s422, vfailed, "header.If-Match").with(Req{Header: map[string]string{"If-Match": "abc"}}),
		bad("deleteRole", "held without force", "DELETE", role, nil, s409, "role_in_use").rereads(role),
		bad("deleteRole", "force not a boolean", "DELETE", role+"?force=maybe", nil, s422, vfailed, "query.force"),
		bad("deleteRole", "admin", "DELETE", c+"/roles/admin", nil, s409, "role_protected"),

		bad("reorderRoles", "roleIds empty", "PUT", c+"/roles/order", jsonObj{"roleIds": []string{}}, s422, vfailed, "body.roleIds").rereads(c + "/roles"),
		bad("reorderRoles", "roleIds missing", "PUT", c+"/roles/order", jsonObj{}, s422, vfailed, "body.roleIds"),
		bad("reorderRoles", "roleIds incomplete", "PUT", c+"/roles/order", jsonObj{"roleIds": []string{"admin"}}, s422, vfailed, "body.roleIds"),
		bad("reorderRoles", "roleIds malformed id", "PUT", c+"/roles/order", jsonObj{"roleIds": []string{"bad id!", mod}}, s422, vfailed, "body.roleIds[0]"),
		bad("reorderRoles", "roleIds unknown role", "PUT", c+"/roles/order", jsonObj{"roleIds": []string{mod, "nope"}}, s422, vfailed, "body.roleIds[1]"),
		bad("reorderRoles", "roleIds with everyone", "PUT", c+"/roles/order", jsonObj{"roleIds": []string{"everyone", mod, "admin"}}, s422, vfailed, "body.roleIds[0]"),
		bad("reorderRoles", "roleIds listing a role twice", "PUT", c+"/roles/order", jsonObj{"roleIds": []string{"admin", mod, mod}}, s422, vfailed, "body.roleIds[2]").rereads(c + "/roles"),
		bad("reorderRoles", "roleIds a number", "PUT", c+"/roles/order", jsonObj{"roleIds": []any{5, mod}}, s422, vfailed, "body.roleIds[0]"),
		bad("reorderRoles", "unknown community", "PUT", "/v1/communities/nope/roles/order", jsonObj{"roleIds": []string{"admin"}}, s404, "community_not_found"),

		bad("addUserRole", "not a member", "PUT", c+"/members/zed/roles/"+mod, nil, s404, "member_not_found", "path.userId"),
		bad("addUserRole", "unknown role", "PUT", c+"/members/carol/roles/nope", nil, s404, "role_not_found", "path.roleId").rereads(c + "/members/carol"),
		bad("addUserRole", "unknown community", "PUT", "/v1/communities/nope/members/bob/roles/"+mod, nil, s404, "community_not_found"),
		bad("addUserRole", "malformed user id", "PUT", c+"/members/"+badID+"/roles/"+mod, nil, s422, vfailed, "path.userId"),
		bad("addUserRole", "malformed role id", "PUT", c+"/members/carol/roles/"+badID, nil, s422, vfailed, "path.roleId"),
		bad("addUserRole", "source robot", "PUT", c+"/members/carol/roles/"+mod, jsonObj{"source": "robot"}, s422, vfailed, "body.source").rereads(c + "/members/carol"),
		bad("addUserRole", "expiresAt in the badPast", "PUT", c+"/members/carol/roles/"+mod, jsonObj{"expiresAt": badPast}, s422, vfailed, "body.expiresAt").rereads(c + "/members/carol"),
		bad("addUserRole", "expiresAt not a time", "PUT", c+"/members/carol/roles/"+mod, jsonObj{"expiresAt": "tomorrow"}, s422, vfailed, "body.expiresAt"),
		bad("addUserRole", "everyone", "PUT", c+"/members/carol/roles/everyone", nil, s409, "role_not_assignable"),
		bad("removeUserRole", "not a member", "DELETE", c+"/members/zed/roles/"+mod, nil, s404, "member_not_found"),
		bad("removeUserRole", "unknown role", "DELETE", c+"/members/bob/roles/nope", nil, s404, "role_not_found").rereads(c + "/members/bob"),
		bad("removeUserRole", "role not held", "DELETE", c+"/members/carol/roles/"+mod, nil, s404, "role_not_held"),
		bad("removeUserRole", "source robot", "DELETE", c+"/members/bob/roles/"+mod+"?source=robot", nil, s422, vfailed, "query.source").rereads(c + "/members/bob"),
		bad("removeUserRole", "malformed role id", "DELETE", c+"/members/bob/roles/"+badID, nil, s422, vfailed, "path.roleId"),
		bad("removeUserRole", "everyone", "DELETE", c+"/members/bob/roles/everyone", nil, s409, "role_not_assignable"),

		bad("batchAddRoles", "userIds empty", "POST", c+"/roles/batch-add", batch([]string{}, []string{mod}), s422, vfailed, "body.userIds"),
		bad("batchAddRoles", "userIds 101", "POST", c+"/roles/batch-add", batch(nIDs("u", 101), []string{mod}), s422, vfailed, "body.userIds"),
		bad("batchAddRoles", "userIds missing", "POST", c+"/roles/batch-add", jsonObj{"roleIds": []string{mod}}, s422, vfailed, "body.userIds"),
		bad("batchAddRoles", "roleIds empty", "POST", c+"/roles/batch-add", batch([]string{"carol"}, []string{}), s422, vfailed, "body.roleIds").rereads(c + "/members/carol"),
		bad("batchAddRoles", "roleIds 101", "POST", c+"/roles/batch-add", batch([]string{"carol"}, nIDs("r", 101)), s422, vfailed, "body.roleIds"),
		bad("batchAddRoles", "userIds malformed id", "POST", c+"/roles/batch-add", batch([]string{"carol", "bad id!"}, []string{mod}), s422, vfailed, "body.userIds[1]").rereads(c + "/members/carol"),
		bad("batchAddRoles", "userIds 129-character id", "POST", c+"/roles/batch-add", batch([]string{badID129}, []string{mod}), s422, vfailed, "body.userIds[0]"),
		bad("batchAddRoles", "userIds a number", "POST", c+"/roles/batch-add", batch([]any{5}, []string{mod}), s422, vfailed, "body.userIds[0]"),
		bad("batchAddRoles", "roleIds malformed id", "POST", c+"/roles/batch-add", batch([]string{"carol"}, []string{mod, "bad id!"}), s422, vfailed, "body.roleIds[1]"),
		bad("batchAddRoles", "source robot", "POST", c+"/roles/batch-add", batch([]string{"carol"}, []string{mod}, "source", "robot"), s422, vfailed, "body.source").rereads(c + "/members/carol"),
		bad("batchAddRoles", "expiresAt in the badPast", "POST", c+"/roles/batch-add", batch([]string{"carol"}, []string{mod}, "expiresAt", badPast), s422, vfailed, "body.expiresAt"),
		bad("batchAddRoles", "several bad fields", "POST", c+"/roles/batch-add", batch([]string{}, []string{}, "source", "robot"), s422, vfailed, "body.userIds", "body.roleIds", "body.source"),
		bad("batchAddRoles", "not a member after a duplicate", "POST", c+"/roles/batch-add", batch([]string{"carol", "carol", "zed"}, []string{mod}), s404, "member_not_found", "body.userIds[2]").rereads(c + "/members/carol"),
		bad("batchAddRoles", "unknown role after a duplicate", "POST", c+"/roles/batch-add", batch([]string{"carol"}, []string{mod, mod, "nope"}), s404, "role_not_found", "body.roleIds[2]").rereads(c + "/members/carol"),
		bad("batchAddRoles", "everyone", "POST", c+"/roles/batch-add", batch([]string{"carol"}, []string{mod, "everyone"}), s409, "role_not_assignable").rereads(c + "/members/carol"),
		bad("batchAddRoles", "unknown community", "POST", "/v1/communities/nope/roles/batch-add", batch([]string{"bob"}, []string{mod}), s404, "community_not_found"),
		bad("batchRemoveRoles", "userIds empty", "POST", c+"/roles/batch-remove", batch([]string{}, []string{mod}), s422, vfailed, "body.userIds"),
		bad("batchRemoveRoles", "userIds 101", "POST", c+"/roles/batch-remove", batch(nIDs("u", 101), []string{mod}), s422, vfailed, "body.userIds"),
		bad("batchRemoveRoles", "roleIds empty", "POST", c+"/roles/batch-remove", batch([]string{"bob"}, []string{}), s422, vfailed, "body.roleIds").rereads(c + "/members/bob"),
		bad("batchRemoveRoles", "userIds malformed id", "POST", c+"/roles/batch-remove", batch([]string{"bad id!"}, []string{mod}), s422, vfailed, "body.userIds[0]"),
		bad("batchRemoveRoles", "source robot", "POST", c+"/roles/batch-remove", batch([]string{"bob"}, []string{mod}, "source", "robot"), s422, vfailed, "body.source").rereads(c + "/members/bob"),
		bad("batchRemoveRoles", "not a member", "POST", c+"/roles/batch-remove", batch([]string{"bob", "zed"}, []string{mod}), s404, "member_not_found", "body.userIds[1]").rereads(c + "/members/bob"),
		bad("batchRemoveRoles", "unknown role", "POST", c+"/roles/batch-remove", batch([]string{"bob"}, []string{mod, "nope"}), s404, "role_not_found", "body.roleIds[1]").rereads(c + "/members/bob"),
		bad("batchRemoveRoles", "unknown community", "POST", "/v1/communities/nope/roles/batch-remove", batch([]string{"bob"}, []string{mod}), s404, "community_not_found"),

		bad("createPlatformRole", "name empty", "POST", p+"/roles", with(roles, "name", ""), s422, vfailed, "body.name").rereads(p + "/roles"),
		bad("createPlatformRole", "name blank", "POST", p+"/roles", with(roles, "name", "   "), s422, vfailed, "body.name"),
		bad("createPlatformRole", "name 101 characters", "POST", p+"/roles", with(roles, "name", badName101), s422, vfailed, "body.name"),
		bad("createPlatformRole", "colour red", "POST", p+"/roles", with(roles, "colour", "red"), s422, vfailed, "body.colour"),
		bad("createPlatformRole", "position 0", "POST", p+"/roles", with(roles, "position", 0), s422, vfailed, "body.position"),
		bad("createPlatformRole", "position not an integer", "POST", p+"/roles", with(roles, "position", 1.5), s422, vfailed, "body.position"),
		bad("createPlatformRole", "position 1000", "POST", p+"/roles", with(roles, "position", 1000), s422, vfailed, "body.position"),
		bad("createPlatformRole", "unregistered permission", "POST", p+"/roles", with(roles, "permissions", []string{"ZZ_NOPE"}), s422, vfailed, "body.permissions[0]").rereads(p + "/roles"),
		bad("createPlatformRole", "metadata a number", "POST", p+"/roles", with(roles, "metadata", 5), s422, vfailed, "body.metadata"),
		bad("updatePlatformRole", "name empty", "PATCH", prole, jsonObj{"name": ""}, s422, vfailed, "body.name").rereads(prole),
		bad("updatePlatformRole", "position 1000", "PATCH", prole, jsonObj{"position": 1000}, s422, vfailed, "body.position").rereads(prole),
		bad("updatePlatformRole", "unknown role", "PATCH", p+"/roles/nope", jsonObj{"name": "X"}, s404, "role_not_found"),
		bad("updatePlatformRole", "malformed role id", "PATCH", p+"/roles/"+badID, jsonObj{"name": "X"}, s422, vfailed, "path.roleId"),
		bad("deletePlatformRole", "unknown role", "DELETE", p+"/roles/nope", nil, s404, "role_not_found"),
		bad("deletePlatformRole", "malformed role id", "DELETE", p+"/roles/"+badID, nil, s422, vfailed, "path.roleId"),
		bad("deletePlatformRole", "held without force", "DELETE", prole, nil, s409, "role_in_use").rereads(prole),
		bad("reorderPlatformRoles", "roleIds empty", "PUT", p+"/roles/order", jsonObj{"roleIds": []string{}}, s422, vfailed, "body.roleIds").rereads(p + "/roles"),
		bad("reorderPlatformRoles", "roleIds incomplete", "PUT", p+"/roles/order", jsonObj{"roleIds": []string{plat}}, s422, vfailed, "body.roleIds"),
		bad("reorderPlatformRoles", "roleIds a community role", "PUT", p+"/roles/order", jsonObj{"roleIds": []string{plat, mod}}, s422, vfailed, "body.roleIds[1]"),
		bad("addPlatformUserRole", "malformed user id", "PUT", p+"/users/"+badID+"/roles/"+plat, nil, s422, vfailed, "path.userId"),
		bad("addPlatformUserRole", "unknown role", "PUT", p+"/users/newbie/roles/nope", nil, s404, "role_not_found", "path.roleId").rereads("/v1/users/newbie"),
		bad("addPlatformUserRole", "community role", "PUT", p+"/users/carol/roles/"+mod, nil, s404, "role_not_found", "path.roleId"),
		bad("addPlatformUserRole", "source robot", "PUT", p+"/users/newbie/roles/"+plat, jsonObj{"source": "robot"}, s422, vfailed, "body.source").rereads("/v1/users/newbie"),
		bad("addPlatformUserRole", "expiresAt in the badPast", "PUT", p+"/users/carol/roles/"+plat, jsonObj{"expiresAt": badPast}, s422, vfailed, "body.expiresAt"),
		bad("removePlatformUserRole", "role not held", "DELETE", p+"/users/carol/roles/"+plat, nil, s404, "role_not_held"),
		bad("removePlatformUserRole", "unknown role", "DELETE", p+"/users/bob/roles/nope", nil, s404, "role_not_found"),
		bad("removePlatformUserRole", "source robot", "DELETE", p+"/users/bob/roles/"+plat+"?source=robot", nil, s422, vfailed, "query.source").rereads(p + "/users/bob/roles"),
		bad("batchAddPlatformRoles", "userIds 101", "POST", p+"/roles/batch-add", batch(nIDs("u", 101), []string{plat}), s422, vfailed, "body.userIds"),
		bad("batchAddPlatformRoles", "roleIds empty", "POST", p+"/roles/batch-add", batch([]string{"carol"}, []string{}), s422, vfailed, "body.roleIds"),
		bad("batchAddPlatformRoles", "source robot", "POST", p+"/roles/batch-add", batch([]string{"newbie"}, []string{plat}, "source", "robot"), s422, vfailed, "body.source").rereads("/v1/users/newbie"),
		bad("batchAddPlatformRoles", "unknown role for a new user", "POST", p+"/roles/batch-add", batch([]string{"newbie"}, []string{plat, "nope"}), s404, "role_not_found", "body.roleIds[1]").rereads("/v1/users/newbie"),
		bad("batchRemovePlatformRoles", "userIds empty", "POST", p+"/roles/batch-remove", batch([]string{}, []string{plat}), s422, vfailed, "body.userIds"),
		bad("batchRemovePlatformRoles", "unknown role", "POST", p+"/roles/batch-remove", batch([]string{"bob"}, []string{"nope"}), s404, "role_not_found", "body.roleIds[0]").rereads(p + "/users/bob/roles"),

		bad("check", "unknown community", "POST", "/v1/check", chk("communityId", "nope"), s404, "community_not_found"),
		bad("check", "permission lower case", "POST", "/v1/check", chk("permission", "view_channel"), s422, vfailed, "body.permission"),
		bad("check", "unregistered permission", "POST", "/v1/check", chk("permission", "NOPE_PERM"), s422, vfailed, "body.permission"),
		bad("check", "malformed user id", "POST", "/v1/check", chk("userId", "bad id!"), s422, vfailed, "body.userId"),
		bad("check", "userId a number", "POST", "/v1/check", chk("userId", 5), s422, vfailed, "body.userId"),
		bad("check", "userId missing", "POST", "/v1/check", jsonObj{"communityId": "guild", "permission": "VIEW_CHANNEL"}, s422, vfailed, "body.userId"),
		bad("check", "minRevision negative", "POST", "/v1/check", chk("minRevision", -1), s422, vfailed, "body.minRevision"),
		bad("checkBatch", "checks empty", "POST", "/v1/check/batch", jsonObj{"checks": []jsonObj{}}, s422, vfailed, "body.checks"),
		bad("checkBatch", "checks 1001", "POST", "/v1/check/batch", jsonObj{"checks": checks(1001)}, s422, vfailed, "body.checks"),
		bad("checkBatch", "checks missing", "POST", "/v1/check/batch", jsonObj{}, s422, vfailed, "body.checks"),
		bad("checkBatch", "malformed permission", "POST", "/v1/check/batch", jsonObj{"checks": []jsonObj{chk(), chk("permission", "x")}}, s422, vfailed, "body.checks[1].permission"),
		bad("checkBatch", "unregistered permission", "POST", "/v1/check/batch", jsonObj{"checks": []jsonObj{chk(), chk("permission", "NOPE_PERM")}}, s422, vfailed, "body.checks[1].permission"),
		bad("checkBatch", "unknown community", "POST", "/v1/check/batch", jsonObj{"checks": []jsonObj{chk(), chk("communityId", "nope")}}, s404, "community_not_found"),

		bad("createAPIKey", "name empty", "POST", "/v1/api-keys", jsonObj{"name": "", "scopes": []string{"read"}}, s422, vfailed, "body.name").rereads("/v1/api-keys"),
		bad("createAPIKey", "name blank", "POST", "/v1/api-keys", jsonObj{"name": "   ", "scopes": []string{"read"}}, s422, vfailed, "body.name").rereads("/v1/api-keys"),
		bad("createAPIKey", "name 101 characters", "POST", "/v1/api-keys", jsonObj{"name": badName101, "scopes": []string{"read"}}, s422, vfailed, "body.name"),
		bad("createAPIKey", "scopes root", "POST", "/v1/api-keys", jsonObj{"name": "k", "scopes": []string{"root"}}, s422, vfailed, "body.scopes[0]"),
		bad("createAPIKey", "scopes write and root", "POST", "/v1/api-keys", jsonObj{"name": "k", "scopes": []string{"write", "root"}}, s422, vfailed, "body.scopes[1]"),
		bad("createAPIKey", "scopes empty", "POST", "/v1/api-keys", jsonObj{"name": "k", "scopes": []string{}}, s422, vfailed, "body.scopes"),
		bad("createAPIKey", "unknown community", "POST", "/v1/api-keys", jsonObj{"name": "k", "scopes": []string{"read"}, "communityId": "nope"}, s404, "community_not_found").rereads("/v1/api-keys"),
		bad("createAPIKey", "malformed community id", "POST", "/v1/api-keys", jsonObj{"name": "k", "scopes": []string{"read"}, "communityId": "bad id!"}, s422, vfailed, "body.communityId"),
		bad("createAPIKey", "expiresAt in the badPast", "POST", "/v1/api-keys", jsonObj{"name": "k", "scopes": []string{"read"}, "expiresAt": badPast}, s422, vfailed, "body.expiresAt"),
		bad("revokeAPIKey", "unknown key", "DELETE", "/v1/api-keys/nope", nil, s404, "api_key_not_found").rereads("/v1/api-keys"),
		bad("revokeAPIKey", "malformed key id", "DELETE", "/v1/api-keys/"+badID, nil, s422, vfailed, "path.keyId"),
	}
}

// badChannelCases are the bad values, ids and references of the channel
// routes, of member batches and of the channel of a check that need no
// channel to exist (the fixture has none).
func badChannelCases(fx badFix) []badCase {
	const c = "/v1/communities/guild"
	ch, members := c+"/channels", c+"/members/batch-add"
	row := c + "/channels/news/overwrites/roles/" + fx.mod
	mow := c + "/channels/news/overwrites/members/bob"
	ow := func(allow, deny any) jsonObj { return jsonObj{"allow": allow, "deny": deny} }
	keys1025 := make([]string, 1025)
	for i := range keys1025 {
		keys1025[i] = "SEND_MESSAGES"
	}
	chk := jsonObj{"communityId": "guild", "channelId": "news", "userId": "bob", "permission": "SEND_MESSAGES"}
	badChk := maps.Clone(chk)
	badChk["channelId"] = "bad id!"
	return []badCase{
		bad("putChannel", "name 101 characters", "PUT", ch+"/news", jsonObj{"name": badName101}, s422, vfailed, "body.name").rereads(ch),
		bad("putChannel", "name a number", "PUT", ch+"/news", jsonObj{"name": 5}, s422, vfailed, "body.name").rereads(ch),
		bad("putChannel", "name with a control character", "PUT", ch+"/news", jsonObj{"name": "a\x07b"}, s422, vfailed, "body.name").rereads(ch),
		bad("putChannel", "malformed channel id", "PUT", ch+"/"+badID, jsonObj{"name": "x"}, s422, vfailed, "path.channelId").rereads(ch),
		bad("putChannel", "129-character channel id", "PUT", ch+"/"+badID129, nil, s422, vfailed, "path.channelId"),
		bad("putChannel", "unknown community", "PUT", "/v1/communities/nope/channels/news", nil, s404, "community_not_found"),
		bad("putChannel", "malformed community id", "PUT", "/v1/communities/"+badID+"/channels/news", nil, s422, vfailed, "path.communityId"),
		bad("deleteChannel", "malformed channel id", "DELETE", ch+"/"+badID, nil, s422, vfailed, "path.channelId"),
		bad("deleteChannel", "unknown community", "DELETE", "/v1/communities/nope/channels/news", nil, s404, "community_not_found"),

		bad("setRoleOverwrite", "ADMINISTRATOR allowed", "PUT", row, ow([]string{"ADMINISTRATOR"}, []string{}), s422, vfailed, "body.allow[0]").rereads(ch),
		bad("setRoleOverwrite", "ADMINISTRATOR denied", "PUT", row, ow([]string{}, []string{"SEND_MESSAGES", "ADMINISTRATOR"}), s422, vfailed, "body.deny[1]"),
		bad("setRoleOverwrite", "key allowed and denied", "PUT", row, ow([]string{"SEND_MESSAGES"}, []string{"SEND_MESSAGES"}), s422, vfailed, "body.deny").rereads(ch),
		bad("setRoleOverwrite", "key lower case", "PUT", row, ow([]string{"send_messages"}, []string{}), s422, vfailed, "body.allow[0]"),
		bad("setRoleOverwrite", "key a number", "PUT", row, ow([]any{5}, []string{}), s422, vfailed, "body.allow[0]"),
		bad("setRoleOverwrite", "allow a string", "PUT", row, ow("SEND_MESSAGES", []string{}), s422, vfailed, "body.allow"),
		bad("setRoleOverwrite", "allow 1025 keys", "PUT", row, ow(keys1025, []string{}), s422, vfailed, "body.allow"),
		bad("setRoleOverwrite", "deny 1025 keys", "PUT", row, ow([]string{}, keys1025), s422, vfailed, "body.deny"),
		bad("setRoleOverwrite", "several bad fields", "PUT", row, ow([]string{"ADMINISTRATOR"}, []string{"x"}), s422, vfailed, "body.allow[0]", "body.deny[0]"),
		bad("setRoleOverwrite", "malformed role id", "PUT", ch+"/news/overwrites/roles/"+badID, ow([]string{}, []string{}), s422, vfailed, "path.roleId"),
		bad("setRoleOverwrite", "malformed channel id", "PUT", ch+"/"+badID+"/overwrites/roles/"+fx.mod, ow([]string{}, []string{}), s422, vfailed, "path.channelId"),
		bad("setRoleOverwrite", "unknown community", "PUT", "/v1/communities/nope/channels/news/overwrites/roles/everyone", ow([]string{}, []string{}), s404, "community_not_found"),
		bad("deleteRoleOverwrite", "malformed role id", "DELETE", ch+"/news/overwrites/roles/"+badID, nil, s422, vfailed, "path.roleId"),
		bad("deleteRoleOverwrite", "malformed channel id", "DELETE", ch+"/"+badID+"/overwrites/roles/"+fx.mod, nil, s422, vfailed, "path.channelId"),
		bad("deleteRoleOverwrite", "unknown community", "DELETE", "/v1/communities/nope/channels/news/overwrites/roles/everyone", nil, s404, "community_not_found"),
		bad("setMemberOverwrite", "ADMINISTRATOR allowed", "PUT", mow, ow([]string{"SEND_MESSAGES", "ADMINISTRATOR"}, []string{}), s422, vfailed, "body.allow[1]"),
		bad("setMemberOverwrite", "key allowed and denied", "PUT", mow, ow([]string{"ADD_REACTIONS", "SEND_MESSAGES"}, []string{"SEND_MESSAGES"}), s422, vfailed, "body.deny"),
		bad("setMemberOverwrite", "malformed user id", "PUT", ch+"/news/overwrites/members/"+badID, ow([]string{}, []string{}), s422, vfailed, "path.userId"),
		bad("setMemberOverwrite", "129-character user id", "PUT", ch+"/news/overwrites/members/"+badID129, ow([]string{}, []string{}), s422, vfailed, "path.userId"),
		bad("setMemberOverwrite", "unknown community", "PUT", "/v1/communities/nope/channels/news/overwrites/members/bob", ow([]string{}, []string{}), s404, "community_not_found"),
		bad("deleteMemberOverwrite", "malformed user id", "DELETE", ch+"/news/overwrites/members/"+badID, nil, s422, vfailed, "path.userId"),
		bad("deleteMemberOverwrite", "unknown community", "DELETE", "/v1/communities/nope/channels/news/overwrites/members/bob", nil, s404, "community_not_found"),

		bad("batchAddMembers", "userIds empty", "POST", members, jsonObj{"userIds": []string{}}, s422, vfailed, "body.userIds").rereads(c + "/members"),
		bad("batchAddMembers", "userIds 1001", "POST", members, jsonObj{"userIds": nIDs("u", 1001)}, s422, vfailed, "body.userIds").rereads(c + "/members"),
		bad("batchAddMembers", "userIds missing", "POST", members, jsonObj{}, s422, vfailed, "body.userIds"),
		bad("batchAddMembers", "userIds a string", "POST", members, jsonObj{"userIds": "dave"}, s422, vfailed, "body.userIds"),
		bad("batchAddMembers", "userIds malformed id", "POST", members, jsonObj{"userIds": []string{"dave", "bad id!"}}, s422, vfailed, "body.userIds[1]").rereads(c + "/members"),
		bad("batchAddMembers", "malformed id after a duplicate", "POST", members, jsonObj{"userIds": []string{"dave", "dave", "bad id!"}}, s422, vfailed, "body.userIds[2]").rereads(c + "/members/dave"),
		bad("batchAddMembers", "userIds 129-character id", "POST", members, jsonObj{"userIds": []string{badID129}}, s422, vfailed, "body.userIds[0]"),
		bad("batchAddMembers", "userIds a number", "POST", members, jsonObj{"userIds": []any{"dave", 5}}, s422, vfailed, "body.userIds[1]"),
		bad("batchAddMembers", "unknown community", "POST", "/v1/communities/nope/members/batch-add", jsonObj{"userIds": []string{"dave"}}, s404, "community_not_found"),

		bad("check", "malformed channel id", "POST", "/v1/check", badChk, s422, vfailed, "body.channelId"),
		bad("checkBatch", "malformed channel id", "POST", "/v1/check/batch", jsonObj{"checks": []jsonObj{chk, badChk}}, s422, vfailed, "body.checks[1].channelId"),
		bad("getEffectivePermissions", "malformed channel id", "GET", c+"/members/bob/permissions?explain=true&channelId=bad%20id", nil, s422, vfailed, "query.channelId"),
	}
}
