package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// badTextCases are texts no route may store: invalid UTF-8 and escaped
// lone surrogates in a body (400 invalid_json: JSON text is UTF-8, and
// the decoder would silently make U+FFFD of them), NUL characters where
// PostgreSQL would be asked to compare them, format characters that make
// one name look like another, and names that only look different.
func badTextCases(fx badFix) []badCase {
	const c, p = "/v1/communities/guild", "/v1/platform"
	role, prole := c+"/roles/"+fx.mod, p+"/roles/"+fx.plat
	raw := func(op, kind, method, path, body string) badCase {
		return bad(op, kind, method, path, nil, s400, "invalid_json", none...).with(Req{RawBody: body})
	}
	roleBody := func(name string) jsonObj { return jsonObj{"name": name, "permissions": []string{}} }
	return []badCase{
		raw("createRole", "name not UTF-8", "POST", c+"/roles", "{\"name\": \"Mod\xff\", \"permissions\": []}").rereads(c + "/roles"),
		raw("createRole", "name with a UTF-16 surrogate", "POST", c+"/roles", "{\"name\": \"Mod\xed\xa0\x80\", \"permissions\": []}"),
		raw("createRole", "description not UTF-8", "POST", c+"/roles", "{\"name\": \"New\", \"description\": \"caf\xe9\", \"permissions\": []}").rereads(c + "/roles"),
		raw("createRole", "name escaping a lone high surrogate", "POST", c+"/roles", `{"name": "Mod\ud800", "permissions": []}`).rereads(c + "/roles"),
		raw("createRole", "name escaping a lone low surrogate", "POST", c+"/roles", `{"name": "\udc00Mod", "permissions": []}`),
		raw("createRole", "high surrogate before a letter", "POST", c+"/roles", `{"name": "\uD83D\u0041", "permissions": []}`),
		raw("createRole", "two high surrogates", "POST", c+"/roles", `{"name": "\ud83d\ud83d", "permissions": []}`),
		raw("createRole", "unknown field not UTF-8", "POST", c+"/roles", "{\"name\": \"New\", \"permissions\": [], \"x\xff\": 1}"),
		raw("createRole", "body ends inside a character", "POST", c+"/roles", `{"name": "New", "permissions": []}`+"\xe2\x82"),
		raw("updateRole", "name not UTF-8", "PATCH", role, "{\"name\": \"Mo\xe9\"}").rereads(role),
		raw("updateRole", "description escaping a lone surrogate", "PATCH", role, `{"description": "\udfff"}`).rereads(role),
		raw("createPlatformRole", "name not UTF-8", "POST", p+"/roles", "{\"name\": \"\xc0\xaf\", \"permissions\": []}").rereads(p + "/roles"),
		raw("updatePlatformRole", "name not UTF-8", "PATCH", prole, "{\"name\": \"Sta\xf0\x9f\"}").rereads(prole),
		raw("createCommunity", "name not UTF-8", "POST", "/v1/communities", "{\"id\": \"newc\", \"name\": \"\xfe\"}").rereads("/v1/communities/newc"),
		raw("updateCommunity", "name not UTF-8", "PATCH", c, "{\"name\": \"G\xffuild\"}").rereads(c),
		raw("putUser", "displayName not UTF-8", "PUT", "/v1/users/bob", "{\"displayName\": \"B\xf6b\"}").rereads("/v1/users/bob"),
		raw("putUser", "metadata not UTF-8", "PUT", "/v1/users/bob", "{\"metadata\": {\"k\": \"\xff\"}}").rereads("/v1/users/bob"),
		raw("putUser", "metadata escaping a lone surrogate", "PUT", "/v1/users/bob", `{"metadata": {"k": "\ud800"}}`).rereads("/v1/users/bob"),
		raw("addMember", "displayName not UTF-8", "PUT", c+"/members/dave", "{\"displayName\": \"D\xe4ve\"}").rereads(c + "/members/dave"),
		raw("putChannel", "name not UTF-8", "PUT", c+"/channels/news", "{\"name\": \"N\x80ws\"}").rereads(c + "/channels"),
		raw("createPermission", "description not UTF-8", "POST", "/v1/permissions", "{\"key\": \"NEW_PERM\", \"description\": \"\xff\"}").rereads("/v1/permissions"),
		raw("createAPIKey", "name not UTF-8", "POST", "/v1/api-keys", "{\"name\": \"k\xff\", \"scopes\": [\"read\"]}").rereads("/v1/api-keys"),
		raw("check", "permission escaping a lone surrogate", "POST", "/v1/check", `{"userId": "bob", "permission": "\ud800"}`),
		raw("checkBatch", "userId not UTF-8", "POST", "/v1/check/batch", "{\"checks\": [{\"userId\": \"b\xffb\", \"permission\": \"VIEW_CHANNEL\"}]}"),
		bad("createRole", "not UTF-8 and no credentials", "POST", c+"/roles", nil, s401, "unauthenticated").with(Req{Key: "-", RawBody: "{\"name\": \"\xff\"}"}),
		bad("createRole", "not UTF-8 and text/plain", "POST", c+"/roles", nil, s415, "unsupported_media_type").
			with(Req{RawBody: "{\"name\": \"\xff\"}", Header: map[string]string{"Content-Type": "text/plain"}}),

		bad("createRole", "permission NUL", "POST", c+"/roles", jsonObj{"name": "New", "permissions": []string{"\u0000"}}, s422, vfailed, "body.permissions[0]").rereads(c + "/roles"),
		bad("createRole", "permission with a NUL", "POST", c+"/roles", jsonObj{"name": "New", "permissions": []string{"VIEW_CHANNEL", "VIEW\u0000"}}, s422, vfailed, "body.permissions[1]"),
		bad("updateRole", "permission NUL", "PATCH", role, jsonObj{"permissions": []string{"\u0000"}}, s422, vfailed, "body.permissions[0]").rereads(role),
		bad("createPlatformRole", "permission NUL", "POST", p+"/roles", jsonObj{"name": "New", "permissions": []string{"\u0000"}}, s422, vfailed, "body.permissions[0]").rereads(p + "/roles"),
		bad("updatePlatformRole", "permission NUL", "PATCH", prole, jsonObj{"permissions": []string{"MANAGE_POSTS", "\u0000"}}, s422, vfailed, "body.permissions[1]").rereads(prole),
		bad("listAuditEvents", "actor NUL", "GET", "/v1/audit?actor=%00", nil, s422, vfailed, "query.actor"),
		bad("listAuditEvents", "actor with a NUL", "GET", "/v1/audit?actor=bob%00", nil, s422, vfailed, "query.actor"),
		bad("listAuditEvents", "action NUL", "GET", "/v1/audit?action=%00", nil, s422, vfailed, "query.action"),
		bad("listAuditEvents", "target NUL", "GET", "/v1/audit?target=%00", nil, s422, vfailed, "query.target"),
		bad("listAuditEvents", "actor not UTF-8", "GET", "/v1/audit?actor=%FF", nil, s422, vfailed, "query.actor"),
		bad("listAuditEvents", "target not UTF-8", "GET", "/v1/audit?target=a%C3", nil, s422, vfailed, "query.target"),
		bad("listAuditEvents", "action 65 characters", "GET", "/v1/audit?action="+nChars(65), nil, s422, vfailed, "query.action"),
		bad("listAuditEvents", "target 129 characters", "GET", "/v1/audit?target="+nChars(129), nil, s422, vfailed, "query.target"),
		bad("listAuditEvents", "communityId NUL", "GET", "/v1/audit?communityId=%00", nil, s422, vfailed, "query.communityId"),
		bad("listAuditEvents", "since not a time", "GET", "/v1/audit?since=yesterday", nil, s422, vfailed, "query.since"),
		bad("listAuditEvents", "until not a time", "GET", "/v1/audit?until=2026-13-01T00:00:00Z", nil, s422, vfailed, "query.until"),
		bad("listMembers", "search NUL", "GET", c+"/members?search=%00", nil, s422, vfailed, "query.search"),
		bad("listMembers", "search not UTF-8", "GET", c+"/members?search=%FF", nil, s422, vfailed, "query.search"),
		bad("listMembers", "search 101 characters", "GET", c+"/members?search="+nChars(101), nil, s422, vfailed, "query.search"),
		bad("listCommunities", "search NUL", "GET", "/v1/communities?search=%00", nil, s422, vfailed, "query.search"),
		bad("listAuditEvents", "three bad filters", "GET", "/v1/audit?actor=%00&action=%FF&target=%00", nil, s422, vfailed, "query.actor", "query.action", "query.target"),

		bad("createRole", "name with a zero-width space", "POST", c+"/roles", roleBody("admin\u200b"), s422, vfailed, "body.name").rereads(c + "/roles"),
		bad("createRole", "name with a byte order mark", "POST", c+"/roles", roleBody("\ufeffMod"), s422, vfailed, "body.name"),
		bad("createRole", "name with a right-to-left override", "POST", c+"/roles", roleBody("Mod\u202e"), s422, vfailed, "body.name"),
		bad("createRole", "name with a bidi isolate", "POST", c+"/roles", roleBody("a\u2066b\u2069"), s422, vfailed, "body.name"),
		bad("createRole", "name with a soft hyphen", "POST", c+"/roles", roleBody("Mo\u00add"), s422, vfailed, "body.name"),
		bad("createRole", "name with a zero-width joiner", "POST", c+"/roles", roleBody("Mo\u200dd"), s422, vfailed, "body.name"),
		bad("createRole", "name only a filler", "POST", c+"/roles", roleBody("\u3164"), s422, vfailed, "body.name").rereads(c + "/roles"),
		bad("createRole", "name full-width MOD", "POST", c+"/roles", roleBody("ＭＯＤ"), s409, "role_name_taken").rereads(c + "/roles"),
		bad("createRole", "name modifier letters MOD", "POST", c+"/roles", roleBody("ᴹᴼᴰ"), s409, "role_name_taken"),
		bad("createRole", "name Mod with a variation selector", "POST", c+"/roles", roleBody("Mod\ufe0f"), s409, "role_name_taken"),
		bad("createRole", "name Mod with a filler", "POST", c+"/roles", roleBody("Mod\u3164"), s409, "role_name_taken"),
		bad("createRole", "name admin in full-width", "POST", c+"/roles", roleBody("ＡＤＭＩＮ"), s409, "role_name_taken"),
		bad("updateRole", "name with a zero-width space", "PATCH", role, jsonObj{"name": "Mod\u200b"}, s422, vfailed, "body.name").rereads(role),
		bad("updateRole", "name full-width admin", "PATCH", role, jsonObj{"name": "ａｄｍｉｎ"}, s409, "role_name_taken").rereads(role),
		bad("createPlatformRole", "name full-width STAFF", "POST", p+"/roles", roleBody("ＳＴＡＦＦ"), s409, "role_name_taken").rereads(p + "/roles"),
		bad("createPlatformRole", "name with a word joiner", "POST", p+"/roles", roleBody("Staff\u2060"), s422, vfailed, "body.name"),
		bad("updatePlatformRole", "name ADMIN in full-width", "PATCH", prole, jsonObj{"name": "ＡＤＭＩＮ"}, s409, "role_name_taken").rereads(prole),
		bad("createCommunity", "name with a zero-width space", "POST", "/v1/communities", jsonObj{"id": "newc", "name": "Guild\u200b"}, s422, vfailed, "body.name").rereads("/v1/communities/newc"),
		bad("updateCommunity", "name with a right-to-left override", "PATCH", c, jsonObj{"name": "\u202eGuild"}, s422, vfailed, "body.name").rereads(c),
		bad("putUser", "displayName with a zero-width space", "PUT", "/v1/users/bob", jsonObj{"displayName": "Bob\u200b"}, s422, vfailed, "body.displayName").rereads("/v1/users/bob"),
		bad("addMember", "displayName with a right-to-left override", "PUT", c+"/members/dave", jsonObj{"displayName": "\u202eevaD"}, s422, vfailed, "body.displayName").rereads(c + "/members/dave"),
		bad("putChannel", "name with a byte order mark", "PUT", c+"/channels/news", jsonObj{"name": "\ufeffnews"}, s422, vfailed, "body.name").rereads(c + "/channels"),
		bad("createAPIKey", "name with a zero-width space", "POST", "/v1/api-keys", jsonObj{"name": "k\u200b", "scopes": []string{"read"}}, s422, vfailed, "body.name").rereads("/v1/api-keys"),
	}
}

// TestTextAccepted checks what the refusals of badTextCases leave alone:
// characters beyond the BMP escaped as a surrogate pair, an escaped
// backslash before a u, accents, other scripts and emoji.
func TestTextAccepted(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		e := MustEnv(t, eng)
		e.MustCommunity(t, "guild", "alice")
		for _, tc := range []struct{ body, want string }{
			{`{"name": "\ud83d\ude00 Fans", "permissions": []}`, "😀 Fans"},
			{`{"name": "\uD83D\uDE00\uD83D\uDE00", "permissions": []}`, "😀😀"},
			{`{"name": "a\\ud800", "permissions": []}`, `a\ud800`},
			{`{"name": "a\\\ud83d\ude00", "permissions": []}`, `a\😀`},
			{`{"name": "Modérateur", "permissions": []}`, "Modérateur"},
			{`{"name": "モデレーター", "permissions": []}`, "モデレーター"},
			{`{"name": "` + strings.Repeat("é", 100) + `", "permissions": []}`, strings.Repeat("é", 100)},
			{`{"name": "\u00e9t\u00e9", "permissions": [], "description": "` + strings.Repeat("\U0001F600", 300) + `"}`, "été"},
		} {
			res := e.Must(t, http.StatusCreated, "POST", "/v1/communities/guild/roles", nil, Req{RawBody: tc.body})
			if got := res.Str("name"); got != tc.want {
				t.Errorf("%s: name: got %q, want %q", tc.body, got, tc.want)
			}
		}
	})
}
