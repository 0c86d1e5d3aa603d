package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore"
)

// benchStore is a community of 1,000 members and 100 roles of 5 permissions
// each, every member holding 5 roles.
func benchStore(b *testing.B) (*sqlstore.DB, context.Context, []string, []string) {
	b.Helper()
	ctx := roster.NewContext(context.Background(), roster.Actor{KeyID: "bench"})
	db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "roster.db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: "c", Name: "Bench"}); err != nil {
		b.Fatal(err)
	}
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("u%04d", i)
		if _, _, _, err := db.AddMember(ctx, "c", users[i], nil); err != nil {
			b.Fatal(err)
		}
	}
	roles := make([]string, 100)
	for i := range roles {
		perms := make([]string, 5)
		for j := range perms {
			perms[j] = roster.BuiltinPermissions[(i+j)%len(roster.BuiltinPermissions)]
		}
		r, _, err := db.CreateRole(ctx, "c", roster.Role{Name: fmt.Sprintf("role %d", i), Permissions: perms})
		if err != nil {
			b.Fatal(err)
		}
		roles[i] = r.ID
	}
	for i := 0; i < len(users); i += 100 {
		for j := 0; j < 5; j++ {
			c := roster.Change{Scope: "c", UserIDs: users[i : i+100], RoleIDs: []string{roles[(i/10+j*17)%len(roles)]}}
			if _, _, _, err := db.AddRoles(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	}
	return db, ctx, users, roles
}

// BenchmarkStoreBatch100x100 adds 100 roles to 100 members in one change,
// then removes them in another.
func BenchmarkStoreBatch100x100(b *testing.B) {
	db, ctx, users, roles := benchStore(b)
	add := roster.Change{Scope: "c", UserIDs: users[500:600], RoleIDs: roles}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := db.AddRoles(ctx, add); err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := db.RemoveRoles(ctx, add, false); err != nil {
			b.Fatal(err)
		}
	}
}
