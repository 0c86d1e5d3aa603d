package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/sqlstore"
)

// step runs the actions of one step of a flow in the tab, failing the
// test with what the step was.
func step(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the tab's page.
func eval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// screenshot saves the page as $ROSTER_SCREENSHOTS/name.png when that is
// set, as the README's pictures are made.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ROSTER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signInTab signs the tab in with the credential.
func signInTab(t *testing.T, tab context.Context, base, credential string) {
	t.Helper()
	step(t, tab, "sign in",
		chromedp.Navigate(base+"/console/signin"),
		chromedp.WaitVisible(chromedp.ID("credential")),
		chromedp.SendKeys(chromedp.ID("credential"), credential),
		chromedp.Submit(chromedp.ID("credential")),
		chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Communities"]`)))
}

// order returns the names of guild's roles but everyone, bottom to top.
func order(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	roles, _, err := db.ListRoles(roster.NewContext(context.Background(), roster.SystemActor), "guild", roster.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles[1:] {
		names = append(names, r.Name)
	}
	return names
}

// apiOrder returns the names of guild's roles but everyone, bottom to top,
// as the HTTP API answers them over the database.
func apiOrder(t *testing.T, db *sqlstore.DB, key string) []string {
	t.Helper()
	svc, _ := mustService(t, db)
	srv := httptest.NewServer(api.New(svc, api.Options{}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/communities/guild/roles", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []roster.Role `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/communities/guild/roles: %d, %v", resp.StatusCode, err)
	}
	slices.SortFunc(page.Items, func(a, b roster.Role) int { return a.Position - b.Position })
	var names []string
	for _, r := range page.Items[1:] {
		names = append(names, r.Name)
	}
	return names
}

// TestConsoleFlowsInABrowser does a community manager's work in Chromium,
// checking each result through the store: create a role and toggle its
// permissions, drag it below another, give it to a member and to fifty in
// one batch, deny it a permission in a channel, view the community as a
// member, and watch the audit log take a change without a reload. Then a
// forged form and an expired session are refused.
func TestConsoleFlowsInABrowser(t *testing.T) {
	tab := newTab(t)
	clk := &clock{}
	srv, db, admin := mustTokenConsoleAt(t, clk)
	guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	var fans []string
	for i := range 50 {
		fans = append(fans, fmt.Sprintf("fan%02d", i))
	}
	if _, _, err := db.AddMembers(sys, "guild", fans); err != nil {
		t.Fatal(err)
	}
	base := srv.URL
	signInTab(t, tab, base, admin)

	// Create a role and toggle two permissions.
	step(t, tab, "create a role",
		chromedp.Navigate(base+"/console/communities/guild"),
		chromedp.SendKeys(chromedp.ID("role-name"), "Artists"),
		chromedp.Submit(chromedp.ID("role-name")),
		chromedp.WaitVisible(chromedp.ID("perm-ATTACH_FILES")),
		chromedp.Click(chromedp.ID("perm-ATTACH_FILES")),
		chromedp.Click(chromedp.ID("perm-ADD_REACTIONS")),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save changes"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="notice" and normalize-space()="Saved."]`)))
	screenshot(t, tab, "console-role-editor")
	artists, err := db.FindRole(sys, "guild", strings.TrimPrefix(eval[string](t, tab, "location.pathname"), "/console/communities/guild/roles/"))
	if err != nil || !slices.Equal(artists.Permissions, []string{roster.PermAddReactions, roster.PermAttachFiles}) {
		t.Fatalf("Artists after saving: got %+v, %v", artists.Permissions, err)
	}

	// Drag it from the bottom to just below Mods.
	if got := order(t, db); !slices.Equal(got, []string{"Artists", "Helpers", "Mods", "Seniors", "admin"}) {
		t.Fatalf("the order before the drag: got %v", got)
	}
	step(t, tab, "drag Artists below Mods",
		chromedp.Navigate(base+"/console/communities/guild"),
		chromedp.WaitVisible(chromedp.ID("role-list")),
		chromedp.DragAndDrop(chromedp.CSS(`tr[data-role-id="`+artists.ID+`"] .handle`), chromedp.Search(`//tr[.//a[normalize-space()="Mods"]]/td[2]`)),
		chromedp.WaitVisible(chromedp.Search(`//tr[.//a[normalize-space()="Mods"]]/following-sibling::tr[1][.//a[normalize-space()="Artists"]]`)))
	deadline := time.Now().Add(10 * time.Second)
	for got := order(t, db); !slices.Equal(got, []string{"Helpers", "Artists", "Mods", "Seniors", "admin"}); got = order(t, db) {
		if time.Now().After(deadline) {
			t.Fatalf("the order after the drag: got %v, want Artists just below Mods", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := apiOrder(t, db, admin); !slices.Equal(got, []string{"Helpers", "Artists", "Mods", "Seniors", "admin"}) {
		t.Errorf("the order through the API after the drag: got %v", got)
	}
	step(t, tab, "the page after the drag", chromedp.WaitVisible(chromedp.ID("role-list")))
	screenshot(t, tab, "console-roles")

	// Give it to pat, then to the fifty fans in one batch.
	step(t, tab, "give Artists to pat",
		chromedp.Navigate(base+"/console/communities/guild/members/pat"),
		chromedp.SetValue(chromedp.ID("add-role"), artists.ID),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add role"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[@aria-label="Remove Artists"]`)))
	step(t, tab, "give Artists to fifty members in one batch",
		chromedp.Navigate(base+"/console/communities/guild/members"),
		chromedp.Click(chromedp.ID("select-all")),
		chromedp.SetValue(chromedp.ID("batch-role"), artists.ID),
		chromedp.Click(chromedp.Search(`//button[@value="add"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="notice" and contains(., "50 added")]`)))
	screenshot(t, tab, "console-members")
	if n, _ := db.CountRoleHolders(sys, "guild"); n[artists.ID] != 51 {
		t.Errorf("Artists' holders after the batch: got %d, want 51", n[artists.ID])
	}

	// Deny Artists SEND_MESSAGES in a new channel, and view it as a fan.
	step(t, tab, "set a channel overwrite",
		chromedp.Navigate(base+"/console/communities/guild/channels"),
		chromedp.SendKeys(chromedp.ID("channel-id"), "general"),
		chromedp.SendKeys(chromedp.ID("channel-name"), "general"),
		chromedp.Submit(chromedp.ID("channel-name")),
		chromedp.WaitVisible(chromedp.ID("pick-role")),
		chromedp.SetValue(chromedp.ID("pick-role"), artists.ID),
		chromedp.Submit(chromedp.ID("pick-role")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="p.SEND_MESSAGES"][value="deny"]`)),
		chromedp.Click(chromedp.CSS(`input[name="p.SEND_MESSAGES"][value="deny"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save overwrite"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="notice" and normalize-space()="Saved."]`)))
	screenshot(t, tab, "console-overwrite")
	if ch, err := db.FindChannel(sys, "guild", "general"); err != nil || len(ch.Overwrites) != 1 || !slices.Equal(ch.Overwrites[0].Deny, []string{roster.PermSendMessages}) {
		t.Fatalf("general's overwrites: got %+v, %v", ch.Overwrites, err)
	}
	step(t, tab, "view as fan07 in #general",
		chromedp.Navigate(base+"/console/communities/guild/view-as"),
		chromedp.SendKeys(chromedp.ID("view-user"), "fan07"),
		chromedp.SetValue(chromedp.ID("view-channel"), "general"),
		chromedp.Submit(chromedp.ID("view-user")),
		chromedp.WaitVisible(chromedp.Search(`//tr[.//code[.="SEND_MESSAGES"]]/td[1][.="no"]`)))
	row, err := chromedp.Run(tab, chromedp.Text(chromedp.Search(`//tr[.//code[.="SEND_MESSAGES"]]`)))
	if err != nil || !strings.Contains(row, "denied by deny overwrite for role Artists") {
		t.Errorf("view as fan07, SEND_MESSAGES: got %q, %v", row, err)
	}
	screenshot(t, tab, "console-view-as")

	// The audit log takes a change made elsewhere, without a reload.
	step(t, tab, "the audit log", chromedp.Navigate(base+"/console/communities/guild/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	eval[bool](t, tab, "window.stayed = true")
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "mo", RoleID: artists.ID}); err != nil {
		t.Fatal(err)
	}
	step(t, tab, "the new audit row", chromedp.WaitVisible(chromedp.Search(`//tr[contains(@class, "new")][.//code[.="member.role_added"]][.//code[.="mo"]]`)))
	if !eval[bool](t, tab, "window.stayed === true") {
		t.Errorf("the audit page reloaded to show the new row")
	}
	screenshot(t, tab, "console-audit")

	// A forged form is refused, and changes nothing.
	step(t, tab, "a forged form",
		chromedp.Navigate(base+"/console/communities/guild"),
		chromedp.SetValue(chromedp.CSS(`form[action$="/roles"] input[name=csrf]`), "forged"),
		chromedp.SendKeys(chromedp.ID("role-name"), "Forged"),
		chromedp.Submit(chromedp.ID("role-name")),
		chromedp.WaitVisible(chromedp.CSS(`p.error[data-code="csrf"]`)))
	if slices.Contains(order(t, db), "Forged") {
		t.Errorf("a forged form created its role")
	}
	// An idle session has expired: the next page asks to sign in again.
	clk.advance(31 * time.Minute)
	step(t, tab, "an expired session",
		chromedp.Navigate(base+"/console/communities/guild"),
		chromedp.WaitVisible(chromedp.ID("credential")))
}

// TestConsoleModeratorInABrowser signs a moderator in with a user token:
// the page disables what they may not do, with the reason, and forcing it
// in the page is refused by the server and shown inline.
func TestConsoleModeratorInABrowser(t *testing.T) {
	tab := newTab(t)
	srv, db, _ := mustTokenConsole(t)
	helpers, _, seniors := guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	base := srv.URL
	signInTab(t, tab, base, userToken(t, "mo"))

	step(t, tab, "Helpers' editor", chromedp.Navigate(base+"/console/communities/guild/roles/"+helpers.ID), chromedp.WaitVisible(chromedp.ID("perm-ADMINISTRATOR")))
	if !eval[bool](t, tab, `document.getElementById("perm-ADMINISTRATOR").disabled && !document.getElementById("perm-BAN_MEMBERS").disabled`) {
		t.Errorf("Helpers' editor: want ADMINISTRATOR disabled and BAN_MEMBERS enabled")
	}
	why, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("why-ADMINISTRATOR")))
	if err != nil || !strings.Contains(why, "you cannot grant ADMINISTRATOR") {
		t.Errorf("the reason shown: got %q, %v", why, err)
	}
	screenshot(t, tab, "console-moderator")
	// Force it: enable the box in the page and send the form.
	step(t, tab, "grant ADMINISTRATOR by force",
		chromedp.RemoveAttribute(chromedp.ID("perm-ADMINISTRATOR"), "disabled"),
		chromedp.Click(chromedp.ID("perm-ADMINISTRATOR")),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save changes"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error[data-code="cannot_grant_permission"]`)))
	if r, _ := db.FindRole(sys, "guild", helpers.ID); slices.Contains(r.Permissions, roster.PermAdministrator) {
		t.Errorf("Helpers after the forced grant: got %v", r.Permissions)
	}

	// A role above theirs is locked; a change sent anyway is refused.
	step(t, tab, "Seniors' editor", chromedp.Navigate(base+"/console/communities/guild/roles/"+seniors.ID), chromedp.WaitVisible(chromedp.ID("locked")))
	if eval[bool](t, tab, `!!document.querySelector("form.editor button[type=submit]")`) {
		t.Errorf("Seniors' editor offers to save")
	}
	status, err := chromedp.Run(tab, chromedp.Evaluate[float64](`(async () => {
		const f = document.querySelector("form.editor");
		const body = new URLSearchParams({csrf: f.elements.csrf.value, version: f.elements.version.value, name: "Juniors"});
		return (await fetch(f.action, {method: "POST", body})).status;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Errorf("renaming Seniors by a forced request: got %v, %v, want 403", status, err)
	}
	if r, _ := db.FindRole(sys, "guild", seniors.ID); r.Name != "Seniors" {
		t.Errorf("Seniors after the forced rename: got %q", r.Name)
	}
}
