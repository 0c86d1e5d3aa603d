package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestExpireGrantsOnce runs ExpireGrants from two stores on one
// PostgreSQL database at once, as two replicas do: each expired grant is
// removed, with its event, once.
func TestExpireGrantsOnce(t *testing.T) {
	t.Parallel()
	sqltest.Postgres.Require(t)
	dsn := sqltest.Postgres.DSN(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var stores [2]*sqlstore.DB
	for i := range stores {
		db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		stores[i] = db
	}
	ctx := roster.NewContext(context.Background(), roster.SystemActor)
	db := stores[0]
	exp := now.Add(time.Minute)
	const communities, users = 4, 30
	for c := range communities {
		id := fmt.Sprintf("c%d", c)
		if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for u := range users {
			ids = append(ids, fmt.Sprintf("u%d", u))
		}
		if _, _, err := db.AddMembers(ctx, id, ids); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AddRoles(ctx, roster.Change{Scope: id, UserIDs: ids, RoleIDs: []string{roster.BuiltinAdmin}, ExpiresAt: &exp}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := db.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	var wg sync.WaitGroup
	removed := make([]int, len(stores))
	for i, s := range stores {
		wg.Go(func() {
			for {
				n, err := s.ExpireGrants(ctx, 7)
				if err != nil {
					t.Errorf("store %d: ExpireGrants: %v", i, err)
				}
				removed[i] += n
				if n == 0 || err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	events, err := db.Changes(ctx, before, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range events {
		if e.Action != roster.ActionMemberRoleExpired {
			t.Errorf("event %d: got %s, want only member.role_expired", e.Revision, e.Action)
		}
		seen[*e.CommunityID+"/"+e.TargetID]++
	}
	if want := communities * users; removed[0]+removed[1] != want || len(seen) != want || len(events) != want {
		t.Errorf("removed %v, %d events for %d grants; want %d grants removed and one event each", removed, len(events), len(seen), want)
	}
}
