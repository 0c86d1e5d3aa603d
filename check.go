package roster

import "context"

// MaxCheckBatch bounds the checks of one batch.
const MaxCheckBatch = 1000

// Check asks whether a user holds a permission in a community, or at
// platform scope when CommunityID is empty.
type Check struct {
	CommunityID string
	UserID      string
	Permission  string
}

// Reason is one thing that gave a user a permission: a role, the community's
// ownership, or ADMINISTRATOR from a role (then every permission comes from it).
type Reason struct {
	// Kind is "role", "owner" or "administrator".
	Kind     string `json:"kind" enum:"role,owner,administrator"`
	RoleID   string `json:"roleId,omitempty"`
	RoleName string `json:"roleName,omitempty"`
	// Platform marks a platform role.
	Platform bool `json:"platform,omitempty"`
}

// Reason kinds.
const (
	ReasonRole          = "role"
	ReasonOwner         = "owner"
	ReasonAdministrator = "administrator"
)

// Effective is a user's effective permissions in one scope.
type Effective struct {
	CommunityID *string `json:"communityId"`
	UserID      string  `json:"userId"`
	Member      bool    `json:"member"`
	Owner       bool    `json:"owner"`
	// Administrator is true when the user holds every permission, through
	// ownership or ADMINISTRATOR.
	Administrator bool     `json:"administrator"`
	Permissions   []string `json:"permissions"`
	// Explain maps each permission to the reasons that grant it.
	Explain map[string][]Reason `json:"explain,omitempty"`
}

// CheckService answers permission checks.
type CheckService interface {
	// Check answers each check in order, with the revision they were
	// evaluated at, which is at least minRevision (else EREVISIONNOTREADY).
	// Returns EVALIDATION for an unregistered permission and
	// ECOMMUNITYNOTFOUND for an unknown community.
	Check(ctx context.Context, checks []Check, minRevision Revision) ([]bool, Revision, error)

	// EffectivePermissions returns what the user may do in the scope, and why.
	// In a community, returns EMEMBERNOTFOUND for a user who is not a member.
	EffectivePermissions(ctx context.Context, scope, userID string) (Effective, Revision, error)
}
