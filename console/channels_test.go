package console_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

func TestConsoleChannelsAndViewAs(t *testing.T) {
	t.Parallel()
	srv, db, admin := mustTokenConsole(t)
	helpers, mods, seniors := guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	b, csrf := signIn(t, srv, admin)

	if resp, body := b.do("POST", "/console/communities/guild/channels", url.Values{"csrf": {csrf}, "id": {"general"}, "name": {"general"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create a channel: got %d\n%s", resp.StatusCode, body)
	}
	if resp, body := b.do("POST", "/console/communities/guild/channels", url.Values{"csrf": {csrf}, "id": {"bad id"}, "name": {"x"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
		t.Errorf("a channel with a bad id: got %d\n%s", resp.StatusCode, body)
	}
	if _, body := b.do("GET", "/console/communities/guild/channels", nil); !strings.Contains(body, "#general") {
		t.Errorf("the channels page: want #general\n%s", body)
	}

	// everyone may not send in #general; Helpers may.
	edit := "/console/communities/guild/channels/general/overwrites"
	for _, form := range []url.Values{
		{"type": {"role"}, "id": {"everyone"}, "p.SEND_MESSAGES": {"deny"}, "p.VIEW_CHANNEL": {""}},
		{"type": {"role"}, "id": {helpers.ID}, "p.SEND_MESSAGES": {"allow"}},
	} {
		form.Set("csrf", csrf)
		if resp, body := b.do("POST", edit, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set %v: got %d\n%s", form, resp.StatusCode, body)
		}
	}
	ch, err := db.FindChannel(sys, "guild", "general")
	if err != nil || len(ch.Overwrites) != 2 || !slices.Equal(ch.Overwrites[0].Deny, []string{roster.PermSendMessages}) || !slices.Equal(ch.Overwrites[1].Allow, []string{roster.PermSendMessages}) {
		t.Fatalf("the overwrites: got %+v, %v", ch.Overwrites, err)
	}
	_, body := b.do("GET", "/console/communities/guild/channels/general?type=role&id="+helpers.ID, nil)
	if !strings.Contains(body, `name="p.SEND_MESSAGES" value="allow" aria-label="SEND_MESSAGES: allow" checked`) {
		t.Errorf("the editor of Helpers' overwrite: want SEND_MESSAGES allowed\n%s", body)
	}
	if resp, body := b.do("POST", edit, url.Values{"csrf": {csrf}, "type": {"team"}, "id": {"x"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an overwrite of a bad type: got %d\n%s", resp.StatusCode, body)
	}

	// View as: pat is denied SEND_MESSAGES in #general, with the overwrite named.
	if _, _, err := db.AddMembers(sys, "guild", []string{"hal"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "hal", RoleID: helpers.ID}); err != nil {
		t.Fatal(err)
	}
	_, body = b.do("GET", "/console/communities/guild/view-as?user=pat&channel=general", nil)
	if !strings.Contains(body, "denied by deny overwrite for role everyone") {
		t.Errorf("view as pat in #general: want SEND_MESSAGES denied by everyone's overwrite\n%s", body)
	}
	_, body = b.do("GET", "/console/communities/guild/view-as?user=hal&channel=general", nil)
	row, _, _ := strings.Cut(body[strings.Index(body, "<code>SEND_MESSAGES</code>")+1:], "</tr>")
	if !strings.Contains(row, "<td>yes</td>") || !strings.Contains(row, "allow overwrite for role Helpers") {
		t.Errorf("view as hal in #general: want SEND_MESSAGES allowed by Helpers' overwrite\n%s", body)
	}
	if resp, body := b.do("GET", "/console/communities/guild/view-as?user=bad%20id", nil); resp.StatusCode >= 500 || resp.StatusCode < 400 || !strings.Contains(body, `class="error"`) {
		t.Errorf("view as a bad id: got %d", resp.StatusCode)
	}

	// Clearing every permission removes the overwrite.
	if resp, _ := b.do("POST", edit, url.Values{"csrf": {csrf}, "type": {"role"}, "id": {helpers.ID}, "p.SEND_MESSAGES": {""}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("clear Helpers' overwrite: got %d", resp.StatusCode)
	}
	if ch, _ := db.FindChannel(sys, "guild", "general"); len(ch.Overwrites) != 1 {
		t.Errorf("after clearing: got %+v, want everyone's alone", ch.Overwrites)
	}

	// mo (Mods, without MANAGE_CHANNELS) sees the editor locked and is refused.
	m, mcsrf := signIn(t, srv, userToken(t, "mo"))
	if _, body := m.do("GET", "/console/communities/guild/channels/general?type=role&id="+seniors.ID, nil); !strings.Contains(body, `id="locked"`) || !strings.Contains(body, "MANAGE_CHANNELS") {
		t.Errorf("mo's overwrite editor: want it locked for MANAGE_CHANNELS\n%s", body)
	}
	if resp, body := m.do("POST", edit, url.Values{"csrf": {mcsrf}, "type": {"role"}, "id": {mods.ID}, "p.BAN_MEMBERS": {"allow"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `data-code="missing_permission"`) {
		t.Errorf("mo forcing an overwrite: got %d\n%s", resp.StatusCode, body)
	}
}

func TestConsoleAudit(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	srv, db, admin := mustTokenConsoleAt(t, clk)
	helpers, _, _ := guild(t, db)
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	b, _ := signIn(t, srv, admin)

	resp, body := b.do("GET", "/console/communities/guild/audit", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<code>member.role_added</code>") || !strings.Contains(body, "data-live=") {
		t.Fatalf("the audit page: got %d\n%s", resp.StatusCode, body)
	}
	if _, body = b.do("GET", "/console/communities/guild/audit?action=role.", nil); strings.Contains(body, "<code>member.role_added</code>") || !strings.Contains(body, "<code>role.created</code>") {
		t.Errorf("filtered by role.: want role events alone\n%s", body)
	}
	if _, body = b.do("GET", "/console/communities/guild/audit?since=2099-01-01T00:00&tz=0", nil); strings.Contains(body, "<code>role.created</code>") {
		t.Errorf("since 2099: want no events\n%s", body)
	}
	if resp, body := b.do("GET", "/console/communities/guild/audit?since=soon", nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
		t.Errorf("a bad since: got %d", resp.StatusCode)
	}

	// The live rows: what came after the revision the page was made at.
	rev, err := db.CurrentRevision(sys)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "pat", RoleID: helpers.ID}); err != nil {
		t.Fatal(err)
	}
	resp, body = b.do("GET", "/console/communities/guild/audit/live?after="+strconv.FormatInt(int64(rev), 10), nil)
	if resp.StatusCode != http.StatusOK || strings.Count(body, "<tr ") != 1 || !strings.Contains(body, "<code>member.role_added</code>") || !strings.Contains(body, "<code>pat</code>") {
		t.Errorf("the live rows: got %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.do("GET", "/console/communities/guild/audit/live?after=-1", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("live rows after -1: got %d, want 400", resp.StatusCode)
	}

	// The live rows do not keep an idle session alive.
	for range 4 {
		clk.advance(10 * time.Minute)
		b.do("GET", "/console/communities/guild/audit/live?after="+strconv.FormatInt(int64(rev), 10), nil)
	}
	if resp, _ := b.do("GET", "/console/communities/guild/audit", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after 40 minutes of live rows alone: got %d, want 303 to sign in", resp.StatusCode)
	}

	// mo lacks VIEW_AUDIT_LOG: the page says so.
	m, _ := signIn(t, srv, userToken(t, "mo"))
	if resp, body := m.do("GET", "/console/communities/guild/audit", nil); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "VIEW_AUDIT_LOG") {
		t.Errorf("mo's audit page: got %d, want 403 naming VIEW_AUDIT_LOG\n%s", resp.StatusCode, body)
	}
}
