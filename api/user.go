package api

import (
	"context"
	"encoding/json"

	"github.com/rosterhq/roster"
)

// UserPath names a user.
type UserPath struct {
	UserID string `path:"userId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" maxLength:"128" doc:"The host platform's user id."`
}

type userBody struct {
	DisplayName *string         `json:"displayName,omitempty" maxLength:"100"`
	Metadata    json.RawMessage `json:"metadata,omitempty" doc:"A JSON object of at most 4 KiB."`
}

func (s *Server) putUser(ctx context.Context, in *struct {
	UserPath
	Body *userBody `required:"false"`
}) (*upserted[roster.User], error) {
	var upd roster.UserUpdate
	if in.Body != nil {
		upd = roster.UserUpdate{DisplayName: in.Body.DisplayName, Metadata: in.Body.Metadata}
	}
	return upsert(s.store.PutUser(ctx, in.UserID, upd))
}

func (s *Server) getUser(ctx context.Context, in *UserPath) (*body[roster.User], error) {
	return read(s.store.FindUser(ctx, in.UserID))
}

func (s *Server) listMemberships(ctx context.Context, in *struct {
	UserPath
	PageParams
}) (*listOutput[roster.Membership], error) {
	return listOf(s.store.ListMemberships(ctx, in.UserID, in.page()))
}
