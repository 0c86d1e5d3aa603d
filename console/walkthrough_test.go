package console_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/console"
)

// TestReadmeWalkthroughInABrowser does the README's walkthrough in the
// console, as its section "The console" tells it, in Chromium, and checks
// each step's result through the store.
func TestReadmeWalkthroughInABrowser(t *testing.T) {
	tab := newTab(t)
	srv, db, admin := mustConsole(t, console.Options{})
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	base := srv.URL
	signInTab(t, tab, base, admin)
	saved := chromedp.WaitVisible(chromedp.Search(`//p[@class="notice" and normalize-space()="Saved."]`))

	// 1. A permission of our own, and The Guild, owned by alice.
	step(t, tab, "register REDEEM_REWARDS",
		chromedp.Click(chromedp.Search(`//header//a[normalize-space()="Permissions"]`)),
		chromedp.SendKeys(chromedp.ID("perm-key"), "REDEEM_REWARDS"),
		chromedp.SendKeys(chromedp.ID("perm-description"), "Redeem loyalty rewards"),
		chromedp.Submit(chromedp.ID("perm-key")),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="notice" and contains(., "REDEEM_REWARDS was registered")]`)))
	step(t, tab, "create The Guild",
		chromedp.Click(chromedp.Search(`//header//a[normalize-space()="Roster"]`)),
		chromedp.SendKeys(chromedp.ID("name"), "The Guild"),
		chromedp.SendKeys(chromedp.ID("id"), "guild"),
		chromedp.SendKeys(chromedp.ID("owner"), "alice"),
		chromedp.Submit(chromedp.ID("name")),
		chromedp.Click(chromedp.Search(`//a[normalize-space()="The Guild"]`)),
		chromedp.WaitVisible(chromedp.ID("role-list")))
	if c, err := db.FindCommunity(sys, "guild"); err != nil || c.OwnerID == nil || *c.OwnerID != "alice" {
		t.Fatalf("The Guild: got %+v, %v", c, err)
	}

	// 2. Roles Moderator and VIP.
	makeRole := func(name, colour string, perms ...string) roster.Role {
		t.Helper()
		actions := []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(base + "/console/communities/guild"),
			chromedp.SendKeys(chromedp.ID("role-name"), name),
			chromedp.Submit(chromedp.ID("role-name")),
			chromedp.WaitVisible(chromedp.ID("perm-MANAGE_POSTS")),
		}
		if colour != "" {
			actions = append(actions, chromedp.Click(chromedp.CSS(`input[name=hascolour]`)), chromedp.SetValue(chromedp.ID("role-colour"), colour))
		} else {
			actions = append(actions, chromedp.Click(chromedp.CSS(`input[name=badge]`)))
		}
		for _, p := range perms {
			actions = append(actions, chromedp.Click(chromedp.ID("perm-"+p)))
		}
		actions = append(actions, chromedp.Click(chromedp.Search(`//button[normalize-space()="Save changes"]`)), saved)
		step(t, tab, "create role "+name, actions...)
		r, err := db.FindRole(sys, "guild", strings.TrimPrefix(eval[string](t, tab, "location.pathname"), "/console/communities/guild/roles/"))
		if err != nil || !slices.Equal(r.Permissions, perms) {
			t.Fatalf("role %s: got %+v, %v", name, r, err)
		}
		return r
	}
	mod := makeRole("Moderator", "#3366ff", roster.PermManagePosts, roster.PermMuteMembers)
	vip := makeRole("VIP", "", "REDEEM_REWARDS")
	if mod.Colour == nil || *mod.Colour != "#3366ff" {
		t.Errorf("Moderator's colour: got %v", mod.Colour)
	}
	if r, _ := db.FindRole(sys, "guild", vip.ID); !r.Badge {
		t.Errorf("VIP is not a badge")
	}

	// 3. Members bob, carol and dave; bob's display name; VIP to all three
	// in one batch, and Moderator to bob.
	step(t, tab, "add members",
		chromedp.Navigate(base+"/console/communities/guild/members"),
		chromedp.SendKeys(chromedp.ID("new-users"), "bob\ncarol\ndave"),
		chromedp.Submit(chromedp.ID("new-users")),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="notice" and contains(., "3 joined")]`)))
	step(t, tab, "VIP to three",
		chromedp.Click(chromedp.Search(`//input[@name="user" and @value="bob"]`)),
		chromedp.Click(chromedp.Search(`//input[@name="user" and @value="carol"]`)),
		chromedp.Click(chromedp.Search(`//input[@name="user" and @value="dave"]`)),
		chromedp.SetValue(chromedp.ID("batch-role"), vip.ID),
		chromedp.Click(chromedp.Search(`//button[@value="add"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="notice" and contains(., "3 added")]`)))
	step(t, tab, "bob's name and Moderator",
		chromedp.Navigate(base+"/console/communities/guild/members/bob"),
		chromedp.Clear(chromedp.ID("display-name")),
		chromedp.SendKeys(chromedp.ID("display-name"), "Bob"),
		chromedp.Submit(chromedp.ID("display-name")),
		saved,
		chromedp.SetValue(chromedp.ID("add-role"), mod.ID),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add role"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[@aria-label="Remove Moderator"]`)))
	if m, err := db.FindMember(sys, "guild", "bob"); err != nil || m.DisplayName != "Bob" || len(m.Roles) != 2 {
		t.Errorf("bob: got %+v, %v, want Bob with Moderator and VIP", m, err)
	}

	// 4. A read-only channel: everyone denied SEND_MESSAGES, Moderator allowed.
	overwrite := func(role, effect string) {
		t.Helper()
		step(t, tab, "overwrite for "+role,
			chromedp.Navigate(base+"/console/communities/guild/channels/announcements"),
			chromedp.SetValue(chromedp.ID("pick-role"), role),
			chromedp.Submit(chromedp.ID("pick-role")),
			chromedp.Click(chromedp.CSS(`input[name="p.SEND_MESSAGES"][value="`+effect+`"]`)),
			chromedp.Click(chromedp.Search(`//button[normalize-space()="Save overwrite"]`)),
			saved)
	}
	step(t, tab, "create #announcements",
		chromedp.Navigate(base+"/console/communities/guild/channels"),
		chromedp.SendKeys(chromedp.ID("channel-id"), "announcements"),
		chromedp.SendKeys(chromedp.ID("channel-name"), "Announcements"),
		chromedp.Submit(chromedp.ID("channel-id")),
		chromedp.WaitVisible(chromedp.ID("pick-role")))
	everyone, _ := db.FindRole(sys, "guild", roster.BuiltinEveryone)
	overwrite(everyone.ID, "deny")
	overwrite(mod.ID, "allow")

	// 5. View as bob and carol in #announcements.
	viewAs := func(user string) string {
		t.Helper()
		step(t, tab, "view as "+user,
			chromedp.Navigate(base+"/console/communities/guild/view-as?channel=announcements&user="+user),
			chromedp.WaitVisible(chromedp.Search(`//tr[.//code[.="SEND_MESSAGES"]]`)))
		row, err := chromedp.Run(tab, chromedp.Text(chromedp.Search(`//tr[.//code[.="SEND_MESSAGES"]]`)))
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	if row := viewAs("bob"); !strings.Contains(row, "yes") || !strings.Contains(row, "allow overwrite for role Moderator") {
		t.Errorf("bob in #announcements: got %q, want SEND_MESSAGES allowed by Moderator's overwrite", row)
	}
	if row := viewAs("carol"); !strings.Contains(row, "no") || !strings.Contains(row, "denied by deny overwrite for role everyone") {
		t.Errorf("carol in #announcements: got %q, want SEND_MESSAGES denied by everyone's overwrite", row)
	}

	// VIP off carol; everyone's editor offers no delete.
	step(t, tab, "remove VIP from carol",
		chromedp.Navigate(base+"/console/communities/guild/members/carol"),
		chromedp.Click(chromedp.Search(`//button[@aria-label="Remove VIP"]`)),
		chromedp.WaitNotPresent(chromedp.Search(`//button[@aria-label="Remove VIP"]`)))
	if m, _ := db.FindMember(sys, "guild", "carol"); len(m.Roles) != 0 {
		t.Errorf("carol after removing VIP: got %+v", m.Roles)
	}
	step(t, tab, "everyone's editor", chromedp.Navigate(base+"/console/communities/guild/roles/"+everyone.ID), chromedp.WaitVisible(chromedp.ID("perm-SEND_MESSAGES")))
	if eval[bool](t, tab, `!!document.querySelector('form[action$="/delete"]')`) || !strings.Contains(eval[string](t, tab, "document.body.innerText"), "cannot be deleted") {
		t.Errorf("everyone's editor: want no delete, and why")
	}

	// 6. The audit log, filtered to member changes.
	step(t, tab, "the audit log",
		chromedp.Navigate(base+"/console/communities/guild/audit?action=member."),
		chromedp.WaitVisible(chromedp.Search(`//tr[.//code[.="member.role_removed"]][.//code[.="carol"]]`)))
}
