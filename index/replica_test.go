package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"github.com/rosterhq/roster/storetest"
)

// TestFollowerOnAnotherConnectionSeesEveryCommit opens three stores on one
// PostgreSQL database, as three processes would: two writers, W1 and W2,
// and a follower F whose index learns of their commits only through the
// database. Many writes race through W1 and W2, whose committers each
// gather the writes waiting at one moment into one transaction: small ones
// beside large batches that start earlier and commit later. No write may
// fail, and F's index must then reach the last revision, having been handed
// every event of the log once, in order, and answer every query as an index
// loaded afresh does. It runs driven by notifications alone (polling once an
// hour), and by polling alone (notifications not subscribed).
func TestFollowerOnAnotherConnectionSeesEveryCommit(t *testing.T) {
	t.Parallel()
	sqltest.Postgres.Require(t)
	for _, tc := range []struct {
		name   string
		notify bool
		poll   time.Duration
	}{
		{"notifications", true, time.Hour},
		{"polling", false, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			followerSeesEveryCommit(t, tc.notify, tc.poll)
		})
	}
}

func followerSeesEveryCommit(t *testing.T, notify bool, poll time.Duration) {
	dsn := sqltest.Postgres.DSN(t)
	ctx, clock := worldTime(t)
	open := func(name string) *sqlstore.DB {
		t.Helper()
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Now: clock.Now})
		if err != nil {
			t.Fatalf("sqlstore.Open(%s): %v", name, err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	writer, follower := open("writer 1"), open("follower")

	rw := newReplicaWorld(t, ctx, writer, clock)
	rw.writers = []*sqlstore.DB{writer, open("writer 2")}
	log := &recordingLog{DB: follower, notify: notify}
	followed, err := index.Open(ctx, log, index.Options{Now: clock.Now, Poll: poll})
	if err != nil {
		t.Fatalf("index.Open on the follower: %v", err)
	}
	defer followed.Close()

	began := time.Now()
	writes := rw.race(16, 25)
	t.Logf("%d writes through the writers in %v", len(writes), time.Since(began))

	want, err := writer.CurrentRevision(ctx)
	if err != nil {
		t.Fatalf("CurrentRevision: %v", err)
	}
	waited := time.Now()
	for followed.Revision() < want {
		if time.Since(waited) > 10*time.Second {
			t.Fatalf("follower's index revision after 10 s: got %d, want %d", followed.Revision(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("the follower reached revision %d %v after the last write", want, time.Since(waited))

	events, err := writer.Changes(ctx, 0, 1<<30)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	checkWrites(t, events, writes)
	log.check(t, events)

	// Let the expiring grants end, then compare with a fresh load.
	clock.Advance(2 * time.Hour)
	loaded, err := index.Open(ctx, follower, index.Options{Now: clock.Now, Poll: time.Hour})
	if err != nil {
		t.Fatalf("index.Open: %v", err)
	}
	defer loaded.Close()
	compared := sameAnswers(t, ctx, followed, loaded, rw.communities, rw.users)
	t.Logf("compared %d checks at revision %d", compared, loaded.Revision())
}

// recordingLog is a store's change log that records what it hands an index:
// the revisions of its loads and of the events it reads, in order. Unless
// notify is set, it does not pass on the registration for commits, so that
// only polling drives the index.
type recordingLog struct {
	*sqlstore.DB
	notify bool

	mu     sync.Mutex
	loads  []roster.Revision
	events []roster.Revision
}

func (l *recordingLog) LoadState(ctx context.Context, sink roster.StateSink) (roster.Revision, error) {
	rev, err := l.DB.LoadState(ctx, sink)
	if err == nil {
		l.mu.Lock()
		l.loads = append(l.loads, rev)
		l.mu.Unlock()
	}
	return rev, err
}

func (l *recordingLog) Changes(ctx context.Context, after roster.Revision, limit int) ([]roster.Event, error) {
	events, err := l.DB.Changes(ctx, after, limit)
	l.mu.Lock()
	for _, e := range events {
		l.events = append(l.events, e.Revision)
	}
	l.mu.Unlock()
	return events, err
}

func (l *recordingLog) OnCommit(fn func(roster.Revision, []roster.Event)) {
	if l.notify {
		l.DB.OnCommit(fn)
	}
}

// check checks that the index loaded the state once and was then handed
// each event of the log after it exactly once, in order.
func (l *recordingLog) check(t *testing.T, log []roster.Event) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.loads) != 1 {
		t.Fatalf("loads of the state: got %d (at revisions %v), want 1", len(l.loads), l.loads)
	}
	var want []roster.Revision
	for _, e := range log {
		if e.Revision > l.loads[0] {
			want = append(want, e.Revision)
		}
	}
	if slices.Equal(l.events, want) {
		return
	}
	read := map[roster.Revision]int{}
	for _, rev := range l.events {
		read[rev]++
	}
	var missed, twice, foreign []roster.Revision
	for _, rev := range want {
		switch read[rev] {
		case 0:
			missed = append(missed, rev)
		case 1:
		default:
			twice = append(twice, rev)
		}
		delete(read, rev)
	}
	for rev := range read {
		foreign = append(foreign, rev)
	}
	slices.Sort(foreign)
	t.Fatalf("events read by the index: got %d, want the %d of the log after revision %d, each once, in order; "+
		"%d never read %v, %d read more than once %v, %d not in the log %v",
		len(l.events), len(want), l.loads[0], len(missed), first(missed), len(twice), first(twice), len(foreign), first(foreign))
}

// first returns at most the first ten revisions, for messages.
func first(revs []roster.Revision) []roster.Revision { return revs[:min(len(revs), 10)] }

// replicaWorld is a store set up for many writers at once: communities
// with members, channels and roles, and platform roles.
type replicaWorld struct {
	t           *testing.T
	ctx         context.Context
	db          *sqlstore.DB
	clock       *storetest.Clock
	communities []string
	users       []string
	// roles are the roles made at set-up, by scope; the writers grant and
	// change them, and each grants the roles it makes itself.
	roles map[string][]string
	// writers are the stores the race writes through, db alone when none
	// is set.
	writers []*sqlstore.DB
}

func newReplicaWorld(t *testing.T, ctx context.Context, db *sqlstore.DB, clock *storetest.Clock) *replicaWorld {
	t.Helper()
	w := &replicaWorld{t: t, ctx: ctx, db: db, clock: clock, roles: map[string][]string{}}
	for _, k := range custom {
		storetest.MustCreatePermission(t, ctx, db, k)
	}
	for i := range 40 {
		w.users = append(w.users, fmt.Sprintf("user%02d", i))
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 3 {
		c := fmt.Sprintf("c%d", i)
		w.communities = append(w.communities, c)
		storetest.MustCreateOwned(t, ctx, db, c, w.users[i])
		if _, _, err := db.AddMembers(ctx, c, w.users); err != nil {
			t.Fatalf("AddMembers(%s): %v", c, err)
		}
		for _, ch := range []string{"general", "news"} {
			storetest.MustPutChannel(t, ctx, db, c, ch, ch)
		}
	}
	for _, scope := range append(slices.Clone(w.communities), roster.Platform) {
		n := 6
		if scope == roster.Platform {
			n = 2
		}
		for i := range n {
			r := storetest.MustCreateRole(t, ctx, db, scope, roster.Role{Name: fmt.Sprintf("shared%d", i), Permissions: replicaPerms(rng, scope != roster.Platform)})
			w.roles[scope] = append(w.roles[scope], r.ID)
		}
	}
	return w
}

// replicaPerms draws a few permissions, never ADMINISTRATOR at platform
// scope.
func replicaPerms(rng *rand.Rand, admin bool) []string {
	keys := append(slices.Clone(roster.BuiltinPermissions[1:]), custom[0], custom[1], custom[50], custom[70])
	var out []string
	for range 1 + rng.IntN(3) {
		out = append(out, keys[rng.IntN(len(keys))])
	}
	if admin && rng.IntN(6) == 0 {
		out = append(out, roster.PermAdministrator)
	}
	return roster.CleanKeys(out)
}

// write is one call made by the writers, and what it answered.
type write struct {
	id    string // its request id
	kind  string
	large bool
	start time.Time
	rev   roster.Revision
	err   error
	// pairs is the number of pairs a grant or removal changed, each of
	// which is one event; -1 for other calls.
	pairs int
}

// race makes writes from several goroutines at once, each in a loop, and
// returns them all.
func (w *replicaWorld) race(goroutines, each int) []write {
	var mu sync.Mutex
	var all []write
	var wg sync.WaitGroup
	writers := w.writers
	if writers == nil {
		writers = []*sqlstore.DB{w.db}
	}
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 17))
			own := map[string][]string{}
			db := writers[g%len(writers)]
			for i := range each {
				wr := w.one(db, rng, own, fmt.Sprintf("w%d-%d", g, i))
				mu.Lock()
				all = append(all, wr)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return all
}

// one makes one random write through db. own holds the roles this
// goroutine created.
func (w *replicaWorld) one(db *sqlstore.DB, rng *rand.Rand, own map[string][]string, id string) write {
	ctx := roster.NewContext(w.ctx, roster.Actor{KeyID: storetest.KeyID, RequestID: id})
	c := w.communities[rng.IntN(len(w.communities))]
	scope := c
	if rng.IntN(8) == 0 {
		scope = roster.Platform
	}
	roles := append(slices.Clone(w.roles[scope]), own[scope]...)
	role := func() string { return roles[rng.IntN(len(roles))] }
	user := func() string { return w.users[rng.IntN(len(w.users))] }
	wr := write{id: id, start: time.Now(), pairs: -1}
	var results []roster.PairResult
	switch op := rng.IntN(20); {
	case op < 3:
		wr.kind = "CreateRole"
		var r roster.Role
		r, wr.rev, wr.err = db.CreateRole(ctx, scope, roster.Role{Name: id, Permissions: replicaPerms(rng, scope != roster.Platform)})
		if wr.err == nil {
			own[scope] = append(own[scope], r.ID)
		}
	case op < 8:
		wr.kind = "AddRoles"
		change := roster.Change{Scope: scope, UserIDs: []string{user()}, RoleIDs: []string{role()}}
		if rng.IntN(3) == 0 {
			at := w.clock.Now().Add(time.Duration(1+rng.IntN(90)) * time.Minute)
			change.ExpiresAt = &at
		}
		results, wr.rev, wr.err = db.AddRoles(ctx, change)
	case op < 12:
		wr.kind = "RemoveRoles"
		results, wr.rev, wr.err = db.RemoveRoles(ctx, roster.Change{Scope: scope, UserIDs: []string{user()}, RoleIDs: []string{role()}})
	case op < 14:
		wr.kind = "UpdateRole"
		perms := replicaPerms(rng, scope != roster.Platform)
		_, wr.rev, wr.err = db.UpdateRole(ctx, scope, role(), roster.RoleUpdate{Permissions: &perms})
	case op < 16:
		wr.kind = "SetOverwrite"
		o := roster.Overwrite{ChannelID: []string{"general", "news"}[rng.IntN(2)], Type: roster.OverwriteRole, ID: w.roles[c][rng.IntN(len(w.roles[c]))],
			Allow: replicaPerms(rng, false)}
		if rng.IntN(2) == 0 {
			o.Type, o.ID = roster.OverwriteMember, user()
		}
		_, wr.rev, wr.err = db.SetOverwrite(ctx, c, o)
	default:
		// A large batch: every user, several roles, in one transaction
		// that runs long beside the small ones.
		wr.large = true
		picked := roster.Unique([]string{role(), role(), role(), role(), role()})
		change := roster.Change{Scope: scope, UserIDs: w.users, RoleIDs: picked}
		if op < 18 {
			wr.kind = "AddRoles (batch)"
			results, wr.rev, wr.err = db.AddRoles(ctx, change)
		} else {
			wr.kind = "RemoveRoles (batch)"
			results, wr.rev, wr.err = db.RemoveRoles(ctx, change)
		}
	}
	if results != nil {
		wr.pairs = 0
		for _, r := range results {
			if r.Result == roster.Added || r.Result == roster.Removed || r.Result == roster.Retained {
				wr.pairs++
			}
		}
	}
	if wr.err != nil {
		w.t.Errorf("%s %s: %v", wr.kind, id, wr.err)
	}
	return wr
}

// checkWrites checks the log against the writes: revisions strictly
// increase; the events of each successful write are together in the log,
// as many as it changed, the last at the revision it answered; a failed
// write has none.
func checkWrites(t *testing.T, log []roster.Event, writes []write) {
	t.Helper()
	at := map[string][]int{} // request id → positions in the log
	for i, e := range log {
		if i > 0 && e.Revision <= log[i-1].Revision {
			t.Fatalf("log position %d: got revision %d after %d, want a greater one", i, e.Revision, log[i-1].Revision)
		}
		if e.RequestID != "" {
			at[e.RequestID] = append(at[e.RequestID], i)
		}
	}
	failed, large := 0, 0
	for _, wr := range writes {
		pos := at[wr.id]
		delete(at, wr.id)
		if wr.err != nil {
			failed++
			if len(pos) != 0 {
				t.Errorf("%s %s failed (%v) but wrote %d events", wr.kind, wr.id, wr.err, len(pos))
			}
			continue
		}
		if wr.large {
			large++
		}
		if wr.pairs >= 0 && len(pos) != wr.pairs {
			t.Errorf("%s %s: got %d events, want %d (one per pair changed)", wr.kind, wr.id, len(pos), wr.pairs)
		}
		if wr.pairs < 0 && len(pos) == 0 {
			t.Errorf("%s %s: got no events, want some", wr.kind, wr.id)
		}
		if len(pos) == 0 {
			continue
		}
		if pos[len(pos)-1]-pos[0] != len(pos)-1 {
			t.Errorf("%s %s: its %d events are at log positions %d to %d, want them together", wr.kind, wr.id, len(pos), pos[0], pos[len(pos)-1])
		}
		if got := log[pos[len(pos)-1]].Revision; got != wr.rev {
			t.Errorf("%s %s: its last event is at revision %d, want %d (the revision it answered)", wr.kind, wr.id, got, wr.rev)
		}
	}
	for id, pos := range at {
		t.Errorf("%d events of request %s, which no write made", len(pos), id)
	}
	// Count the writes that committed after one begun later: the race the
	// log's order must survive.
	overtaken := 0
	for _, a := range writes {
		for _, b := range writes {
			if a.err == nil && b.err == nil && a.pairs != 0 && b.pairs != 0 && a.start.Before(b.start) && a.rev > b.rev {
				overtaken++
				break
			}
		}
	}
	t.Logf("%d events; %d writes, %d failed on conflicts, %d large batches; %d committed after a write begun later",
		len(log), len(writes), failed, large, overtaken)
	if overtaken == 0 {
		t.Errorf("no write committed after one begun later; the writes did not race")
	}
}
