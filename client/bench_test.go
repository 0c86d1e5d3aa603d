package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
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

// BenchmarkFollowerCheck answers random checks of a community of 2,000
// members holding 20 roles each, from a follower and from the server's own
// index over the same database, in turns of 1,024 checks: ns/check of
// each, and the follower's as a multiple of the server's (x-server).
func BenchmarkFollowerCheck(b *testing.B) {
	ctx := context.Background()
	db := sqltest.SQLite.Open(b, sqlstore.Options{})
	admin, err := db.EnsureBootstrapKey(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	sys := roster.NewContext(ctx, roster.SystemActor)
	if _, _, err := db.CreateCommunity(sys, roster.Community{ID: "c", Name: "c"}); err != nil {
		b.Fatal(err)
	}
	users := make([]string, 2000)
	for i := range users {
		users[i] = fmt.Sprintf("u%04d", i)
	}
	for i := 0; i < len(users); i += roster.MaxMemberBatch {
		if _, _, err := db.AddMembers(sys, "c", users[i:i+roster.MaxMemberBatch]); err != nil {
			b.Fatal(err)
		}
	}
	perms := []string{roster.PermSendMessages, roster.PermBanMembers, roster.PermManagePosts, roster.PermMuteMembers, roster.PermAttachFiles}
	var roles []string
	for i := range 40 {
		r, _, err := db.CreateRole(sys, "c", roster.Role{Name: fmt.Sprintf("r%d", i), Permissions: perms[i%len(perms) : i%len(perms)+1]})
		if err != nil {
			b.Fatal(err)
		}
		roles = append(roles, r.ID)
	}
	for i := 0; i < len(users); i += roster.MaxBatch {
		if _, _, err := db.AddRoles(sys, roster.Change{Scope: "c", UserIDs: users[i : i+roster.MaxBatch], RoleIDs: roles[(i/100)%20 : (i/100)%20+20]}); err != nil {
			b.Fatal(err)
		}
	}
	ix, err := index.Open(ctx, db, index.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	feed, err := events.Open(ctx, db, events.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer feed.Close()
	srv := httptest.NewServer(api.New(index.NewService(db, ix), api.Options{Feed: feed, Log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	c, _ := client.New(srv.URL, client.WithKey(admin))
	f, err := client.Follow(ctx, c, client.FollowOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	checks := make([]roster.Check, 1<<14)
	for i := range checks {
		checks[i] = roster.Check{CommunityID: "c", UserID: users[rng.IntN(len(users))], Permission: perms[rng.IntN(len(perms))]}
	}
	var inFollower, inServer time.Duration
	run := func(who interface {
		Allowed(context.Context, roster.Check, roster.Revision) (bool, roster.Revision, error)
	}, from int) time.Duration {
		start := time.Now()
		for j := range 1024 {
			if _, _, err := who.Allowed(ctx, checks[(from+j)&(len(checks)-1)], 0); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		inFollower += run(f, n)
		inServer += run(ix, n)
		n += 1024
	}
	b.ReportMetric(float64(inFollower.Nanoseconds())/float64(n), "ns/check-follower")
	b.ReportMetric(float64(inServer.Nanoseconds())/float64(n), "ns/check-server")
	b.ReportMetric(float64(inFollower)/float64(inServer), "x-server")
}
