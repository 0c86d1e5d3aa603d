package index

import (
	"fmt"
	"maps"
	"math/bits"
	"testing"
)

// TestPmapAgreesWithMap drives a pmap and a Go map with the same random
// puts, deletions and lookups, and checks every few steps that they agree
// and that the trie has its one shape. Now and then a step ends a
// generation: the pmap's copy of then must keep agreeing with the map's
// copy of then through all the changes made later. Hashes are crafted so
// that keys share long prefixes, or whole hashes, as well as drawn.
func TestPmapAgreesWithMap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		keys int
		hash func(key string, i int) uint64
	}{
		{"hashed", 3000, func(key string, _ int) uint64 { return hashOf(key) }},
		{"consecutive hashes", 3000, func(_ string, i int) uint64 { return uint64(i) }},
		// Three groups of keys with one hash each, apart from the first
		// level on: chains down to the last level.
		{"equal hashes", 48, func(_ string, i int) uint64 { return uint64(i % 3) }},
		// Keys that part at the last level only, four to a hash.
		{"last level", 64, func(_ string, i int) uint64 { return uint64(i%16)<<60 | 0x0123456789abcde }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := make([]string, tc.keys)
			hashes := map[string]uint64{}
			for i := range pool {
				pool[i] = fmt.Sprint("k", i)
				hashes[pool[i]] = tc.hash(pool[i], i)
			}
			runPmapModel(t, 1, pool, hashes, 20*tc.keys)
		})
	}
}

// runPmapModel runs runModel on a pmap, with keys of pool hashed as
// hashes says, and checks that the run filled and emptied it and ended
// generations.
func runPmapModel(t *testing.T, seed uint64, pool []string, hashes map[string]uint64, steps int) {
	t.Helper()
	hash := func(key string) uint64 { return hashes[key] }
	var m pmap[int]
	run := runModel(t, seed, pool, steps, max(1, len(pool)/16), model[string, pmap[int]]{
		put:     func(gen uint64, k string, v int) { m.set(gen, k, v, hash) },
		del:     func(gen uint64, k string) { m.remove(gen, k, hash(k)) },
		lookups: []lookup[string]{{"get", func(k string) (int, bool) { return m.find(k, hash(k)) }}},
		copy:    func() pmap[int] { return m },
		matches: func(c *pmap[int], want map[string]int) error { return pmapMatches(c, want, hashes) },
		show:    func(k string) string { return k },
	})
	if run.filled < 3 || run.emptied < 3 || run.generations < 10 {
		t.Errorf("seed %d: got %+v; want the pmap filled and emptied 3 times, and 10 generations, at least", seed, run)
	}
}

// pmapMatches reports how m and model differ, or m's trie is not in its
// one shape, if they do or it is not.
func pmapMatches(m *pmap[int], model map[string]int, hashes map[string]uint64) error {
	if m.len() != len(model) {
		return fmt.Errorf("len %d, want %d", m.len(), len(model))
	}
	seen := map[string]int{}
	m.each(func(k string, v int) { seen[k] = v })
	if !maps.Equal(seen, model) {
		return fmt.Errorf("each gives %d entries, not those of the model (%d)", len(seen), len(model))
	}
	for k, h := range hashes {
		want, ok := model[k]
		if got, found := m.find(k, h); found != ok || got != want {
			return fmt.Errorf("find(%s) = %d, %v; want %d, %v", k, got, found, want, ok)
		}
	}
	if m.root != nil {
		return m.root.shape(hashes, 0, m.root)
	}
	return nil
}

// shape checks that the node's bitmaps count its entries and children,
// that each key is where its hash puts it, and that no child but the root
// holds a single entry and nothing else, or nothing at all.
func (n *pnode[V]) shape(hashes map[string]uint64, shift uint, root *pnode[V]) error {
	if shift >= hashBits {
		for _, e := range n.es {
			if hashes[e.key] != hashes[n.es[0].key] {
				return fmt.Errorf("keys %s and %s of unequal hashes below the last level", e.key, n.es[0].key)
			}
		}
	} else {
		if bits.OnesCount32(n.entries) != len(n.es) || bits.OnesCount32(n.children) != len(n.cs) || n.entries&n.children != 0 {
			return fmt.Errorf("node at shift %d: bitmaps %b/%b for %d entries and %d children", shift, n.entries, n.children, len(n.es), len(n.cs))
		}
		for _, e := range n.es {
			if b, i := bit(hashes[e.key], shift, n.entries); n.entries&b == 0 || n.es[i].key != e.key {
				return fmt.Errorf("key %s out of place at shift %d", e.key, shift)
			}
		}
	}
	if n != root && len(n.cs) == 0 && len(n.es) <= 1 {
		return fmt.Errorf("a child at shift %d with %d entries and no children", shift, len(n.es))
	}
	for _, c := range n.cs {
		if err := c.shape(hashes, shift+levelBits, root); err != nil {
			return err
		}
	}
	return nil
}
