package roster

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Audit actions.
const (
	ActionPermissionCreated = "permission.created"
	ActionPermissionDeleted = "permission.deleted"
	ActionUserCreated       = "user.created"
	ActionUserUpdated       = "user.updated"
	ActionCommunityCreated  = "community.created"
	ActionCommunityUpdated  = "community.updated"
	ActionCommunityDeleted  = "community.deleted"
	ActionOwnerTransferred  = "community.owner_transferred"
	ActionMemberJoined      = "member.joined"
	ActionMemberUpdated     = "member.updated"
	ActionMemberLeft        = "member.left"
	ActionRoleCreated       = "role.created"
	ActionRoleUpdated       = "role.updated"
	ActionRoleDeleted       = "role.deleted"
	ActionRolesReordered    = "role.reordered"
	ActionMemberRoleAdded   = "member.role_added"
	ActionMemberRoleRemoved = "member.role_removed"
	// ActionMemberRoleExpired is written once a grant's expiresAt has
	// passed, when Roster removes it.
	ActionMemberRoleExpired = "member.role_expired"
	ActionChannelCreated    = "channel.created"
	ActionChannelUpdated    = "channel.updated"
	ActionChannelDeleted    = "channel.deleted"
	ActionOverwriteSet      = "channel.overwrite_set"
	ActionOverwriteDeleted  = "channel.overwrite_deleted"
	ActionAPIKeyCreated     = "apikey.created"
	ActionAPIKeyRevoked     = "apikey.revoked"
)

// Target types of audit events.
const (
	TargetPermission = "permission"
	TargetUser       = "user"
	TargetCommunity  = "community"
	TargetMember     = "member"
	TargetRole       = "role"
	TargetAPIKey     = "apikey"
	TargetChannel    = "channel"
	// TargetScope is the target of changes to a whole scope, such as a
	// reorder of its roles; its id is the community id, or empty.
	TargetScope = "scope"
)

// Event is one entry of the change log: one effect of one mutation.
type Event struct {
	Revision Revision  `json:"revision"`
	At       time.Time `json:"at"`
	Actor    Actor     `json:"actor"`
	// RequestID is the id of the request that made the change.
	RequestID string `json:"requestId,omitempty"`
	// CommunityID is the scope of the change, or nil for the platform scope.
	CommunityID *string `json:"communityId"`
	Action      string  `json:"action"`
	TargetType  string  `json:"targetType"`
	TargetID    string  `json:"targetId"`
	// Before and After are JSON documents of what changed (null when the
	// target did not exist before, or does not after).
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// EventFilter narrows the audit log. Empty fields match everything.
type EventFilter struct {
	// CommunityID matches events of one community; Platform matches only
	// platform-scope events when PlatformOnly is set.
	CommunityID  string
	PlatformOnly bool
	// Actor matches the acting key id or user id.
	Actor string
	// Action matches one action, or, ending in a dot ("member."), every
	// action it begins.
	Action string
	// Target matches the target id.
	Target string
	// Since and Until, when not zero, match the events at or after Since
	// and before Until.
	Since, Until time.Time
	// Newest lists the newest events first.
	Newest bool
}

// AuditService reads the change log.
type AuditService interface {
	// ListEvents returns events oldest first, or newest first on request. A user actor needs
	// VIEW_AUDIT_LOG in the community (at platform scope for the whole log).
	ListEvents(ctx context.Context, filter EventFilter, page Page) ([]Event, string, error)

	// FollowEvents returns, for a follower of the log, at most limit
	// events after the revision that match the filter, oldest first, and
	// the filter the actor reads by: the one given, narrowed to its
	// community for a key restricted to one. The actor may read what
	// ListEvents lets it read, else FollowEvents returns the same error.
	// With limit 0 it reads nothing and only decides.
	FollowEvents(ctx context.Context, filter EventFilter, after Revision, limit int) ([]Event, EventFilter, error)

	// CurrentRevision returns the revision of the newest event.
	CurrentRevision(ctx context.Context) (Revision, error)
}

// Match reports whether the event passes the filter (whose Newest, an
// order, matches everything).
func (f EventFilter) Match(e Event) bool {
	switch {
	case f.CommunityID != "" && (e.CommunityID == nil || *e.CommunityID != f.CommunityID),
		f.PlatformOnly && e.CommunityID != nil,
		f.Actor != "" && f.Actor != e.Actor.KeyID && f.Actor != e.Actor.UserID,
		f.Target != "" && f.Target != e.TargetID,
		!f.Since.IsZero() && e.At.Before(f.Since),
		!f.Until.IsZero() && !e.At.Before(f.Until):
		return false
	}
	return MatchAction(f.Action, e.Action)
}

// MatchAction reports whether an action filter, one action or a prefix
// ending in a dot, matches the action; an empty filter matches every one.
func MatchAction(filter, action string) bool {
	if strings.HasSuffix(filter, ".") {
		return strings.HasPrefix(action, filter)
	}
	return filter == "" || filter == action
}

// MaxActionLength bounds the action an audit filter names; an actor or a
// target, being an id, is bounded by MaxIDLength.
const MaxActionLength = 64

// Clean checks the filter's texts, each of which is compared to what the
// log holds: valid UTF-8 without NUL characters, of a bounded length. A
// community id must be well-formed.
func (f *EventFilter) Clean() error {
	var fs fields
	if f.CommunityID != "" {
		fs.id("communityId", f.CommunityID)
	}
	fs.length("actor", f.Actor, MaxIDLength)
	fs.length("action", f.Action, MaxActionLength)
	fs.length("target", f.Target, MaxIDLength)
	return fs.err()
}
