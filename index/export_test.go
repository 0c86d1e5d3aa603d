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

// FindMember hashes a check's names and finds its member entry, deciding
// nothing: the part of a check that reads memory.
func FindMember(ix *Index, community, user string) bool {
	v := ix.snap.Load()
	who := v.names.of(community, user)
	at, key := v.members.probe(who)
	return v.members.finish(who, at, key) != nil
}
