package roster

import "context"

// ChangeLog is the ordered log of changes, as an index of the data follows
// it: the state at one revision, then every event after it.
type ChangeLog interface {
	// LoadState sends sink the state checks depend on, as of the revision it
	// returns: the catalog, then communities, roles (by scope, bottom to
	// top), members, grants and channels with their overwrites.
	LoadState(ctx context.Context, sink StateSink) (Revision, error)

	// Changes returns at most limit events after the given revision, in
	// revision order.
	Changes(ctx context.Context, after Revision, limit int) ([]Event, error)

	// OnCommit registers fn to be called after each commit that wrote
	// events, with the revision of its last event: for a commit through
	// this store before the writing call returns, and, where the database
	// is shared, soon after a commit by another process. It is also called
	// with revision 0 when commits may have been missed, such as after the
	// database connection is restored. For a commit through this store,
	// events are the commit's events as Changes returns them, in revision
	// order; otherwise nil.
	OnCommit(fn func(rev Revision, events []Event))
}

// StateSink receives the state a ChangeLog loads.
type StateSink interface {
	Permission(key string)
	Community(c Community)
	Role(r Role)
	Member(communityID, userID string)
	Grant(scope string, a Assignment)
	Channel(c Channel)
}

// Assignment is one grant of a role to a user, as the member.role_added and
// member.role_removed events record it.
type Assignment struct {
	UserID   string `json:"userId"`
	RoleID   string `json:"roleId"`
	RoleName string `json:"roleName"`
	Grant
}
