package roster

import (
	"context"
	"encoding/json"
	"regexp"
	"time"
)

// Role limits.
const (
	MaxRolesPerScope  = 250
	MaxDescriptionLen = 1000
)

// The built-in roles of every scope; their names are also aliases of their
// ids.
const (
	BuiltinEveryone = "everyone"
	BuiltinAdmin    = "admin"
)

// Positions: everyone is always at 0; a new role goes to 1 unless told.
const (
	EveryonePosition   = 0
	DefaultNewPosition = 1
)

// ColourPattern is the pattern of a role's colour: #RRGGBB.
const ColourPattern = `^#[0-9A-Fa-f]{6}$`

var colourPattern = regexp.MustCompile(ColourPattern)

// ValidColour reports whether c is a #RRGGBB colour.
func ValidColour(c string) bool { return colourPattern.MatchString(c) }

// Role is a named set of permissions in one scope.
type Role struct {
	ID string `json:"id"`
	// CommunityID is the role's community, or nil for a platform role.
	CommunityID *string `json:"communityId"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	// Colour is #RRGGBB, or nil for none.
	Colour      *string  `json:"colour"`
	Position    int      `json:"position"`
	Permissions []string `json:"permissions"`
	IsDefault   bool     `json:"isDefault"`
	Badge       bool     `json:"badge"`
	Protected   bool     `json:"protected"`
	// Builtin is BuiltinEveryone or BuiltinAdmin for the built-in roles.
	Builtin   string          `json:"builtin,omitempty"`
	Metadata  json.RawMessage `json:"metadata"`
	Version   int             `json:"version"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// RoleUpdate lists the fields of a role to change; nil fields stay as they
// are. A Colour pointing at the empty string removes the colour.
type RoleUpdate struct {
	Name        *string
	Description *string
	Colour      *string
	Position    *int
	Permissions *[]string
	IsDefault   *bool
	Badge       *bool
	Metadata    json.RawMessage
	// IfVersion, when not zero, makes the update fail with EVERSIONMISMATCH
	// unless the role is at that version.
	IfVersion int
}

// RoleDelete tells how to delete a role.
type RoleDelete struct {
	// Force removes the role from every holder instead of refusing.
	Force     bool
	IfVersion int
}

// RoleHolder is one user who holds a role, with the grants that give it.
type RoleHolder struct {
	UserID string  `json:"userId"`
	Grants []Grant `json:"grants"`
}

// RoleService manages the roles of a scope. Every method takes the scope as a
// community id, or Platform, and returns ECOMMUNITYNOTFOUND for an unknown
// community. Role ids may also be the aliases "everyone" and "admin".
type RoleService interface {
	// CreateRole adds a role, at position 1 unless one is given; the roles at
	// or above that position move up. Returns EVALIDATION, EROLENAMETAKEN,
	// ELIMITREACHED and the guards' errors.
	CreateRole(ctx context.Context, scope string, r Role) (Role, Revision, error)

	// FindRole returns EROLENOTFOUND.
	FindRole(ctx context.Context, scope, id string) (Role, error)

	// ListRoles returns the scope's roles from the bottom (everyone) up.
	ListRoles(ctx context.Context, scope string, page Page) ([]Role, string, error)

	// UpdateRole changes a role. Returns EROLENOTFOUND, EVERSIONMISMATCH,
	// EVALIDATION, EROLEPROTECTED on renaming a built-in role, and the guards'
	// errors.
	UpdateRole(ctx context.Context, scope, id string, upd RoleUpdate) (Role, Revision, error)

	// DeleteRole removes a role. Returns EROLENOTFOUND, EVERSIONMISMATCH,
	// EROLEPROTECTED, and EROLEINUSE (with the number of holders) unless
	// forced.
	DeleteRole(ctx context.Context, scope, id string, opt RoleDelete) (Revision, error)

	// ReorderRoles sets the order of every role but everyone, bottom to top.
	// Returns EVALIDATION unless ids lists each such role exactly once.
	ReorderRoles(ctx context.Context, scope string, ids []string) ([]Role, Revision, error)

	// ListRoleHolders returns who holds the role, ordered by user id: for
	// everyone, every member (every user at platform scope), with no grants.
	ListRoleHolders(ctx context.Context, scope, id string, page Page) ([]RoleHolder, string, error)

	// CountRoleHolders returns how many users hold each role of the scope
	// now, or each of the roles named by id, by role id: for everyone, the
	// members (every user at platform scope). A role no one holds is absent.
	CountRoleHolders(ctx context.Context, scope string, roleIDs ...string) (map[string]int, error)
}

// Clean trims and checks the fields of a new role, collapsing duplicate
// permissions. An empty colour means none. It returns a validation error
// naming each bad field.
func (r *Role) Clean() error {
	var f fields
	f.name("name", &r.Name)
	f.length("description", r.Description, MaxDescriptionLen)
	f.colour("colour", r.Colour)
	f.metadata("metadata", r.Metadata)
	f.keys("permissions", r.Permissions)
	if r.Colour != nil && *r.Colour == "" {
		r.Colour = nil
	}
	r.Permissions = CleanKeys(r.Permissions)
	return f.err()
}

// Clean trims and checks the fields of a role update.
func (u *RoleUpdate) Clean() error {
	var f fields
	if u.Name != nil {
		f.name("name", u.Name)
	}
	if u.Description != nil {
		f.length("description", *u.Description, MaxDescriptionLen)
	}
	f.colour("colour", u.Colour)
	f.metadata("metadata", u.Metadata)
	if u.Permissions != nil {
		f.keys("permissions", *u.Permissions)
		keys := CleanKeys(*u.Permissions)
		u.Permissions = &keys
	}
	return f.err()
}
