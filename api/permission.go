package api

import (
	"context"

	"github.com/rosterhq/roster"
)

type permissionBody struct {
	Key         string `json:"key" pattern:"^[A-Z][A-Z0-9_]{1,63}$" doc:"UPPER_SNAKE_CASE, 2-64 characters." example:"REDEEM_REWARDS"`
	Description string `json:"description,omitempty" maxLength:"1000"`
}

type permissionKey struct {
	Key string `path:"key" pattern:"^[A-Z][A-Z0-9_]{1,63}$"`
}

func (s *Server) listPermissions(ctx context.Context, in *struct{ PageParams }) (*listOutput[roster.Permission], error) {
	return listOf(s.store.ListPermissions(ctx, in.page()))
}

func (s *Server) createPermission(ctx context.Context, in *struct{ Body permissionBody }) (*answer[roster.Permission], error) {
	return wrote(s.store.CreatePermission(ctx, roster.Permission{Key: in.Body.Key, Description: in.Body.Description}))
}

func (s *Server) deletePermission(ctx context.Context, in *permissionKey) (*written, error) {
	return wroteNothing(s.store.DeletePermission(ctx, in.Key))
}
