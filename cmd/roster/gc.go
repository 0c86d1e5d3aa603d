package main

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The garbage collector runs when the heap has grown by GOGC percent of
// what it held live after the last collection. Roster's live heap is
// mostly the index, which every collection marks, while requests allocate
// little and briefly: with a small index the default (100) collects often
// and spends its time marking the index again. tuneGC keeps at least
// headroom bytes of growth between collections, by raising the percent
// while the live heap is small, and leaves the default once it is large.
// It looks again every so often, and until the returned function is
// called, which restores the percent it found. With headroom 0 it does
// nothing.
func tuneGC(headroom uint64, every time.Duration) (stop func()) {
	if headroom == 0 {
		return func() {}
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := -1
	var found int
	tune := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if p := gcPercent(sample[0].Value.Uint64(), headroom); p != set {
			if was := debug.SetGCPercent(p); set < 0 {
				found = was
			}
			set = p
		}
	}
	tune()
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				tune()
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		if set >= 0 {
			debug.SetGCPercent(found)
		}
	}
}

// gcPercent returns the GOGC percent that lets the heap grow by headroom
// bytes over live ones, and never less than the default 100.
func gcPercent(live, headroom uint64) int {
	const most = 10_000
	if live == 0 || headroom/live >= most/100 {
		return most
	}
	return max(100, int(headroom*100/live))
}
