package console_test

// What the pages offer, and what they refuse, at the edges a review found:
// non-members, ownerless communities, restricted keys, forms from another
// site, malformed fields and the largest lists.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/console"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// A platform administrator signed in with a user token, who is not a member
// of the community, may do everything there (authz: PlatformAdmin is
// unrestricted), but the console's pages of the community fail: standingIn
// asks EffectivePermissions, which answers member_not_found for a non-member.
func TestConsoleEdgePlatformAdminNonMember(t *testing.T) {
	t.Parallel()
	srv, db, _ := mustTokenConsole(t)
	helpers, _, _ := guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: roster.Platform, UserID: "root", RoleID: roster.BuiltinAdmin}); err != nil {
		t.Fatal(err)
	}
	b, csrf := signIn(t, srv, userToken(t, "root"))
	// The server lets root change guild.
	if resp, body := b.do("POST", "/console/communities/guild/roles", url.Values{"csrf": {csrf}, "name": {"ByRoot"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("root creates a role in guild: got %d\n%s", resp.StatusCode, body)
	}
	for _, path := range []string{
		"/console/communities/guild",
		"/console/communities/guild/roles/" + helpers.ID,
		"/console/communities/guild/members/pat",
		"/console/communities/guild/channels",
	} {
		if resp, body := b.do("GET", path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("root (platform admin, not a member) GET %s: got %d, want 200\n%.600s", path, resp.StatusCode, errorLine(body))
		}
	}
}

// errorLine is the refusal a page shows, or the start of the page.
func errorLine(body string) string {
	if i := strings.Index(body, `class="error"`); i >= 0 {
		j := strings.Index(body[i:], "</p>")
		return body[i : i+j]
	}
	return body
}

// In a community with no owner, the member page offers removing admin from
// its last holder (standing.change says HasOwner: true), which the server
// refuses with last_admin.
func TestConsoleEdgeLastAdminOfferedInOwnerlessCommunity(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	if _, _, err := db.CreateCommunity(sys, roster.Community{ID: "club", Name: "Club"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddMembers(sys, "club", []string{"ann"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "club", UserID: "ann", RoleID: roster.BuiltinAdmin}); err != nil {
		t.Fatal(err)
	}
	admin1, err := db.FindRole(sys, "club", roster.BuiltinAdmin)
	if err != nil {
		t.Fatal(err)
	}
	b, csrf := signIn(t, srv, admin)
	_, body := b.do("GET", "/console/communities/club/members/ann", nil)
	offered := strings.Contains(body, "/roles/"+admin1.ID+"/remove")
	resp, after := b.do("POST", "/console/communities/club/members/ann/roles/"+admin1.ID+"/remove", url.Values{"csrf": {csrf}})
	if offered && resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the page offers removing admin from ann, and the server refuses: %d %s", resp.StatusCode, errorLine(after))
	}
}

// probe sends each request and reports its status and the page's refusal;
// it fails on a 5xx.
type probe struct {
	name, method, path string
	form               url.Values
}

func runProbes(t *testing.T, b *browser, csrf string, probes []probe) {
	t.Helper()
	for _, p := range probes {
		if p.form != nil && p.form.Get("csrf") == "" {
			p.form.Set("csrf", csrf)
		}
		resp, body := b.do(p.method, p.path, p.form)
		msg := errorLine(body)
		if len(msg) > 300 {
			msg = msg[:300]
		}
		t.Logf("%-40s %d %s %s", p.name, resp.StatusCode, resp.Header.Get("Location"), strings.ReplaceAll(msg, "\n", " "))
		if resp.StatusCode >= 500 {
			t.Errorf("%s: got %d", p.name, resp.StatusCode)
		}
	}
}

// Documents what bad input shows (run with -v); fails on a 5xx.
func TestConsoleEdgeBadInput(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	helpers, mods, seniors := guild(t, db)
	b, csrf := signIn(t, srv, admin)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	if _, _, err := db.PutChannel(sys, roster.Channel{CommunityID: "guild", ID: "general", Name: "general"}); err != nil {
		t.Fatal(err)
	}
	many := url.Values{"type": {"role"}, "id": {helpers.ID}}
	for i := range 2000 {
		many.Set("p.K"+strings.Repeat("X", i%7)+string(rune('A'+i%26))+string(rune('A'+i/26%26)), "allow")
	}
	var users101 []string
	for i := range 101 {
		users101 = append(users101, "u"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	ow := "/console/communities/guild/channels/general/overwrites"
	runProbes(t, b, csrf, []probe{
		{"role bad id", "GET", "/console/communities/guild/roles/bad%20id", nil},
		{"member bad id", "GET", "/console/communities/guild/members/bad%20id", nil},
		{"member ..", "GET", "/console/communities/guild/members/..", nil},
		{"channel bad id", "GET", "/console/communities/guild/channels/bad%20id", nil},
		{"channel type=role id=nope", "GET", "/console/communities/guild/channels/general?type=role&id=nope", nil},
		{"channel type=member id=bad id", "GET", "/console/communities/guild/channels/general?type=member&id=bad%20id", nil},
		{"move ::", "POST", "/console/communities/guild/roles/order", url.Values{"move": {"::"}}},
		{"move empty", "POST", "/console/communities/guild/roles/order", url.Values{}},
		{"move admin:up", "POST", "/console/communities/guild/roles/order", url.Values{"move": {"admin:up"}}},
		{"order dup", "POST", "/console/communities/guild/roles/order", url.Values{"order": {strings.Join([]string{helpers.ID, helpers.ID, seniors.ID, mods.ID, "admin"}, ",")}}},
		{"order unknown+dup", "POST", "/console/communities/guild/roles/order", url.Values{"order": {strings.Join([]string{helpers.ID, helpers.ID, "nope", mods.ID, "admin"}, ",")}}},
		{"order ,", "POST", "/console/communities/guild/roles/order", url.Values{"order": {","}}},
		{"order everyone", "POST", "/console/communities/guild/roles/order", url.Values{"order": {strings.Join([]string{"everyone", helpers.ID, seniors.ID, mods.ID, "admin"}, ",")}}},
		{"overwrite p. empty", "POST", ow, url.Values{"type": {"role"}, "id": {helpers.ID}, "p.": {"allow"}}},
		{"overwrite lowercase", "POST", ow, url.Values{"type": {"role"}, "id": {helpers.ID}, "p.send_messages": {"allow"}}},
		{"overwrite lower+empty", "POST", ow, url.Values{"type": {"role"}, "id": {helpers.ID}, "p.send_messages": {"allow"}, "p.": {"deny"}}},
		{"overwrite allow+deny same", "POST", ow, url.Values{"type": {"role"}, "id": {helpers.ID}, "p.SEND_MESSAGES": {"deny", "allow"}}},
		{"overwrite 2000 keys", "POST", ow, many},
		{"overwrite no id", "POST", ow, url.Values{"type": {"role"}, "p.SEND_MESSAGES": {"allow"}}},
		{"overwrite member nobody", "POST", ow, url.Values{"type": {"member"}, "id": {"nobody"}, "p.SEND_MESSAGES": {"allow"}}},
		{"overwrite unknown channel", "POST", "/console/communities/guild/channels/nochan/overwrites", url.Values{"type": {"role"}, "id": {helpers.ID}, "p.SEND_MESSAGES": {"allow"}}},
		{"batch 0 users", "POST", "/console/communities/guild/members/batch", url.Values{"role": {helpers.ID}, "action": {"add"}}},
		{"batch 101 users", "POST", "/console/communities/guild/members/batch", url.Values{"role": {helpers.ID}, "action": {"add"}, "user": users101}},
		{"batch no role", "POST", "/console/communities/guild/members/batch", url.Values{"user": {"pat"}}},
		{"batch bogus action", "POST", "/console/communities/guild/members/batch", url.Values{"role": {helpers.ID}, "user": {"pat"}, "action": {"explode"}}},
		{"expiry year 99999", "POST", "/console/communities/guild/members/pat/roles", url.Values{"role": {helpers.ID}, "expires": {"99999-01-01T00:00"}}},
		{"expiry year 9999", "POST", "/console/communities/guild/members/pat/roles", url.Values{"role": {helpers.ID}, "expires": {"9999-12-31T23:59"}, "tz": {"-840"}}},
		{"expiry year 0000", "POST", "/console/communities/guild/members/pat/roles", url.Values{"role": {helpers.ID}, "expires": {"0000-01-01T00:00"}}},
		{"expiry tz 10000", "POST", "/console/communities/guild/members/pat/roles", url.Values{"role": {helpers.ID}, "expires": {"2099-01-01T00:00"}, "tz": {"10000"}}},
		{"expiry tz -10000", "POST", "/console/communities/guild/members/pat/roles", url.Values{"role": {helpers.ID}, "expires": {"2099-01-01T00:00"}, "tz": {"-10000"}}},
		{"expiry tz 60abc", "POST", "/console/communities/guild/members/pat/roles", url.Values{"role": {mods.ID}, "expires": {"2099-01-01T00:00"}, "tz": {"60abc"}}},
		{"add role unknown member", "POST", "/console/communities/guild/members/nobody/roles", url.Values{"role": {helpers.ID}}},
		{"remove role unknown", "POST", "/console/communities/guild/members/pat/roles/nope/remove", url.Values{}},
		{"remove unknown member", "POST", "/console/communities/guild/members/nobody/remove", url.Values{}},
		{"audit since 99999", "GET", "/console/communities/guild/audit?since=99999-01-01T00:00", nil},
		{"audit since 9999 tz", "GET", "/console/communities/guild/audit?since=9999-12-31T23:59&tz=-840", nil},
		{"audit tz 10000", "GET", "/console/communities/guild/audit?since=2020-01-01T00:00&tz=10000", nil},
		{"audit cursor garbage", "GET", "/console/communities/guild/audit?cursor=garbage", nil},
		{"audit cursor -5", "GET", "/console/communities/guild/audit?cursor=-5", nil},
		{"audit live after huge", "GET", "/console/communities/guild/audit/live?after=9223372036854775807", nil},
		{"audit live after garbage", "GET", "/console/communities/guild/audit/live?after=x", nil},
		{"audit live bad since", "GET", "/console/communities/guild/audit/live?after=1&since=x", nil},
		{"channels cursor garbage", "GET", "/console/communities/guild/channels?cursor=garbage", nil},
		{"keys cursor garbage", "GET", "/console/keys?cursor=garbage", nil},
		{"webhooks cursor garbage", "GET", "/console/webhooks?cursor=garbage", nil},
		{"communities cursor garbage", "GET", "/console/?cursor=garbage", nil},
		{"members role nope", "GET", "/console/communities/guild/members?role=nope", nil},
		{"view-as no channel", "GET", "/console/communities/guild/view-as?user=pat&channel=nochan", nil},
		{"view-as non-member", "GET", "/console/communities/guild/view-as?user=stranger", nil},
		{"role update bad version", "POST", "/console/communities/guild/roles/" + helpers.ID, url.Values{"name": {"Helpers"}, "version": {"abc"}}},
		{"role update bad colour", "POST", "/console/communities/guild/roles/" + helpers.ID, url.Values{"name": {"Helpers"}, "hascolour": {"1"}, "colour": {"red\"><script>"}}},
		{"role update unknown perm", "POST", "/console/communities/guild/roles/" + helpers.ID, url.Values{"name": {"Helpers"}, "perm": {"NOPE", "lower", ""}}},
		{"role update empty name", "POST", "/console/communities/guild/roles/" + helpers.ID, url.Values{"name": {""}}},
		{"role update unknown role", "POST", "/console/communities/guild/roles/nope", url.Values{"name": {"x"}}},
		{"delete everyone", "POST", "/console/communities/guild/roles/everyone/delete", url.Values{}},
		{"webhook bad action", "POST", "/console/webhooks/nope", url.Values{"action": {"x"}}},
		{"webhook unknown", "POST", "/console/webhooks/nope", url.Values{"action": {"rotate"}}},
		{"key revoke unknown", "POST", "/console/keys/nope/revoke", url.Values{}},
		{"key bad scope", "POST", "/console/keys", url.Values{"name": {"k"}, "scope": {"root"}}},
		{"key expires 99999", "POST", "/console/keys", url.Values{"name": {"k"}, "scope": {"read"}, "expires": {"99999-01-01T00:00"}}},
		{"permission delete unknown", "POST", "/console/permissions/NOPE/delete", url.Values{}},
		{"add members 1001", "POST", "/console/communities/guild/members/add", url.Values{"users": {strings.Repeat("a,", 1001)}}},
		{"add members bad id", "POST", "/console/communities/guild/members/add", url.Values{"users": {"bad id!"}}},
		{"community 404", "GET", "/console/communities/nope/members", nil},
		{"PUT method", "PUT", "/console/", nil},
	})
	// 64 KB: a form just over the limit.
	big := url.Values{"csrf": {csrf}, "name": {"Helpers"}, "description": {strings.Repeat("d", 70<<10)}}
	resp, body := b.do("POST", "/console/communities/guild/roles/"+helpers.ID, big)
	t.Logf("%-40s %d %s", "form over 64KB", resp.StatusCode, errorLine(body))
	if resp.StatusCode >= 500 {
		t.Errorf("a form over 64 KB: got %d", resp.StatusCode)
	}
}

// The member page always offers "Remove X from the community": to an admin
// key on the owner's page (the server refuses: owner_cannot_leave), and to
// a moderator without MANAGE_MEMBERS (missing_permission). The members list
// offers a moderator the add form and every role in the batch form,
// including those above theirs (never computed from their standing).
func TestConsoleEdgeMemberPagesOfferRefusedActions(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	_, _, seniors := guild(t, db)
	b, csrf := signIn(t, srv, admin)
	_, body := b.do("GET", "/console/communities/guild/members/owner", nil)
	offered := strings.Contains(body, "/members/owner/remove")
	resp, after := b.do("POST", "/console/communities/guild/members/owner/remove", url.Values{"csrf": {csrf}})
	if offered && resp.StatusCode != http.StatusSeeOther {
		t.Errorf("admin key on the owner's page: offered removing the owner, refused %d %s", resp.StatusCode, errorLine(after))
	}

	m, mcsrf := signIn(t, srv, userToken(t, "mo"))
	_, body = m.do("GET", "/console/communities/guild/members/pat", nil)
	offered = strings.Contains(body, "/members/pat/remove")
	resp, after = m.do("POST", "/console/communities/guild/members/pat/remove", url.Values{"csrf": {mcsrf}})
	if offered && resp.StatusCode != http.StatusSeeOther {
		t.Errorf("mo on pat's page: offered removing pat, refused %d %s", resp.StatusCode, errorLine(after))
	}

	_, body = m.do("GET", "/console/communities/guild/members", nil)
	offered = strings.Contains(body, `action="/console/communities/guild/members/add"`)
	resp, after = m.do("POST", "/console/communities/guild/members/add", url.Values{"csrf": {mcsrf}, "users": {"newbie"}})
	if offered && resp.StatusCode != http.StatusSeeOther {
		t.Errorf("mo on the members list: offered adding members, refused %d %s", resp.StatusCode, errorLine(after))
	}
	i := strings.Index(body, `id="batch-role"`)
	batchSelect := body[i : i+strings.Index(body[i:], "</select>")]
	offered = strings.Contains(batchSelect, `value="`+seniors.ID+`"`)
	resp, after = m.do("POST", "/console/communities/guild/members/batch", url.Values{"csrf": {mcsrf}, "role": {seniors.ID}, "action": {"add"}, "user": {"pat"}})
	if offered && resp.StatusCode != http.StatusSeeOther {
		t.Errorf("mo's batch form: offered giving Seniors (above mo), refused %d %s", resp.StatusCode, errorLine(after))
	}
}

// Adding members from a list is not all or nothing: the unnamed ids join
// in one batch, then each named one is added alone; a bad named line is
// refused after the others have joined.
func TestConsoleEdgeAddMembersPartial(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	b, csrf := signIn(t, srv, admin)
	resp, body := b.do("POST", "/console/communities/guild/members/add", url.Values{"csrf": {csrf}, "users": {"newbie1\nnewbie2\nbad!id Bad Name"}})
	if resp.StatusCode == http.StatusSeeOther {
		t.Fatalf("a list with a bad id: got 303, want a refusal")
	}
	if _, err := db.FindMember(sys, "guild", "newbie1"); err == nil {
		t.Errorf("a refused list changed something: newbie1 joined (page: %d %s)", resp.StatusCode, errorLine(body))
	}
}

// The add-members form takes up to roster.MaxMemberBatch (1000) lines, but
// a body over 64 KB is cut by MaxBytesReader before the CSRF token is
// read, and the page says the form "has expired": a list of 1000 members
// with 60-character ids (the limit is 128) and a short name does not fit.
func TestConsoleEdgeAddMembersThousandLines(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	guild(t, db)
	b, csrf := signIn(t, srv, admin)
	var lines []string
	for i := range 1000 {
		lines = append(lines, strings.Repeat("u", 117)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
	}
	form := url.Values{"csrf": {csrf}, "users": {strings.Join(lines, "\n")}}
	t.Logf("encoded form: %d bytes", len(form.Encode()))
	resp, body := b.do("POST", "/console/communities/guild/members/add", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("1000 members (the documented batch limit): got %d %s", resp.StatusCode, errorLine(body))
	}
}

// A save of the role editor without a parseable version (version=abc, or
// none) is applied with no version check, replacing every field.
func TestConsoleEdgeRoleSaveWithoutVersion(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	helpers, _, _ := guild(t, db)
	b, csrf := signIn(t, srv, admin)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	desc := "kept"
	if _, _, err := db.UpdateRole(sys, "guild", helpers.ID, roster.RoleUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	resp, _ := b.do("POST", "/console/communities/guild/roles/"+helpers.ID, url.Values{"csrf": {csrf}, "name": {"Helpers"}, "version": {"abc"}})
	r, _ := db.FindRole(sys, "guild", helpers.ID)
	if resp.StatusCode == http.StatusSeeOther {
		t.Errorf("a save with version=abc: got 303, applied with no version check (description now %q)", r.Description)
	}
}

// A batch with an action other than add or remove is taken as add.
func TestConsoleEdgeBatchBogusAction(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	helpers, _, _ := guild(t, db)
	b, csrf := signIn(t, srv, admin)
	resp, _ := b.do("POST", "/console/communities/guild/members/batch", url.Values{"csrf": {csrf}, "role": {helpers.ID}, "action": {"explode"}, "user": {"pat"}})
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	if n, _ := db.CountRoleHolders(sys, "guild", helpers.ID); resp.StatusCode == http.StatusSeeOther || n[helpers.ID] != 0 {
		t.Errorf("action=explode: got %d and Helpers held by %d, want a refusal and no change", resp.StatusCode, n[helpers.ID])
	}
}

// Sign-in takes a cross-site form post (no CSRF token, no Origin or
// Sec-Fetch-Site check): login CSRF puts a victim's browser in the
// attacker's session.
func TestConsoleEdgeSignInCrossSite(t *testing.T) {
	t.Parallel()
	srv, _, admin := mustTokenConsole(t)
	req, _ := http.NewRequest("POST", srv.URL+"/console/signin", strings.NewReader(url.Values{"credential": {admin}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("a cross-site sign-in: got %d with a session cookie, want it refused", resp.StatusCode)
	}
}

// The audit page's data-live URL is an HTML attribute html/template does
// not treat as a URL (data-live → "live"), so the filter values go into
// its query unescaped: a value with & adds parameters, and the live rows
// follow a different filter from the page's. The "Older changes" href,
// a URL attribute, is escaped.
func TestConsoleEdgeAuditLiveURLUnescaped(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	guild(t, db)
	b, _ := signIn(t, srv, admin)
	_, body := b.do("GET", "/console/communities/guild/audit?actor="+url.QueryEscape("x&action=role.&target=zz#"), nil)
	i := strings.Index(body, `data-live="`)
	live := body[i+len(`data-live="`):]
	live = strings.ReplaceAll(live[:strings.Index(live, `"`)], "&amp;", "&")
	u, err := url.Parse(live)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("actor"); got != "x&action=role.&target=zz#" {
		t.Errorf("the live URL's actor: got %q (URL %q), want the page's filter", got, live)
	}
}

// Fine: markup in names, display names, descriptions and event JSON is
// escaped on every page, and every console response carries the CSP.
func TestConsoleEdgeEscapingAndHeaders(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	evil := `</pre><script>alert(1)</script><img src=x onerror=alert(2)>"'`
	r, _, err := db.CreateRole(sys, "guild", roster.Role{Name: evil, Description: evil, Permissions: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddMember(sys, "guild", "eve", &evil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "eve", RoleID: r.ID}); err != nil {
		t.Fatal(err)
	}
	b, _ := signIn(t, srv, admin)
	for _, path := range []string{"/console/communities/guild", "/console/communities/guild/roles/" + r.ID, "/console/communities/guild/members",
		"/console/communities/guild/members/eve", "/console/communities/guild/audit", "/console/communities/guild/audit/live?after=0",
		"/console/communities/guild/view-as?user=eve", "/console/communities/guild/members?q=" + url.QueryEscape(evil),
		"/console/static/console.js", "/console/static/", "/console/nope", "/console/communities/guild/audit/live?after=x", "/console/signin"} {
		resp, body := b.do("GET", path, nil)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: the markup is not escaped", path)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s (%d): no CSP", path, resp.StatusCode)
		}
	}
}

// An admin key restricted to one community sees the API keys link in the
// header (page.Admin looks at the scopes alone), and the page refuses it.
func TestConsoleEdgeRestrictedAdminKeyOfferedKeys(t *testing.T) {
	t.Parallel()
	srv, db, _ := mustTokenConsole(t)
	guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	cid := "guild"
	k, _, err := db.CreateAPIKey(sys, roster.APIKey{Name: "guild admin", Scopes: []string{roster.ScopeAdmin}, CommunityID: &cid})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := signIn(t, srv, k.Secret)
	_, body := b.do("GET", "/console/communities/guild", nil)
	offered := strings.Contains(body, `href="/console/keys"`)
	if resp, page := b.do("GET", "/console/keys", nil); offered && resp.StatusCode != http.StatusOK {
		t.Errorf("a community admin key: offered API keys, refused %d %s", resp.StatusCode, errorLine(page))
	}
}

// flaky is a service whose key checks fail, as when the database is away,
// while down is set.
type flaky struct {
	roster.Service
	down *atomic.Bool
}

func (f flaky) Authenticate(ctx context.Context, secret string) (roster.APIKey, error) {
	if f.down.Load() {
		return roster.APIKey{}, roster.Errorf(roster.EUNAVAILABLE, "the database is unavailable")
	}
	return f.Service.Authenticate(ctx, secret)
}

// A session whose key cannot be checked because the database is away
// stays; it is checked again at the next request.
func TestConsoleEdgeSessionOutlivesAnOutage(t *testing.T) {
	t.Parallel()
	svc, admin := mustService(t, sqltest.SQLite.Open(t, sqlstore.Options{}))
	clk := &clock{}
	down := &atomic.Bool{}
	srv := httptest.NewServer(console.New(flaky{svc, down}, console.Options{Now: clk.now}))
	t.Cleanup(srv.Close)
	b, _ := signIn(t, srv, admin)
	down.Store(true)
	clk.advance(11 * time.Second)
	if resp, _ := b.do("GET", "/console/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("during the outage: got %d, want the page", resp.StatusCode)
	}
	down.Store(false)
	if resp, _ := b.do("GET", "/console/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after the outage: got %d, want the page", resp.StatusCode)
	}
}
