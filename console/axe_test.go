package console_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster"
)

// axeSource is the vendored axe-core (testdata/axe, see its README): test
// code alone reads it, and the console never serves it.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("testdata/axe/axe.min.js")
	return string(b), err
})

// axeVersion reads the version from the script's banner, "/*! axe v4.14.1".
var axeVersion = regexp.MustCompile(`^/\*! axe v(\d+\.\d+\.\d+)`)

// axeFinding is one rule axe found broken, as the script below returns it.
type axeFinding struct {
	ID, Impact, Help string
	// Nodes counts the elements; Target, HTML and Summary are the first's.
	Nodes                 int
	Target, HTML, Summary string
}

// axeRun runs axe on the document and returns what it found: the rules it
// ran, those broken, seriously or not.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => ({
	engine: r.testEngine.name + " " + r.testEngine.version,
	rules: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length,
	violations: r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length,
		target: v.nodes.length ? JSON.stringify(v.nodes[0].target) : "",
		html: v.nodes.length ? v.nodes[0].html.slice(0, 200) : "",
		summary: v.nodes.length ? (v.nodes[0].failureSummary || "").replace(/\s+/g, " ").slice(0, 300) : "",
	})),
}))`

// axeViolations runs axe-core on the tab's current page and returns the
// violations of impact serious or critical, one readable line each (rule,
// impact, help, elements, the first's selector, markup and why); it logs
// the lesser ones. The script is evaluated through the DevTools protocol,
// which the console's CSP (script-src 'self') does not govern, and the
// helper fails the test unless axe really ran its rules on the page.
func axeViolations(t *testing.T, tab context.Context) []string {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("the vendored axe-core: %v", err)
	}
	m := axeVersion.FindStringSubmatch(src)
	if m == nil {
		t.Fatal("testdata/axe/axe.min.js does not start with axe's banner")
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[chromedp.Void](src)); err != nil {
		t.Fatalf("injecting axe-core: %v", err)
	}
	if got, err := chromedp.Run(tab, chromedp.Evaluate[string](`typeof axe === "object" ? axe.version : "none"`)); err != nil || got != m[1] {
		t.Fatalf("axe after injecting it: got version %q, %v; want %s", got, err, m[1])
	}
	run, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	res, err := chromedp.Run(run, chromedp.Evaluate[struct {
		Engine     string
		Rules      int
		Violations []axeFinding
	}](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	if res.Rules == 0 || !strings.HasPrefix(res.Engine, "axe-core ") {
		t.Fatalf("axe.run: got engine %q and %d rules run, want axe-core running its rules", res.Engine, res.Rules)
	}
	var serious []string
	for _, v := range res.Violations {
		line := fmt.Sprintf("%s (%s): %s; %d element(s), first %s %s: %s", v.ID, v.Impact, v.Help, v.Nodes, v.Target, v.HTML, v.Summary)
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, line)
		} else {
			t.Logf("axe, lesser: %s", line)
		}
	}
	return serious
}

// TestConsolePagesAreAccessible signs in with an API key in Chromium, then
// with a moderator's token, and runs axe-core on each page of consolePages,
// showing a community with roles, coloured and not, and members holding
// them: a serious or critical violation fails it. It first checks that axe
// does find what is wrong with a page made bad on purpose.
func TestConsolePagesAreAccessible(t *testing.T) {
	tab := newTab(t)
	srv, db, admin := mustTokenConsole(t)
	helpers, mods, seniors := guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	teal, about, badge := "#1f8a8a", "Long-standing members", true
	if _, _, err := db.UpdateRole(sys, "guild", seniors.ID, roster.RoleUpdate{Colour: &teal, Description: &about, Badge: &badge}); err != nil {
		t.Fatal(err)
	}
	// mo reads the audit log, so that the moderator sees every page but
	// the admin's.
	modPerms := []string{roster.PermManageRoles, roster.PermBanMembers, roster.PermViewAuditLog}
	if _, _, err := db.UpdateRole(sys, "guild", mods.ID, roster.RoleUpdate{Permissions: &modPerms}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.PutChannel(sys, roster.Channel{CommunityID: "guild", ID: "general", Name: "general"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SetOverwrite(sys, "guild", roster.Overwrite{ChannelID: "general", Type: roster.OverwriteRole, ID: helpers.ID, Allow: []string{roster.PermAttachFiles}, Deny: []string{roster.PermSendMessages}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddMembers(sys, "guild", []string{"fan01", "fan02", "fan03"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddRoles(sys, roster.Change{Scope: "guild", UserIDs: []string{"fan01", "fan02", "pat"}, RoleIDs: []string{helpers.ID, seniors.ID}}); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(30 * 24 * time.Hour)
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "fan01", RoleID: mods.ID, ExpiresAt: &expires}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "fan01", RoleID: seniors.ID, Source: roster.SourceProvisioning}); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(srv.URL + "/console/static/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /console/static/axe.min.js: got %d, want 404: axe-core is for the tests alone", resp.StatusCode)
	}

	t.Run("a bad page fails", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/console/signin"), chromedp.WaitVisible(chromedp.ID("credential"))); err != nil {
			t.Fatal(err)
		}
		if got := axeViolations(t, tab); len(got) != 0 {
			t.Fatalf("the sign-in page as served: got %q, want no violation", got)
		}
		bad := `document.querySelector("main").insertAdjacentHTML("beforeend",
			'<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20"><input id="unlabelled">'); true`
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](bad)); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(axeViolations(t, tab), "\n")
		for _, want := range []string{"image-alt (critical)", "label (critical)", `["#unlabelled"]`} {
			if !strings.Contains(got, want) {
				t.Errorf("a page with an image without alt text and an input without a label: want %q in\n%s", want, got)
			}
		}
	})

	// Each page as the admin key sees it, and as a moderator does, with
	// what their standing locks shown disabled and explained.
	for _, who := range []struct{ name, credential, role string }{
		{"key", admin, mods.ID},
		{"moderator", userToken(t, "mo"), helpers.ID},
	} {
		err = chromedp.Do(tab,
			chromedp.Navigate(srv.URL+"/console/signin"),
			chromedp.WaitVisible(chromedp.ID("credential")),
			chromedp.SendKeys(chromedp.ID("credential"), who.credential),
			chromedp.Submit(chromedp.ID("credential")),
			chromedp.WaitVisible(chromedp.CSS("header .who")),
		)
		if err != nil {
			t.Fatalf("signing in as the %s: %v", who.name, err)
		}
		for _, p := range consolePages("guild", who.role, "fan01", "general") {
			if p.admin && who.name != "key" {
				continue
			}
			t.Run(who.name+"/"+p.name, func(t *testing.T) {
				resp, err := chromedp.RunResponse(tab, chromedp.Navigate(srv.URL+p.path))
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != http.StatusOK {
					t.Fatalf("GET %s: got %d, want 200", p.path, resp.Status)
				}
				if v := axeViolations(t, tab); len(v) > 0 {
					t.Errorf("the %s page (%s) as the %s has %d serious or critical accessibility violations:\n%s",
						p.name, p.path, who.name, len(v), strings.Join(v, "\n"))
				}
			})
		}
	}
}
