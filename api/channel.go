package api

import (
	"context"

	"github.com/rosterhq/roster"
)

// ChannelPath is the channel of a route.
type ChannelPath struct {
	ChannelID string `path:"channelId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"The host platform's channel id."`
}

type channelBody struct {
	Name string `json:"name,omitempty" maxLength:"100" doc:"A name to show; optional."`
}

type overwriteBody struct {
	Allow []string `json:"allow,omitempty" maxItems:"1024" doc:"Permissions the overwrite gives in the channel."`
	Deny  []string `json:"deny,omitempty" maxItems:"1024" doc:"Permissions the overwrite takes away in the channel."`
}

func (s *Server) listChannels(ctx context.Context, in *struct {
	Scoped
	PageParams
}) (*listOutput[roster.Channel], error) {
	return listOf(s.store.ListChannels(ctx, in.scope, in.page()))
}

func (s *Server) putChannel(ctx context.Context, in *struct {
	Scoped
	ChannelPath
	Body *channelBody `required:"false"`
}) (*upserted[roster.Channel], error) {
	c := roster.Channel{CommunityID: in.scope, ID: in.ChannelID}
	if in.Body != nil {
		c.Name = in.Body.Name
	}
	return upsert(s.store.PutChannel(ctx, c))
}

func (s *Server) getChannel(ctx context.Context, in *struct {
	Scoped
	ChannelPath
}) (*body[roster.Channel], error) {
	return read(s.store.FindChannel(ctx, in.scope, in.ChannelID))
}

func (s *Server) deleteChannel(ctx context.Context, in *struct {
	Scoped
	ChannelPath
}) (*written, error) {
	return wroteNothing(s.store.DeleteChannel(ctx, in.scope, in.ChannelID))
}

func (s *Server) setRoleOverwrite(ctx context.Context, in *struct {
	Scoped
	ChannelPath
	RolePath
	Body overwriteBody
}) (*answer[roster.Overwrite], error) {
	o := roster.Overwrite{ChannelID: in.ChannelID, Type: roster.OverwriteRole, ID: in.RoleID, Allow: in.Body.Allow, Deny: in.Body.Deny}
	return wrote(s.store.SetOverwrite(ctx, in.scope, o))
}

func (s *Server) deleteRoleOverwrite(ctx context.Context, in *struct {
	Scoped
	ChannelPath
	RolePath
}) (*written, error) {
	o := roster.Overwrite{ChannelID: in.ChannelID, Type: roster.OverwriteRole, ID: in.RoleID}
	return wroteNothing(s.store.DeleteOverwrite(ctx, in.scope, o))
}

func (s *Server) setMemberOverwrite(ctx context.Context, in *struct {
	Scoped
	ChannelPath
	UserPath
	Body overwriteBody
}) (*answer[roster.Overwrite], error) {
	o := roster.Overwrite{ChannelID: in.ChannelID, Type: roster.OverwriteMember, ID: in.UserID, Allow: in.Body.Allow, Deny: in.Body.Deny}
	return wrote(s.store.SetOverwrite(ctx, in.scope, o))
}

func (s *Server) deleteMemberOverwrite(ctx context.Context, in *struct {
	Scoped
	ChannelPath
	UserPath
}) (*written, error) {
	o := roster.Overwrite{ChannelID: in.ChannelID, Type: roster.OverwriteMember, ID: in.UserID}
	return wroteNothing(s.store.DeleteOverwrite(ctx, in.scope, o))
}
