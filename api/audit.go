package api

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

func (s *Server) listEvents(ctx context.Context, in *struct {
	PageParams
	CommunityID string    `query:"communityId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"Only this community's events."`
	Platform    bool      `query:"platform" doc:"Only platform-scope events (catalog, users, platform roles, keys)."`
	Actor       string    `query:"actor" maxLength:"128" doc:"Only events by this key id or acting user id."`
	Action      string    `query:"action" maxLength:"64" doc:"Only this action (member.role_added), or every action a prefix ending in a dot begins (member.)."`
	Target      string    `query:"target" maxLength:"128" doc:"Only events about this target id (a role, user, community, key or permission)."`
	Since       time.Time `query:"since" doc:"Only events at or after this time (RFC 3339)."`
	Until       time.Time `query:"until" doc:"Only events before this time (RFC 3339)."`
	Order       string    `query:"order" enum:"asc,desc" default:"asc" doc:"asc: oldest first (follow the log); desc: newest first."`
}) (*listOutput[roster.Event], error) {
	f := roster.EventFilter{CommunityID: in.CommunityID, PlatformOnly: in.Platform, Actor: in.Actor, Action: in.Action, Target: in.Target, Since: in.Since, Until: in.Until, Newest: in.Order == "desc"}
	if f.PlatformOnly && f.CommunityID != "" {
		return nil, roster.Invalid(roster.FieldError{Location: "query.platform", Message: "cannot be combined with communityId", Value: true})
	}
	return listOf(s.store.ListEvents(ctx, f, in.page()))
}
