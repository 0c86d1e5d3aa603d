package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// benchCommunity fills community c of a new store with members and roles of
// 5 permissions each, and returns their ids.
func benchCommunity(b *testing.B, eng sqltest.Engine, members, roles int) (*sqlstore.DB, context.Context, []string, []string) {
	b.Helper()
	ctx := roster.NewContext(context.Background(), roster.Actor{KeyID: "bench"})
	db := eng.Open(b, sqlstore.Options{})
	if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: "c", Name: "Bench"}); err != nil {
		b.Fatal(err)
	}
	users := make([]string, members)
	for i := range users {
		users[i] = fmt.Sprintf("u%06d", i)
	}
	for i := 0; i < len(users); i += roster.MaxMemberBatch {
		if _, _, err := db.AddMembers(ctx, "c", users[i:min(i+roster.MaxMemberBatch, len(users))]); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, roles)
	for i := range ids {
		perms := make([]string, 5)
		for j := range perms {
			perms[j] = roster.BuiltinPermissions[(i+j)%len(roster.BuiltinPermissions)]
		}
		r, _, err := db.CreateRole(ctx, "c", roster.Role{Name: fmt.Sprintf("role %d", i), Permissions: perms})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = r.ID
	}
	return db, ctx, users, ids
}

// BenchmarkStoreBatch100x100 adds 100 roles to 100 members in one change
// (add), and removes them in another (remove), in a community of 1,000
// members each holding 5 of the roles.
func BenchmarkStoreBatch100x100(b *testing.B) {
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			db, ctx, users, roles := benchCommunity(b, eng, 1000, 100)
			for i := 0; i < len(users); i += 100 {
				for j := range 5 {
					c := roster.Change{Scope: "c", UserIDs: users[i : i+100], RoleIDs: []string{roles[(i/10+j*17)%len(roles)]}}
					if _, _, err := db.AddRoles(ctx, c); err != nil {
						b.Fatal(err)
					}
				}
			}
			change := roster.Change{Scope: "c", UserIDs: users[500:600], RoleIDs: roles}
			add := func() {
				if _, _, err := db.AddRoles(ctx, change); err != nil {
					b.Fatal(err)
				}
			}
			remove := func() {
				if _, _, err := db.RemoveRoles(ctx, change); err != nil {
					b.Fatal(err)
				}
			}
			for _, tc := range []struct {
				name      string
				op, after func()
			}{{"add", add, remove}, {"remove", remove, add}} {
				b.Run(tc.name, func(b *testing.B) {
					if tc.name == "remove" {
						add()
					}
					b.ReportAllocs()
					for b.Loop() {
						tc.op()
						b.StopTimer()
						tc.after()
						b.StartTimer()
					}
					if tc.name == "remove" {
						remove()
					}
				})
			}
		})
	}
}

// BenchmarkSeedMillion seeds 1,000,000 assignments through the bulk path, as
// a server does: 100 batch-adds of 100 roles to 100 members, in a community
// of 10,000 members, with an index following every commit. Its time is that
// of the batch-adds; the members and roles are made before.
func BenchmarkSeedMillion(b *testing.B) {
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db, ctx, users, roles := benchCommunity(b, eng, 10_000, 100)
				ix, err := index.Open(ctx, db, index.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				for i := 0; i < len(users); i += 100 {
					if _, _, err := db.AddRoles(ctx, roster.Change{Scope: "c", UserIDs: users[i : i+100], RoleIDs: roles}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(1e6/time.Since(start).Seconds(), "assignments/s")
				b.StopTimer()
				rev, err := db.CurrentRevision(ctx)
				if err != nil || ix.Revision() != rev {
					b.Fatalf("index at revision %d, want the store's %d (%v)", ix.Revision(), rev, err)
				}
				ix.Close()
				b.StartTimer()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/seed")
		})
	}
}

// BenchmarkStoreSingleWrite adds one role to one member and takes it back,
// one write at a time, in a community of 100 members and 20 roles: the
// time of a write alone, which on PostgreSQL is mostly its round trips.
// An op is one write.
func BenchmarkStoreSingleWrite(b *testing.B) {
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			db, ctx, users, roles := benchCommunity(b, eng, 100, 20)
			g := roster.RoleGrant{Scope: "c", UserID: users[7], RoleID: roles[3]}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				var err error
				if n%2 == 0 {
					_, _, err = db.AddRole(ctx, g)
				} else {
					_, _, err = db.RemoveRole(ctx, g)
				}
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
		})
	}
}
