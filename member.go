package roster

import (
	"context"
	"time"
)

// Member is a user who has joined a community, with the roles they hold
// there. At platform scope the same shape lists a user's platform roles, with
// no join time.
type Member struct {
	// CommunityID is nil at platform scope.
	CommunityID *string    `json:"communityId"`
	UserID      string     `json:"userId"`
	DisplayName string     `json:"displayName"`
	JoinedAt    *time.Time `json:"joinedAt,omitempty"`
	Roles       []HeldRole `json:"roles"`
}

// HeldRole is one role a user holds, with every grant that gives it to them.
type HeldRole struct {
	RoleID   string  `json:"roleId"`
	Name     string  `json:"name"`
	Position int     `json:"position"`
	Grants   []Grant `json:"grants"`
}

// Grant is one source's assignment of a role to a user.
type Grant struct {
	Source    Source     `json:"source"`
	GrantedBy Actor      `json:"grantedBy"`
	GrantedAt time.Time  `json:"grantedAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// MemberFilter narrows a list of members.
type MemberFilter struct {
	// RoleID keeps only the members who hold this role (id or built-in alias).
	RoleID string
	// Search keeps the members whose display name holds it, ignoring case,
	// or whose user id begins with it.
	Search string
}

// Clean checks the filter.
func (f *MemberFilter) Clean() error {
	var fs fields
	fs.length("search", f.Search, MaxSearchLength)
	return fs.err()
}

// MaxMemberBatch bounds the users of one AddMembers call.
const MaxMemberBatch = 1000

// Outcomes of adding a member.
const (
	Joined        = "joined"
	AlreadyMember = "already_member"
)

// JoinResult is the outcome of adding one user to a community.
type JoinResult struct {
	UserID string `json:"userId"`
	Result string `json:"result" enum:"joined,already_member"`
}

// MemberService manages who belongs to a community.
type MemberService interface {
	// AddMember makes the user a member (creating the user record if needed)
	// and gives them the community's default roles; Created reports that
	// they joined. Adding a member again changes only the display name.
	// A user actor may add themselves; adding others needs MANAGE_MEMBERS.
	// Returns ECOMMUNITYNOTFOUND, EVALIDATION, EMISSINGPERMISSION.
	AddMember(ctx context.Context, communityID, userID string, displayName *string) (Upserted[Member], Revision, error)

	// AddMembers adds up to MaxMemberBatch users as AddMember does, all or
	// nothing, and reports for each whether they joined or already were a
	// member.
	AddMembers(ctx context.Context, communityID string, userIDs []string) ([]JoinResult, Revision, error)

	// FindMember returns ECOMMUNITYNOTFOUND or EMEMBERNOTFOUND.
	FindMember(ctx context.Context, communityID, userID string) (Member, error)

	// ListMembers returns members ordered by user id.
	ListMembers(ctx context.Context, communityID string, filter MemberFilter, page Page) ([]Member, string, error)

	// RemoveMember removes the user and their role assignments from the
	// community. A user actor may remove themselves; removing others needs
	// MANAGE_MEMBERS and a higher top role. Returns ECOMMUNITYNOTFOUND,
	// EMEMBERNOTFOUND, EOWNERCANNOTLEAVE for the owner and ELASTADMIN for the
	// last admin of a community without an owner.
	RemoveMember(ctx context.Context, communityID, userID string) (Revision, error)
}

// CheckJoins checks the users of one AddMembers call: 1 to MaxMemberBatch
// well-formed ids.
func CheckJoins(userIDs []string) error {
	var f fields
	if !f.size("userIds", len(userIDs), MaxMemberBatch, "ids") {
		return f.err()
	}
	return CheckIDs("userIds", userIDs)
}
