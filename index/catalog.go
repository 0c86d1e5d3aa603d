package index

import (
	"hash/maphash"
	"slices"
)

// catalog is the registered permissions. A change copies it whole: it holds
// roster.MaxPermissions keys at most.
type catalog struct {
	gen uint64
	// keys lists the keys by position ("" for a free one), sorted in
	// order.
	keys   []string
	sorted []string
	// slots finds a key's position: an open-addressing table, at least
	// twice the keys' size, of positions plus one (0 is free), placed by
	// the key's hash with seed. A check reads it with one hash of the key
	// and one comparison, where a map costs three times that.
	slots []uint16
	seed  maphash.Seed
}

func newCatalog(gen uint64) *catalog {
	return &catalog{gen: gen, slots: make([]uint16, minSlots), seed: maphash.MakeSeed()}
}

// minSlots is the smallest table: the built-in keys, with room.
const minSlots = 64

// copyAt returns a copy of the catalog to change in generation gen.
func (c *catalog) copyAt(gen uint64) *catalog {
	return &catalog{gen: gen, keys: slices.Clone(c.keys), sorted: slices.Clone(c.sorted), slots: slices.Clone(c.slots), seed: c.seed}
}

// bit returns a key's position.
func (c *catalog) bit(key string) (uint16, bool) {
	mask := uint64(len(c.slots) - 1)
	for i := maphash.String(c.seed, key) & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			return 0, false
		}
		if c.keys[s-1] == key {
			return s - 1, true
		}
	}
}

// add registers a new key at the first free position and returns it.
func (c *catalog) add(key string) uint16 {
	b := slices.Index(c.keys, "")
	if b < 0 {
		b = len(c.keys)
		c.keys = append(c.keys, key)
	} else {
		c.keys[b] = key
	}
	at, _ := slices.BinarySearch(c.sorted, key)
	c.sorted = slices.Insert(c.sorted, at, key)
	if 2*len(c.sorted) > len(c.slots) {
		c.place(2 * len(c.slots))
	} else {
		c.put(uint16(b))
	}
	return uint16(b)
}

// drop frees a key's position.
func (c *catalog) drop(key string) {
	b, ok := c.bit(key)
	if !ok {
		return
	}
	c.keys[b] = ""
	at, _ := slices.BinarySearch(c.sorted, key)
	c.sorted = slices.Delete(c.sorted, at, at+1)
	c.place(len(c.slots))
}

// place fills a table of n slots with every key.
func (c *catalog) place(n int) {
	c.slots = make([]uint16, n)
	for b, k := range c.keys {
		if k != "" {
			c.put(uint16(b))
		}
	}
}

// put places the key at position b in the first free slot from its home.
func (c *catalog) put(b uint16) {
	mask := uint64(len(c.slots) - 1)
	i := maphash.String(c.seed, c.keys[b]) & mask
	for c.slots[i] != 0 {
		i = (i + 1) & mask
	}
	c.slots[i] = b + 1
}

// setOf maps keys to their positions, skipping unknown ones.
func (c *catalog) setOf(keys []string) set {
	var s set
	for _, k := range keys {
		if b, ok := c.bit(k); ok {
			s.add(b)
		}
	}
	return s
}

// keysOf lists the keys of a set, in catalog order.
func (c *catalog) keysOf(s set) []string {
	out := []string{}
	s.each(func(b uint16) {
		if int(b) < len(c.keys) && c.keys[b] != "" {
			out = append(out, c.keys[b])
		}
	})
	slices.Sort(out)
	return out
}
