package main

import (
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
// heap, then with none and with GOGC set: the first raises the percent,
// the others leave it at the default.
func TestServeTunesTheCollector(t *testing.T) {
	t.Setenv("GOGC", "")
	r := MustServe(t, "--data-dir", t.TempDir(), "--gc-headroom-mib", "100000")
	if got := gcPercentNow(); got <= 100 {
		t.Errorf("with a headroom of 100000 MiB: GC percent %d, want more than 100", got)
	}
	r.Stop(t)
	if got := gcPercentNow(); got != 100 {
		t.Errorf("after the server stopped: GC percent %d, want 100", got)
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
			if got := gcPercentNow(); got != 100 {
				t.Errorf("GC percent %d, want 100", got)
			}
		})
	}
}
