package index

import "unsafe"

// MembersBytes returns the size of the index's members table: the data
// checks read from memory.
func MembersBytes(ix *Index) int {
	t := &ix.snap.Load().members
	return t.slots() * MemberEntryBytes
}

// MemberEntryBytes is the size of an entry of the members table.
const MemberEntryBytes = int(unsafe.Sizeof(entry[member]{}))
