package index

import "hash/maphash"

// table is an open-addressing hash table whose entries hold their values
// inline, so that a check reads one entry and no string. An entry is named
// by two independent 64-bit hashes of a scope and an id (see names): the
// chance that an id absent from the table matches an entry is 2^-128 per
// entry, far below that of a memory error.
type table[V any] struct {
	slots []entry[V]
	count int
}

// entry is one value; key 0 marks a free slot.
type entry[V any] struct {
	key, check uint64
	v          V
}

// name is what a table entry is found by.
type name struct{ key, check uint64 }

// names hashes scoped ids, with seeds drawn per process.
type names [2]maphash.Seed

func newNames() names { return names{maphash.MakeSeed(), maphash.MakeSeed()} }

// of returns the name of an id in a scope: two independently seeded
// hashes of the pair. It reads no state, so that a check can start reading
// the table before it has found the scope.
func (ns *names) of(scope, id string) name {
	pair := scopedID{scope, id}
	n := name{key: maphash.Comparable(ns[0], pair), check: maphash.Comparable(ns[1], pair)}
	if n.key == 0 {
		n.key = 1
	}
	return n
}

type scopedID struct{ scope, id string }

func newTable[V any]() table[V] { return table[V]{slots: make([]entry[V], 64)} }

// find returns the slot holding n, or the free slot where it would go.
func (t *table[V]) find(n name) (int, bool) {
	mask := len(t.slots) - 1
	for i := int(n.key) & mask; ; i = (i + 1) & mask {
		e := &t.slots[i]
		if e.key == 0 {
			return i, false
		}
		if e.key == n.key && e.check == n.check {
			return i, true
		}
	}
}

// get returns the value named n.
func (t *table[V]) get(n name) (V, bool) {
	i, ok := t.find(n)
	return t.slots[i].v, ok
}

// probe starts a lookup of n: it reads the key of n's home slot, a read
// from memory the processor can overlap with what the caller does before
// it calls finish.
func (t *table[V]) probe(n name) (int, uint64) {
	i := int(n.key) & (len(t.slots) - 1)
	return i, t.slots[i].key
}

// finish ends a lookup begun with probe, and returns the value in place
// (valid while the table does not change), or nil.
func (t *table[V]) finish(n name, i int, key uint64) *V {
	if key == n.key && t.slots[i].check == n.check {
		return &t.slots[i].v
	}
	if key == 0 {
		return nil
	}
	if i, ok := t.find(n); ok {
		return &t.slots[i].v
	}
	return nil
}

func (t *table[V]) put(n name, v V) {
	i, ok := t.find(n)
	t.slots[i] = entry[V]{key: n.key, check: n.check, v: v}
	if ok {
		return
	}
	t.count++
	if t.count*2 > len(t.slots) {
		t.grow()
	}
}

// del removes an entry, shifting back the entries after it that were
// placed past their home slot, so that lookups need no tombstones.
func (t *table[V]) del(n name) {
	i, ok := t.find(n)
	if !ok {
		return
	}
	t.count--
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j].key != 0; j = (j + 1) & mask {
		home := int(t.slots[j].key) & mask
		// Move slot j into the hole at i unless its home lies in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = entry[V]{}
}

func (t *table[V]) grow() {
	old := t.slots
	t.slots = make([]entry[V], 2*len(old))
	for _, e := range old {
		if e.key != 0 {
			i, _ := t.find(name{e.key, e.check})
			t.slots[i] = e
		}
	}
}

// member is a membership as checks read it: lo holds the first 64
// permission bits of what the member holds for good (the community's
// everyone role and their roles; not the platform's), and roles lists their
// roles when they fit. Grants that expire are left out and flagged, as is a
// list that does not fit; flagged members are read from the scope's holders
// where it matters.
type member struct {
	lo    uint64
	roles [inlineRoles]uint16
	n     uint8
	flags uint8
}

const inlineRoles = 3

// Member flags.
const (
	expiring uint8 = 1 << iota
	partial
	owner
)
