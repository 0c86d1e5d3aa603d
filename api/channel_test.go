package api_test

import (
	"bytes"
	"encoding/json"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chanRev returns the Roster-Revision header of a write, failing the test
// when it is not a positive revision.
func chanRev(t *testing.T, res Res) int {
	t.Helper()
	rev, err := strconv.Atoi(res.Header.Get("Roster-Revision"))
	if err != nil || rev < 1 {
		t.Fatalf("Roster-Revision: got %q, want a positive revision", res.Header.Get("Roster-Revision"))
	}
	return rev
}

// chanCheck is one check in channel news of community guild.
func chanCheck(user, perm string) map[string]any {
	return map[string]any{"communityId": "guild", "channelId": "news", "userId": user, "permission": perm}
}

// chanReason is a reason of an explained permission.
type chanReason struct {
	Kind     string `json:"kind"`
	RoleID   string `json:"roleId"`
	RoleName string `json:"roleName"`
	UserID   string `json:"userId"`
	Effect   string `json:"effect"`
}

// chanReasons returns the reasons listed for perm under member (explain or
// denied) of an effective-permissions answer; nil when it is not listed.
func chanReasons(t *testing.T, res Res, member, perm string) []chanReason {
	t.Helper()
	m, _ := res.JSON[member].(map[string]any)
	v, ok := m[perm]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(v)
	var out []chanReason
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s.%s: got %s, want a list of reasons", member, perm, b)
	}
	return out
}

// chanPerms returns the permissions member of an effective-permissions
// answer.
func chanPerms(res Res) []string {
	var out []string
	for _, p := range res.JSON["permissions"].([]any) {
		out = append(out, p.(string))
	}
	return out
}

// TestChannelWalkthrough sets overwrites in a channel (everyone denies
// SEND_MESSAGES, a role allows it back, a member is denied it again) and
// follows their effect on checks, explanations and the audit log.
func TestChannelWalkthrough(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		const c = "/v1/communities/guild"
		e.MustCommunity(t, "guild", "alice", "bob", "carol", "dave")
		speaker := e.MustRole(t, "guild", "Speaker", "MANAGE_POSTS")
		e.MustGrant(t, "guild", "carol", speaker)
		e.MustGrant(t, "guild", "dave", speaker)
		everyoneID := e.Must(t, http.StatusOK, "GET", c+"/roles/everyone", nil).Str("id")

		// Create the channel, again (no change), then rename it.
		res := e.Must(t, http.StatusCreated, "PUT", c+"/channels/news", map[string]any{"name": "News"})
		created := chanRev(t, res)
		if res.Str("id") != "news" || res.Str("name") != "News" || res.Str("communityId") != "guild" {
			t.Fatalf("PUT channel: got %s, want channel news named News in guild", res.Raw)
		}
		if ows, _ := res.JSON["overwrites"].([]any); ows == nil || len(ows) != 0 {
			t.Errorf("overwrites of a new channel: got %v, want []", res.JSON["overwrites"])
		}
		res = e.Must(t, http.StatusOK, "PUT", c+"/channels/news", map[string]any{"name": "News"})
		if got := chanRev(t, res); got != created || int(e.Revision(t)) != created {
			t.Errorf("PUT the same channel again: got revision %d (log at %d), want %d unchanged", got, e.Revision(t), created)
		}
		res = e.Must(t, http.StatusOK, "PUT", c+"/channels/news", map[string]any{"name": "Announcements"})
		if got := chanRev(t, res); got <= created || res.Str("name") != "Announcements" {
			t.Errorf("rename: got revision %d and %s, want above %d and the new name", got, res.Raw, created)
		}
		e.Must(t, http.StatusCreated, "PUT", c+"/channels/general", nil)
		list := e.Must(t, http.StatusOK, "GET", c+"/channels", nil).Items()
		if len(list) != 2 || list[0]["id"] != "general" || list[1]["id"] != "news" {
			t.Fatalf("GET channels: got %v, want general then news", list)
		}
		page := e.Must(t, http.StatusOK, "GET", c+"/channels?limit=1", nil)
		if items := page.Items(); len(items) != 1 || items[0]["id"] != "general" || page.Str("nextCursor") == "" {
			t.Fatalf("GET channels?limit=1: got %s, want general and a nextCursor", page.Raw)
		}
		page = e.Must(t, http.StatusOK, "GET", c+"/channels?limit=1&cursor="+page.Str("nextCursor"), nil)
		if items := page.Items(); len(items) != 1 || items[0]["id"] != "news" || page.Str("nextCursor") != "" {
			t.Fatalf("second page: got %s, want news and no nextCursor", page.Raw)
		}

		// Everyone is denied SEND_MESSAGES, Speaker allowed it, dave denied it.
		ow := c + "/channels/news/overwrites"
		res = e.Must(t, http.StatusOK, "PUT", ow+"/roles/everyone", map[string]any{"deny": []string{"SEND_MESSAGES"}})
		if res.Str("channelId") != "news" || res.Str("type") != "role" || res.Str("id") != everyoneID {
			t.Errorf("everyone's overwrite: got %s, want channel news, type role, id %s (the alias resolved)", res.Raw, everyoneID)
		}
		if got, _ := json.Marshal(res.JSON["allow"]); string(got) != "[]" {
			t.Errorf("allow of a deny-only overwrite: got %s, want []", got)
		}
		rev1 := chanRev(t, res)
		res = e.Must(t, http.StatusOK, "PUT", ow+"/roles/"+speaker, map[string]any{"allow": []string{"SEND_MESSAGES", "SEND_MESSAGES"}, "deny": []string{}})
		if got, _ := json.Marshal(res.JSON["allow"]); string(got) != `["SEND_MESSAGES"]` {
			t.Errorf("allow with a duplicate: got %s, want [\"SEND_MESSAGES\"]", got)
		}
		rev2 := chanRev(t, res)
		res = e.Must(t, http.StatusOK, "PUT", ow+"/members/dave", map[string]any{"deny": []string{"SEND_MESSAGES"}})
		if res.Str("type") != "member" || res.Str("id") != "dave" {
			t.Errorf("dave's overwrite: got %s, want type member, id dave", res.Raw)
		}
		rev3 := chanRev(t, res)
		if !(created < rev1 && rev1 < rev2 && rev2 < rev3) {
			t.Errorf("revisions: got %d, %d, %d after %d, want strictly increasing", rev1, rev2, rev3, created)
		}
		// Setting the same overwrite again changes nothing.
		if got := chanRev(t, e.Must(t, http.StatusOK, "PUT", ow+"/members/dave", map[string]any{"deny": []string{"SEND_MESSAGES"}})); got != rev3 || int(e.Revision(t)) != rev3 {
			t.Errorf("same overwrite again: got revision %d, want %d unchanged", got, rev3)
		}
		ch := e.Must(t, http.StatusOK, "GET", c+"/channels/news", nil)
		var got []string
		for _, o := range ch.JSON["overwrites"].([]any) {
			m := o.(map[string]any)
			got = append(got, m["type"].(string)+":"+m["id"].(string))
		}
		if want := []string{"role:" + everyoneID, "role:" + speaker, "member:dave"}; !slices.Equal(got, want) {
			t.Errorf("channel overwrites: got %v, want %v (roles bottom to top, then members)", got, want)
		}

		// Checks in the channel, one by one and in a batch, at rev3 or later.
		var batch []map[string]any
		for _, tc := range []struct {
			user string
			want bool
		}{{"alice", true}, {"bob", false}, {"carol", true}, {"dave", false}, {"erin", false}} {
			body := chanCheck(tc.user, "SEND_MESSAGES")
			batch = append(batch, body)
			res := e.Must(t, http.StatusOK, "POST", "/v1/check", body)
			if res.JSON["allowed"] != tc.want {
				t.Errorf("check %s SEND_MESSAGES in news: got %v, want %v", tc.user, res.JSON["allowed"], tc.want)
			}
			if rev := int(res.JSON["revision"].(float64)); rev < rev3 {
				t.Errorf("check revision: got %d, want at least %d", rev, rev3)
			}
			outside := e.Must(t, http.StatusOK, "POST", "/v1/check", map[string]any{"communityId": "guild", "userId": tc.user, "permission": "SEND_MESSAGES"})
			if want := tc.user != "erin"; outside.JSON["allowed"] != want {
				t.Errorf("check %s SEND_MESSAGES without a channel: got %v, want %v", tc.user, outside.JSON["allowed"], want)
			}
		}
		// The overwrites touch only the key they name.
		batch = append(batch, chanCheck("bob", "VIEW_CHANNEL"), chanCheck("dave", "MANAGE_POSTS"))
		res = e.Must(t, http.StatusOK, "POST", "/v1/check/batch", map[string]any{"checks": batch, "minRevision": rev3})
		var results []bool
		for _, r := range res.JSON["results"].([]any) {
			results = append(results, r.(map[string]any)["allowed"].(bool))
		}
		if want := []bool{true, false, true, false, false, true, true}; !slices.Equal(results, want) {
			t.Errorf("batch results: got %v, want %v", results, want)
		}
		if rev := int(res.JSON["revision"].(float64)); rev < rev3 {
			t.Errorf("batch revision: got %d, want at least %d", rev, rev3)
		}

		// Why: bob is refused by everyone's deny, carol allowed by Speaker's
		// allow, dave refused by his own deny.
		perms := func(user string, query string) Res {
			return e.Must(t, http.StatusOK, "GET", c+"/members/"+user+"/permissions"+query, nil)
		}
		bob := perms("bob", "?explain=true&channelId=news")
		if bob.Str("channelId") != "news" || slices.Contains(chanPerms(bob), "SEND_MESSAGES") || !slices.Contains(chanPerms(bob), "VIEW_CHANNEL") {
			t.Errorf("bob in news: got %s, want channelId news, VIEW_CHANNEL and no SEND_MESSAGES", bob.Raw)
		}
		if got, want := chanReasons(t, bob, "denied", "SEND_MESSAGES"), []chanReason{{Kind: "overwrite", RoleID: everyoneID, RoleName: "everyone", Effect: "deny"}}; !slices.Equal(got, want) {
			t.Errorf("bob denied SEND_MESSAGES: got %+v, want %+v", got, want)
		}
		if got := chanReasons(t, bob, "explain", "SEND_MESSAGES"); got != nil {
			t.Errorf("bob explain SEND_MESSAGES: got %+v, want none (not held)", got)
		}
		carol := perms("carol", "?explain=true&channelId=news")
		if got, want := chanReasons(t, carol, "explain", "SEND_MESSAGES"), []chanReason{{Kind: "overwrite", RoleID: speaker, RoleName: "Speaker", Effect: "allow"}}; !slices.Equal(got, want) {
			t.Errorf("carol explain SEND_MESSAGES: got %+v, want %+v", got, want)
		}
		if got := chanReasons(t, carol, "denied", "SEND_MESSAGES"); got != nil {
			t.Errorf("carol denied SEND_MESSAGES: got %+v, want none (allowed back)", got)
		}
		if got := chanReasons(t, carol, "explain", "MANAGE_POSTS"); len(got) != 1 || got[0].Kind != "role" || got[0].RoleID != speaker {
			t.Errorf("carol explain MANAGE_POSTS: got %+v, want the role Speaker", got)
		}
		dave := perms("dave", "?explain=true&channelId=news")
		if got, want := chanReasons(t, dave, "denied", "SEND_MESSAGES"), []chanReason{{Kind: "overwrite", UserID: "dave", Effect: "deny"}}; !slices.Equal(got, want) {
			t.Errorf("dave denied SEND_MESSAGES: got %+v, want %+v", got, want)
		}
		if alice := perms("alice", "?explain=true&channelId=news"); !slices.Contains(chanPerms(alice), "SEND_MESSAGES") || alice.JSON["administrator"] != true {
			t.Errorf("alice (owner) in news: got %s, want every permission", alice.Raw)
		}
		plain := perms("bob", "?channelId=news")
		if _, ok := plain.JSON["explain"]; ok || plain.JSON["denied"] != nil {
			t.Errorf("without explain: got %s, want no explain and no denied", plain.Raw)
		}
		noChan := perms("bob", "?explain=true")
		if _, ok := noChan.JSON["channelId"]; ok || !slices.Contains(chanPerms(noChan), "SEND_MESSAGES") || len(chanReasons(t, noChan, "denied", "SEND_MESSAGES")) != 0 {
			t.Errorf("bob without a channel: got %s, want SEND_MESSAGES held and nothing denied", noChan.Raw)
		}

		// The audit log lists the three overwrites, oldest first.
		events := e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=guild&action=channel.overwrite_set", nil).Items()
		var evRevs []int
		for _, ev := range events {
			evRevs = append(evRevs, int(ev["revision"].(float64)))
			if ev["targetType"] != "channel" || ev["targetId"] != "news" || ev["before"] != nil {
				t.Errorf("overwrite_set event: got %v, want target channel news and no before", ev)
			}
		}
		if want := []int{rev1, rev2, rev3}; !slices.Equal(evRevs, want) {
			t.Errorf("channel.overwrite_set revisions: got %v, want %v", evRevs, want)
		}
		for action, n := range map[string]int{"channel.created": 2, "channel.updated": 1} {
			if got := len(e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=guild&action="+action, nil).Items()); got != n {
				t.Errorf("%s events: got %d, want %d", action, got, n)
			}
		}

		// Changing an overwrite records before and after.
		res = e.Must(t, http.StatusOK, "PUT", ow+"/members/dave", map[string]any{"deny": []string{"SEND_MESSAGES", "ADD_REACTIONS"}})
		last := e.Must(t, http.StatusOK, "GET", "/v1/audit?action=channel.overwrite_set&order=desc&limit=1", nil).Items()
		if len(last) != 1 || int(last[0]["revision"].(float64)) != chanRev(t, res) || last[0]["before"] == nil || last[0]["after"] == nil {
			t.Errorf("newest overwrite_set: got %v, want revision %s with before and after", last, res.Header.Get("Roster-Revision"))
		}

		// Removing dave's overwrite lets him speak; the answer at that revision
		// is at once fresh.
		res = e.Must(t, http.StatusNoContent, "DELETE", ow+"/members/dave", nil)
		del := chanRev(t, res)
		start := time.Now()
		res = e.Must(t, http.StatusOK, "POST", "/v1/check", map[string]any{"communityId": "guild", "channelId": "news", "userId": "dave", "permission": "SEND_MESSAGES", "minRevision": del})
		if took := time.Since(start); took > time.Second {
			t.Errorf("check at minRevision %d (just written): took %v, want no wait", del, took)
		}
		if res.JSON["allowed"] != true || int(res.JSON["revision"].(float64)) < del {
			t.Errorf("dave after his overwrite went: got %s, want allowed at revision %d or later", res.Raw, del)
		}
		if evs := e.Must(t, http.StatusOK, "GET", "/v1/audit?action=channel.overwrite_deleted", nil).Items(); len(evs) != 1 || evs[0]["after"] != nil {
			t.Errorf("channel.overwrite_deleted events: got %v, want one, with no after", evs)
		}

		// Deleting the channel removes it and its overwrites.
		res = e.Must(t, http.StatusNoContent, "DELETE", c+"/channels/news", nil)
		gone := chanRev(t, res)
		if items := e.Must(t, http.StatusOK, "GET", c+"/channels", nil).Items(); len(items) != 1 || items[0]["id"] != "general" {
			t.Errorf("channels after the delete: got %v, want only general", items)
		}
		if evs := e.Must(t, http.StatusOK, "GET", "/v1/audit?action=channel.deleted", nil).Items(); len(evs) != 1 || int(evs[0]["revision"].(float64)) != gone {
			t.Errorf("channel.deleted events: got %v, want one at revision %d", evs, gone)
		}
		// A channel of the same id starts again without overwrites.
		res = e.Must(t, http.StatusCreated, "PUT", c+"/channels/news", nil)
		if ows, _ := res.JSON["overwrites"].([]any); len(ows) != 0 {
			t.Errorf("overwrites of the recreated channel: got %v, want none", ows)
		}
		res = e.Must(t, http.StatusOK, "POST", "/v1/check", chanCheck("bob", "SEND_MESSAGES"))
		if res.JSON["allowed"] != true {
			t.Errorf("bob in the recreated channel: got %s, want allowed", res.Raw)
		}
	})
}

// TestCheckMinRevisionNotReady checks that a check asking for a revision
// far ahead of the log answers 503 revision_not_ready after a bounded wait
// (the index's, 200 ms here rather than the default 2 s).
func TestCheckMinRevisionNotReady(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnvWait(t, eng, 200*time.Millisecond)
		e.MustCommunity(t, "guild", "alice")
		e.Must(t, http.StatusCreated, "PUT", "/v1/communities/guild/channels/news", nil)
		for _, tc := range []struct {
			name, path string
			body       map[string]any
		}{
			{"check", "/v1/check", map[string]any{"communityId": "guild", "channelId": "news", "userId": "alice", "permission": "SEND_MESSAGES", "minRevision": 1 << 40}},
			{"batch", "/v1/check/batch", map[string]any{"checks": []map[string]any{{"communityId": "guild", "userId": "alice", "permission": "SEND_MESSAGES"}}, "minRevision": 1 << 40}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				res := e.Do(t, "POST", tc.path, tc.body)
				took := time.Since(start)
				wantProblem(t, res, http.StatusServiceUnavailable, "revision_not_ready", nil)
				if took < 200*time.Millisecond || took >= 2*time.Second {
					t.Errorf("took %v, want the index's wait of 200 ms (not the default 2 s)", took)
				}
			})
		}
	})
}

// chanGuardFix builds the world of the channel guard cases.
//
// Community c is owned by own. Its roles, bottom to top: everyone (0), low
// (1, no permissions), chmod (2, MANAGE_CHANNELS and SEND_MESSAGES), high (3,
// BAN_MEMBERS), admin (4). chu holds chmod, plain holds low, adm holds admin,
// padmin holds nothing in c but is a platform administrator. Channel news
// has low's overwrite allowing BAN_MEMBERS and plain's denying
// ADD_REACTIONS; channel chat has low's and high's overwrites denying
// SEND_MESSAGES and plain's denying MUTE_MEMBERS.
// Community other has no owner. Keys: act (write, actAs), read (read,
// actAs), check (check) and other (admin, restricted to other).
func chanGuardFix(t *testing.T, eng sqltest.Engine) (*Env, map[string]string) {
	t.Helper()
	e := MustEnv(t, eng)
	v := map[string]string{
		"act":   e.MustKey(t, map[string]any{"name": "act", "scopes": []string{"write"}, "actAs": true}),
		"read":  e.MustKey(t, map[string]any{"name": "read", "scopes": []string{"read"}, "actAs": true}),
		"check": e.MustKey(t, map[string]any{"name": "check", "scopes": []string{"check"}}),
	}
	e.MustCommunity(t, "c", "own", "chu", "plain", "adm", "padmin")
	e.MustCommunity(t, "other", "")
	v["other"] = e.MustKey(t, map[string]any{"name": "other", "scopes": []string{"admin"}, "communityId": "other"})
	v["high"] = e.MustRole(t, "c", "high", "BAN_MEMBERS")
	v["chmod"] = e.MustRole(t, "c", "chmod", "MANAGE_CHANNELS", "SEND_MESSAGES")
	v["low"] = e.MustRole(t, "c", "low")
	e.MustGrant(t, "c", "chu", v["chmod"])
	e.MustGrant(t, "c", "plain", v["low"])
	e.MustGrant(t, "c", "adm", "admin")
	e.Must(t, http.StatusOK, "PUT", "/v1/platform/users/padmin/roles/admin", nil)
	const ch = "/v1/communities/c/channels/"
	e.Must(t, http.StatusCreated, "PUT", ch+"news", nil)
	e.Must(t, http.StatusCreated, "PUT", ch+"chat", nil)
	e.Must(t, http.StatusOK, "PUT", ch+"news/overwrites/roles/"+v["low"], map[string]any{"allow": []string{"BAN_MEMBERS"}})
	e.Must(t, http.StatusOK, "PUT", ch+"chat/overwrites/roles/"+v["low"], map[string]any{"deny": []string{"SEND_MESSAGES"}})
	e.Must(t, http.StatusOK, "PUT", ch+"chat/overwrites/roles/"+v["high"], map[string]any{"deny": []string{"SEND_MESSAGES"}})
	e.Must(t, http.StatusOK, "PUT", ch+"chat/overwrites/members/plain", map[string]any{"deny": []string{"MUTE_MEMBERS"}})
	e.Must(t, http.StatusOK, "PUT", ch+"news/overwrites/members/plain", map[string]any{"deny": []string{"ADD_REACTIONS"}})
	return e, v
}

// TestChannelGuards runs the guards of channels and overwrites over HTTP.
func TestChannelGuards(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		const (
			ch                     = "/v1/communities/c/channels/"
			news, chat             = ch + "news/overwrites/", ch + "chat/overwrites/"
			forbidden, ok, created = http.StatusForbidden, http.StatusOK, http.StatusCreated
			gone, notFound         = http.StatusNoContent, http.StatusNotFound
			missing, hier, grant   = "missing_permission", "role_hierarchy", "cannot_grant_permission"
		)
		shared, sharedVars := chanGuardFix(t, eng)
		world := shared.Snapshot(t)
		shared = MustEnvFrom(t, world)
		allow := func(keys ...string) map[string]any { return map[string]any{"allow": keys} }
		deny := func(keys ...string) map[string]any { return map[string]any{"deny": keys} }
		for _, tc := range []struct {
			name string
			// as is the acting user (with key act); key names another key of
			// the fixture, or "none".
			as, key      string
			method, path string
			body         any
			status       int
			code, perm   string
			noop         bool
		}{
			{name: "missing_permission/create channel", as: "plain", method: "PUT", path: ch + "new", status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},
			{name: "missing_permission/rename channel", as: "plain", method: "PUT", path: ch + "news", body: map[string]any{"name": "x"}, status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},
			{name: "missing_permission/delete channel", as: "plain", method: "DELETE", path: ch + "news", status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},
			{name: "missing_permission/set role overwrite", as: "plain", method: "PUT", path: news + "roles/everyone", body: deny("SEND_MESSAGES"), status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},
			{name: "missing_permission/delete role overwrite", as: "plain", method: "DELETE", path: chat + "roles/{low}", status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},
			{name: "missing_permission/set member overwrite", as: "plain", method: "PUT", path: news + "members/plain", body: allow("SEND_MESSAGES"), status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},
			{name: "missing_permission/delete member overwrite", as: "plain", method: "DELETE", path: chat + "members/plain", status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},
			{name: "missing_permission/before role_hierarchy", as: "plain", method: "PUT", path: news + "roles/{high}", body: deny("SEND_MESSAGES"), status: forbidden, code: missing, perm: "MANAGE_CHANNELS"},

			{name: "role_hierarchy/own top role", as: "chu", method: "PUT", path: news + "roles/{chmod}", body: deny("SEND_MESSAGES"), status: forbidden, code: hier},
			{name: "role_hierarchy/role above", as: "chu", method: "PUT", path: news + "roles/{high}", body: deny("SEND_MESSAGES"), status: forbidden, code: hier},
			{name: "role_hierarchy/admin", as: "chu", method: "PUT", path: news + "roles/admin", body: deny("SEND_MESSAGES"), status: forbidden, code: hier},
			{name: "role_hierarchy/delete overwrite of a role above", as: "chu", method: "DELETE", path: chat + "roles/{high}", status: forbidden, code: hier},
			{name: "role_hierarchy/before cannot_grant_permission", as: "chu", method: "PUT", path: news + "roles/{high}", body: allow("BAN_MEMBERS"), status: forbidden, code: hier},
			{name: "role_hierarchy/community ADMINISTRATOR on admin", as: "adm", method: "PUT", path: news + "roles/admin", body: deny("SEND_MESSAGES"), status: forbidden, code: hier},
			{name: "role_hierarchy/allowed/role below", as: "chu", method: "PUT", path: chat + "roles/{low}", body: deny("SEND_MESSAGES", "ADD_REACTIONS"), status: ok},
			{name: "role_hierarchy/allowed/everyone", as: "chu", method: "PUT", path: news + "roles/everyone", body: deny("SEND_MESSAGES"), status: ok},
			{name: "role_hierarchy/allowed/delete overwrite of a role below", as: "chu", method: "DELETE", path: chat + "roles/{low}", status: gone},

			{name: "cannot_grant_permission/allow", as: "chu", method: "PUT", path: news + "roles/everyone", body: allow("BAN_MEMBERS"), status: forbidden, code: grant, perm: "BAN_MEMBERS"},
			{name: "cannot_grant_permission/deny", as: "chu", method: "PUT", path: news + "roles/everyone", body: deny("SEND_MESSAGES", "BAN_MEMBERS"), status: forbidden, code: grant, perm: "BAN_MEMBERS"},
			{name: "cannot_grant_permission/member overwrite", as: "chu", method: "PUT", path: news + "members/plain", body: allow("MUTE_MEMBERS"), status: forbidden, code: grant, perm: "MUTE_MEMBERS"},
			{name: "cannot_grant_permission/replace an overwrite naming it", as: "chu", method: "PUT", path: news + "roles/{low}", body: deny("SEND_MESSAGES"), status: forbidden, code: grant, perm: "BAN_MEMBERS"},
			{name: "cannot_grant_permission/delete an overwrite naming it", as: "chu", method: "DELETE", path: news + "roles/{low}", status: forbidden, code: grant, perm: "BAN_MEMBERS"},
			{name: "cannot_grant_permission/delete a member overwrite naming it", as: "chu", method: "DELETE", path: chat + "members/plain", status: forbidden, code: grant, perm: "MUTE_MEMBERS"},
			{name: "cannot_grant_permission/allowed/replace a member overwrite", as: "chu", method: "PUT", path: news + "members/plain", body: allow("SEND_MESSAGES"), status: ok},
			{name: "allowed/create channel", as: "chu", method: "PUT", path: ch + "new", body: map[string]any{"name": "New"}, status: created},
			{name: "allowed/delete channel", as: "chu", method: "DELETE", path: ch + "chat", status: gone},
			{name: "allowed/delete member overwrite", as: "chu", method: "DELETE", path: news + "members/plain", status: gone},

			{name: "bypass/owner on admin", as: "own", method: "PUT", path: news + "roles/admin", body: allow("BAN_MEMBERS", "MUTE_MEMBERS"), status: ok},
			{name: "bypass/owner deletes an overwrite", as: "own", method: "DELETE", path: news + "roles/{low}", status: gone},
			{name: "bypass/owner deletes a channel", as: "own", method: "DELETE", path: ch + "news", status: gone},
			{name: "bypass/platform administrator on admin", as: "padmin", method: "PUT", path: news + "roles/admin", body: deny("MUTE_MEMBERS"), status: ok},
			{name: "bypass/community ADMINISTRATOR below admin", as: "adm", method: "PUT", path: news + "roles/{high}", body: allow("MUTE_MEMBERS"), status: ok},
			{name: "noop/same overwrite again", method: "PUT", path: news + "roles/{low}", body: allow("BAN_MEMBERS"), status: ok, noop: true},

			{name: "not found/role before missing_permission", as: "plain", method: "PUT", path: news + "roles/nope", body: deny("SEND_MESSAGES"), status: notFound, code: "role_not_found"},
			{name: "not found/member before missing_permission", as: "plain", method: "PUT", path: news + "members/zed", body: deny("SEND_MESSAGES"), status: notFound, code: "member_not_found"},
			{name: "not found/community before missing_permission", as: "plain", method: "PUT", path: "/v1/communities/nope/channels/x", status: notFound, code: "community_not_found"},

			{name: "scope/no key", key: "none", method: "PUT", path: ch + "new", status: http.StatusUnauthorized, code: "unauthenticated"},
			{name: "scope/read key creates a channel", key: "read", method: "PUT", path: ch + "new", status: forbidden, code: "insufficient_scope"},
			{name: "scope/read key acting as the owner", key: "read", as: "own", method: "PUT", path: news + "roles/everyone", body: deny("SEND_MESSAGES"), status: forbidden, code: "insufficient_scope"},
			{name: "scope/read key deletes a channel", key: "read", method: "DELETE", path: ch + "news", status: forbidden, code: "insufficient_scope"},
			{name: "scope/read key reads", key: "read", method: "GET", path: ch + "news", status: ok, noop: true},
			{name: "scope/check key lists", key: "check", method: "GET", path: "/v1/communities/c/channels", status: forbidden, code: "insufficient_scope"},
			{name: "scope/check key checks in a channel", key: "check", method: "POST", path: "/v1/check",
				body: map[string]any{"communityId": "c", "channelId": "chat", "userId": "plain", "permission": "SEND_MESSAGES"}, status: ok, noop: true},
			{name: "scope/restricted key creates a channel", key: "other", method: "PUT", path: ch + "new", status: notFound, code: "community_not_found"},
			{name: "scope/restricted key sets an overwrite", key: "other", method: "PUT", path: news + "roles/everyone", body: deny("SEND_MESSAGES"), status: notFound, code: "community_not_found"},
			{name: "scope/restricted key deletes an overwrite", key: "other", method: "DELETE", path: chat + "members/plain", status: notFound, code: "community_not_found"},
			{name: "scope/restricted key lists", key: "other", method: "GET", path: "/v1/communities/c/channels", status: notFound, code: "community_not_found"},
			{name: "scope/restricted key checks in a channel", key: "other", method: "POST", path: "/v1/check",
				body: map[string]any{"communityId": "c", "channelId": "chat", "userId": "plain", "permission": "SEND_MESSAGES"}, status: notFound, code: "community_not_found"},
			{name: "scope/restricted key in its own community", key: "other", method: "PUT", path: "/v1/communities/other/channels/x", status: created},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// A refusal changes nothing (checked below), so the refusals
				// share one world; each change gets its own copy.
				e, v := shared, sharedVars
				if tc.code == "" && !tc.noop {
					t.Parallel()
					e = MustEnvFrom(t, world)
				}
				expand := func(s string) string {
					for k, id := range v {
						s = strings.ReplaceAll(s, "{"+k+"}", id)
					}
					return s
				}
				req := Req{ActAs: tc.as}
				switch {
				case tc.key == "none":
					req.Key = "-"
				case tc.key != "":
					req.Key = v[tc.key]
				case tc.as != "":
					req.Key = v["act"]
				}
				if tc.body != nil {
					b, _ := json.Marshal(tc.body)
					req.RawBody = expand(string(b))
				}
				before := e.Revision(t)
				res := e.Do(t, tc.method, expand(tc.path), nil, req)
				after := e.Revision(t)
				if res.Status != tc.status || res.Code() != tc.code {
					t.Fatalf("got %d %q, want %d %q: %s", res.Status, res.Code(), tc.status, tc.code, res.Raw)
				}
				if tc.perm != "" && res.Str("permission") != tc.perm {
					t.Errorf("problem permission: got %q, want %q", res.Str("permission"), tc.perm)
				}
				switch {
				case tc.code != "" || tc.noop:
					if after != before {
						t.Errorf("revision: got %d, want %d (unchanged)", after, before)
					}
				case after <= before:
					t.Errorf("revision: got %d after the change, want above %d", after, before)
				case res.Header.Get("Roster-Revision") != strconv.Itoa(int(after)):
					t.Errorf("Roster-Revision: got %q, want %d", res.Header.Get("Roster-Revision"), after)
				case tc.as != "":
					ev := e.Must(t, ok, "GET", "/v1/audit?order=desc&limit=1", nil).Items()
					if actor, _ := ev[0]["actor"].(map[string]any); actor["userId"] != tc.as {
						t.Errorf("audit actor: got %v, want user %s", ev[0]["actor"], tc.as)
					}
				}
			})
		}
	})
}

// TestChannelBadInput sends the bad requests that need a channel to exist
// (the bad-input table's fixture has none), and the 404s of unknown
// channels and overwrites, which come before missing_permission.
func TestChannelBadInput(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "guild", "alice", "bob")
		e.MustCommunity(t, "other", "", "bob")
		e.Must(t, http.StatusCreated, "PUT", "/v1/communities/guild/channels/news", nil)
		e.Must(t, http.StatusOK, "PUT", "/v1/communities/guild/channels/news/overwrites/members/bob", map[string]any{"deny": []string{"ADD_REACTIONS"}})
		asBob := Req{Key: e.MustKey(t, map[string]any{"name": "act", "scopes": []string{"write"}, "actAs": true}), ActAs: "bob"}
		const c, ch, nf = "/v1/communities/guild", "/v1/communities/guild/channels/", http.StatusNotFound
		ow, nope := ch+"news/overwrites/", ch+"nope/overwrites/"
		deny := jsonObj{"deny": []string{"SEND_MESSAGES"}}
		check := func(community, channel string) jsonObj {
			return jsonObj{"communityId": community, "channelId": channel, "userId": "bob", "permission": "SEND_MESSAGES"}
		}
		for _, tc := range []badCase{
			bad("setRoleOverwrite", "unregistered key allowed", "PUT", ow+"roles/everyone", jsonObj{"allow": []string{"SEND_MESSAGES", "ZZ_NOPE"}}, s422, vfailed, "body.allow[1]").rereads(ch + "news"),
			bad("setRoleOverwrite", "unregistered key denied", "PUT", ow+"roles/everyone", jsonObj{"allow": []string{"VIEW_CHANNEL"}, "deny": []string{"ZZ_NOPE"}}, s422, vfailed, "body.deny[0]").rereads(ch + "news"),
			bad("setMemberOverwrite", "unregistered key replacing", "PUT", ow+"members/bob", jsonObj{"deny": []string{"ZZ_NOPE"}}, s422, vfailed, "body.deny[0]").rereads(ch + "news"),
			bad("setRoleOverwrite", "unknown role", "PUT", ow+"roles/nope", deny, nf, "role_not_found").rereads(ch + "news"),
			bad("setRoleOverwrite", "unknown role before missing_permission", "PUT", ow+"roles/nope", deny, nf, "role_not_found").with(asBob),
			bad("setMemberOverwrite", "not a member", "PUT", ow+"members/zed", deny, nf, "member_not_found").rereads(ch + "news"),
			bad("deleteRoleOverwrite", "unknown role", "DELETE", ow+"roles/nope", nil, nf, "role_not_found"),
			bad("getChannel", "unknown channel", "GET", ch+"nope", nil, nf, "channel_not_found"),
			bad("getChannel", "channel of another community", "GET", "/v1/communities/other/channels/news", nil, nf, "channel_not_found"),
			bad("deleteChannel", "unknown channel", "DELETE", ch+"nope", nil, nf, "channel_not_found"),
			bad("deleteChannel", "unknown channel before missing_permission", "DELETE", ch+"nope", nil, nf, "channel_not_found").with(asBob),
			bad("setRoleOverwrite", "unknown channel", "PUT", nope+"roles/everyone", deny, nf, "channel_not_found"),
			bad("setRoleOverwrite", "unknown channel before missing_permission", "PUT", nope+"roles/everyone", deny, nf, "channel_not_found").with(asBob),
			bad("deleteRoleOverwrite", "unknown channel", "DELETE", nope+"roles/everyone", nil, nf, "channel_not_found"),
			bad("setMemberOverwrite", "unknown channel", "PUT", nope+"members/bob", deny, nf, "channel_not_found"),
			bad("deleteMemberOverwrite", "unknown channel", "DELETE", nope+"members/bob", nil, nf, "channel_not_found"),
			bad("deleteRoleOverwrite", "overwrite not set", "DELETE", ow+"roles/everyone", nil, nf, "overwrite_not_found").rereads(ch + "news"),
			bad("deleteRoleOverwrite", "overwrite not set before missing_permission", "DELETE", ow+"roles/everyone", nil, nf, "overwrite_not_found").with(asBob),
			bad("deleteMemberOverwrite", "overwrite not set", "DELETE", ow+"members/alice", nil, nf, "overwrite_not_found"),
			bad("check", "unknown channel", "POST", "/v1/check", check("guild", "nope"), nf, "channel_not_found"),
			bad("check", "another community's channel", "POST", "/v1/check", check("other", "news"), nf, "channel_not_found"),
			bad("checkBatch", "unknown channel", "POST", "/v1/check/batch", jsonObj{"checks": []jsonObj{check("guild", "news"), check("guild", "nope")}}, nf, "channel_not_found"),
			bad("getEffectivePermissions", "unknown channel", "GET", c+"/members/bob/permissions?explain=true&channelId=nope", nil, nf, "channel_not_found"),
		} {
			t.Run(tc.name, func(t *testing.T) {
				var before Res
				if tc.reread != "" {
					before = e.Do(t, "GET", tc.reread, nil)
				}
				rev := e.Revision(t)
				res := e.Do(t, tc.method, tc.path, tc.body, tc.req)
				if got := e.Revision(t); got != rev {
					t.Errorf("revision: got %d, want %d (the refused request changed something)", got, rev)
				}
				if tc.reread != "" {
					if after := e.Do(t, "GET", tc.reread, nil); after.Status != before.Status || !bytes.Equal(after.Raw, before.Raw) {
						t.Errorf("GET %s: got %d %.300s, want it unchanged: %.300s", tc.reread, after.Status, after.Raw, before.Raw)
					}
				}
				wantProblem(t, res, tc.status, tc.code, tc.locs)
			})
		}
	})
}
