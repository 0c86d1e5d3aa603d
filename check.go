package roster

import "context"

// MaxCheckBatch bounds the checks of one batch.
const MaxCheckBatch = 1000

// CheckBatch returns a validation error unless a batch holds 1 to
// MaxCheckBatch checks.
func CheckBatch(checks []Check) error {
	var f fields
	f.size("checks", len(checks), MaxCheckBatch, "checks")
	return f.err()
}

// Check asks whether a user holds a permission in a community, or at
// platform scope when CommunityID is empty; in one of the community's
// channels when ChannelID is set.
type Check struct {
	CommunityID string
	ChannelID   string
	UserID      string
	Permission  string
}

// Invalid returns the malformed fields of a check, named as its own:
// communityId, channelId, userId, permission; nil when it is well-formed.
// Whether the permission is registered, and the community and channel
// exist, is the index's to say.
func (c Check) Invalid() []FieldError {
	var f fields
	if c.CommunityID != "" {
		f.id("communityId", c.CommunityID)
	}
	if c.ChannelID != "" {
		f.id("channelId", c.ChannelID)
	}
	f.id("userId", c.UserID)
	if !ValidPermissionKey(c.Permission) {
		f.add("permission", "must be an UPPER_SNAKE_CASE permission key", c.Permission)
	}
	return f
}

// Reason is one thing that decided a permission: a role, the community's
// ownership, ADMINISTRATOR from a role (then every permission comes from
// it), or a channel overwrite.
type Reason struct {
	// Kind is "role", "owner", "administrator" or "overwrite".
	Kind     string `json:"kind" enum:"role,owner,administrator,overwrite"`
	RoleID   string `json:"roleId,omitempty"`
	RoleName string `json:"roleName,omitempty"`
	// Platform marks a platform role.
	Platform bool `json:"platform,omitempty"`
	// UserID names the member of a member overwrite.
	UserID string `json:"userId,omitempty"`
	// Effect is "allow" or "deny" for an overwrite.
	Effect string `json:"effect,omitempty" enum:"allow,deny"`
}

// Reason kinds and overwrite effects.
const (
	ReasonRole          = "role"
	ReasonOwner         = "owner"
	ReasonAdministrator = "administrator"
	ReasonOverwrite     = "overwrite"
	EffectAllow         = "allow"
	EffectDeny          = "deny"
)

// Effective is a user's effective permissions in one scope, or in one
// channel of a community.
type Effective struct {
	CommunityID *string `json:"communityId"`
	ChannelID   *string `json:"channelId,omitempty"`
	UserID      string  `json:"userId"`
	Member      bool    `json:"member"`
	Owner       bool    `json:"owner"`
	// Administrator is true when the user holds every permission, through
	// ownership or ADMINISTRATOR.
	Administrator bool     `json:"administrator"`
	Permissions   []string `json:"permissions"`
	// Explain maps each permission to the reasons that grant it.
	Explain map[string][]Reason `json:"explain,omitempty"`
	// Denied maps each permission a channel overwrite took away (one the
	// roles, or an earlier overwrite, gave) to the overwrites that did.
	Denied map[string][]Reason `json:"denied,omitempty"`
}

// CheckService answers permission checks.
type CheckService interface {
	// Check answers each check in order, with the revision they were
	// evaluated at, which is at least minRevision (else EREVISIONNOTREADY).
	// Returns EVALIDATION for an unregistered permission, and
	// ECOMMUNITYNOTFOUND or ECHANNELNOTFOUND for an unknown community or
	// channel.
	Check(ctx context.Context, checks []Check, minRevision Revision) ([]bool, Revision, error)

	// Allowed answers one check as Check does, naming bad fields as those
	// of a single check (permission) rather than of a batch
	// (checks[0].permission).
	Allowed(ctx context.Context, c Check, minRevision Revision) (bool, Revision, error)

	// EffectivePermissions returns what the user may do in the scope (in
	// the channel when channelID is set), and why. In a community, returns
	// EMEMBERNOTFOUND for a user who is not a member.
	EffectivePermissions(ctx context.Context, scope, channelID, userID string) (Effective, Revision, error)

	// Ready returns ENOTREADY when checks cannot be answered from current
	// state.
	Ready(ctx context.Context) error
}
