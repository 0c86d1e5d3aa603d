package roster

import (
	"context"
	"time"
)

// MaxNameLength is the longest community or role name, in characters.
const MaxNameLength = 100

// Community is a scope of its own: a server, guild or workspace of the host
// platform.
type Community struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// OwnerID is the owning member, or nil when the community has no owner.
	OwnerID   *string   `json:"ownerId"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CommunityUpdate lists the fields to change; nil fields stay as they are.
// An OwnerID pointing at the empty string removes the owner.
type CommunityUpdate struct {
	Name    *string
	OwnerID *string
}

// CommunityService manages communities.
type CommunityService interface {
	// CreateCommunity creates a community with its built-in roles, and makes
	// the owner (if any) its first member. A user actor needs CREATE_COMMUNITY
	// at platform scope and becomes the owner unless another is named.
	// Returns EVALIDATION, ECOMMUNITYEXISTS, EMISSINGPERMISSION.
	CreateCommunity(ctx context.Context, c Community) (Community, Revision, error)

	// FindCommunity returns ECOMMUNITYNOTFOUND if there is no such community.
	FindCommunity(ctx context.Context, id string) (Community, error)

	// ListCommunities returns communities ordered by id, those the filter
	// matches. Returns EVALIDATION for a bad search.
	ListCommunities(ctx context.Context, filter CommunityFilter, page Page) ([]Community, string, error)

	// UpdateCommunity renames it (needs MANAGE_COMMUNITY) or transfers
	// ownership (only the owner or a platform administrator, to a member).
	// Removing the owner of a community without an admin is ELASTADMIN.
	UpdateCommunity(ctx context.Context, id string, upd CommunityUpdate) (Community, Revision, error)

	// DeleteCommunity removes it with its roles, members and assignments.
	// A user actor must be its owner or a platform administrator.
	DeleteCommunity(ctx context.Context, id string) (Revision, error)
}

// Clean trims and checks a new community's fields.
func (c *Community) Clean() error {
	var f fields
	f.name("name", &c.Name)
	if c.ID != "" {
		f.id("id", c.ID)
	}
	if c.OwnerID != nil {
		f.id("ownerId", *c.OwnerID)
	}
	return f.err()
}

// Clean trims and checks a community update.
func (u *CommunityUpdate) Clean() error {
	var f fields
	if u.Name != nil {
		f.name("name", u.Name)
	}
	if u.OwnerID != nil && *u.OwnerID != "" {
		f.id("ownerId", *u.OwnerID)
	}
	return f.err()
}

// CommunityFilter narrows a list of communities.
type CommunityFilter struct {
	// Search keeps the communities whose name holds it, ignoring case, or
	// whose id begins with it.
	Search string
}

// MaxSearchLength bounds a search.
const MaxSearchLength = 100

// Clean checks the filter.
func (f *CommunityFilter) Clean() error {
	var fs fields
	fs.length("search", f.Search, MaxSearchLength)
	return fs.err()
}
