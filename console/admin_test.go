package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

var shownSecret = regexp.MustCompile(`id="new-secret" readonly value="([^"]+)"`)

func TestConsoleKeysAndWebhooks(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	b, csrf := signIn(t, srv, admin)
	if _, body := b.do("GET", "/console/", nil); !strings.Contains(body, `href="/console/keys"`) {
		t.Errorf("an admin's header: want the keys link\n%s", body)
	}

	// A key's secret is shown once, and works.
	resp, body := b.do("POST", "/console/keys", url.Values{"csrf": {csrf}, "name": {"bot"}, "scope": {"read", "check"}, "communityId": {"guild"}})
	m := shownSecret.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("create a key: got %d\n%s", resp.StatusCode, body)
	}
	k, err := db.Authenticate(sys, m[1])
	if err != nil || k.Name != "bot" || k.CommunityID == nil || *k.CommunityID != "guild" {
		t.Fatalf("the new key: got %+v, %v", k, err)
	}
	if _, body := b.do("GET", "/console/keys", nil); strings.Contains(body, m[1]) || !strings.Contains(body, "<code>"+k.ID+"</code>") {
		t.Errorf("the keys page after: want the key listed without its secret")
	}
	if resp, body := b.do("POST", "/console/keys", url.Values{"csrf": {csrf}, "name": {"nothing"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) || !strings.Contains(body, `value="nothing"`) {
		t.Errorf("a key without scopes: got %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.do("POST", "/console/keys/"+k.ID+"/revoke", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: got %d", resp.StatusCode)
	}
	if _, err := db.Authenticate(sys, m[1]); err == nil {
		t.Errorf("the revoked key still authenticates")
	}

	// A webhook: created with its secret shown once, disabled, rotated, deleted.
	resp, body = b.do("POST", "/console/webhooks", url.Values{"csrf": {csrf}, "url": {"https://hooks.example.com/roster"}, "events": {"member. role.updated"}, "communityId": {"guild"}})
	m = shownSecret.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil || !strings.HasPrefix(m[1], "whsec_") {
		t.Fatalf("create a webhook: got %d\n%s", resp.StatusCode, body)
	}
	hooks, _, _ := db.ListWebhooks(sys, roster.Page{})
	if len(hooks) != 1 || len(hooks[0].Events) != 2 || !hooks[0].Enabled {
		t.Fatalf("the webhooks: got %+v", hooks)
	}
	path := "/console/webhooks/" + hooks[0].ID
	if resp, _ := b.do("POST", path, url.Values{"csrf": {csrf}, "action": {"disable"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("disable: got %d", resp.StatusCode)
	}
	if h, _ := db.GetWebhook(sys, hooks[0].ID); h.Enabled {
		t.Errorf("after disabling: still enabled")
	}
	if resp, body := b.do("POST", path, url.Values{"csrf": {csrf}, "action": {"rotate"}}); resp.StatusCode != http.StatusOK || shownSecret.FindStringSubmatch(body) == nil || strings.Contains(body, m[1]) {
		t.Errorf("rotate: got %d, want a new secret shown", resp.StatusCode)
	}
	if resp, _ := b.do("POST", path, url.Values{"csrf": {csrf}, "action": {"explode"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad action: got %d", resp.StatusCode)
	}
	if resp, body := b.do("POST", "/console/webhooks", url.Values{"csrf": {csrf}, "url": {"ftp://example.com"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
		t.Errorf("a webhook to ftp: got %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.do("POST", path, url.Values{"csrf": {csrf}, "action": {"delete"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: got %d", resp.StatusCode)
	}
	if hooks, _, _ := db.ListWebhooks(sys, roster.Page{}); len(hooks) != 0 {
		t.Errorf("after deleting: got %d webhooks", len(hooks))
	}

	// A user signed in with a token has no keys or webhooks pages.
	u, ucsrf := signIn(t, srv, userToken(t, "mo"))
	if _, body := u.do("GET", "/console/", nil); strings.Contains(body, `href="/console/keys"`) {
		t.Errorf("a user's header: want no keys link")
	}
	for _, tc := range []struct{ method, path string }{{"GET", "/console/keys"}, {"GET", "/console/webhooks"}, {"POST", "/console/keys"}} {
		if resp, body := u.do(tc.method, tc.path, url.Values{"csrf": {ucsrf}, "name": {"x"}, "scope": {"admin"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `data-code="insufficient_scope"`) {
			t.Errorf("a user at %s %s: got %d, want 403 insufficient_scope", tc.method, tc.path, resp.StatusCode)
		}
	}
}

func TestConsolePermissions(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	helpers, _, _ := guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	b, csrf := signIn(t, srv, admin)
	if resp, body := b.do("POST", "/console/permissions", url.Values{"csrf": {csrf}, "key": {"REDEEM_REWARDS"}, "description": {"Redeem loyalty rewards"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: got %d\n%s", resp.StatusCode, body)
	}
	if _, body := b.do("GET", "/console/permissions", nil); !strings.Contains(body, "REDEEM_REWARDS was registered.") || !strings.Contains(body, "<td>Custom</td>") {
		t.Errorf("the catalog after registering: want the notice and the key under Custom\n%s", body)
	}
	if _, body := b.do("GET", "/console/communities/guild/roles/"+helpers.ID, nil); !strings.Contains(body, "<legend>Custom</legend>") || !strings.Contains(body, `id="perm-REDEEM_REWARDS"`) {
		t.Errorf("the role editor: want REDEEM_REWARDS under Custom\n%s", body)
	}
	for _, tc := range []struct{ key, code string }{{"lower", roster.EVALIDATION}, {"REDEEM_REWARDS", roster.EPERMISSIONEXISTS}} {
		if resp, body := b.do("POST", "/console/permissions", url.Values{"csrf": {csrf}, "key": {tc.key}}); resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(body, `data-code="`+tc.code+`"`) {
			t.Errorf("register %q: got %d, want %s\n%s", tc.key, resp.StatusCode, tc.code, body)
		}
	}
	if resp, body := b.do("POST", "/console/permissions/BAN_MEMBERS/delete", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, `data-code="permission_builtin"`) {
		t.Errorf("unregister a built-in key: got %d", resp.StatusCode)
	}
	if resp, _ := b.do("POST", "/console/permissions/REDEEM_REWARDS/delete", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("unregister: got %d", resp.StatusCode)
	}
	if ps, _, _ := db.ListPermissions(sys, roster.Page{Limit: roster.MaxPageLimit}); len(ps) != len(roster.BuiltinPermissions) {
		t.Errorf("the catalog after unregistering: got %d keys, want the built-in ones", len(ps))
	}
}

func TestConsoleCommunityWithOwner(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	b, csrf := signIn(t, srv, admin)
	if resp, body := b.do("POST", "/console/communities", url.Values{"csrf": {csrf}, "name": {"The Guild"}, "id": {"guild"}, "owner": {"alice"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create with an owner: got %d\n%s", resp.StatusCode, body)
	}
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	if c, err := db.FindCommunity(sys, "guild"); err != nil || c.OwnerID == nil || *c.OwnerID != "alice" {
		t.Errorf("the community: got %+v, %v, want alice its owner", c, err)
	}
	if _, err := db.FindMember(sys, "guild", "alice"); err != nil {
		t.Errorf("alice, the owner, is not a member: %v", err)
	}
	if resp, body := b.do("POST", "/console/communities", url.Values{"csrf": {csrf}, "name": {"Bad"}, "owner": {"a b"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="a b"`) {
		t.Errorf("a bad owner: got %d\n%s", resp.StatusCode, body)
	}
}
