package index

import (
	"unsafe"

	"github.com/rosterhq/roster"
)

// MembersBytes returns the size of the index's members table: the data
// checks read from memory.
func MembersBytes(ix *Index) int {
	t := &ix.snap.Load().members
	return t.slots() * MemberEntryBytes
}

// MemberEntryBytes is the size of an entry of the members table.
const MemberEntryBytes = int(unsafe.Sizeof(entry[member]{}))

// FindMember hashes a check's names and finds its member entry as a check
// does, deciding nothing: the part of a check that reads memory.
func FindMember(ix *Index, c roster.Check) bool {
	v := ix.snap.Load()
	var p probe
	v.name(c, &p)
	v.probe(&p)
	return v.members.finish(p.who, p.at, p.key) != nil
}
