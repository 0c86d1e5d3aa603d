package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/rosterhq/roster"
)

// The client is these services of the root package, over HTTP.
var (
	_ roster.PermissionService = (*Client)(nil)
	_ roster.CommunityService  = (*Client)(nil)
	_ roster.UserService       = (*Client)(nil)
	_ roster.MemberService     = (*Client)(nil)
)

// clearable is a field a patch sets, clears (null, from a pointer to "")
// or leaves out (nil).
func clearable(v *string) any {
	switch {
	case v == nil:
		return nil
	case *v == "":
		return json.RawMessage("null")
	}
	return *v
}

// ListPermissions reads a page of the permission catalog.
func (c *Client) ListPermissions(ctx context.Context, page roster.Page) ([]roster.Permission, string, error) {
	return getList[roster.Permission](ctx, c, "/v1/permissions", nil, page)
}

// CreatePermission registers a permission key.
func (c *Client) CreatePermission(ctx context.Context, p roster.Permission) (roster.Permission, roster.Revision, error) {
	var out roster.Permission
	a, err := c.do(ctx, call{method: "POST", path: "/v1/permissions", body: map[string]any{"key": p.Key, "description": p.Description}, out: &out})
	return out, a.revision, err
}

// DeletePermission unregisters a permission key.
func (c *Client) DeletePermission(ctx context.Context, key string) (roster.Revision, error) {
	a, err := c.do(ctx, call{method: "DELETE", path: path("/v1/permissions", key)})
	return a.revision, err
}

// PutUser creates or updates a user's record.
func (c *Client) PutUser(ctx context.Context, id string, upd roster.UserUpdate) (roster.Upserted[roster.User], roster.Revision, error) {
	var out roster.User
	a, err := c.do(ctx, call{method: "PUT", path: path("/v1/users", id), body: struct {
		DisplayName *string         `json:"displayName,omitempty"`
		Metadata    json.RawMessage `json:"metadata,omitempty"`
	}{upd.DisplayName, upd.Metadata}, out: &out})
	return roster.Upserted[roster.User]{Value: out, Created: a.status == http.StatusCreated}, a.revision, err
}

// FindUser reads a user's record.
func (c *Client) FindUser(ctx context.Context, id string) (roster.User, error) {
	var out roster.User
	_, err := c.do(ctx, call{method: "GET", path: path("/v1/users", id), out: &out})
	return out, err
}

// ListMemberships reads a page of the communities a user belongs to.
func (c *Client) ListMemberships(ctx context.Context, userID string, page roster.Page) ([]roster.Membership, string, error) {
	return getList[roster.Membership](ctx, c, path("/v1/users", userID, "memberships"), nil, page)
}

// CreateCommunity creates a community with its built-in roles.
func (c *Client) CreateCommunity(ctx context.Context, com roster.Community) (roster.Community, roster.Revision, error) {
	var out roster.Community
	body := struct {
		ID      string  `json:"id,omitempty"`
		Name    string  `json:"name"`
		OwnerID *string `json:"ownerId,omitempty"`
	}{com.ID, com.Name, com.OwnerID}
	a, err := c.do(ctx, call{method: "POST", path: "/v1/communities", body: body, out: &out})
	return out, a.revision, err
}

// FindCommunity reads a community.
func (c *Client) FindCommunity(ctx context.Context, id string) (roster.Community, error) {
	var out roster.Community
	_, err := c.do(ctx, call{method: "GET", path: path("/v1/communities", id), out: &out})
	return out, err
}

// ListCommunities reads a page of the communities the key can see.
func (c *Client) ListCommunities(ctx context.Context, f roster.CommunityFilter, page roster.Page) ([]roster.Community, string, error) {
	q := url.Values{}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	return getList[roster.Community](ctx, c, "/v1/communities", q, page)
}

// UpdateCommunity renames a community or transfers (or removes, with an
// OwnerID of "") its ownership.
func (c *Client) UpdateCommunity(ctx context.Context, id string, upd roster.CommunityUpdate) (roster.Community, roster.Revision, error) {
	var out roster.Community
	a, err := c.do(ctx, call{method: "PATCH", path: path("/v1/communities", id), body: struct {
		Name    *string `json:"name,omitempty"`
		OwnerID any     `json:"ownerId,omitempty"`
	}{upd.Name, clearable(upd.OwnerID)}, out: &out})
	return out, a.revision, err
}

// DeleteCommunity deletes a community and all it holds.
func (c *Client) DeleteCommunity(ctx context.Context, id string) (roster.Revision, error) {
	a, err := c.do(ctx, call{method: "DELETE", path: path("/v1/communities", id)})
	return a.revision, err
}

// AddMember makes the user a member, or sets their display name.
func (c *Client) AddMember(ctx context.Context, communityID, userID string, displayName *string) (roster.Upserted[roster.Member], roster.Revision, error) {
	var out roster.Member
	a, err := c.do(ctx, call{method: "PUT", path: path("/v1/communities", communityID, "members", userID), body: struct {
		DisplayName *string `json:"displayName,omitempty"`
	}{displayName}, out: &out})
	return roster.Upserted[roster.Member]{Value: out, Created: a.status == http.StatusCreated}, a.revision, err
}

// AddMembers adds up to roster.MaxMemberBatch members, all or nothing.
func (c *Client) AddMembers(ctx context.Context, communityID string, userIDs []string) ([]roster.JoinResult, roster.Revision, error) {
	var out struct {
		Results []roster.JoinResult `json:"results"`
	}
	a, err := c.do(ctx, call{method: "POST", path: path("/v1/communities", communityID, "members", "batch-add"), body: map[string]any{"userIds": userIDs}, out: &out})
	return out.Results, a.revision, err
}

// FindMember reads a member with their roles.
func (c *Client) FindMember(ctx context.Context, communityID, userID string) (roster.Member, error) {
	var out roster.Member
	_, err := c.do(ctx, call{method: "GET", path: path("/v1/communities", communityID, "members", userID), out: &out})
	return out, err
}

// ListMembers reads a page of a community's members.
func (c *Client) ListMembers(ctx context.Context, communityID string, f roster.MemberFilter, page roster.Page) ([]roster.Member, string, error) {
	q := url.Values{}
	if f.RoleID != "" {
		q.Set("role", f.RoleID)
	}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	return getList[roster.Member](ctx, c, path("/v1/communities", communityID, "members"), q, page)
}

// RemoveMember removes a member and their roles.
func (c *Client) RemoveMember(ctx context.Context, communityID, userID string) (roster.Revision, error) {
	a, err := c.do(ctx, call{method: "DELETE", path: path("/v1/communities", communityID, "members", userID)})
	return a.revision, err
}
