package api

import (
	"context"

	"github.com/rosterhq/roster"
)

type communityBody struct {
	ID      string  `json:"id,omitempty" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"The host platform's id for it; generated when absent."`
	Name    string  `json:"name" minLength:"1" maxLength:"100"`
	OwnerID *string `json:"ownerId,omitempty" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"The owner, who becomes the first member."`
}

type communityPatch struct {
	Name    *string          `json:"name,omitempty" minLength:"1" maxLength:"100"`
	OwnerID Nullable[string] `json:"ownerId,omitzero" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"A member to transfer ownership to, or null to remove the owner."`
}

func (s *Server) listCommunities(ctx context.Context, in *struct {
	PageParams
	Search string `query:"search" maxLength:"100" doc:"Only the communities whose name holds this (ignoring case) or whose id begins with it."`
}) (*listOutput[roster.Community], error) {
	return listOf(s.store.ListCommunities(ctx, roster.CommunityFilter{Search: in.Search}, in.page()))
}

func (s *Server) createCommunity(ctx context.Context, in *struct{ Body communityBody }) (*answer[roster.Community], error) {
	return wrote(s.store.CreateCommunity(ctx, roster.Community{ID: in.Body.ID, Name: in.Body.Name, OwnerID: in.Body.OwnerID}))
}

func (s *Server) getCommunity(ctx context.Context, in *struct{ Scoped }) (*body[roster.Community], error) {
	return read(s.store.FindCommunity(ctx, in.scope))
}

func (s *Server) updateCommunity(ctx context.Context, in *struct {
	Scoped
	Body communityPatch
}) (*answer[roster.Community], error) {
	return wrote(s.store.UpdateCommunity(ctx, in.scope, roster.CommunityUpdate{Name: in.Body.Name, OwnerID: clearable(in.Body.OwnerID)}))
}

func (s *Server) deleteCommunity(ctx context.Context, in *struct{ Scoped }) (*written, error) {
	defer s.forgetKeys()
	return wroteNothing(s.store.DeleteCommunity(ctx, in.scope))
}
