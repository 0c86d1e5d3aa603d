package index_test

import (
	"context"
	"runtime"
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
func (memLog) OnCommit(func(roster.Revision))                                        {}

var (
	full     storetest.Dataset
	fullOnce sync.Once
)

// fullIndex builds the index of the full dataset, and returns it with the
// heap it holds per assignment.
func fullIndex(b *testing.B) (*index.Index, *storetest.Dataset, float64) {
	b.Helper()
	fullOnce.Do(func() {
		full = storetest.FullDataset
		full.Generate(1)
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := index.Open(context.Background(), memLog{data: &full, now: time.Now()}, index.Options{})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Cleanup(func() { ix.Close() })
	return ix, &full, float64(after.HeapAlloc-before.HeapAlloc) / float64(full.Assignments)
}

func benchAllowed(b *testing.B, channelShare float64) {
	ix, data, heap := fullIndex(b)
	queries := data.Queries(2, 1<<16, channelShare)
	ctx := context.Background()
	allowed := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ok, _, err := ix.Allowed(ctx, queries[i&(len(queries)-1)], 0)
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			allowed++
		}
		i++
	}
	b.ReportMetric(float64(allowed)/float64(i), "allowed/op")
	b.ReportMetric(heap, "B/assignment")
}

// BenchmarkCheck answers one community check drawn at random over the full
// dataset.
func BenchmarkCheck(b *testing.B) { benchAllowed(b, 0) }

// BenchmarkCheckChannel answers one check in a channel with overwrites.
func BenchmarkCheckChannel(b *testing.B) { benchAllowed(b, 1) }

// BenchmarkCheckBatch100 answers batches of 100 checks, a tenth of them in
// channels.
func BenchmarkCheckBatch100(b *testing.B) {
	ix, data, _ := fullIndex(b)
	queries := data.Queries(3, 100*1024, 0.1)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at := (i % 1024) * 100
		if _, _, err := ix.Check(ctx, queries[at:at+100], 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i*100)/b.Elapsed().Seconds(), "checks/s")
}

// BenchmarkEffectivePermissions lists a member's permissions with the
// reasons, as the explain route does.
func BenchmarkEffectivePermissions(b *testing.B) {
	ix, data, _ := fullIndex(b)
	queries := data.Queries(4, 1<<12, 0)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		q := queries[i&(len(queries)-1)]
		if _, _, err := ix.EffectivePermissions(ctx, q.CommunityID, "", q.UserID); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
