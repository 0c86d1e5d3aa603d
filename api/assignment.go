package api

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

type batchAddBody struct {
	UserIDs   []string      `json:"userIds" minItems:"1" maxItems:"100" doc:"Duplicates are collapsed."`
	RoleIDs   []string      `json:"roleIds" minItems:"1" maxItems:"100" doc:"Role ids (or everyone/admin); duplicates are collapsed."`
	Source    roster.Source `json:"source,omitempty" enum:"manual,provisioning" doc:"manual (default), or provisioning for a key syncing from an identity provider."`
	ExpiresAt *time.Time    `json:"expiresAt,omitempty" doc:"The grants end at this time."`
}

type batchRemoveBody struct {
	UserIDs []string      `json:"userIds" minItems:"1" maxItems:"100"`
	RoleIDs []string      `json:"roleIds" minItems:"1" maxItems:"100"`
	Source  roster.Source `json:"source,omitempty" enum:"manual,provisioning" doc:"Whose grants to remove: manual (default) or provisioning."`
}

type grantBody struct {
	Source    roster.Source `json:"source,omitempty" enum:"manual,provisioning"`
	ExpiresAt *time.Time    `json:"expiresAt,omitempty"`
}

// batchResult is the outcome of each (user, role) pair, users outer, roles
// inner, in request order after duplicates are collapsed.
type batchResult struct {
	Results []roster.PairResult `json:"results"`
}

func (s *Server) listUserRoles(ctx context.Context, in *struct {
	Scoped
	UserPath
}) (*body[roster.Member], error) {
	return read(s.store.ListUserRoles(ctx, in.scope, in.UserID))
}

func (s *Server) batchAdd(ctx context.Context, in *struct {
	Scoped
	Body batchAddBody
}) (*answer[batchResult], error) {
	b := in.Body
	res, rev, err := s.store.AddRoles(ctx, roster.Change{Scope: in.scope, UserIDs: b.UserIDs, RoleIDs: b.RoleIDs, Source: b.Source, ExpiresAt: b.ExpiresAt})
	return wrote(batchResult{Results: res}, rev, err)
}

func (s *Server) batchRemove(ctx context.Context, in *struct {
	Scoped
	Body batchRemoveBody
}) (*answer[batchResult], error) {
	b := in.Body
	res, rev, err := s.store.RemoveRoles(ctx, roster.Change{Scope: in.scope, UserIDs: b.UserIDs, RoleIDs: b.RoleIDs, Source: b.Source})
	return wrote(batchResult{Results: res}, rev, err)
}

func (s *Server) addUserRole(ctx context.Context, in *struct {
	Scoped
	UserPath
	RolePath
	Body *grantBody `required:"false"`
}) (*answer[roster.RoleResult], error) {
	g := roster.RoleGrant{Scope: in.scope, UserID: in.UserID, RoleID: in.RoleID}
	if in.Body != nil {
		g.Source, g.ExpiresAt = in.Body.Source, in.Body.ExpiresAt
	}
	return wrote(s.store.AddRole(ctx, g))
}

func (s *Server) removeUserRole(ctx context.Context, in *struct {
	Scoped
	UserPath
	RolePath
	Source roster.Source `query:"source" enum:"manual,provisioning" doc:"Whose grant to remove: manual (default) or provisioning."`
}) (*answer[roster.RoleResult], error) {
	return wrote(s.store.RemoveRole(ctx, roster.RoleGrant{Scope: in.scope, UserID: in.UserID, RoleID: in.RoleID, Source: in.Source}))
}
