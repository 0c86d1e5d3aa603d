package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

func TestConsoleMembers(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	helpers, mods, seniors := guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	b, csrf := signIn(t, srv, admin)

	// Add sixty members in one form; the list pages them.
	var ids []string
	for i := range 60 {
		ids = append(ids, fmt.Sprintf("fan%02d", i))
	}
	if resp, body := b.do("POST", "/console/communities/guild/members/add", url.Values{"csrf": {csrf}, "users": {strings.Join(ids, "\n") + "\nmo"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add members: got %d\n%s", resp.StatusCode, body)
	}
	if resp, body := b.do("POST", "/console/communities/guild/members/add", url.Values{"csrf": {csrf}, "users": {"bob\ncarol, dave"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add more members: got %d\n%s", resp.StatusCode, body)
	}
	_, body := b.do("GET", "/console/communities/guild/members", nil)
	if !strings.Contains(body, "63 joined, 1 already member.") || strings.Count(body, `name="user"`) != 50 || !strings.Contains(body, "cursor=") {
		t.Errorf("the first page after adding: want the notice, 50 members and a next page\n%s", body)
	}
	if _, body = b.do("GET", "/console/communities/guild/members", nil); strings.Contains(body, "joined") {
		t.Errorf("the notice shows once; got it again")
	}
	// A list with one bad id adds nobody.
	if resp, body := b.do("POST", "/console/communities/guild/members/add", url.Values{"csrf": {csrf}, "users": {"newbie1 newbie2 bad!id"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
		t.Errorf("add a list with a bad id: got %d\n%s", resp.StatusCode, body)
	}
	if _, err := db.FindMember(sys, "guild", "newbie1"); roster.ErrorCode(err) != roster.EMEMBERNOTFOUND {
		t.Errorf("newbie1 after a refused list: got %v, want no member", err)
	}
	if resp, body := b.do("POST", "/console/communities/guild/members/bob/name", url.Values{"csrf": {csrf}, "displayName": {"Bob the Builder"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("name bob: got %d\n%s", resp.StatusCode, body)
	}
	if m, err := db.FindMember(sys, "guild", "bob"); err != nil || m.DisplayName != "Bob the Builder" {
		t.Errorf("bob after naming: got %+v, %v", m, err)
	}
	if resp, _ := b.do("POST", "/console/communities/guild/members/nobody/name", url.Values{"csrf": {csrf}, "displayName": {"x"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("naming a user who is not a member: got %d, want 404", resp.StatusCode)
	}
	if resp, body := b.do("POST", "/console/communities/guild/members/add", url.Values{"csrf": {csrf}, "users": {" \n"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
		t.Errorf("add nobody: got %d", resp.StatusCode)
	}
	if _, body = b.do("GET", "/console/communities/guild/members?q=fan5", nil); strings.Count(body, `name="user"`) != 10 {
		t.Errorf("a search for fan5: want 10 members\n%s", body)
	}
	if resp, body := b.do("GET", "/console/communities/guild/members?cursor=garbage", nil); resp.StatusCode >= 500 || !strings.Contains(body, `class="error"`) {
		t.Errorf("a bad cursor: got %d, want the refusal on the page", resp.StatusCode)
	}

	// Give Helpers to fifty of them in one batch (as a page without script sends it).
	form := url.Values{"csrf": {csrf}, "role": {helpers.ID}, "action": {"add"}, "user": ids[:50]}
	if resp, body := b.do("POST", "/console/communities/guild/members/batch", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("batch add: got %d\n%s", resp.StatusCode, body)
	}
	if _, body = b.do("GET", "/console/communities/guild/members", nil); !strings.Contains(body, "50 added.") {
		t.Errorf("after the batch: want 50 added\n%s", body)
	}
	if n, _ := db.CountRoleHolders(sys, "guild"); n[helpers.ID] != 50 {
		t.Errorf("Helpers' holders after the batch: got %d, want 50", n[helpers.ID])
	}
	form.Set("action", "remove")
	form["user"] = ids[:5]
	b.do("POST", "/console/communities/guild/members/batch", form)
	if n, _ := db.CountRoleHolders(sys, "guild"); n[helpers.ID] != 45 {
		t.Errorf("Helpers' holders after removing five: got %d, want 45", n[helpers.ID])
	}

	// A member's page: a provisioning grant is shown as such and not
	// removable here; a grant by hand with an expiry shows it.
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "fan07", RoleID: seniors.ID, Source: roster.SourceProvisioning}); err != nil {
		t.Fatal(err)
	}
	page := "/console/communities/guild/members/fan07"
	if resp, body := b.do("POST", page+"/roles", url.Values{"csrf": {csrf}, "role": {mods.ID}, "expires": {"2099-01-31T18:00"}, "tz": {"-60"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add Mods with an expiry: got %d\n%s", resp.StatusCode, body)
	}
	_, body = b.do("GET", page, nil)
	if !strings.Contains(body, "by provisioning") || !strings.Contains(body, "only through provisioning grants, which a manual removal does not remove") || !strings.Contains(body, `datetime="2099-01-31T17:00:00Z"`) {
		t.Errorf("fan07's page: want Seniors by provisioning, locked, and Mods until 17:00 UTC\n%s", body)
	}
	if resp, body := b.do("POST", page+"/roles/"+seniors.ID+"/remove", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, `data-code="granted_by_source"`) {
		t.Errorf("forcing the removal of a provisioning grant: got %d\n%s", resp.StatusCode, body)
	}
	if resp, body := b.do("POST", page+"/roles", url.Values{"csrf": {csrf}, "role": {mods.ID}, "expires": {"tomorrow"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
		t.Errorf("a bad expiry: got %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.do("POST", page+"/roles/"+mods.ID+"/remove", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove Mods: got %d", resp.StatusCode)
	}
	if m, _ := db.FindMember(sys, "guild", "fan07"); len(m.Roles) != 2 {
		t.Errorf("fan07 after removing Mods: got %+v, want Helpers and Seniors", m.Roles)
	}
	if resp, _ := b.do("POST", page+"/remove", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove fan07: got %d", resp.StatusCode)
	}
	if _, err := db.FindMember(sys, "guild", "fan07"); roster.ErrorCode(err) != roster.EMEMBERNOTFOUND {
		t.Errorf("after removing fan07: got %v", err)
	}

	// A moderator is offered only the roles below theirs, and refused the others.
	m, mcsrf := signIn(t, srv, userToken(t, "mo"))
	_, body = m.do("GET", "/console/communities/guild/members/fan01", nil)
	if !strings.Contains(body, `<option value="`+helpers.ID+`">`) && !strings.Contains(body, "Remove Helpers") || strings.Contains(body, `<option value="`+seniors.ID+`">`) {
		t.Errorf("mo on fan01's page: want Helpers offered and Seniors not\n%s", body)
	}
	if resp, body := m.do("POST", "/console/communities/guild/members/batch", url.Values{"csrf": {mcsrf}, "role": {seniors.ID}, "action": {"add"}, "user": ids[10:20]}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `data-code="role_hierarchy"`) {
		t.Errorf("mo giving Seniors in a batch: got %d\n%s", resp.StatusCode, body)
	}
	if n, _ := db.CountRoleHolders(sys, "guild"); n[seniors.ID] != 0 {
		t.Errorf("Seniors' holders after a refused batch: got %d, want 0", n[seniors.ID])
	}
}
