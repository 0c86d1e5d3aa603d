package index

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// model is a persistent structure from keys to ints as runModel drives it:
// its changes in a generation, its lookups, and a copy of it as of now
// (taking one is cheap, its parts being shared) with how a copy differs
// from a Go map.
type model[K comparable, C any] struct {
	put     func(gen uint64, k K, v int)
	del     func(gen uint64, k K)
	lookups []lookup[K]
	copy    func() C
	matches func(c *C, want map[K]int) error
	show    func(k K) string
}

// lookup is one way of finding a key.
type lookup[K comparable] struct {
	name string
	find func(k K) (int, bool)
}

// modelRun is what a run of runModel did, for its caller to check that the
// run went where it meant to.
type modelRun struct {
	filled, emptied int // times the structure held all of the pool, then none
	generations     int // generations ended
}

// runModel applies steps random operations on keys of pool to a structure
// and to a Go map, checking every so many steps that they hold the same
// entries. It puts new keys until all of pool is held, then deletes until
// none is, in turns, so that the structure is as full as it gets, empty,
// and filled again with keys it held before; overwrites, deletions of
// absent keys and lookups are mixed in throughout. Now and then a step
// ends a generation: the copy taken then must keep agreeing with the map's
// copy of then through all the changes made later.
func runModel[K comparable, C any](t *testing.T, seed uint64, pool []K, steps, every int, m model[K, C]) modelRun {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	gen := uint64(1)
	want := map[K]int{}
	type copies struct {
		c    C
		want map[K]int
		step int
	}
	// frozen holds the copies of the last few generations.
	var frozen []copies
	// order[:len(want)] are held, the rest are not; at[k] is k's place.
	order := slices.Clone(pool)
	at := make(map[K]int, len(order))
	for i, k := range order {
		at[k] = i
	}
	move := func(k K, to int) {
		i := at[k]
		order[i], order[to] = order[to], order[i]
		at[order[i]], at[order[to]] = i, to
	}
	var run modelRun
	var op string
	var key K
	fail := func(step int, format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d, step %d (compared every %d), after %s(%s) with %d held: %s",
			seed, step, every, op, m.show(key), len(want), fmt.Sprintf(format, args...))
	}
	filling := true
	for step := range steps {
		held := len(want)
		putNew, delHeld := 40, 5
		if !filling {
			putNew, delHeld = 5, 40
		}
		const lookups = 60 // putNew+10+delHeld+5, filling or not
		switch r := rng.IntN(100); {
		case r < putNew+10:
			if r < putNew && held < len(order) || held == 0 {
				op, key = "put new", order[held+rng.IntN(len(order)-held)]
				move(key, held)
			} else {
				op, key = "overwrite", order[rng.IntN(held)]
			}
			m.put(gen, key, step)
			want[key] = step
		case r < lookups:
			if r < putNew+10+delHeld && held > 0 || held == len(order) {
				op, key = "del held", order[rng.IntN(held)]
				move(key, held-1)
			} else {
				op, key = "del absent", order[held+rng.IntN(len(order)-held)]
			}
			m.del(gen, key)
			delete(want, key)
		case r < 98:
			l := m.lookups[(r-lookups)*len(m.lookups)/(98-lookups)]
			op, key = l.name, order[rng.IntN(len(order))]
			v, present := want[key]
			if got, ok := l.find(key); ok != present || ok && got != v {
				fail(step, "got %d, %v; want %d, %v", got, ok, v, present)
			}
		default:
			op = "end of generation"
			frozen = append(frozen, copies{m.copy(), maps.Clone(want), step})
			gen++
			if len(frozen) > 8 {
				if err := m.matches(&frozen[0].c, frozen[0].want); err != nil {
					fail(step, "the copy of step %d: %v", frozen[0].step, err)
				}
				frozen = frozen[1:]
			}
			run.generations++
		}
		if filling && len(want) == len(order) {
			run.filled++
			filling = false
		} else if !filling && len(want) == 0 {
			run.emptied++
			filling = true
		}
		if step%every == 0 || step == steps-1 {
			c := m.copy()
			if err := m.matches(&c, want); err != nil {
				fail(step, "%v", err)
			}
		}
	}
	for _, c := range frozen {
		if err := m.matches(&c.c, c.want); err != nil {
			fail(steps, "the copy of step %d: %v", c.step, err)
		}
	}
	return run
}
