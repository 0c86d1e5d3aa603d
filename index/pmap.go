package index

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// pmap is a persistent map from strings to V: a hash trie (CHAMP) whose
// nodes each hold up to 32 entries and children, picked by 5 bits of the
// key's hash a level. Like a table, a change made in a newer generation
// than a node's copies the node (and the path to it) first, so that a copy
// of the map taken before never changes; one made in the node's own
// generation is made in place. A change copies at most one node per level,
// some 13 levels at the very most and 3 or 4 for a million keys.
type pmap[V any] struct {
	root *pnode[V]
	n    int
}

type pnode[V any] struct {
	gen uint64
	// entries and children mark the positions that hold an entry of es
	// and a child of cs, in order. Below the last level, where keys with
	// equal hashes end, es holds them all and the bitmaps are unused.
	entries, children uint32
	es                []pentry[V]
	cs                []*pnode[V]
}

type pentry[V any] struct {
	key string
	v   V
}

const (
	levelBits = 5
	hashBits  = 64
)

var pmapSeed = maphash.MakeSeed()

func hashOf(key string) uint64 { return maphash.String(pmapSeed, key) }

// bit returns the position bit of hash h at the level that starts at
// shift, and the index among set bits of bitmap it has.
func bit(h uint64, shift uint, bitmap uint32) (uint32, int) {
	b := uint32(1) << (h >> shift & (1<<levelBits - 1))
	return b, bits.OnesCount32(bitmap & (b - 1))
}

func (m *pmap[V]) len() int { return m.n }

// get returns the value of key.
func (m *pmap[V]) get(key string) (V, bool) { return m.find(key, hashOf(key)) }

// find returns the value of key, whose hash is h.
func (m *pmap[V]) find(key string, h uint64) (V, bool) {
	n := m.root
	for shift := uint(0); n != nil; shift += levelBits {
		if shift >= hashBits {
			for i := range n.es {
				if n.es[i].key == key {
					return n.es[i].v, true
				}
			}
			break
		}
		b, i := bit(h, shift, n.entries)
		if n.entries&b != 0 {
			if n.es[i].key == key {
				return n.es[i].v, true
			}
			break
		}
		if n.children&b == 0 {
			break
		}
		_, i = bit(h, shift, n.children)
		n = n.cs[i]
	}
	var zero V
	return zero, false
}

// each calls fn with each key and value, in no set order.
func (m *pmap[V]) each(fn func(key string, v V)) {
	if m.root != nil {
		m.root.each(fn)
	}
}

func (n *pnode[V]) each(fn func(key string, v V)) {
	for _, e := range n.es {
		fn(e.key, e.v)
	}
	for _, c := range n.cs {
		c.each(fn)
	}
}

// own returns n, or a copy of it made in generation gen when an older one
// made n.
func (n *pnode[V]) own(gen uint64) *pnode[V] {
	if n.gen == gen {
		return n
	}
	return &pnode[V]{gen: gen, entries: n.entries, children: n.children, es: slices.Clone(n.es), cs: slices.Clone(n.cs)}
}

// put sets the value of key, in generation gen.
func (m *pmap[V]) put(gen uint64, key string, v V) { m.set(gen, key, v, hashOf) }

// set sets the value of key, in generation gen, with keys hashed by hash.
func (m *pmap[V]) set(gen uint64, key string, v V, hash func(string) uint64) {
	if m.root == nil {
		m.root = &pnode[V]{gen: gen}
	}
	var added bool
	m.root, added = m.root.put(gen, pentry[V]{key, v}, hash(key), 0, hash)
	if added {
		m.n++
	}
}

// put sets e, whose key's hash is h, in the node at the level that starts
// at shift, and returns the node as generation gen holds it, and whether
// the key is new. An entry moved down is hashed again by hash.
func (n *pnode[V]) put(gen uint64, e pentry[V], h uint64, shift uint, hash func(string) uint64) (*pnode[V], bool) {
	n = n.own(gen)
	if shift >= hashBits {
		for i := range n.es {
			if n.es[i].key == e.key {
				n.es[i] = e
				return n, false
			}
		}
		n.es = append(n.es, e)
		return n, true
	}
	b, i := bit(h, shift, n.entries)
	_, j := bit(h, shift, n.children)
	switch {
	case n.entries&b != 0 && n.es[i].key == e.key:
		n.es[i] = e
		return n, false
	case n.entries&b != 0:
		// Two keys share the position: both move down to a new child.
		old := n.es[i]
		c := &pnode[V]{gen: gen}
		c, _ = c.put(gen, old, hash(old.key), shift+levelBits, hash)
		c, _ = c.put(gen, e, h, shift+levelBits, hash)
		n.es = slices.Delete(n.es, i, i+1)
		n.entries &^= b
		n.cs = slices.Insert(n.cs, j, c)
		n.children |= b
		return n, true
	case n.children&b != 0:
		var added bool
		n.cs[j], added = n.cs[j].put(gen, e, h, shift+levelBits, hash)
		return n, added
	default:
		n.es = slices.Insert(n.es, i, e)
		n.entries |= b
		return n, true
	}
}

// del removes key, in generation gen.
func (m *pmap[V]) del(gen uint64, key string) { m.remove(gen, key, hashOf(key)) }

// remove removes key, whose hash is h, in generation gen.
func (m *pmap[V]) remove(gen uint64, key string, h uint64) {
	if m.root == nil {
		return
	}
	var removed bool
	if m.root, removed = m.root.del(gen, key, h, 0); removed {
		m.n--
	}
}

// del removes key, whose hash is h, from the node at the level that starts
// at shift, and returns the node as generation gen holds it, and whether
// the key was there. A child left with one entry and no children gives its
// entry to its parent, so that the trie has one shape for one set of keys.
func (n *pnode[V]) del(gen uint64, key string, h uint64, shift uint) (*pnode[V], bool) {
	if shift >= hashBits {
		i := slices.IndexFunc(n.es, func(e pentry[V]) bool { return e.key == key })
		if i < 0 {
			return n, false
		}
		n = n.own(gen)
		n.es = slices.Delete(n.es, i, i+1)
		return n, true
	}
	b, i := bit(h, shift, n.entries)
	if n.entries&b != 0 {
		if n.es[i].key != key {
			return n, false
		}
		n = n.own(gen)
		n.es = slices.Delete(n.es, i, i+1)
		n.entries &^= b
		return n, true
	}
	if n.children&b == 0 {
		return n, false
	}
	_, j := bit(h, shift, n.children)
	c, removed := n.cs[j].del(gen, key, h, shift+levelBits)
	if !removed {
		return n, false
	}
	n = n.own(gen)
	if len(c.cs) == 0 && len(c.es) <= 1 {
		n.cs = slices.Delete(n.cs, j, j+1)
		n.children &^= b
		if len(c.es) == 1 {
			n.es = slices.Insert(n.es, i, c.es[0])
			n.entries |= b
		}
	} else {
		n.cs[j] = c
	}
	return n, true
}
