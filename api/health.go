package api

import (
	"context"

	"github.com/rosterhq/roster"
)

type healthBody struct {
	Status   string `json:"status" example:"ok"`
	Revision int64  `json:"revision,omitempty" doc:"The newest revision of the change log."`
}

func (s *Server) health(ctx context.Context, _ *struct{}) (*body[healthBody], error) {
	return read(healthBody{Status: "ok"}, nil)
}

func (s *Server) ready(ctx context.Context, _ *struct{}) (*body[healthBody], error) {
	rev, err := s.store.CurrentRevision(ctx)
	if err != nil {
		s.log.Error("not ready", "err", err)
		return nil, newProblem(ctx, roster.ENOTREADY, "the database does not answer", nil)
	}
	if err := s.store.Ready(ctx); err != nil {
		return nil, err
	}
	return read(healthBody{Status: "ok", Revision: int64(rev)}, nil)
}
