package api

import (
	"context"
	"errors"
	"strings"
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

// memberResult is a member's roles after one role was added or removed.
type memberResult struct {
	roster.Member
	Result string `json:"result" enum:"added,already_held,removed,retained" doc:"What happened to the role."`
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
	res, _, rev, err := s.store.AddRoles(ctx, roster.Change{Scope: in.scope, UserIDs: b.UserIDs, RoleIDs: b.RoleIDs, Source: b.Source, ExpiresAt: b.ExpiresAt})
	return wrote(batchResult{Results: res}, rev, err)
}

func (s *Server) batchRemove(ctx context.Context, in *struct {
	Scoped
	Body batchRemoveBody
}) (*answer[batchResult], error) {
	b := in.Body
	res, _, rev, err := s.store.RemoveRoles(ctx, roster.Change{Scope: in.scope, UserIDs: b.UserIDs, RoleIDs: b.RoleIDs, Source: b.Source}, false)
	return wrote(batchResult{Results: res}, rev, err)
}

func (s *Server) addUserRole(ctx context.Context, in *struct {
	Scoped
	UserPath
	RolePath
	Body *grantBody `required:"false"`
}) (*answer[memberResult], error) {
	c := roster.Change{Scope: in.scope, UserIDs: []string{in.UserID}, RoleIDs: []string{in.RoleID}}
	if in.Body != nil {
		c.Source, c.ExpiresAt = in.Body.Source, in.Body.ExpiresAt
	}
	res, m, rev, err := s.store.AddRoles(ctx, c)
	return single(res, m, rev, err)
}

func (s *Server) removeUserRole(ctx context.Context, in *struct {
	Scoped
	UserPath
	RolePath
	Source roster.Source `query:"source" enum:"manual,provisioning" doc:"Whose grant to remove: manual (default) or provisioning."`
}) (*answer[memberResult], error) {
	c := roster.Change{Scope: in.scope, UserIDs: []string{in.UserID}, RoleIDs: []string{in.RoleID}, Source: in.Source}
	res, m, rev, err := s.store.RemoveRoles(ctx, c, true)
	return single(res, m, rev, err)
}

func single(res []roster.PairResult, m roster.Member, rev roster.Revision, err error) (*answer[memberResult], error) {
	if err != nil {
		return nil, relocate(relocate(err, "body.userIds[0]", "path.userId"), "body.roleIds[0]", "path.roleId")
	}
	return wrote(memberResult{Member: m, Result: res[0].Result}, rev, nil)
}

// relocate renames the field locations of a domain error that start with
// from, for routes whose inputs the store sees under other names.
func relocate(err error, from, to string) error {
	var e *roster.Error
	if !errors.As(err, &e) {
		return err
	}
	moved := *e
	moved.Fields = make([]roster.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		if strings.HasPrefix(f.Location, from) {
			f.Location = to + strings.TrimPrefix(f.Location, from)
		}
		moved.Fields[i] = f
	}
	moved.Message = strings.ReplaceAll(moved.Message, from, to)
	return &moved
}
