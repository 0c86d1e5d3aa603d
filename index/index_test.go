package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/storetest"
)

// TestFastPathAgreesWithRules checks that the check path, which reads
// precomputed bits, answers as the rules (authz.Effective, through
// EffectivePermissions) do, before and after the expiring grants end.
func TestFastPathAgreesWithRules(t *testing.T) {
	data := storetest.Dataset{Communities: 20, RolesPer: 12, Users: 300, Assignments: 3000, ChannelsPer: 3}
	data.Generate(5)
	clock := storetest.NewClock(time.Now())
	ix, err := index.Open(t.Context(), memLog{data: &data, now: clock.Now()}, index.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	queries := data.Queries(6, 20000, 0.5)
	for _, phase := range []string{"before expiry", "after expiry"} {
		allowed := 0
		for _, q := range queries {
			got, _, err := ix.Allowed(t.Context(), q, 0)
			if err != nil {
				t.Fatalf("%s: Allowed(%+v): %v", phase, q, err)
			}
			eff, _, err := ix.EffectivePermissions(t.Context(), q.CommunityID, q.ChannelID, q.UserID)
			if err != nil {
				t.Fatalf("%s: EffectivePermissions(%+v): %v", phase, q, err)
			}
			if want := slices.Contains(eff.Permissions, q.Permission); got != want {
				t.Fatalf("%s: Allowed(%+v) = %v, but the rules give %v (%v)", phase, q, got, want, eff.Permissions)
			}
			if got {
				allowed++
			}
		}
		if allowed < len(queries)/4 || allowed > len(queries)*3/4 {
			t.Errorf("%s: %d of %d allowed; the dataset should allow about half", phase, allowed, len(queries))
		}
		clock.Advance(2 * time.Hour)
	}
}

// TestFollowMatchesLoad makes random changes through the store, then checks
// that the index that followed them answers every check as an index loaded
// afresh from the database does.
func TestFollowMatchesLoad(t *testing.T) {
	ctx := storetest.AsKey(t.Context())
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "roster.db"), sqlstore.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	followed, err := index.Open(ctx, db, index.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer followed.Close()

	w := &world{t: t, ctx: ctx, db: db, rng: rand.New(rand.NewPCG(9, 9)), clock: clock}
	w.setUp()
	for range 1000 {
		w.step()
	}
	clock.Advance(30 * time.Minute)

	loaded, err := index.Open(ctx, db, index.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if followed.Revision() != loaded.Revision() {
		t.Fatalf("revisions: followed %d, loaded %d", followed.Revision(), loaded.Revision())
	}
	keys := append(slices.Clone(roster.BuiltinPermissions), "CUSTOM_ONE")
	compared := 0
	for _, c := range append(w.communities, roster.Platform) {
		channels := []string{""}
		if c != roster.Platform {
			channels = append(channels, "general", "news")
		}
		for _, ch := range channels {
			for _, u := range w.users {
				for _, k := range keys {
					q := roster.Check{CommunityID: c, ChannelID: ch, UserID: u, Permission: k}
					a, _, errA := followed.Allowed(ctx, q, 0)
					b, _, errB := loaded.Allowed(ctx, q, 0)
					if a != b || roster.ErrorCode(errA) != roster.ErrorCode(errB) {
						t.Fatalf("check %+v: followed %v %v, loaded %v %v", q, a, errA, b, errB)
					}
					compared++
				}
				ea, _, errA := followed.EffectivePermissions(ctx, c, ch, u)
				eb, _, errB := loaded.EffectivePermissions(ctx, c, ch, u)
				if !reflect.DeepEqual(ea, eb) || roster.ErrorCode(errA) != roster.ErrorCode(errB) {
					t.Fatalf("effective %s/%s/%s:\nfollowed %+v %v\nloaded   %+v %v", c, ch, u, ea, errA, eb, errB)
				}
			}
		}
	}
	t.Logf("compared %d checks after %d changes", compared, followed.Revision())
}

// world makes random changes to a store, keeping what it needs to draw the
// next one.
type world struct {
	t           *testing.T
	ctx         context.Context
	db          *sqlstore.DB
	rng         *rand.Rand
	clock       *storetest.Clock
	communities []string
	users       []string
	roles       map[string][]string
}

func (w *world) setUp() {
	storetest.MustCreatePermission(w.t, w.ctx, w.db, "CUSTOM_ONE")
	w.roles = map[string][]string{}
	for i := range 8 {
		w.users = append(w.users, fmt.Sprintf("user%d", i))
	}
	for i := range 3 {
		c := fmt.Sprintf("c%d", i)
		storetest.MustCreateOwned(w.t, w.ctx, w.db, c, w.users[i])
		w.communities = append(w.communities, c)
		for _, ch := range []string{"general", "news"} {
			if _, _, _, err := w.db.PutChannel(w.ctx, roster.Channel{CommunityID: c, ID: ch}); err != nil {
				w.t.Fatal(err)
			}
		}
		w.roles[c] = []string{roster.BuiltinEveryone, roster.BuiltinAdmin}
	}
	w.roles[roster.Platform] = []string{roster.BuiltinAdmin}
}

// perms draws a few permissions, ADMINISTRATOR now and then.
func (w *world) perms(admin bool) []string {
	keys := append(slices.Clone(roster.BuiltinPermissions[1:]), "CUSTOM_ONE")
	var out []string
	for range w.rng.IntN(4) {
		out = append(out, keys[w.rng.IntN(len(keys))])
	}
	if admin && w.rng.IntN(8) == 0 {
		out = append(out, roster.PermAdministrator)
	}
	return roster.CleanKeys(out)
}

func (w *world) pick(list []string) string { return list[w.rng.IntN(len(list))] }

// step makes one random change; refusals (a guard, a missing member) are
// part of the game and change nothing.
func (w *world) step() {
	c := w.pick(w.communities)
	u := w.pick(w.users)
	scope := c
	if w.rng.IntN(6) == 0 {
		scope = roster.Platform
	}
	var err error
	switch w.rng.IntN(12) {
	case 0:
		var r roster.Role
		r, _, err = w.db.CreateRole(w.ctx, scope, roster.Role{Name: fmt.Sprintf("r%d", w.rng.Uint32()), Permissions: w.perms(true)})
		if err == nil {
			w.roles[scope] = append(w.roles[scope], r.ID)
		}
	case 1:
		perms := w.perms(true)
		_, _, err = w.db.UpdateRole(w.ctx, scope, w.pick(w.roles[scope]), roster.RoleUpdate{Permissions: &perms})
	case 2, 3:
		_, _, _, err = w.db.AddMember(w.ctx, c, u, nil)
	case 4, 5:
		change := roster.Change{Scope: scope, UserIDs: []string{u}, RoleIDs: []string{w.pick(w.roles[scope])}}
		if w.rng.IntN(3) == 0 {
			at := w.clock.Now().Add(time.Duration(1+w.rng.IntN(60)) * time.Minute)
			change.ExpiresAt = &at
		}
		if w.rng.IntN(4) == 0 {
			change.Source = roster.SourceProvisioning
		}
		_, _, _, err = w.db.AddRoles(w.ctx, change)
	case 6:
		_, _, _, err = w.db.RemoveRoles(w.ctx, roster.Change{Scope: scope, UserIDs: []string{u}, RoleIDs: []string{w.pick(w.roles[scope])}}, false)
	case 7:
		o := roster.Overwrite{ChannelID: w.pick([]string{"general", "news"}), Type: roster.OverwriteRole, ID: w.pick(w.roles[c]),
			Allow: w.perms(false), Deny: w.perms(false)}
		if w.rng.IntN(3) == 0 {
			o.Type, o.ID = roster.OverwriteMember, u
		}
		if w.rng.IntN(4) == 0 {
			_, err = w.db.DeleteOverwrite(w.ctx, c, o)
		} else {
			o.Deny = slices.DeleteFunc(o.Deny, func(k string) bool { return slices.Contains(o.Allow, k) })
			_, _, err = w.db.SetOverwrite(w.ctx, c, o)
		}
	case 8:
		if roles := w.roles[scope]; len(roles) > 2 {
			id := roles[2+w.rng.IntN(len(roles)-2)]
			if _, err = w.db.DeleteRole(w.ctx, scope, id, roster.RoleDelete{Force: true}); err == nil {
				w.roles[scope] = slices.DeleteFunc(roles, func(r string) bool { return r == id })
			}
		}
	case 9:
		_, err = w.db.RemoveMember(w.ctx, c, u)
	case 10:
		owner := u
		_, _, err = w.db.UpdateCommunity(w.ctx, c, roster.CommunityUpdate{OwnerID: &owner})
	case 11:
		w.clock.Advance(time.Duration(w.rng.IntN(10)) * time.Minute)
		if roles := w.roles[scope]; len(roles) > 3 {
			ids := slices.Clone(roles[1:])
			w.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			_, _, err = w.db.ReorderRoles(w.ctx, scope, ids)
		}
	}
	if code := roster.ErrorCode(err); code == roster.EINTERNAL {
		w.t.Fatalf("step: %v", err)
	}
}
