package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, headroom uint64
		want           int
	}{
		{64 * mib, 256 * mib, 400},
		{10 * mib, 256 * mib, 2560},
		{256 * mib, 256 * mib, 100},
		{1024 * mib, 256 * mib, 100},
		{1 * mib, 256 * mib, 10_000},
		{0, 256 * mib, 10_000},
	} {
		if got := gcPercent(tc.live, tc.headroom); got != tc.want {
			t.Errorf("gcPercent(%d MiB live, %d MiB headroom) = %d, want %d", tc.live/mib, tc.headroom/mib, got, tc.want)
		}
	}
}

// gcPercentNow returns the collector's percent, leaving it as it was.
func gcPercentNow() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestServeTunesTheCollector runs the server with a headroom far above its
// heap, then with none and with GOGC set: the first raises the percent
// and restores it when it stops, the others leave it as it was.
func TestServeTunesTheCollector(t *testing.T) {
	t.Setenv("GOGC", "")
	before := gcPercentNow()
	r := MustServe(t, "--data-dir", t.TempDir(), "--gc-headroom-mib", "100000")
	if got := gcPercentNow(); got <= max(before, 100) {
		t.Errorf("with a headroom of 100000 MiB: GC percent %d, want more than %d", got, max(before, 100))
	}
	// After collections it stays tuned.
	runtime.GC()
	runtime.GC()
	if got := gcPercentNow(); got <= max(before, 100) {
		t.Errorf("after collections: GC percent %d, want more than %d", got, max(before, 100))
	}
	r.Stop(t)
	if got := gcPercentNow(); got != before {
		t.Errorf("after the server stopped: GC percent %d, want the %d before", got, before)
	}
	for _, tc := range []struct {
		name string
		gogc string
		args []string
	}{
		{"headroom 0", "", []string{"--gc-headroom-mib", "0"}},
		{"GOGC set", "100", []string{"--gc-headroom-mib", "100000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			MustServe(t, append([]string{"--data-dir", t.TempDir()}, tc.args...)...)
			if got := gcPercentNow(); got != before {
				t.Errorf("GC percent %d, want the %d before", got, before)
			}
		})
	}
}
