package api

import (
	"context"

	"github.com/rosterhq/roster"
)

// CheckItem is one check: may the user use the permission in the community
// (or at platform scope)?
type CheckItem struct {
	CommunityID string `json:"communityId,omitempty" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"The community; absent for a platform-scope check."`
	ChannelID   string `json:"channelId,omitempty" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"A channel of the community, whose overwrites then apply."`
	UserID      string `json:"userId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$"`
	Permission  string `json:"permission" pattern:"^[A-Z][A-Z0-9_]{1,63}$"`
}

type checkBody struct {
	CheckItem
	MinRevision int64 `json:"minRevision,omitempty" minimum:"0" doc:"Answer from state at least this recent (a Roster-Revision the client saw)."`
}

type checkBatchBody struct {
	Checks      []CheckItem `json:"checks" minItems:"1" maxItems:"1000"`
	MinRevision int64       `json:"minRevision,omitempty" minimum:"0"`
}

type checkAnswer struct {
	Allowed  bool  `json:"allowed"`
	Revision int64 `json:"revision" doc:"The revision the answer was evaluated at."`
}

// MarshalJSON writes the answer as the lean check path does.
func (a checkAnswer) MarshalJSON() ([]byte, error) {
	return appendChecks(nil, []bool{a.Allowed}, roster.Revision(a.Revision), false), nil
}

type allowed struct {
	Allowed bool `json:"allowed"`
}

type checkBatchAnswer struct {
	Results  []allowed `json:"results" doc:"One per check, in request order."`
	Revision int64     `json:"revision"`
}

// MarshalJSON writes the answer as the lean check path does.
func (a checkBatchAnswer) MarshalJSON() ([]byte, error) {
	results := make([]bool, len(a.Results))
	for i, r := range a.Results {
		results[i] = r.Allowed
	}
	return appendChecks(nil, results, roster.Revision(a.Revision), true), nil
}

func (c CheckItem) check() roster.Check {
	return roster.Check{CommunityID: c.CommunityID, ChannelID: c.ChannelID, UserID: c.UserID, Permission: c.Permission}
}

func (s *Server) check(ctx context.Context, in *struct{ Body checkBody }) (*body[checkAnswer], error) {
	checks := []roster.Check{in.Body.check()}
	if err := validChecks(checks, false); err != nil {
		return nil, err
	}
	var one [1]bool
	_, rev, err := s.decideChecks(ctx, checks, roster.Revision(in.Body.MinRevision), false, &one)
	return read(checkAnswer{Allowed: one[0], Revision: int64(rev)}, err)
}

func (s *Server) checkBatch(ctx context.Context, in *struct{ Body checkBatchBody }) (*body[checkBatchAnswer], error) {
	checks := make([]roster.Check, len(in.Body.Checks))
	for i, c := range in.Body.Checks {
		checks[i] = c.check()
	}
	if err := validChecks(checks, true); err != nil {
		return nil, err
	}
	res, rev, err := s.decideChecks(ctx, checks, roster.Revision(in.Body.MinRevision), true, nil)
	if err != nil {
		return nil, err
	}
	out := checkBatchAnswer{Results: make([]allowed, len(res)), Revision: int64(rev)}
	for i, a := range res {
		out.Results[i].Allowed = a
	}
	return read(out, nil)
}

type effectiveAnswer struct {
	roster.Effective
	Revision int64 `json:"revision" doc:"The revision the answer was evaluated at."`
}

func (s *Server) effectivePermissions(ctx context.Context, in *struct {
	Scoped
	UserPath
	Explain   bool   `query:"explain" doc:"Say which roles (and channel overwrites) grant each permission, and which overwrites take one away."`
	ChannelID string `query:"channelId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"A channel of the community, whose overwrites then apply."`
}) (*body[effectiveAnswer], error) {
	e, rev, err := s.store.EffectivePermissions(ctx, in.scope, in.ChannelID, in.UserID)
	if !in.Explain {
		e.Explain, e.Denied = nil, nil
	}
	return read(effectiveAnswer{Effective: e, Revision: int64(rev)}, err)
}
