package api

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

type apiKeyBody struct {
	Name        string     `json:"name" minLength:"1" maxLength:"100"`
	Scopes      []string   `json:"scopes" minItems:"1" maxItems:"4" enum:"check,read,write,admin" doc:"admin: everything; write: all reads and changes but keys; read: reads and checks; check: checks only."`
	CommunityID *string    `json:"communityId,omitempty" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"Restrict the key to this community."`
	ActAs       bool       `json:"actAs,omitempty" doc:"Let the key act for a user named in the Roster-Act-As header."`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
}

type keyPath struct {
	KeyID string `path:"keyId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$"`
}

func (s *Server) createAPIKey(ctx context.Context, in *struct{ Body apiKeyBody }) (*answer[roster.APIKey], error) {
	b := in.Body
	return wrote(s.store.CreateAPIKey(ctx, roster.APIKey{Name: b.Name, Scopes: b.Scopes, CommunityID: b.CommunityID, ActAs: b.ActAs, ExpiresAt: b.ExpiresAt}))
}

func (s *Server) listAPIKeys(ctx context.Context, in *struct{ PageParams }) (*listOutput[roster.APIKey], error) {
	return listOf(s.store.ListAPIKeys(ctx, in.page()))
}

func (s *Server) revokeAPIKey(ctx context.Context, in *keyPath) (*written, error) {
	defer s.forgetKeys()
	return wroteNothing(s.store.RevokeAPIKey(ctx, in.KeyID))
}
