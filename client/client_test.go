package client_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/events"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

func TestMain(m *testing.M) { os.Exit(sqltest.Main(m)) }

// server serves the API over a new database of the engine, with the change
// feed, and returns its URL and admin key; wrap, when not nil, wraps its
// handler.
func server(t *testing.T, e sqltest.Engine, wrap func(http.Handler) http.Handler) (string, string) {
	t.Helper()
	ctx := context.Background()
	db := e.Open(t, sqlstore.Options{})
	admin, err := db.EnsureBootstrapKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(ctx, db, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	feed, err := events.Open(ctx, db, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = api.New(index.NewService(db, ix), api.Options{Feed: feed, Log: slog.New(slog.DiscardHandler)})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		feed.Close()
		ix.Close()
	})
	return srv.URL, admin
}

func must[T any](t *testing.T, what string) func(T, roster.Revision, error) (T, roster.Revision) {
	return func(v T, rev roster.Revision, err error) (T, roster.Revision) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if rev == 0 {
			t.Fatalf("%s: answered no revision", what)
		}
		return v, rev
	}
}

// TestWalkthrough does the README's walkthrough through the client, on
// each engine: every write returns its revision, which a check then waits
// for; refusals are *roster.Error with the server's code.
func TestWalkthrough(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		t.Parallel()
		ctx := context.Background()
		base, admin := server(t, e, nil)
		c, err := client.New(base, client.WithKey(admin))
		if err != nil {
			t.Fatal(err)
		}
		must[roster.Permission](t, "CreatePermission")(c.CreatePermission(ctx, roster.Permission{Key: "REDEEM_REWARDS", Description: "Redeem loyalty rewards"}))
		alice := "alice"
		must[roster.Community](t, "CreateCommunity")(c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "The Guild", OwnerID: &alice}))
		blue := "#3366FF"
		mod, _ := must[roster.Role](t, "CreateRole")(c.CreateRole(ctx, "guild", roster.Role{Name: "Moderator", Permissions: []string{roster.PermManagePosts, roster.PermMuteMembers}, Colour: &blue}))
		vip, _ := must[roster.Role](t, "CreateRole")(c.CreateRole(ctx, "guild", roster.Role{Name: "VIP", Permissions: []string{"REDEEM_REWARDS"}, Badge: true}))
		for _, u := range []string{"bob", "carol", "dave"} {
			name := u
			got, _ := must[roster.Upserted[roster.Member]](t, "AddMember")(c.AddMember(ctx, "guild", u, &name))
			if !got.Created || got.Value.DisplayName != u {
				t.Errorf("AddMember %s: got %+v", u, got)
			}
		}
		must[roster.RoleResult](t, "AddRole")(c.AddRole(ctx, roster.RoleGrant{Scope: "guild", UserID: "bob", RoleID: mod.ID}))
		res, rev := must[[]roster.PairResult](t, "AddRoles")(c.AddRoles(ctx, roster.Change{Scope: "guild", UserIDs: []string{"bob", "carol", "dave"}, RoleIDs: []string{vip.ID}}))
		if len(res) != 3 || res[0].Result != roster.Added {
			t.Errorf("AddRoles: got %+v", res)
		}
		allowed, at, err := c.Check(ctx, []roster.Check{
			{CommunityID: "guild", UserID: "bob", Permission: roster.PermManagePosts},
			{CommunityID: "guild", UserID: "carol", Permission: roster.PermManagePosts},
		}, rev)
		if err != nil || !slices.Equal(allowed, []bool{true, false}) || at < rev {
			t.Errorf("Check at %d: got %v at %d, %v; want bob yes, carol no", rev, allowed, at, err)
		}
		eff, _, err := c.EffectivePermissions(ctx, "guild", "", "bob")
		if err != nil || len(eff.Explain[roster.PermManagePosts]) != 1 || eff.Explain[roster.PermManagePosts][0].RoleID != mod.ID {
			t.Errorf("bob's permissions: got %+v, %v", eff, err)
		}

		// A read-only channel.
		must[roster.Upserted[roster.Channel]](t, "PutChannel")(c.PutChannel(ctx, roster.Channel{CommunityID: "guild", ID: "announcements", Name: "Announcements"}))
		must[roster.Overwrite](t, "SetOverwrite")(c.SetOverwrite(ctx, "guild", roster.Overwrite{ChannelID: "announcements", Type: roster.OverwriteRole, ID: roster.BuiltinEveryone, Deny: []string{roster.PermSendMessages}}))
		_, rev = must[roster.Overwrite](t, "SetOverwrite")(c.SetOverwrite(ctx, "guild", roster.Overwrite{ChannelID: "announcements", Type: roster.OverwriteRole, ID: mod.ID, Allow: []string{roster.PermSendMessages}}))
		for user, want := range map[string]bool{"bob": true, "carol": false} {
			ok, _, err := c.Allowed(ctx, roster.Check{CommunityID: "guild", ChannelID: "announcements", UserID: user, Permission: roster.PermSendMessages}, rev)
			if err != nil || ok != want {
				t.Errorf("%s may send in #announcements: got %v, %v, want %v", user, ok, err, want)
			}
		}

		// Remove a role; the built-in everyone role cannot be deleted.
		must[roster.RoleResult](t, "RemoveRole")(c.RemoveRole(ctx, roster.RoleGrant{Scope: "guild", UserID: "carol", RoleID: vip.ID}))
		_, err = c.DeleteRole(ctx, "guild", roster.BuiltinEveryone, roster.RoleDelete{})
		if roster.ErrorCode(err) != roster.EROLEPROTECTED {
			t.Errorf("DeleteRole everyone: got %v, want role_protected", err)
		}

		// The audit log, newest first, and the change feed from a revision.
		events, _, err := c.ListEvents(ctx, roster.EventFilter{CommunityID: "guild", Newest: true}, roster.Page{Limit: 1})
		if err != nil || len(events) != 1 || events[0].Action != roster.ActionMemberRoleRemoved {
			t.Errorf("the newest event: got %+v, %v", events, err)
		}
		page, err := c.Follow(ctx, roster.EventFilter{CommunityID: "guild", Action: "channel."}, 0, 100, 0)
		if err != nil || len(page.Events) != 3 || page.Next == 0 {
			t.Errorf("Follow channel.: got %d events to %d, %v; want the channel and its two overwrites", len(page.Events), page.Next, err)
		}
		if head, err := c.CurrentRevision(ctx); err != nil || head < rev {
			t.Errorf("CurrentRevision: got %d, %v, want at least %d", head, err, rev)
		}
	})
}

// A refusal is a *roster.Error with the server's code, fields and facts;
// a user acting through the key meets the guards.
func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, admin := server(t, sqltest.SQLite, nil)
	c, _ := client.New(base, client.WithKey(admin))
	_, err := c.FindCommunity(ctx, "nowhere")
	if roster.ErrorCode(err) != roster.ECOMMUNITYNOTFOUND {
		t.Errorf("FindCommunity nowhere: got %v", err)
	}
	_, _, err = c.CreateCommunity(ctx, roster.Community{ID: "bad id", Name: ""})
	var e *roster.Error
	if roster.ErrorCode(err) != roster.EVALIDATION || !errors.As(err, &e) || len(e.Fields) < 1 {
		t.Errorf("CreateCommunity with a bad id and no name: got %#v", err)
	}
	alice := "alice"
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild", OwnerID: &alice}); err != nil {
		t.Fatal(err)
	}
	r, _, _ := c.CreateRole(ctx, "guild", roster.Role{Name: "Held"})
	if _, _, err := c.AddRole(ctx, roster.RoleGrant{Scope: "guild", UserID: "alice", RoleID: r.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRole(ctx, "guild", r.ID, roster.RoleDelete{})
	if !errors.As(err, &e) || e.Code != roster.EROLEINUSE || e.Extra["holders"] != float64(1) {
		t.Errorf("DeleteRole of a held role: got %#v, want role_in_use with its holders", err)
	}
	_, _, err = c.UpdateRole(ctx, "guild", r.ID, roster.RoleUpdate{Name: ptr("Again"), IfVersion: 7})
	if roster.ErrorCode(err) != roster.EVERSIONMISMATCH {
		t.Errorf("UpdateRole at a wrong version: got %v", err)
	}
	key, _, err := c.CreateAPIKey(ctx, roster.APIKey{Name: "bot", Scopes: []string{roster.ScopeWrite}, ActAs: true})
	if err != nil {
		t.Fatal(err)
	}
	bot, _ := client.New(base, client.WithKey(key.Secret))
	_, _, err = bot.As("mallory").CreateRole(ctx, "guild", roster.Role{Name: "Mine"})
	if roster.ErrorCode(err) != roster.EMISSINGPERMISSION {
		t.Errorf("a role created by mallory through the bot: got %v, want missing_permission", err)
	}
	if _, err := client.New("ftp://example.com"); err == nil {
		t.Errorf("New with an ftp URL: want an error")
	}
	dead, _ := client.New("http://127.0.0.1:1", client.WithKey(admin))
	var un *client.Unreachable
	if _, err := dead.FindCommunity(ctx, "guild"); !errors.As(err, &un) {
		t.Errorf("a server that does not answer: got %v, want *client.Unreachable", err)
	}
}

// All pages through a list, one request per page.
func TestAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var gets atomic.Int32
	base, admin := server(t, sqltest.SQLite, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "GET" {
				gets.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	c, _ := client.New(base, client.WithKey(admin))
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild"}); err != nil {
		t.Fatal(err)
	}
	var users []string
	for i := range 25 {
		users = append(users, "u"+string(rune('a'+i)))
	}
	if _, _, err := c.AddMembers(ctx, "guild", users); err != nil {
		t.Fatal(err)
	}
	gets.Store(0)
	var got []string
	for m, err := range client.All(10, func(p roster.Page) ([]roster.Member, string, error) {
		return c.ListMembers(ctx, "guild", roster.MemberFilter{}, p)
	}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.UserID)
	}
	if !slices.Equal(got, users) || gets.Load() != 3 {
		t.Errorf("All members by 10: got %v in %d requests, want the 25 in 3", got, gets.Load())
	}
	gets.Store(0)
	for range client.All(10, func(p roster.Page) ([]roster.Member, string, error) {
		return c.ListMembers(ctx, "guild", roster.MemberFilter{}, p)
	}) {
		break
	}
	if gets.Load() != 1 {
		t.Errorf("stopping after the first member: %d requests, want 1", gets.Load())
	}
}

// Transient refusals are retried, a bounded number of times; others are
// not.
func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var failures, posts atomic.Int32
	base, admin := server(t, sqltest.SQLite, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				posts.Add(1)
				if failures.Add(-1) >= 0 {
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(http.StatusConflict)
					w.Write([]byte(`{"type":"urn:roster:problem:write_conflict","title":"Conflict","status":409,"detail":"try again","code":"write_conflict","errors":[]}`))
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	c, _ := client.New(base, client.WithKey(admin), client.WithRetry(client.Retry{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}))
	failures.Store(2)
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild"}); err != nil || posts.Load() != 3 {
		t.Errorf("two conflicts then success: got %v after %d tries, want success after 3", err, posts.Load())
	}
	failures.Store(5)
	posts.Store(0)
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "other", Name: "Other"}); roster.ErrorCode(err) != roster.EWRITECONFLICT || posts.Load() != 3 {
		t.Errorf("conflicts all along: got %v after %d tries, want write_conflict after 3", err, posts.Load())
	}
	failures.Store(0)
	posts.Store(0)
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Again"}); roster.ErrorCode(err) != roster.ECOMMUNITYEXISTS || posts.Load() != 1 {
		t.Errorf("a refusal that is not transient: got %v after %d tries, want community_exists after 1", err, posts.Load())
	}
}

func ptr[T any](v T) *T { return &v }

// Watch streams the changes as they come; Health answers.
func TestWatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, admin := server(t, sqltest.SQLite, nil)
	c, _ := client.New(base, client.WithKey(admin))
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild"}); err != nil {
		t.Fatal(err)
	}
	head, _ := c.CurrentRevision(ctx)
	got := make(chan roster.Event, 10)
	go func() {
		for e, err := range c.Watch(ctx, roster.EventFilter{CommunityID: "guild", Action: "member."}, head) {
			if err != nil {
				return
			}
			got <- e
		}
	}()
	if _, _, err := c.AddMembers(ctx, "guild", []string{"bob", "carol"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bob", "carol"} {
		select {
		case e := <-got:
			if e.Action != roster.ActionMemberJoined || e.TargetID != want || e.Revision <= head {
				t.Errorf("watched: got %s %s at %d, want %s joining after %d", e.Action, e.TargetID, e.Revision, want, head)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no event for %s", want)
		}
	}
}
