package index

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTableAgreesWithMap drives a table and a Go map with the same random
// puts, deletions and lookups, and checks after every step or few that they
// agree. Now and then the step ends a generation: the table's copy of then
// must keep agreeing with the map's copy of then through all the changes
// made later.
// The names are crafted so that their home slots cluster: runs of a whole
// table's worth of entries, runs that wrap from the last slots to the first,
// entries sharing a key, and a table that grows while its entries stay in
// one run.
func TestTableAgreesWithMap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		seed  uint64
		homes []int // each name's home slot; negative counts from the end
		steps int
		// the table is to be filled and emptied at least cycles times,
		// and to have slots slots at the end
		cycles, slots int
	}{
		// 32 names fill a 64-slot table as full as it gets (a 33rd grows it).
		{"one home", 1, repeat(32, 5), 20000, 10, 64},
		{"last slots", 2, spread(32, -1, -2, -3, -4), 20000, 10, 64},
		{"wrapped run over early homes", 3, spread(32, -1, -2, 0, 1, 2, 3), 20000, 10, 64},
		{"first and last slot", 4, spread(32, -1, 0), 20000, 10, 64},
		{"growth in one run", 5, spread(240, -2, -1, 0, 1), 6000, 3, 512},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := make([]name, len(tc.homes))
			for i, h := range tc.homes {
				pool[i] = crafted(uint64(i+1), h)
			}
			every := max(1, len(pool)/32)
			run := runTableModel(t, tc.seed, pool, tc.steps, every)
			if run.filled < tc.cycles || run.emptied < tc.cycles || run.slots != tc.slots {
				t.Errorf("seed %d: got %+v; want the table filled and emptied at least %d times, in %d slots",
					tc.seed, run, tc.cycles, tc.slots)
			}
		})
	}
	t.Run("shared keys", func(t *testing.T) {
		t.Parallel()
		// Eight keys named four times each, told apart by check alone.
		var pool []name
		for i := range 32 {
			n := crafted(uint64(i%8+1), -1-i%8%3)
			n.check = uint64(i)
			pool = append(pool, n)
		}
		if run := runTableModel(t, 6, pool, 20000, 1); run.filled < 10 || run.emptied < 10 || run.slots != 64 {
			t.Errorf("seed 6: got %+v; want the table filled and emptied at least 10 times, in 64 slots", run)
		}
	})
}

// TestTableAgreesWithMapOnHashedNames is TestTableAgreesWithMap with names
// as the index makes them, in numbers that grow the table several times,
// to more than one directory of pages.
func TestTableAgreesWithMapOnHashedNames(t *testing.T) {
	t.Parallel()
	const seed = 7
	rng := rand.New(rand.NewPCG(seed, 0))
	ns := newNames()
	pool := make([]name, 6000)
	for i := range pool {
		pool[i] = ns.of(fmt.Sprint("c", rng.IntN(5)), fmt.Sprint(rng.Uint64()))
	}
	run := runTableModel(t, seed, pool, 60000, 100)
	if run.filled < 1 || run.emptied < 1 || run.slots != 2*pageSlots*dirPages || run.generations < 100 {
		t.Errorf("seed %d: got %+v; want the table filled and emptied, in %d slots, over 100 generations or more",
			seed, run, 2*pageSlots*dirPages)
	}
}

// crafted returns a name whose home slot is home in every table of up to
// 2^32 slots, counting from the end when home is negative. c tells apart
// names of one home.
func crafted(c uint64, home int) name {
	return name{key: c<<32 | uint64(uint32(home)), check: c * 0x9e3779b97f4a7c15}
}

func repeat(n, home int) []int {
	homes := make([]int, n)
	for i := range homes {
		homes[i] = home
	}
	return homes
}

// spread returns n homes taken in turn from homes.
func spread(n int, homes ...int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = homes[i%len(homes)]
	}
	return out
}

// runTableModel runs runModel on a table, with names of pool.
func runTableModel(t *testing.T, seed uint64, pool []name, steps, every int) tableRun {
	t.Helper()
	tb := newTable[int](1)
	run := runModel(t, seed, pool, steps, every, model[name, table[int]]{
		put: func(gen uint64, n name, v int) { tb.put(gen, n, v) },
		del: func(gen uint64, n name) { tb.del(gen, n) },
		lookups: []lookup[name]{
			{"get", tb.get},
			{"probe and finish", func(n name) (int, bool) {
				home, key := tb.probe(n)
				if v := tb.finish(n, home, key); v != nil {
					return *v, true
				}
				return 0, false
			}},
		},
		copy:    func() table[int] { return tb },
		matches: func(c *table[int], want map[name]int) error { return tableMatches(c, want, pool) },
		show:    func(n name) string { return fmt.Sprintf("%x/%x", n.key, n.check) },
	})
	return tableRun{run, tb.slots()}
}

// tableRun is what a run of runTableModel did.
type tableRun struct {
	modelRun
	slots int // the table's size at the end
}

// tableMatches reports how tb and model differ on the names of pool, if
// they do.
func tableMatches(tb *table[int], model map[name]int, pool []name) error {
	if tb.count != len(model) {
		return fmt.Errorf("count %d, want %d", tb.count, len(model))
	}
	used := 0
	for i := range tb.slots() {
		if tb.at(i).key != 0 {
			used++
		}
	}
	if used != len(model) || 2*used > tb.slots() {
		return fmt.Errorf("%d of %d slots used, want %d", used, tb.slots(), len(model))
	}
	for _, n := range pool {
		want, present := model[n]
		if got, ok := tb.get(n); ok != present || ok && got != want {
			return fmt.Errorf("get(%x/%x) = %d, %v; want %d, %v", n.key, n.check, got, ok, want, present)
		}
		home, key := tb.probe(n)
		if got := tb.finish(n, home, key); (got != nil) != present || got != nil && *got != want {
			return fmt.Errorf("finish(%x/%x) = %v; want %d, %v", n.key, n.check, got, want, present)
		}
	}
	return nil
}
