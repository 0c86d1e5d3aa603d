package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/console"
	"github.com/rosterhq/roster/jwtauth"
	"github.com/rosterhq/roster/jwtauth/jwttest"
	"github.com/rosterhq/roster/sqlstore"
)

// tokenSecret signs the user tokens of the console's tests.
var tokenSecret = []byte("a shared secret of thirty-two bytes or more")

// mustTokenConsole serves a console that takes user tokens signed with
// tokenSecret, and returns what mustConsole does.
func mustTokenConsole(t *testing.T) (*httptest.Server, *sqlstore.DB, string) {
	return mustTokenConsoleAt(t, nil)
}

// mustTokenConsoleAt is mustTokenConsole whose sessions keep the clock's
// time (the real one when nil).
func mustTokenConsoleAt(t *testing.T, clk *clock) (*httptest.Server, *sqlstore.DB, string) {
	t.Helper()
	tokens, err := jwtauth.New(context.Background(), jwtauth.Options{Issuer: "https://platform.example", Audience: "roster", HS256Secret: tokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	opt := console.Options{Tokens: tokens}
	if clk != nil {
		opt.Now = clk.now
	}
	return mustConsole(t, opt)
}

// userToken is a token for the user, signed with tokenSecret.
func userToken(t *testing.T, user string) string {
	return jwttest.NewSigner(t, jwa.HS256(), "", tokenSecret).Sign(t, jwttest.Claims("https://platform.example", "roster", user, time.Now()))
}

// signIn signs a new browser in with the credential and returns it with
// the CSRF token of its forms.
func signIn(t *testing.T, srv *httptest.Server, credential string) (*browser, string) {
	t.Helper()
	b := newBrowser(t, srv.URL)
	if resp, body := b.do("POST", "/console/signin", url.Values{"credential": {credential}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in: got %d\n%s", resp.StatusCode, body)
	}
	_, body := b.do("GET", "/console/", nil)
	return b, b.csrf(body)
}

// guild makes community guild owned by owner, with the roles Helpers,
// Mods (MANAGE_ROLES, BAN_MEMBERS) and Seniors from the bottom up, and mo
// holding Mods; it returns the three roles.
func guild(t *testing.T, db *sqlstore.DB) (helpers, mods, seniors roster.Role) {
	t.Helper()
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	owner := "owner"
	if _, _, err := db.CreateCommunity(sys, roster.Community{ID: "guild", Name: "Guild", OwnerID: &owner}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddMembers(sys, "guild", []string{"mo", "pat"}); err != nil {
		t.Fatal(err)
	}
	colours := map[string]string{"Helpers": "#2e86c1", "Mods": "#c0392b", "Seniors": "#8e44ad"}
	mk := func(name string, pos int, perms ...string) roster.Role {
		colour := colours[name]
		r, _, err := db.CreateRole(sys, "guild", roster.Role{Name: name, Position: pos, Colour: &colour, Permissions: append([]string{}, perms...)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	helpers = mk("Helpers", 1)
	mods = mk("Mods", 2, roster.PermManageRoles, roster.PermBanMembers)
	seniors = mk("Seniors", 3)
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "mo", RoleID: mods.ID}); err != nil {
		t.Fatal(err)
	}
	return helpers, mods, seniors
}

func rolePositions(t *testing.T, db *sqlstore.DB) map[string]int {
	t.Helper()
	roles, _, err := db.ListRoles(roster.NewContext(context.Background(), roster.SystemActor), "guild", roster.Page{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range roles {
		out[r.Name] = r.Position
	}
	return out
}

func TestConsoleRoles(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	helpers, mods, seniors := guild(t, db)
	b, csrf := signIn(t, srv, admin)

	// The list shows each role's holders, counted in one query.
	_, body := b.do("GET", "/console/communities/guild", nil)
	if !strings.Contains(body, `href="/console/communities/guild/members?role=`+mods.ID+`">1</a>`) || !strings.Contains(body, `members?role=`+helpers.ID+`">0</a>`) {
		t.Errorf("the roles page: want Mods held by 1 and Helpers by 0\n%s", body)
	}

	// Create a role: it lands at the bottom and opens in the editor.
	resp, _ := b.do("POST", "/console/communities/guild/roles", url.Values{"csrf": {csrf}, "name": {"Artists"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/communities/guild/roles/") {
		t.Fatalf("create a role: got %d to %q", resp.StatusCode, loc)
	}
	artists := strings.TrimPrefix(loc, "/console/communities/guild/roles/")
	if resp, body := b.do("POST", "/console/communities/guild/roles", url.Values{"csrf": {csrf}, "name": {"artists"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="role_name_taken"`) || !strings.Contains(body, `value="artists"`) {
		t.Errorf("a second role of the same name: got %d\n%s", resp.StatusCode, body)
	}
	_, body = b.do("GET", loc, nil)
	for _, want := range []string{"<legend>General</legend>", "<legend>Members</legend>", "<legend>Channels and messages</legend>", `id="perm-ATTACH_FILES"`, "Save changes"} {
		if !strings.Contains(body, want) {
			t.Errorf("the editor: want %q\n%s", want, body)
		}
	}

	// Toggle permissions, colour it, give it on join.
	form := url.Values{"csrf": {csrf}, "version": {"1"}, "name": {"Artists"}, "hascolour": {"1"}, "colour": {"#33aa55"},
		"description": {"They draw"}, "isDefault": {"1"}, "perm": {roster.PermAttachFiles, roster.PermAddReactions}}
	if resp, body := b.do("POST", loc, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the role: got %d\n%s", resp.StatusCode, body)
	}
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	r, err := db.FindRole(sys, "guild", artists)
	if err != nil || r.Colour == nil || *r.Colour != "#33aa55" || !r.IsDefault || r.Badge || !slices.Equal(r.Permissions, []string{roster.PermAddReactions, roster.PermAttachFiles}) || r.Description != "They draw" {
		t.Fatalf("the role after saving: got %+v, %v", r, err)
	}
	// The same form again is at an old version: refused inline, kept.
	if resp, body := b.do("POST", loc, form); resp.StatusCode != http.StatusConflict || !strings.Contains(body, `data-code="version_mismatch"`) {
		t.Errorf("a save at an old version: got %d\n%s", resp.StatusCode, body)
	}

	// Move Artists up one step, then set a whole order, as a drag does.
	if resp, body := b.do("POST", "/console/communities/guild/roles/order", url.Values{"csrf": {csrf}, "move": {artists + ":up"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move up: got %d\n%s", resp.StatusCode, body)
	}
	if got := rolePositions(t, db); got["Artists"] != 2 || got["Helpers"] != 1 {
		t.Errorf("after moving Artists up: got %v, want Helpers 1, Artists 2", got)
	}
	admin1 := roster.BuiltinAdmin
	order := strings.Join([]string{helpers.ID, mods.ID, seniors.ID, artists, admin1}, ",")
	if resp, body := b.do("POST", "/console/communities/guild/roles/order", url.Values{"csrf": {csrf}, "order": {order}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reorder: got %d\n%s", resp.StatusCode, body)
	}
	if got := rolePositions(t, db); got["Artists"] != 4 || got["Seniors"] != 3 || got["admin"] != 5 {
		t.Errorf("after the reorder: got %v", got)
	}
	for _, bad := range []url.Values{{"move": {"nope:up"}}, {"move": {artists + ":sideways"}}, {"move": {helpers.ID + ":down"}}, {"move": {artists}}, {"order": {helpers.ID}}} {
		bad.Set("csrf", csrf)
		if resp, body := b.do("POST", "/console/communities/guild/roles/order", bad); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
			t.Errorf("reorder with %v: got %d, want the refusal inline\n%s", bad, resp.StatusCode, body)
		}
	}

	// Delete: refused while held unless forced.
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "pat", RoleID: artists}); err != nil {
		t.Fatal(err)
	}
	r, _ = db.FindRole(sys, "guild", artists)
	del := url.Values{"csrf": {csrf}, "version": {strconv.Itoa(r.Version)}}
	if resp, body := b.do("POST", loc+"/delete", del); resp.StatusCode != http.StatusConflict || !strings.Contains(body, `data-code="role_in_use"`) {
		t.Errorf("delete a held role: got %d\n%s", resp.StatusCode, body)
	}
	del.Set("force", "1")
	if resp, _ := b.do("POST", loc+"/delete", del); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete forced: got %d", resp.StatusCode)
	}
	if _, err := db.FindRole(sys, "guild", artists); roster.ErrorCode(err) != roster.EROLENOTFOUND {
		t.Errorf("after deleting: got %v", err)
	}
	if resp, _ := b.do("GET", loc, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the editor of a deleted role: got %d, want 404", resp.StatusCode)
	}
}

// A moderator signed in with a user token sees what they may not do
// disabled, with the reason, and is refused when forcing it.
func TestConsoleRolesModerator(t *testing.T) {
	t.Parallel()
	srv, db, _ := mustTokenConsole(t)
	helpers, mods, seniors := guild(t, db)
	m, csrf := signIn(t, srv, userToken(t, "mo"))
	_, body := m.do("GET", "/console/communities/guild", nil)
	row := func(id string) string {
		i := strings.Index(body, `data-role-id="`+id+`"`)
		if i < 0 {
			t.Fatalf("no row for %s\n%s", id, body)
		}
		j := strings.Index(body[i:], "</tr>")
		return body[i : i+j]
	}
	if r := row(seniors.ID); !strings.Contains(r, "must be below your highest role") || strings.Contains(r, "Move Seniors up") {
		t.Errorf("Seniors, above mo's top: want locked with the reason\n%s", r)
	}
	if r := row(mods.ID); !strings.Contains(r, "must be below your highest role") {
		t.Errorf("Mods, mo's top: want locked\n%s", r)
	}
	// Helpers is editable, but a step up would swap it with mo's own role
	// and it is at the bottom already.
	if r := row(helpers.ID); !strings.Contains(r, `class="handle"`) || !strings.Contains(r, `aria-label="Move Helpers up" disabled title="role &#34;Helpers&#34;`) ||
		!strings.Contains(r, `aria-label="Move Helpers down" disabled title="move: the role is already at the bottom"`) {
		t.Errorf("Helpers, just below mo's top: want Up and Down disabled with their reasons\n%s", r)
	}
	_, body = m.do("GET", "/console/communities/guild/roles/"+helpers.ID, nil)
	if !strings.Contains(body, `id="perm-ADMINISTRATOR" name="perm" value="ADMINISTRATOR" disabled`) || !strings.Contains(body, "you cannot grant ADMINISTRATOR: you do not hold it") {
		t.Errorf("Helpers' editor: want ADMINISTRATOR disabled with the reason\n%s", body)
	}
	if strings.Contains(body, `id="perm-BAN_MEMBERS" name="perm" value="BAN_MEMBERS" disabled`) {
		t.Errorf("Helpers' editor: want BAN_MEMBERS, which mo holds, enabled")
	}
	if _, body := m.do("GET", "/console/communities/guild/roles/"+seniors.ID, nil); !strings.Contains(body, `id="locked"`) || strings.Contains(body, "Save changes") || strings.Contains(body, "Delete role") {
		t.Errorf("Seniors' editor: want it locked, with no save or delete\n%s", body)
	}

	// Forcing the requests the page did not offer is refused, and changes nothing.
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	for _, tc := range []struct {
		path string
		form url.Values
		code string
	}{
		{"/roles/" + seniors.ID, url.Values{"version": {"1"}, "name": {"Seniors"}, "perm": {roster.PermBanMembers}}, roster.EROLEHIERARCHY},
		{"/roles/" + helpers.ID, url.Values{"version": {"1"}, "name": {"Helpers"}, "perm": {roster.PermAdministrator}}, roster.ECANNOTGRANT},
		{"/roles/" + seniors.ID + "/delete", url.Values{"version": {"1"}, "force": {"1"}}, roster.EROLEHIERARCHY},
		{"/roles/order", url.Values{"order": {strings.Join([]string{helpers.ID, seniors.ID, mods.ID, roster.BuiltinAdmin}, ",")}}, roster.EROLEHIERARCHY},
	} {
		tc.form.Set("csrf", csrf)
		if resp, body := m.do("POST", "/console/communities/guild"+tc.path, tc.form); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `data-code="`+tc.code+`"`) {
			t.Errorf("forcing %s: got %d, want 403 %s\n%s", tc.path, resp.StatusCode, tc.code, body)
		}
	}
	if got := rolePositions(t, db); got["Seniors"] != 3 || got["Mods"] != 2 {
		t.Errorf("positions after refused reorders: got %v", got)
	}
	if r, _ := db.FindRole(sys, "guild", helpers.ID); len(r.Permissions) != 0 {
		t.Errorf("Helpers after a refused grant: got %v", r.Permissions)
	}
	// What the page offered works.
	form := url.Values{"csrf": {csrf}, "version": {"1"}, "name": {"Helpers"}, "perm": {roster.PermBanMembers}}
	if resp, body := m.do("POST", "/console/communities/guild/roles/"+helpers.ID, url.Values{"csrf": {csrf}, "version": {"x"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "version: must be") {
		t.Errorf("a save without its version: got %d\n%s", resp.StatusCode, body)
	}
	if resp, body := m.do("POST", "/console/communities/guild/roles/"+helpers.ID, form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("mo grants BAN_MEMBERS to Helpers: got %d\n%s", resp.StatusCode, body)
	}
}
