package api

import (
	"context"

	"github.com/rosterhq/roster"
)

type memberBody struct {
	DisplayName *string `json:"displayName,omitempty" maxLength:"100" doc:"The member's name in this community."`
}

func (s *Server) listMembers(ctx context.Context, in *struct {
	Scoped
	PageParams
	Role   string `query:"role" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"Only members holding this role (id, or everyone/admin)."`
	Search string `query:"search" maxLength:"100" doc:"Only the members whose display name holds this (ignoring case) or whose user id begins with it."`
}) (*listOutput[roster.Member], error) {
	return listOf(s.store.ListMembers(ctx, in.scope, roster.MemberFilter{RoleID: in.Role, Search: in.Search}, in.page()))
}

func (s *Server) addMember(ctx context.Context, in *struct {
	Scoped
	UserPath
	Body *memberBody `required:"false"`
}) (*upserted[roster.Member], error) {
	var name *string
	if in.Body != nil {
		name = in.Body.DisplayName
	}
	return upsert(s.store.AddMember(ctx, in.scope, in.UserID, name))
}

func (s *Server) getMember(ctx context.Context, in *struct {
	Scoped
	UserPath
}) (*body[roster.Member], error) {
	return read(s.store.FindMember(ctx, in.scope, in.UserID))
}

func (s *Server) removeMember(ctx context.Context, in *struct {
	Scoped
	UserPath
}) (*written, error) {
	return wroteNothing(s.store.RemoveMember(ctx, in.scope, in.UserID))
}

type memberBatchBody struct {
	UserIDs []string `json:"userIds" minItems:"1" maxItems:"1000" doc:"Users to add; duplicates are collapsed."`
}

type joinResults struct {
	Results []roster.JoinResult `json:"results"`
}

func (s *Server) batchAddMembers(ctx context.Context, in *struct {
	Scoped
	Body memberBatchBody
}) (*answer[joinResults], error) {
	res, rev, err := s.store.AddMembers(ctx, in.scope, in.Body.UserIDs)
	return wrote(joinResults{Results: res}, rev, err)
}
