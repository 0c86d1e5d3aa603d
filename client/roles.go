package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rosterhq/roster"
)

// scope is the route of a scope: a community's, or the platform's.
func scope(s string) string {
	if s == roster.Platform {
		return "/v1/platform"
	}
	return path("/v1/communities", s)
}

// holder is the route of a user in a scope: a member of a community, or a
// user at platform scope.
func holder(s, user string) string {
	if s == roster.Platform {
		return path("/v1/platform/users", user)
	}
	return path("/v1/communities", s, "members", user)
}

// ifVersion is the If-Match header of a version, none for 0.
func ifVersion(v int) http.Header {
	if v == 0 {
		return nil
	}
	return http.Header{"If-Match": {strconv.Quote(strconv.Itoa(v))}}
}

// CreateRole creates a role in a scope (a community id, or roster.Platform).
func (c *Client) CreateRole(ctx context.Context, s string, r roster.Role) (roster.Role, roster.Revision, error) {
	body := struct {
		Name        string          `json:"name"`
		Permissions []string        `json:"permissions"`
		Colour      *string         `json:"colour,omitempty"`
		Description string          `json:"description,omitempty"`
		Position    int             `json:"position,omitempty"`
		IsDefault   bool            `json:"isDefault,omitempty"`
		Badge       bool            `json:"badge,omitempty"`
		Metadata    json.RawMessage `json:"metadata,omitempty"`
	}{r.Name, r.Permissions, r.Colour, r.Description, r.Position, r.IsDefault, r.Badge, r.Metadata}
	if body.Permissions == nil {
		body.Permissions = []string{}
	}
	var out roster.Role
	a, err := c.do(ctx, call{method: "POST", path: scope(s) + "/roles", body: body, out: &out})
	return out, a.revision, err
}

// FindRole reads a role (by id, or the alias everyone or admin).
func (c *Client) FindRole(ctx context.Context, s, id string) (roster.Role, error) {
	var out roster.Role
	_, err := c.do(ctx, call{method: "GET", path: scope(s) + path("/roles", id), out: &out})
	return out, err
}

// ListRoles reads a page of a scope's roles, bottom to top.
func (c *Client) ListRoles(ctx context.Context, s string, page roster.Page) ([]roster.Role, string, error) {
	return getList[roster.Role](ctx, c, scope(s)+"/roles", nil, page)
}

// UpdateRole changes the fields of a role the update sets, at its
// IfVersion when not 0.
func (c *Client) UpdateRole(ctx context.Context, s, id string, upd roster.RoleUpdate) (roster.Role, roster.Revision, error) {
	body := struct {
		Name        *string         `json:"name,omitempty"`
		Permissions *[]string       `json:"permissions,omitempty"`
		Colour      any             `json:"colour,omitempty"`
		Description *string         `json:"description,omitempty"`
		Position    *int            `json:"position,omitempty"`
		IsDefault   *bool           `json:"isDefault,omitempty"`
		Badge       *bool           `json:"badge,omitempty"`
		Metadata    json.RawMessage `json:"metadata,omitempty"`
	}{upd.Name, upd.Permissions, clearable(upd.Colour), upd.Description, upd.Position, upd.IsDefault, upd.Badge, upd.Metadata}
	var out roster.Role
	a, err := c.do(ctx, call{method: "PATCH", path: scope(s) + path("/roles", id), header: ifVersion(upd.IfVersion), body: body, out: &out})
	return out, a.revision, err
}

// DeleteRole deletes a role; held, only when forced.
func (c *Client) DeleteRole(ctx context.Context, s, id string, opt roster.RoleDelete) (roster.Revision, error) {
	var q url.Values
	if opt.Force {
		q = url.Values{"force": {"true"}}
	}
	a, err := c.do(ctx, call{method: "DELETE", path: scope(s) + path("/roles", id), query: q, header: ifVersion(opt.IfVersion)})
	return a.revision, err
}

// ReorderRoles sets the order of every role but everyone, bottom to top.
func (c *Client) ReorderRoles(ctx context.Context, s string, ids []string) ([]roster.Role, roster.Revision, error) {
	var out list[roster.Role]
	a, err := c.do(ctx, call{method: "PUT", path: scope(s) + "/roles/order", body: map[string]any{"roleIds": ids}, out: &out})
	return out.Items, a.revision, err
}

// ListRoleHolders reads a page of who holds a role.
func (c *Client) ListRoleHolders(ctx context.Context, s, id string, page roster.Page) ([]roster.RoleHolder, string, error) {
	return getList[roster.RoleHolder](ctx, c, scope(s)+path("/roles", id, "members"), nil, page)
}

// ListUserRoles reads the roles a user holds in a scope.
func (c *Client) ListUserRoles(ctx context.Context, s, userID string) (roster.Member, error) {
	var out roster.Member
	_, err := c.do(ctx, call{method: "GET", path: holder(s, userID) + "/roles", out: &out})
	return out, err
}

// grantBody is the body of a grant of one role.
type grantBody struct {
	Source    roster.Source `json:"source,omitempty"`
	ExpiresAt *time.Time    `json:"expiresAt,omitempty"`
}

// AddRole gives a user one role.
func (c *Client) AddRole(ctx context.Context, g roster.RoleGrant) (roster.RoleResult, roster.Revision, error) {
	var out roster.RoleResult
	a, err := c.do(ctx, call{method: "PUT", path: holder(g.Scope, g.UserID) + path("/roles", g.RoleID), body: grantBody{g.Source, g.ExpiresAt}, out: &out})
	return out, a.revision, err
}

// RemoveRole takes one role from a user.
func (c *Client) RemoveRole(ctx context.Context, g roster.RoleGrant) (roster.RoleResult, roster.Revision, error) {
	var q url.Values
	if g.Source != "" {
		q = url.Values{"source": {string(g.Source)}}
	}
	var out roster.RoleResult
	a, err := c.do(ctx, call{method: "DELETE", path: holder(g.Scope, g.UserID) + path("/roles", g.RoleID), query: q, out: &out})
	return out, a.revision, err
}

// AddRoles gives roles to users, all or nothing.
func (c *Client) AddRoles(ctx context.Context, ch roster.Change) ([]roster.PairResult, roster.Revision, error) {
	return c.batch(ctx, "batch-add", ch)
}

// RemoveRoles takes roles from users, all or nothing.
func (c *Client) RemoveRoles(ctx context.Context, ch roster.Change) ([]roster.PairResult, roster.Revision, error) {
	ch.ExpiresAt = nil
	return c.batch(ctx, "batch-remove", ch)
}

func (c *Client) batch(ctx context.Context, op string, ch roster.Change) ([]roster.PairResult, roster.Revision, error) {
	body := struct {
		UserIDs   []string      `json:"userIds"`
		RoleIDs   []string      `json:"roleIds"`
		Source    roster.Source `json:"source,omitempty"`
		ExpiresAt *time.Time    `json:"expiresAt,omitempty"`
	}{ch.UserIDs, ch.RoleIDs, ch.Source, ch.ExpiresAt}
	var out struct {
		Results []roster.PairResult `json:"results"`
	}
	a, err := c.do(ctx, call{method: "POST", path: scope(ch.Scope) + "/roles/" + op, body: body, out: &out})
	return out.Results, a.revision, err
}
