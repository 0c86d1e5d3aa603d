package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"github.com/rosterhq/roster/storetest"
)

// TestFastPathAgreesWithRules checks that the check path, which reads
// precomputed bits, answers as the rules (authz.Effective, through
// EffectivePermissions) do, before and after the expiring grants end.
func TestFastPathAgreesWithRules(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		t.Parallel()
		w, followed := newWorld(t, e, 9, time.Second)
		for range 1000 {
			w.step()
		}
		w.clock.Advance(30 * time.Minute)

		loaded, err := index.Open(w.ctx, w.db, index.Options{Now: w.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer loaded.Close()
		compared := sameAnswers(t, w.ctx, followed, loaded, w.communities, w.users)
		t.Logf("compared %d checks after %d changes", compared, followed.Revision())
	})
}

// checkedKeys are the permissions sameAnswers asks about: the built-in ones
// and custom ones on either side of the first 64 bits.
var checkedKeys = append(slices.Clone(roster.BuiltinPermissions), "CUSTOM_ONE", "CUSTOM_K00", "CUSTOM_K50", "CUSTOM_K69")

// sameAnswers checks that two indexes are at the same revision and answer
// every check and effective-permissions query alike, for each user in each
// community (and the platform), on the community and on its channels
// general and news. It returns the number of checks compared.
func sameAnswers(t *testing.T, ctx context.Context, followed, loaded *index.Index, communities, users []string) int {
	t.Helper()
	if got, want := followed.Revision(), loaded.Revision(); got != want {
		t.Fatalf("revision of the following index: got %d, want %d (the loaded one's)", got, want)
	}
	compared := 0
	for _, c := range append(slices.Clone(communities), roster.Platform) {
		channels := []string{""}
		if c != roster.Platform {
			channels = append(channels, "general", "news")
		}
		for _, ch := range channels {
			for _, u := range users {
				for _, k := range checkedKeys {
					q := roster.Check{CommunityID: c, ChannelID: ch, UserID: u, Permission: k}
					a, _, errA := followed.Allowed(ctx, q, 0)
					b, _, errB := loaded.Allowed(ctx, q, 0)
					if a != b || roster.ErrorCode(errA) != roster.ErrorCode(errB) {
						t.Fatalf("check %+v: got %v %v from the following index, want %v %v (the loaded one's)", q, a, errA, b, errB)
					}
					compared++
				}
				ea, _, errA := followed.EffectivePermissions(ctx, c, ch, u)
				eb, _, errB := loaded.EffectivePermissions(ctx, c, ch, u)
				if !reflect.DeepEqual(ea, eb) || roster.ErrorCode(errA) != roster.ErrorCode(errB) {
					t.Fatalf("effective %s/%s/%s:\ngot  %+v %v from the following index\nwant %+v %v (the loaded one's)", c, ch, u, ea, errA, eb, errB)
				}
			}
		}
	}
	return compared
}

// newWorld opens a store on the engine, on a clock the test moves, and an
// index following it (polling as often as given), and sets up a world of
// random changes.
func newWorld(t *testing.T, e sqltest.Engine, seed uint64, poll time.Duration) (*world, *index.Index) {
	t.Helper()
	w := openWorld(t, e, seed)
	ix, err := index.Open(w.ctx, w.db, index.Options{Now: w.clock.Now, Poll: poll})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	w.setUp()
	return w, ix
}

// openWorld opens an empty store on engine e for a world drawing from
// seed, which the caller sets up.
func openWorld(t *testing.T, e sqltest.Engine, seed uint64) *world {
	t.Helper()
	ctx, clock := worldTime(t)
	db := e.Open(t, sqlstore.Options{Now: clock.Now})
	return &world{t: t, ctx: ctx, db: db, rng: rand.New(rand.NewPCG(seed, seed)), clock: clock}
}

// worldTime returns the context, acting as a key, and the clock, at a
// whole second, that a world's stores run with.
func worldTime(t *testing.T) (context.Context, *storetest.Clock) {
	return storetest.AsKey(t.Context()), storetest.NewClock(time.Now().UTC().Truncate(time.Second))
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

// custom are the keys the world registers beside the built-in ones: more
// than fit in the first 64 bits.
var custom = func() []string {
	keys := []string{"CUSTOM_ONE"}
	for i := range 70 {
		keys = append(keys, fmt.Sprintf("CUSTOM_K%02d", i))
	}
	return keys
}()

func (w *world) setUp() {
	for _, k := range custom {
		storetest.MustCreatePermission(w.t, w.ctx, w.db, k)
	}
	w.roles = map[string][]string{roster.Platform: {roster.BuiltinAdmin}}
	for i := range 8 {
		w.users = append(w.users, fmt.Sprintf("user%d", i))
	}
	for i := range 3 {
		c := fmt.Sprintf("c%d", i)
		w.communities = append(w.communities, c)
		w.createCommunity(c, w.users[i])
	}
}

// createCommunity creates a community with an owner and two channels.
func (w *world) createCommunity(c, owner string) {
	storetest.MustCreateOwned(w.t, w.ctx, w.db, c, owner)
	for _, ch := range []string{"general", "news"} {
		if _, _, err := w.db.PutChannel(w.ctx, roster.Channel{CommunityID: c, ID: ch}); err != nil {
			w.t.Fatal(err)
		}
	}
	w.roles[c] = []string{roster.BuiltinEveryone, roster.BuiltinAdmin}
}

// perms draws a few permissions, ADMINISTRATOR now and then.
func (w *world) perms(admin bool) []string {
	keys := append(slices.Clone(roster.BuiltinPermissions[1:]), custom[0], custom[1], custom[50], custom[70])
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
	switch w.rng.IntN(16) {
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
		_, _, err = w.db.AddMember(w.ctx, c, u, nil)
	case 4, 5:
		change := roster.Change{Scope: scope, UserIDs: []string{u}, RoleIDs: []string{w.pick(w.roles[scope])}}
		if w.rng.IntN(3) == 0 {
			at := w.clock.Now().Add(time.Duration(1+w.rng.IntN(60)) * time.Minute)
			change.ExpiresAt = &at
		}
		if w.rng.IntN(4) == 0 {
			change.Source = roster.SourceProvisioning
		}
		_, _, err = w.db.AddRoles(w.ctx, change)
	case 6:
		_, _, err = w.db.RemoveRoles(w.ctx, roster.Change{Scope: scope, UserIDs: []string{u}, RoleIDs: []string{w.pick(w.roles[scope])}})
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
	case 12:
		if w.rng.IntN(4) == 0 {
			if _, err = w.db.DeleteCommunity(w.ctx, c); err == nil {
				w.createCommunity(c, u)
			}
		}
	case 13:
		key := w.pick(custom)
		if _, err = w.db.DeletePermission(w.ctx, key); err == nil {
			storetest.MustCreatePermission(w.t, w.ctx, w.db, key)
		}
	case 14:
		ch := w.pick([]string{"general", "news"})
		if _, err = w.db.DeleteChannel(w.ctx, c, ch); err == nil {
			_, _, err = w.db.PutChannel(w.ctx, roster.Channel{CommunityID: c, ID: ch})
		}
	case 15:
		_, _, err = w.db.AddMembers(w.ctx, c, []string{u, w.pick(w.users), w.pick(w.users)})
	}
	if code := roster.ErrorCode(err); code == roster.EINTERNAL {
		w.t.Fatalf("step: %v", err)
	}
}

// scriptLog is a change log whose state and events a test sets.
type scriptLog struct {
	loads, reads int
	rev          roster.Revision
	events       []roster.Event
	fail         error
	// hook is what the index registered for commits.
	hook func(roster.Revision, []roster.Event)
}

func (l *scriptLog) LoadState(_ context.Context, sink roster.StateSink) (roster.Revision, error) {
	l.loads++
	community := "c1"
	sink.Community(roster.Community{ID: community})
	sink.Role(roster.Role{ID: "e", CommunityID: &community, Name: "everyone", Builtin: roster.BuiltinEveryone, Permissions: []string{roster.PermViewChannel}})
	sink.Member(community, "alice")
	return l.rev, nil
}

func (l *scriptLog) Changes(_ context.Context, after roster.Revision, _ int) ([]roster.Event, error) {
	l.reads++
	if l.fail != nil {
		return nil, l.fail
	}
	var out []roster.Event
	for _, e := range l.events {
		if e.Revision > after {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l *scriptLog) OnCommit(fn func(roster.Revision, []roster.Event)) { l.hook = fn }

// TestUnreadableEventReloads checks that an event the index cannot read
// makes it load the state again rather than stay behind, and that Ready
// reports a log it cannot read.
func TestUnreadableEventReloads(t *testing.T) {
	t.Parallel()
	log := &scriptLog{rev: 1}
	ix, err := index.Open(t.Context(), log, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	community := "c1"
	log.events = []roster.Event{{Revision: 2, CommunityID: &community, Action: roster.ActionRoleCreated, TargetType: roster.TargetRole, After: []byte(`{"id": 5}`)}}
	log.rev = 2
	if err := ix.Ready(t.Context()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if log.loads != 2 || ix.Revision() != 2 {
		t.Errorf("after an unreadable event: %d loads at revision %d, want 2 loads at revision 2", log.loads, ix.Revision())
	}
	ok, _, err := ix.Allowed(t.Context(), roster.Check{CommunityID: "c1", UserID: "alice", Permission: roster.PermViewChannel}, 2)
	if err != nil || !ok {
		t.Errorf("check after the reload: got %v, %v; want allowed", ok, err)
	}
	log.fail = fmt.Errorf("the database is gone")
	if err := ix.Ready(t.Context()); roster.ErrorCode(err) != roster.ENOTREADY {
		t.Errorf("Ready with an unreadable log: got %v, want %s", err, roster.ENOTREADY)
	}
}

// TestCommittedEvents hands the index commits' events through its hook:
// events it holds in part are applied from the first it lacks, with no
// read of the log; an unreadable one makes it load the state again; a
// commit after a gap makes it read the log.
func TestCommittedEvents(t *testing.T) {
	t.Parallel()
	log := &scriptLog{rev: 1}
	ix, err := index.Open(t.Context(), log, index.Options{Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	community := "c1"
	role := func(rev roster.Revision, id string) roster.Event {
		return roster.Event{Revision: rev, CommunityID: &community, Action: roster.ActionRoleCreated, TargetType: roster.TargetRole,
			TargetID: id, After: []byte(`{"id":"` + id + `","communityId":"c1","name":"` + id + `","permissions":[]}`)}
	}
	reads := log.reads
	log.hook(2, []roster.Event{role(2, "r2")})
	log.hook(3, []roster.Event{role(2, "r2"), role(3, "r3")})
	if ix.Revision() != 3 || log.reads != reads || log.loads != 1 {
		t.Errorf("after commits 2 and 2-3: revision %d, %d reads, %d loads; want 3, %d, 1", ix.Revision(), log.reads, log.loads, reads)
	}
	bad := role(4, "r4")
	bad.After = []byte(`{"id": 5}`)
	log.rev = 4
	log.hook(4, []roster.Event{bad})
	if ix.Revision() != 4 || log.loads != 2 {
		t.Errorf("after an unreadable commit: revision %d, %d loads; want 4, 2", ix.Revision(), log.loads)
	}
	log.events = []roster.Event{role(5, "r5"), role(6, "r6")}
	log.hook(6, []roster.Event{role(6, "r6")})
	if ix.Revision() != 6 || log.reads != reads+1 {
		t.Errorf("after a commit past a gap: revision %d, %d reads; want 6, %d", ix.Revision(), log.reads, reads+1)
	}
}

// TestChecksDuringWrites answers checks from several goroutines while the
// store changes, for the race detector to watch the index's locking.
// On PostgreSQL the store's listener applies commits from its own
// goroutine too; there a third of the changes keeps the test cheap (300
// take some 17 s under -race).
func TestChecksDuringWrites(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		t.Parallel()
		steps := 300
		if e == sqltest.Postgres {
			steps = 100
		}
		checksDuringWrites(t, e, steps)
	})
}

func checksDuringWrites(t *testing.T, e sqltest.Engine, steps int) {
	w, ix := newWorld(t, e, 11, time.Millisecond)
	ctx := w.ctx
	// The checkers run beside the writes, a few checks for each write, so
	// that they interleave with every step without spinning on the cores
	// the writes (and other tests) need.
	const checksPerStep = 8
	done := make(chan struct{})
	turns := make(chan struct{}, 2*checksPerStep)
	errs := make(chan error, 2)
	for g := range 2 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			var last roster.Revision
			for {
				select {
				case <-done:
					errs <- nil
					return
				case <-turns:
				}
				c := roster.Check{CommunityID: fmt.Sprintf("c%d", rng.IntN(3)), UserID: fmt.Sprintf("user%d", rng.IntN(8)),
					Permission: roster.BuiltinPermissions[rng.IntN(len(roster.BuiltinPermissions))]}
				if rng.IntN(2) == 0 {
					c.ChannelID = "general"
				}
				_, rev, err := ix.Allowed(ctx, c, 0)
				code := roster.ErrorCode(err)
				if code == roster.EINTERNAL || err == nil && rev < last {
					errs <- fmt.Errorf("check %+v: revision %d after %d, %v", c, rev, last, err)
					return
				}
				if err == nil {
					last = rev
				}
				ix.EffectivePermissions(ctx, c.CommunityID, c.ChannelID, c.UserID)
			}
		}()
	}
	for range steps {
		for range checksPerStep {
			select {
			case turns <- struct{}{}:
			default:
			}
		}
		w.step()
	}
	close(done)
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// countingLog is a store's change log that counts the reads of its
// events, and the calls of the commit hooks with revision 0 (commits may
// have been missed), each of which may make the index read.
type countingLog struct {
	*sqlstore.DB
	reads, missed atomic.Int32
}

func (l *countingLog) OnCommit(fn func(roster.Revision, []roster.Event)) {
	l.DB.OnCommit(func(rev roster.Revision, events []roster.Event) {
		fn(rev, events)
		if rev == 0 {
			// Counted once the hook, and any read it made, is done.
			l.missed.Add(1)
		}
	})
}

func (l *countingLog) Changes(ctx context.Context, after roster.Revision, limit int) ([]roster.Event, error) {
	l.reads.Add(1)
	return l.DB.Changes(ctx, after, limit)
}

// TestOwnCommitsAreNotReadBack writes through the store an index follows:
// each commit's events reach the index with the commit, before the write
// returns, and the index does not read them back from the database (on
// PostgreSQL, it reads only when the listener says commits may have been
// missed, as once it starts listening).
func TestOwnCommitsAreNotReadBack(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		t.Parallel()
		ctx, clock := worldTime(t)
		db, err := sqlstore.Open(ctx, e.DSN(t), sqlstore.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		log := &countingLog{DB: db}
		ix, err := index.Open(ctx, log, index.Options{Now: clock.Now, Poll: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if e == sqltest.Postgres {
			// The listener starts with the index and then catches up
			// once, as after missed commits.
			for deadline := time.Now().Add(5 * time.Second); log.missed.Load() == 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the listener did not start listening")
				}
			}
		}
		opened := log.reads.Load() - log.missed.Load()
		storetest.MustCreatePermission(t, ctx, db, "REDEEM_REWARDS")
		storetest.MustCreateOwned(t, ctx, db, "c1", "owner")
		storetest.MustAddMember(t, ctx, db, "c1", "alice")
		role := storetest.MustCreateRole(t, ctx, db, "c1", roster.Role{Name: "r", Permissions: []string{"REDEEM_REWARDS"}})
		_, rev, err := db.AddRole(ctx, roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: role.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got := ix.Revision(); got != rev {
			t.Errorf("index revision after the writes: got %d, want the last write's %d", got, rev)
		}
		ok, _, err := ix.Allowed(ctx, roster.Check{CommunityID: "c1", UserID: "alice", Permission: "REDEEM_REWARDS"}, 0)
		if err != nil || !ok {
			t.Errorf("Allowed after the grant: got %v, %v; want true", ok, err)
		}
		if got := log.reads.Load() - log.missed.Load() - opened; got > 0 {
			t.Errorf("reads of the log after the index opened, beyond those after missed commits: got %d, want 0", got)
		}
	})
}
