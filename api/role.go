package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// RolePath names a role.
type RolePath struct {
	RoleID string `path:"roleId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"A role id, or the alias everyone or admin."`
}

type roleBody struct {
	Name        string          `json:"name" minLength:"1" maxLength:"100"`
	Permissions []string        `json:"permissions" maxItems:"1024" doc:"Catalog keys; duplicates are collapsed."`
	Colour      *string         `json:"colour,omitempty" pattern:"^#[0-9A-Fa-f]{6}$" nullable:"true" doc:"#RRGGBB, or null."`
	Description string          `json:"description,omitempty" maxLength:"1000"`
	Position    int             `json:"position,omitempty" minimum:"1" maximum:"249" doc:"Where in the hierarchy; 1 (just above everyone) when absent."`
	IsDefault   bool            `json:"isDefault,omitempty" doc:"Every new member receives it on join."`
	Badge       bool            `json:"badge,omitempty" doc:"Shown on profiles by the host."`
	Metadata    json.RawMessage `json:"metadata,omitempty" doc:"A JSON object of at most 4 KiB."`
}

type rolePatch struct {
	Name        *string          `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Permissions *[]string        `json:"permissions,omitempty" maxItems:"1024"`
	Colour      Nullable[string] `json:"colour,omitzero" pattern:"^#[0-9A-Fa-f]{6}$" doc:"#RRGGBB, or null to remove it."`
	Description *string          `json:"description,omitempty" maxLength:"1000"`
	Position    *int             `json:"position,omitempty" minimum:"0" maximum:"249"`
	IsDefault   *bool            `json:"isDefault,omitempty"`
	Badge       *bool            `json:"badge,omitempty"`
	Metadata    json.RawMessage  `json:"metadata,omitempty"`
}

type reorderBody struct {
	RoleIDs []string `json:"roleIds" minItems:"1" maxItems:"250" doc:"Every role but everyone, each once, bottom to top."`
}

// roleAnswer is a role as a write answers it, with its version as its ETag,
// for If-Match.
type roleAnswer struct {
	Revision int64  `header:"Roster-Revision" doc:"The revision the change is visible at."`
	ETag     string `header:"ETag" doc:"The role's version, for If-Match."`
	Body     roster.Role
}

// roleRead is a role as a read answers it.
type roleRead struct {
	ETag string `header:"ETag" doc:"The role's version, for If-Match."`
	Body roster.Role
}

func etag(r roster.Role) string { return strconv.Quote(strconv.Itoa(r.Version)) }

func roleOut(r roster.Role, rev roster.Revision, err error) (*roleAnswer, error) {
	if err != nil {
		return nil, err
	}
	return &roleAnswer{Revision: int64(rev), ETag: etag(r), Body: r}, nil
}

func (s *Server) listRoles(ctx context.Context, in *struct {
	Scoped
	PageParams
}) (*listOutput[roster.Role], error) {
	return listOf(s.store.ListRoles(ctx, in.scope, in.page()))
}

func (s *Server) createRole(ctx context.Context, in *struct {
	Scoped
	Body roleBody
}) (*roleAnswer, error) {
	b := in.Body
	r := roster.Role{Name: b.Name, Permissions: b.Permissions, Colour: b.Colour, Description: b.Description, Position: b.Position,
		IsDefault: b.IsDefault, Badge: b.Badge, Metadata: b.Metadata}
	return roleOut(s.store.CreateRole(ctx, in.scope, r))
}

func (s *Server) getRole(ctx context.Context, in *struct {
	Scoped
	RolePath
}) (*roleRead, error) {
	r, err := s.store.FindRole(ctx, in.scope, in.RoleID)
	if err != nil {
		return nil, err
	}
	return &roleRead{ETag: etag(r), Body: r}, nil
}

func (s *Server) updateRole(ctx context.Context, in *struct {
	Scoped
	RolePath
	IfMatch string `header:"If-Match" doc:"Apply only if the role is at this version (412 otherwise)."`
	Body    rolePatch
}) (*roleAnswer, error) {
	version, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	b := in.Body
	upd := roster.RoleUpdate{Name: b.Name, Description: b.Description, Colour: clearable(b.Colour), Position: b.Position,
		Permissions: b.Permissions, IsDefault: b.IsDefault, Badge: b.Badge, Metadata: b.Metadata, IfVersion: version}
	return roleOut(s.store.UpdateRole(ctx, in.scope, in.RoleID, upd))
}

func (s *Server) deleteRole(ctx context.Context, in *struct {
	Scoped
	RolePath
	IfMatch string `header:"If-Match" doc:"Delete only if the role is at this version (412 otherwise)."`
	Force   bool   `query:"force" doc:"Delete a role that is held, removing it from every holder."`
}) (*written, error) {
	version, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	return wroteNothing(s.store.DeleteRole(ctx, in.scope, in.RoleID, roster.RoleDelete{Force: in.Force, IfVersion: version}))
}

func (s *Server) reorderRoles(ctx context.Context, in *struct {
	Scoped
	Body reorderBody
}) (*answer[List[roster.Role]], error) {
	roles, rev, err := s.store.ReorderRoles(ctx, in.scope, in.Body.RoleIDs)
	return wrote(List[roster.Role]{Items: roles}, rev, err)
}

func (s *Server) listRoleHolders(ctx context.Context, in *struct {
	Scoped
	RolePath
	PageParams
}) (*listOutput[roster.RoleHolder], error) {
	return listOf(s.store.ListRoleHolders(ctx, in.scope, in.RoleID, in.page()))
}

// ifMatch parses an If-Match header holding a role version: 3, "3" or W/"3".
func ifMatch(h string) (int, error) {
	if h == "" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, roster.Invalid(roster.FieldError{Location: "header.If-Match", Message: "must be a role version, such as 3", Value: h})
	}
	return n, nil
}
