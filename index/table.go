package index

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// table is an open-addressing hash table whose entries hold their values
// inline, so that a check reads one entry and no string. An entry is named
// by two independent 64-bit hashes of a scope and an id (see names): the
// chance that an id absent from the table matches an entry is 2^-128 per
// entry, far below that of a memory error.
//
// A table is persistent: its slots lie in pages of pageSlots, reached
// through directories of dirPages pages, and a change made in a newer
// generation than a page's copies that page (and its directory) first, so
// that a copy of the table taken before, which checks may be reading,
// never changes. Changes in the page's own generation are made in place.
type table[V any] struct {
	dirs []*tableDir[V]
	// mask is the number of slots less one.
	mask  int
	count int
	// gen is the generation that made dirs.
	gen uint64
}

// tableDir holds the pages of dirPages consecutive slots' worth of pages,
// with the generation that made each.
type tableDir[V any] struct {
	gen   uint64
	pages [dirPages]*tablePage[V]
	gens  [dirPages]uint64
}

type tablePage[V any] [pageSlots]entry[V]

// The sizes of pages and directories: a change copies one page (2 KiB of
// members) and one directory (2 KiB) at most, besides the list of
// directories (one word per 8192 slots).
const (
	pageBits  = 6
	pageSlots = 1 << pageBits
	dirBits   = 7
	dirPages  = 1 << dirBits
)

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
// hashes of the pair, written as the scope's length, the scope and the id.
// It reads no state, so that a check can start reading the table before it
// has found the scope. A pair that fits in a buffer on the stack is
// hashed in one call per seed.
func (ns *names) of(scope, id string) name {
	var n name
	var buf [80]byte
	if pair := 8 + len(scope) + len(id); pair <= len(buf) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(scope)))
		copy(buf[8+copy(buf[8:], scope):], id)
		n = name{key: maphash.Bytes(ns[0], buf[:pair]), check: maphash.Bytes(ns[1], buf[:pair])}
	} else {
		n = name{key: ns.long(0, scope, id), check: ns.long(1, scope, id)}
	}
	if n.key == 0 {
		n.key = 1
	}
	return n
}

// long hashes a pair too long for of's buffer, written the same way.
func (ns *names) long(seed int, scope, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(ns[seed])
	var size [8]byte
	binary.LittleEndian.PutUint64(size[:], uint64(len(scope)))
	h.Write(size[:])
	h.WriteString(scope)
	h.WriteString(id)
	return h.Sum64()
}

// newTable returns an empty table made in generation gen.
func newTable[V any](gen uint64) table[V] { return makeTable[V](gen, pageSlots) }

// makeTable returns an empty table of slots slots, a power of two no less
// than pageSlots, made in generation gen.
func makeTable[V any](gen uint64, slots int) table[V] {
	t := table[V]{mask: slots - 1, gen: gen}
	pages := slots / pageSlots
	t.dirs = make([]*tableDir[V], (pages+dirPages-1)/dirPages)
	for d := range t.dirs {
		dir := &tableDir[V]{gen: gen}
		for p := range min(dirPages, pages-d*dirPages) {
			dir.pages[p], dir.gens[p] = new(tablePage[V]), gen
		}
		t.dirs[d] = dir
	}
	return t
}

// at returns slot i, to read.
func (t *table[V]) at(i int) *entry[V] {
	return &t.dirs[i>>(pageBits+dirBits)].pages[i>>pageBits&(dirPages-1)][i&(pageSlots-1)]
}

// edit returns slot i, to change in generation gen, having copied its
// page, its directory and the list of directories where an older
// generation made them.
func (t *table[V]) edit(gen uint64, i int) *entry[V] {
	if t.gen != gen {
		t.dirs, t.gen = slices.Clone(t.dirs), gen
	}
	dir := &t.dirs[i>>(pageBits+dirBits)]
	if (*dir).gen != gen {
		c := **dir
		c.gen = gen
		*dir = &c
	}
	d, p := *dir, i>>pageBits&(dirPages-1)
	if d.gens[p] != gen {
		c := *d.pages[p]
		d.pages[p], d.gens[p] = &c, gen
	}
	return &d.pages[p][i&(pageSlots-1)]
}

func (t *table[V]) slots() int { return t.mask + 1 }

// find returns the slot holding n, or the free slot where it would go.
func (t *table[V]) find(n name) (int, bool) {
	for i := int(n.key) & t.mask; ; i = (i + 1) & t.mask {
		e := t.at(i)
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
	return t.at(i).v, ok
}

// probe starts a lookup of n: it reads the key of n's home slot, a read
// from memory the processor can overlap with what the caller does before
// it calls finish.
func (t *table[V]) probe(n name) (*entry[V], uint64) {
	e := t.at(int(n.key) & t.mask)
	return e, e.key
}

// finish ends a lookup begun with probe, and returns the value in place,
// or nil.
func (t *table[V]) finish(n name, home *entry[V], key uint64) *V {
	if key == n.key && home.check == n.check {
		return &home.v
	}
	if key == 0 {
		return nil
	}
	if i, ok := t.find(n); ok {
		return &t.at(i).v
	}
	return nil
}

// put sets the value named n, in generation gen.
func (t *table[V]) put(gen uint64, n name, v V) {
	i, ok := t.find(n)
	*t.edit(gen, i) = entry[V]{key: n.key, check: n.check, v: v}
	if ok {
		return
	}
	t.count++
	if t.count*2 > t.slots() {
		t.grow(gen)
	}
}

// del removes an entry in generation gen, shifting back the entries after
// it that were placed past their home slot, so that lookups need no
// tombstones.
func (t *table[V]) del(gen uint64, n name) {
	i, ok := t.find(n)
	if !ok {
		return
	}
	t.count--
	for j := (i + 1) & t.mask; t.at(j).key != 0; j = (j + 1) & t.mask {
		home := int(t.at(j).key) & t.mask
		// Move slot j into the hole at i unless its home lies in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			*t.edit(gen, i) = *t.at(j)
			i = j
		}
	}
	*t.edit(gen, i) = entry[V]{}
}

// grow moves the entries to a table twice the size, made in generation
// gen.
func (t *table[V]) grow(gen uint64) {
	next := makeTable[V](gen, 2*t.slots())
	next.count = t.count
	for i := range t.slots() {
		if e := t.at(i); e.key != 0 {
			j, _ := next.find(name{e.key, e.check})
			*next.at(j) = *e
		}
	}
	*t = next
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
