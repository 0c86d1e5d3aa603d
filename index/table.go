package index

import "hash/maphash"

// table is the checks' view of every membership: an open-addressing hash
// table whose entries hold the member's roles inline, so that a check reads
// one entry and no string. An entry is named by two independent 64-bit hashes
// of the scope and the user id, with seeds drawn per process: the chance that
// an id absent from the table matches an entry is 2^-128 per entry, far
// below that of a memory error.
type table struct {
	slots []entry
	count int
	seeds [2]maphash.Seed
}

// entry is one membership; key 0 marks a free slot.
type entry struct {
	key, check uint64
	member
}

// member is a membership as checks read it: lo holds the first 64
// permission bits of the roles held for good, and roles lists them when
// they fit. Grants that expire are left out and flagged by expiring; a list
// that does not fit is flagged by partial. Flagged members are read from the
// scope's holders where it matters.
type member struct {
	lo       uint64
	roles    [inlineRoles]uint16
	n        uint8
	expiring bool
	partial  bool
}

const inlineRoles = 3

func newTable() table {
	return table{slots: make([]entry, 1024), seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// hashes returns the key and check of a scope's user.
func (t *table) hashes(scope uint32, user string) (key, check uint64) {
	key = mix(maphash.String(t.seeds[0], user) ^ uint64(scope)*0x9e3779b97f4a7c15)
	check = mix(maphash.String(t.seeds[1], user) + uint64(scope))
	if key == 0 {
		key = 1
	}
	return key, check
}

// mix spreads the bits of a hash (the finalizer of MurmurHash3).
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// find returns the slot holding key and check, or the free slot where they
// would go.
func (t *table) find(key, check uint64) (int, bool) {
	mask := len(t.slots) - 1
	for i := int(key) & mask; ; i = (i + 1) & mask {
		e := &t.slots[i]
		if e.key == 0 {
			return i, false
		}
		if e.key == key && e.check == check {
			return i, true
		}
	}
}

// get returns the member whose key and check are given.
func (t *table) get(key, check uint64) (member, bool) {
	i, ok := t.find(key, check)
	return t.slots[i].member, ok
}

func (t *table) put(scope uint32, user string, m member) {
	key, check := t.hashes(scope, user)
	i, ok := t.find(key, check)
	t.slots[i] = entry{key: key, check: check, member: m}
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
func (t *table) del(scope uint32, user string) {
	i, ok := t.find(t.hashes(scope, user))
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
	t.slots[i] = entry{}
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]entry, 2*len(old))
	for _, e := range old {
		if e.key != 0 {
			i, _ := t.find(e.key, e.check)
			t.slots[i] = e
		}
	}
}

// bytes is the memory the table holds.
func (t *table) bytes() int { return len(t.slots) * 32 }
