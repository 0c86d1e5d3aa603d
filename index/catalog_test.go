package index

import (
	"fmt"
	"testing"
)

// TestCatalogFindsEveryKey registers and drops keys past the table's first
// size and checks that each registered key is found at its position and
// no other is found.
func TestCatalogFindsEveryKey(t *testing.T) {
	t.Parallel()
	c := newCatalog(1)
	want := map[string]uint16{}
	for i := range 300 {
		k := fmt.Sprintf("KEY_%d", i)
		want[k] = c.add(k)
	}
	for i := 0; i < 300; i += 3 {
		k := fmt.Sprintf("KEY_%d", i)
		c.drop(k)
		delete(want, k)
	}
	// A new key takes the first free position.
	if b := c.add("NEW"); b != 0 {
		t.Errorf("a key added after drops: got position %d, want 0", b)
	} else {
		want["NEW"] = b
	}
	for i := range 400 {
		k := fmt.Sprintf("KEY_%d", i)
		b, ok := c.bit(k)
		if w, in := want[k]; ok != in || ok && b != w {
			t.Errorf("bit(%s): got %d, %v; want %d, %v", k, b, ok, w, in)
		}
	}
	if b, ok := c.bit("NEW"); !ok || b != 0 {
		t.Errorf("bit(NEW): got %d, %v; want 0, true", b, ok)
	}
	if len(c.sorted) != len(want) || 2*len(want) > len(c.slots) {
		t.Errorf("got %d sorted keys in %d slots, want %d keys in at least twice as many slots", len(c.sorted), len(c.slots), len(want))
	}
}

// TestNamesOfLongPairs checks that pairs too long for the stack buffer are
// named consistently, and that where the scope ends is part of the name.
func TestNamesOfLongPairs(t *testing.T) {
	t.Parallel()
	ns := newNames()
	long := fmt.Sprintf("%0128d", 7)
	for _, p := range [][2]string{{long, long}, {"c1", long}, {long, "u1"}, {"c1", "u1"}} {
		if a, b := ns.of(p[0], p[1]), ns.of(p[0], p[1]); a != b {
			t.Errorf("of(%q, %q): got %v then %v", p[0], p[1], a, b)
		}
	}
	if ns.of("ab", "c") == ns.of("a", "bc") || ns.of(long+"x", long) == ns.of(long, "x"+long) {
		t.Error("two pairs of the same bytes split differently got the same name")
	}
}
