package index

import (
	"fmt"
	"maps"
	"math/bits"
	"math/rand/v2"
	"slices"
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

// runPmapModel applies steps random operations on keys of pool to a pmap
// and to a map. It puts new keys until all of pool is held, then deletes
// until none is, in turns; overwrites, deletions of absent keys and lookups
// are mixed in throughout.
func runPmapModel(t *testing.T, seed uint64, pool []string, hashes map[string]uint64, steps int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	hash := func(key string) uint64 { return hashes[key] }
	gen := uint64(1)
	var m pmap[int]
	model := map[string]int{}
	type copies struct {
		m     pmap[int]
		model map[string]int
		step  int
	}
	var frozen []copies
	// order[:len(model)] are held, the rest are not; at[k] is k's place.
	order := slices.Clone(pool)
	at := map[string]int{}
	for i, k := range order {
		at[k] = i
	}
	move := func(k string, to int) {
		i := at[k]
		order[i], order[to] = order[to], order[i]
		at[order[i]], at[order[to]] = i, to
	}
	filling, filled, emptied, generations := true, 0, 0, 0
	var op, key string
	fail := func(step int, format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d, step %d, after %s(%s) with %d held: %s", seed, step, op, key, len(model), fmt.Sprintf(format, args...))
	}
	every := max(1, len(pool)/16)
	for step := range steps {
		held := len(model)
		putNew, delHeld := 40, 5
		if !filling {
			putNew, delHeld = 5, 40
		}
		switch r := rng.IntN(100); {
		case r < putNew+10:
			if r < putNew && held < len(order) || held == 0 {
				op, key = "put new", order[held+rng.IntN(len(order)-held)]
				move(key, held)
			} else {
				op, key = "overwrite", order[rng.IntN(held)]
			}
			m.set(gen, key, step, hash)
			model[key] = step
		case r < putNew+10+delHeld+5:
			if r < putNew+10+delHeld && held > 0 || held == len(order) {
				op, key = "del held", order[rng.IntN(held)]
				move(key, held-1)
			} else {
				op, key = "del absent", order[held+rng.IntN(len(order)-held)]
			}
			m.remove(gen, key, hash(key))
			delete(model, key)
		case r < 98:
			op, key = "get", order[rng.IntN(len(order))]
			want, ok := model[key]
			if got, found := m.find(key, hash(key)); found != ok || got != want {
				fail(step, "got %d, %v; want %d, %v", got, found, want, ok)
			}
		default:
			op = "end of generation"
			frozen = append(frozen, copies{m, maps.Clone(model), step})
			gen++
			generations++
			if len(frozen) > 8 {
				if err := pmapMatches(&frozen[0].m, frozen[0].model, hashes); err != nil {
					fail(step, "the copy of step %d: %v", frozen[0].step, err)
				}
				frozen = frozen[1:]
			}
		}
		if filling && len(model) == len(order) {
			filling = false
			filled++
		} else if !filling && len(model) == 0 {
			filling = true
			emptied++
		}
		if step%every == 0 || step == steps-1 {
			if err := pmapMatches(&m, model, hashes); err != nil {
				fail(step, "%v", err)
			}
		}
	}
	for _, c := range frozen {
		if err := pmapMatches(&c.m, c.model, hashes); err != nil {
			fail(steps, "the copy of step %d: %v", c.step, err)
		}
	}
	if filled < 3 || emptied < 3 || generations < 10 {
		t.Errorf("seed %d: filled %d times, emptied %d times, %d generations; want 3, 3 and 10 at least", seed, filled, emptied, generations)
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
