package authz

import "github.com/rosterhq/roster"

// AuditScope returns the filter the actor's key reads the audit log with: a
// key restricted to a community reads its community's events and no others
// (Reach), whatever the filter names; other keys read what it names.
func AuditScope(a roster.Actor, f roster.EventFilter) (roster.EventFilter, error) {
	if a.CommunityID == "" {
		return f, nil
	}
	if f.PlatformOnly {
		return f, Reach(a, roster.Platform)
	}
	if f.CommunityID != "" {
		if err := Reach(a, f.CommunityID); err != nil {
			return f, err
		}
	}
	f.CommunityID = a.CommunityID
	return f, nil
}

// ReadAuditFacts are the facts that decide reading the audit log.
type ReadAuditFacts struct {
	// Actor is the actor in the scope read: the community the filter
	// names, or the platform scope for the whole log.
	Actor Subject
	// Community is the community read, if one; Gone is true when it has
	// been deleted.
	Community string
	Gone      bool
}

// ReadAudit decides whether the actor may read the log: a user needs
// VIEW_AUDIT_LOG in the community read, or at platform scope for the whole
// log. A key may read the events of a community deleted since; a user,
// whose standing was in it, may not.
func ReadAudit(f ReadAuditFacts) error {
	if f.Gone && f.Actor.User != "" {
		return roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", f.Community)
	}
	return Require(f.Actor, roster.PermViewAuditLog)
}

// ReadSnapshot decides whether the actor may read a snapshot of the state
// checks depend on (every member and grant it reaches, as a follower
// loads them): an API key acting as itself may; a user, who reads through
// the guards of each list, may not. A key restricted to a community reads
// that community alone (Reachable).
func ReadSnapshot(a roster.Actor) error {
	if a.IsUser() {
		return roster.Errorf(roster.EINSUFFICIENTSCOPE, "a snapshot is read by an API key acting as itself, not as a user")
	}
	return nil
}
