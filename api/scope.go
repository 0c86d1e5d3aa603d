package api

import (
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster"
)

// Scoped is embedded in the inputs of operations under a community or the
// platform scope: it reads the communityId path parameter when the route has
// one (the platform scope otherwise). The parameter itself is documented by op.
type Scoped struct {
	scope string
}

// Resolve implements huma.Resolver.
func (s *Scoped) Resolve(ctx huma.Context) []error {
	if !strings.Contains(ctx.Operation().Path, "{communityId}") {
		s.scope = roster.Platform
		return nil
	}
	s.scope = ctx.Param("communityId")
	if err := roster.CheckID("path.communityId", s.scope); err != nil {
		return []error{err}
	}
	return nil
}
