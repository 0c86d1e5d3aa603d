package client_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
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

// stack is one server over a database: its index, feed and HTTP server,
// at an address that outlives it, so that it can be stopped and started
// again there.
type stack struct {
	addr string
	srv  *http.Server
	ix   *index.Index
	feed *events.Feed
}

func startStack(t *testing.T, db *sqlstore.DB, addr string) *stack {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{addr: ln.Addr().String()}
	if s.ix, err = index.Open(ctx, db, index.Options{}); err != nil {
		t.Fatal(err)
	}
	if s.feed, err = events.Open(ctx, db, events.Options{}); err != nil {
		t.Fatal(err)
	}
	s.srv = &http.Server{Handler: api.New(index.NewService(db, s.ix), api.Options{Feed: s.feed, Log: slog.New(slog.DiscardHandler)})}
	go s.srv.Serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *stack) url() string { return "http://" + s.addr }

// stop ends the server, its open requests (long polls) cut.
func (s *stack) stop() {
	s.srv.Close()
	s.feed.Close()
	s.ix.Close()
}

// following waits until the follower holds revision rev and answers the
// check as want.
func following(t *testing.T, f *client.Follower, rev roster.Revision, ch roster.Check, want bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.WaitFor(ctx, rev); err != nil {
		t.Fatalf("the follower did not reach revision %d: %v", rev, err)
	}
	if got, _, err := f.Allowed(ctx, ch, rev); err != nil || got != want {
		t.Errorf("%+v at %d: got %v, %v, want %v", ch, rev, got, err, want)
	}
}

// startFollowing makes community guild, owned by olive, starts a follower
// of the client, and makes role Mods (BAN_MEMBERS), which the follower is
// then seen to hold; it returns the follower, closed when the test ends,
// and the role.
func startFollowing(t *testing.T, c *client.Client) (*client.Follower, roster.Role) {
	t.Helper()
	ctx := context.Background()
	owner := "olive"
	if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: "guild", Name: "Guild", OwnerID: &owner}); err != nil {
		t.Fatal(err)
	}
	f, err := client.Follow(ctx, c, client.FollowOptions{LongPoll: time.Second, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	mod, rev, err := c.CreateRole(ctx, "guild", roster.Role{Name: "Mods", Permissions: []string{roster.PermBanMembers}})
	if err != nil {
		t.Fatal(err)
	}
	following(t, f, rev, roster.Check{CommunityID: "guild", UserID: "olive", Permission: roster.PermBanMembers}, true)
	return f, mod
}

// A follower goes on after its server restarts, with the changes made
// while it was down, on each engine.
func TestFollowerSurvivesRestart(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		t.Parallel()
		ctx := context.Background()
		db := e.Open(t, sqlstore.Options{})
		admin, err := db.EnsureBootstrapKey(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		s := startStack(t, db, "127.0.0.1:0")
		c, _ := client.New(s.url(), client.WithKey(admin), client.WithRetry(client.Retry{Attempts: 1}))
		f, mod := startFollowing(t, c)

		// Down: changes go to the database by another way.
		s.stop()
		sys := roster.NewContext(ctx, roster.SystemActor)
		if _, _, err := db.AddMembers(sys, "guild", []string{"bob"}); err != nil {
			t.Fatal(err)
		}
		_, rev, err := db.AddRole(sys, roster.RoleGrant{Scope: "guild", UserID: "bob", RoleID: mod.ID})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // the follower's polls fail meanwhile
		startStack(t, db, s.addr)
		following(t, f, rev, roster.Check{CommunityID: "guild", UserID: "bob", Permission: roster.PermBanMembers}, true)
	})
}

// A follower of two replicas switches to the other when the one it
// follows goes away, and misses nothing (PostgreSQL: replicas share it).
func TestFollowerSwitchesReplica(t *testing.T) {
	sqltest.Postgres.Require(t)
	t.Parallel()
	ctx := context.Background()
	dsn := sqltest.Postgres.DSN(t)
	open := func() *sqlstore.DB {
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	admin, err := dbA.EnsureBootstrapKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	a, b := startStack(t, dbA, "127.0.0.1:0"), startStack(t, dbB, "127.0.0.1:0")
	c, _ := client.New(a.url(), client.WithKey(admin), client.WithReplicas(b.url()), client.WithRetry(client.Retry{Attempts: 1}))
	f, mod := startFollowing(t, c)

	a.stop()
	time.Sleep(200 * time.Millisecond) // as a dead server's connections are seen to close
	// The same client writes on, through the replica left.
	if _, _, err := c.AddMembers(ctx, "guild", []string{"bob"}); err != nil {
		t.Fatalf("a write with its first server down: %v", err)
	}
	_, rev, err := c.AddRole(ctx, roster.RoleGrant{Scope: "guild", UserID: "bob", RoleID: mod.ID})
	if err != nil {
		t.Fatal(err)
	}
	following(t, f, rev, roster.Check{CommunityID: "guild", UserID: "bob", Permission: roster.PermBanMembers}, true)
}
