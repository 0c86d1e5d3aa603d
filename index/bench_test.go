package index_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/storetest"
)

// memLog is a change log holding a generated dataset and no events.
type memLog struct {
	data *storetest.Dataset
	now  time.Time
}

func (l memLog) LoadState(_ context.Context, sink roster.StateSink) (roster.Revision, error) {
	l.data.Send(sink, l.now)
	return 1, nil
}

func (memLog) Changes(context.Context, roster.Revision, int) ([]roster.Event, error) { return nil, nil }
func (memLog) OnCommit(func(roster.Revision, []roster.Event))                        {}

var (
	full     storetest.Dataset
	fullOnce sync.Once
	// fullIx is the index of the full dataset the check benchmarks share,
	// built once per test binary, with the heap it holds per assignment.
	fullIx     *index.Index
	fullHeap   float64
	fullIxErr  error
	fullIxOnce sync.Once
)

// fullData returns the full dataset, generated once.
func fullData() *storetest.Dataset {
	fullOnce.Do(func() {
		full = storetest.FullDataset
		full.Generate(1)
	})
	return &full
}

// fullIndex returns the index of the full dataset, built once for every
// benchmark that only reads it, with the heap it holds per assignment.
func fullIndex(b *testing.B) (*index.Index, *storetest.Dataset, float64) {
	b.Helper()
	data := fullData()
	fullIxOnce.Do(func() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		fullIx, fullIxErr = index.Open(context.Background(), memLog{data: data, now: time.Now()}, index.Options{})
		runtime.GC()
		runtime.ReadMemStats(&after)
		fullHeap = float64(after.HeapAlloc-before.HeapAlloc) / float64(data.Assignments)
	})
	if fullIxErr != nil {
		b.Fatal(fullIxErr)
	}
	return fullIx, data, fullHeap
}

func benchAllowed(b *testing.B, channelShare float64) {
	ix, data, heap := fullIndex(b)
	queries := data.Queries(2, 1<<16, channelShare)
	b.ReportAllocs()
	b.ResetTimer()
	allowed := checks(b, ix, queries, 0, b.N)
	b.StopTimer()
	b.ReportMetric(float64(allowed)/float64(b.N), "allowed/op")
	b.ReportMetric(heap, "B/assignment")
	b.ReportMetric(chaseRatio(b, ix, queries), "x-chase")
}

// checks answers n of the queries, from the one at from on, and returns
// how many were allowed.
func checks(b *testing.B, ix *index.Index, queries []roster.Check, from, n int) int {
	ctx := context.Background()
	allowed := 0
	for i := from; i < from+n; i++ {
		ok, _, err := ix.Allowed(ctx, queries[i&(len(queries)-1)], 0)
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			allowed++
		}
	}
	return allowed
}

// BenchmarkCheck answers one community check drawn at random over the full
// dataset.
func BenchmarkCheck(b *testing.B) { benchAllowed(b, 0) }

// BenchmarkCheckCached answers the same 16 community checks over and over:
// their data stay in the processor's caches, so it times a check's work
// without its read from memory, against the chase in the same run.
func BenchmarkCheckCached(b *testing.B) {
	ix, data, _ := fullIndex(b)
	queries := data.Queries(2, 16, 0)
	b.ReportAllocs()
	b.ResetTimer()
	checks(b, ix, queries, 0, b.N)
	b.StopTimer()
	b.ReportMetric(chaseRatio(b, ix, queries), "x-chase")
}

// BenchmarkFindMember hashes each check's names and finds its member
// entry, deciding nothing: the floor of a check that reads its entry from
// memory, against the chase in the same run (x-chase).
func BenchmarkFindMember(b *testing.B) {
	ix, data, _ := fullIndex(b)
	queries := data.Queries(2, 1<<16, 0)
	find := func(from, n int) int {
		found := 0
		for i := from; i < from+n; i++ {
			if index.FindMember(ix, queries[i&(len(queries)-1)]) {
				found++
			}
		}
		return found
	}
	b.ReportAllocs()
	b.ResetTimer()
	if found := find(0, b.N); found != b.N {
		b.Fatalf("found %d of %d members", found, b.N)
	}
	b.StopTimer()
	b.ReportMetric(timesChase(ix, func(from, n int) { sink += uint64(find(from, n)) }), "x-chase")
}

// BenchmarkCheckChannel answers one check in a channel with overwrites.
func BenchmarkCheckChannel(b *testing.B) { benchAllowed(b, 1) }

// BenchmarkCheckBatch100 answers batches of 100 checks, a tenth of them in
// channels; x-chase is the time per check over a step of the chase.
func BenchmarkCheckBatch100(b *testing.B) {
	ix, data, _ := fullIndex(b)
	queries := data.Queries(3, 100*1024, 0.1)
	ctx := context.Background()
	// batches answers n checks from the one at from on, in batches of 100
	// drawn in turn from the queries.
	batches := func(from, n int) {
		for at := from; at < from+n; at += 100 {
			i := at / 100 % 1024 * 100
			if _, _, err := ix.Check(ctx, queries[i:i+min(100, from+n-at)], 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		batches(i*100, 100)
		i++
	}
	b.ReportMetric(float64(i*100)/b.Elapsed().Seconds(), "checks/s")
	b.ReportMetric(timesChase(ix, batches), "x-chase")
}

// BenchmarkEffectivePermissions lists a member's permissions with the
// reasons, as the explain route does.
func BenchmarkEffectivePermissions(b *testing.B) {
	ix, data, _ := fullIndex(b)
	queries := data.Queries(4, 1<<12, 0)
	ctx := context.Background()
	explain := func(from, n int) {
		for i := from; i < from+n; i++ {
			q := queries[i&(len(queries)-1)]
			if _, _, err := ix.EffectivePermissions(ctx, q.CommunityID, "", q.UserID); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		explain(i, 1)
		i++
	}
	b.ReportMetric(timesChase(ix, explain), "x-chase")
}

// chaseTable is a single random cycle through entries of a member entry's
// size over a table of size bytes: the first word of each entry holds the
// word offset of the next. Following it reads one entry from memory at a
// time, each read waiting for the one before.
func chaseTable(size int) []uint64 {
	stride := index.MemberEntryBytes / 8
	n := size / index.MemberEntryBytes
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// Sattolo's shuffle makes one cycle through every entry.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := n - 1; i > 0; i-- {
		j := rng.IntN(i)
		order[i], order[j] = order[j], order[i]
	}
	t := make([]uint64, n*stride)
	for k, e := range order {
		t[e*stride] = uint64(order[(k+1)%n] * stride)
	}
	return t
}

var (
	chase     []uint64
	chaseOnce sync.Once
)

// chaseOf returns the chase over a table the size of the index's members
// table: the data a check reads from memory, one entry per check.
func chaseOf(ix *index.Index) []uint64 {
	chaseOnce.Do(func() { chase = chaseTable(index.MembersBytes(ix)) })
	return chase
}

// chaseRatio returns the time per check of the queries over a step of the
// chase, measured in turns (see timesChase).
func chaseRatio(b *testing.B, ix *index.Index, queries []roster.Check) float64 {
	return timesChase(ix, func(from, n int) { checks(b, ix, queries, from, n) })
}

// timesChase times rounds of work(from, n), n ops from the op at from on,
// and as many steps of the chase over the index's members table, in turns,
// and returns the ratio of the time per op to the time per step, each from
// its fastest rounds: rounds are short, so that many run without another
// process taking the core.
func timesChase(ix *index.Index, work func(from, n int)) float64 {
	t := chaseOf(ix)
	const rounds, n = 256, 1 << 11
	took, steps := make([]time.Duration, rounds), make([]time.Duration, rounds)
	var at uint64
	for r := range rounds {
		start := time.Now()
		work(r*n, n)
		mid := time.Now()
		for range n {
			at = t[at]
		}
		took[r], steps[r] = mid.Sub(start), time.Since(mid)
	}
	sink = at
	return float64(fastest(took)) / float64(fastest(steps))
}

// fastest returns the mean of the fastest quarter of the times.
func fastest(times []time.Duration) time.Duration {
	slices.Sort(times)
	var sum time.Duration
	for _, d := range times[:len(times)/4] {
		sum += d
	}
	return sum / time.Duration(len(times)/4)
}

var sink uint64

// BenchmarkChase follows the chase over a table the size of the full
// dataset's members table, one dependent read from memory per op: the
// reference the checks are measured against (their x-chase metric).
func BenchmarkChase(b *testing.B) {
	ix, _, _ := fullIndex(b)
	t := chaseOf(ix)
	var at uint64
	for b.Loop() {
		at = t[at]
	}
	sink = at
	b.ReportMetric(float64(len(t)*8)/(1<<20), "MiB")
}

// BenchmarkReads reads entries of the chase's table at random, each read
// independent of the one before, with work=N rounds of work (three shifts
// and xors each, a chain of six instructions) between reads besides the
// one that draws the next entry: the reference for how much work between
// two reads still lets the processor overlap them. With none, several reads are in flight; the time per op grows to
// a chase step plus the work once the work fills the processor's window.
func BenchmarkReads(b *testing.B) {
	ix, _, _ := fullIndex(b)
	t := chaseOf(ix)
	stride := index.MemberEntryBytes / 8
	// The table's entries are a power of two, as the index's slots.
	mask := uint64(len(t)/stride - 1)
	for _, rounds := range []int{0, 5, 10, 20, 40} {
		b.Run(fmt.Sprintf("work=%d", rounds), func(b *testing.B) {
			var sum uint64
			x := uint64(88172645463325252)
			for b.Loop() {
				for range rounds + 1 {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
				}
				sum += t[(x&mask)*uint64(stride)]
			}
			sink = sum
		})
	}
}

// eventLog is a change log holding a generated dataset, then the events a
// benchmark adds.
type eventLog struct {
	memLog
	events []roster.Event
}

func (l *eventLog) Changes(_ context.Context, after roster.Revision, limit int) ([]roster.Event, error) {
	for i, e := range l.events {
		if e.Revision > after {
			return l.events[i:min(len(l.events), i+limit)], nil
		}
	}
	return nil, nil
}

// grantEvents returns events granting n roles to members drawn over the
// full dataset, then as many taking them back, in turns: each role is
// taken back n events after it was granted.
func grantEvents(data *storetest.Dataset, n int) []roster.Event {
	rng := rand.New(rand.NewPCG(8, 8))
	events := make([]roster.Event, 0, 2*n)
	for _, q := range data.Queries(9, n, 0) {
		var c int
		fmt.Sscanf(q.CommunityID, "c%d", &c)
		doc, err := json.Marshal(roster.Assignment{UserID: q.UserID, RoleID: storetest.RoleID(c, 2+rng.IntN(data.RolesPer-2)),
			Grant: roster.Grant{Source: roster.SourceManual}})
		if err != nil {
			panic(err)
		}
		community := q.CommunityID
		events = append(events, roster.Event{CommunityID: &community, Action: roster.ActionMemberRoleAdded,
			TargetType: roster.TargetMember, TargetID: q.UserID, After: doc, Before: json.RawMessage("null")})
	}
	for _, e := range events {
		e.Action, e.Before, e.After = roster.ActionMemberRoleRemoved, e.After, json.RawMessage("null")
		events = append(events, e)
	}
	return events
}

// BenchmarkFollow applies events to the index of the full dataset as
// following the log does: one event per catch-up, as after a commit of
// one grant, and a thousand, as when catching up. An op is one catch-up.
func BenchmarkFollow(b *testing.B) {
	data := fullData()
	events := grantEvents(data, 1<<14)
	for _, batch := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			log := &eventLog{memLog: memLog{data: data, now: time.Now()}}
			ix, err := index.Open(context.Background(), log, index.Options{Poll: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			defer ix.Close()
			ctx := context.Background()
			b.ReportAllocs()
			next := 0
			for b.Loop() {
				log.events = log.events[:0]
				for range batch {
					e := events[next%len(events)]
					next++
					e.Revision = roster.Revision(1 + next)
					log.events = append(log.events, e)
				}
				if err := ix.Ready(ctx); err != nil {
					b.Fatal(err)
				}
			}
			if got, want := ix.Revision(), roster.Revision(1+next); got != want {
				b.Fatalf("revision after the events: got %d, want %d", got, want)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(next), "ns/event")
		})
	}
}
