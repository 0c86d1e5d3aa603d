package index_test

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestAnswersHoldAtTheirRevision answers single checks, batches and
// effective permissions from several goroutines while the index applies a
// recorded log a few events at a time (and sweeps expired grants), then
// checks every answer against an index that stepped through the same log
// alone: an answer given at revision r must be the one that index gives at
// r. A check that read some of a change and not the rest, or a batch whose
// checks read two versions, or a revision that does not go with what was
// read, gives another answer at some revision; so does a snapshot the
// follower changed after publishing it.
func TestAnswersHoldAtTheirRevision(t *testing.T) {
	t.Parallel()
	log, w := recordLog(t, 600)
	hammered, err := index.Open(w.ctx, log, index.Options{Now: w.clock.Now, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer hammered.Close()

	const readers = 3
	var feeding atomic.Bool
	feeding.Store(true)
	answers := make([][]answer, readers)
	var wg sync.WaitGroup
	for g := range readers {
		wg.Go(func() { answers[g] = ask(t, w, hammered, uint64(g), &feeding) })
	}
	// Release the events one to three at a time, each release read at once.
	rng := rand.New(rand.NewPCG(5, 5))
	for at := 0; at < len(log.events); {
		at = min(len(log.events), at+1+rng.IntN(3))
		log.upto.Store(int64(log.events[at-1].Revision))
		if err := hammered.Ready(w.ctx); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		time.Sleep(50 * time.Microsecond)
	}
	feeding.Store(false)
	wg.Wait()

	all := slices.Concat(answers...)
	slices.SortStableFunc(all, func(a, b answer) int { return int(a.lo - b.lo) })
	ref := &replayLog{initial: log.initial, rev0: log.rev0, events: log.events}
	ref.upto.Store(int64(log.rev0))
	alone, err := index.Open(w.ctx, ref, index.Options{Now: w.clock.Now, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	// Step the index alone through every revision; at each, compare the
	// answers that may have been given at it.
	var open []answer
	next := 0
	revisions := []roster.Revision{log.rev0}
	for _, e := range log.events {
		revisions = append(revisions, e.Revision)
	}
	seen := map[roster.Revision]bool{}
	for _, r := range revisions {
		ref.upto.Store(int64(r))
		if err := alone.Ready(w.ctx); err != nil || alone.Revision() != r {
			t.Fatalf("the index alone: at revision %d (%v), want %d", alone.Revision(), err, r)
		}
		for ; next < len(all) && all[next].lo <= r; next++ {
			open = append(open, all[next])
		}
		open = slices.DeleteFunc(open, func(a answer) bool {
			if reflect.DeepEqual(a.got, answerOf(w.ctx, alone, a)) {
				seen[r] = seen[r] || a.lo == a.hi
				return true
			}
			if a.hi <= r {
				t.Fatalf("%s %+v at revision %d to %d:\ngot  %+v\nwant %+v (the index alone's at revision %d)",
					a.kind, a.qs, a.lo, a.hi, a.got, answerOf(w.ctx, alone, a), r)
			}
			return false
		})
	}
	if len(open) > 0 {
		a := open[0]
		t.Fatalf("%s %+v at revision %d to %d: got %+v, which the index alone gives at none", a.kind, a.qs, a.lo, a.hi, a.got)
	}
	t.Logf("%d answers, at %d revisions, of %d events after revision %d", len(all), len(seen), len(log.events), log.rev0)
	if len(seen) < len(log.events)/20 {
		t.Errorf("answers at %d revisions, want %d or more: the readers did not run beside the follower", len(seen), len(log.events)/20)
	}
}

// answer is one answer a reader got, given at a revision from lo to hi:
// the revision it came with, or, for an error, which comes with none, the
// revisions of the answers before and after it.
type answer struct {
	kind   string
	qs     []roster.Check
	lo, hi roster.Revision
	got    result
}

// result is an answer as compared: checks' outcomes or effective
// permissions, and the error code.
type result struct {
	oks  []bool
	eff  roster.Effective
	code string
}

// ask puts random questions to the index until feeding ends (and a few
// more), and returns the answers, checking that the revisions they come at
// never go back.
func ask(t *testing.T, w *world, ix *index.Index, seed uint64, feeding *atomic.Bool) []answer {
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []answer
	var last roster.Revision
	waiting := 0 // out[waiting:] are errors that wait for the next revision
	for n := 0; feeding.Load() || n < 50; n++ {
		a := answer{qs: []roster.Check{randomCheck(rng, w)}}
		var rev roster.Revision
		var err error
		switch k := rng.IntN(10); {
		case k < 5:
			a.kind = "allowed"
			var ok bool
			ok, rev, err = ix.Allowed(w.ctx, a.qs[0], 0)
			a.got.oks = []bool{ok}
		case k < 8:
			a.kind = "batch"
			for range rng.IntN(40) {
				a.qs = append(a.qs, randomCheck(rng, w))
			}
			a.got.oks, rev, err = ix.Check(w.ctx, a.qs, 0)
		default:
			a.kind = "effective"
			q := a.qs[0]
			a.got.eff, rev, err = ix.EffectivePermissions(w.ctx, q.CommunityID, q.ChannelID, q.UserID)
		}
		a.got.code = roster.ErrorCode(err)
		if err != nil {
			a.lo, a.hi = last, math.MaxInt64
			out = append(out, a)
			continue
		}
		if rev < last {
			t.Errorf("%s %+v: revision %d after %d", a.kind, a.qs, rev, last)
		}
		for i := waiting; i < len(out); i++ {
			out[i].hi = rev
		}
		a.lo, a.hi, last = rev, rev, rev
		out = append(out, a)
		waiting = len(out)
		// A pause now and then leaves the follower the cores it needs.
		if n%8 == 7 {
			time.Sleep(20 * time.Microsecond)
		}
	}
	return out
}

// randomCheck draws a check over the world's communities (and the
// platform), channels, users and keys.
func randomCheck(rng *rand.Rand, w *world) roster.Check {
	scopes := append(slices.Clone(w.communities), roster.Platform)
	c := roster.Check{CommunityID: scopes[rng.IntN(len(scopes))], UserID: w.users[rng.IntN(len(w.users))],
		Permission: checkedKeys[rng.IntN(len(checkedKeys))]}
	if c.CommunityID != roster.Platform && rng.IntN(2) == 0 {
		c.ChannelID = []string{"general", "news"}[rng.IntN(2)]
	}
	return c
}

// answerOf asks ix again what a was the answer to.
func answerOf(ctx context.Context, ix *index.Index, a answer) result {
	var r result
	var err error
	switch a.kind {
	case "effective":
		q := a.qs[0]
		r.eff, _, err = ix.EffectivePermissions(ctx, q.CommunityID, q.ChannelID, q.UserID)
	case "batch":
		r.oks, _, err = ix.Check(ctx, a.qs, 0)
	default:
		var ok bool
		ok, _, err = ix.Allowed(ctx, a.qs[0], 0)
		r.oks = []bool{ok}
	}
	r.code = roster.ErrorCode(err)
	return r
}

// recordLog makes steps random changes through a store and returns its
// change log as a replayLog (the state before the changes, then their
// events), with the world that made them, its clock moved on half an hour
// so that some grants have expired.
func recordLog(t *testing.T, steps int) (*replayLog, *world) {
	t.Helper()
	w := openWorld(t, sqltest.SQLite, 13)
	ctx, db := w.ctx, w.db
	log := &replayLog{}
	rev0, err := db.LoadState(ctx, &log.initial)
	if err != nil {
		t.Fatal(err)
	}
	w.setUp()
	for range steps {
		w.step()
	}
	w.clock.Advance(30 * time.Minute)
	if log.events, err = db.Changes(ctx, rev0, 1<<30); err != nil {
		t.Fatal(err)
	}
	log.rev0 = rev0
	log.upto.Store(int64(rev0))
	return log, w
}

// replayLog is a recorded change log: a state at rev0, then events, of
// which it hands out those up to upto.
type replayLog struct {
	initial recording
	rev0    roster.Revision
	events  []roster.Event
	upto    atomic.Int64
}

func (l *replayLog) LoadState(_ context.Context, sink roster.StateSink) (roster.Revision, error) {
	for _, fn := range l.initial {
		fn(sink)
	}
	return l.rev0, nil
}

func (l *replayLog) Changes(_ context.Context, after roster.Revision, limit int) ([]roster.Event, error) {
	upto := roster.Revision(l.upto.Load())
	var out []roster.Event
	for _, e := range l.events {
		if e.Revision > after && e.Revision <= upto && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (*replayLog) OnCommit(func(roster.Revision, []roster.Event)) {}

// recording is a state as a ChangeLog loads it, to send again.
type recording []func(roster.StateSink)

func (r *recording) Permission(key string) {
	*r = append(*r, func(s roster.StateSink) { s.Permission(key) })
}

func (r *recording) Community(c roster.Community) {
	*r = append(*r, func(s roster.StateSink) { s.Community(c) })
}

func (r *recording) Role(role roster.Role) {
	*r = append(*r, func(s roster.StateSink) { s.Role(role) })
}

func (r *recording) Member(community, user string) {
	*r = append(*r, func(s roster.StateSink) { s.Member(community, user) })
}

func (r *recording) Grant(scope string, a roster.Assignment) {
	*r = append(*r, func(s roster.StateSink) { s.Grant(scope, a) })
}

func (r *recording) Channel(c roster.Channel) {
	*r = append(*r, func(s roster.StateSink) { s.Channel(c) })
}
