package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The garbage collector runs when the heap has grown by GOGC percent of
// what it held live after the last collection. Roster's live heap is
// mostly the index, which every collection marks, while requests allocate
// little and briefly: with a small index the default (100) collects often
// and spends its time marking the index again. tuneGC keeps at least
// headroom bytes of growth between collections, by raising the percent
// while the live heap is small, and leaves the default once it is large.
// It sets the percent again after every collection, for the live heap that
// collection found, until the returned function is called, which restores
// the percent it found. With headroom 0 it does nothing.
func tuneGC(headroom uint64) (stop func()) {
	if headroom == 0 {
		return func() {}
	}
	t := &gcTuner{headroom: headroom, set: -1, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.tune()
	t.arm()
	return t.stop
}

// gcTuner is tuneGC's state.
type gcTuner struct {
	headroom uint64
	sample   []metrics.Sample

	mu      sync.Mutex
	stopped bool
	// set is the percent the tuner set (-1 before any), found the one
	// before it.
	set, found int
}

// arm calls tune after the next collection, and arms again then: a
// cleanup runs once the object it watches, unreachable at once, is
// collected.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new([16]byte), func(t *gcTuner) {
		if t.tune() {
			t.arm()
		}
	}, t)
}

// tune sets the percent for the live heap, and reports false once stopped.
func (t *gcTuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return true
	}
	if p := gcPercent(t.sample[0].Value.Uint64(), t.headroom); p != t.set {
		if was := debug.SetGCPercent(p); t.set < 0 {
			t.found = was
		}
		t.set = p
	}
	return true
}

// stop stops tuning and restores the percent found, unless something else
// changed it since.
func (t *gcTuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.set < 0 {
		return
	}
	if now := debug.SetGCPercent(t.found); now != t.set {
		debug.SetGCPercent(now)
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
