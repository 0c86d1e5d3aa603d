package sqlstore

import (
	"context"
	"database/sql"

	"github.com/rosterhq/roster"
)

// scopeOwner checks that scope exists and returns its owner ("" for none,
// and always at platform scope).
func scopeOwner(ctx context.Context, q querier, scope string) (string, error) {
	var o owner
	if err := pipe(ctx, q, o.step(scope)...); err != nil {
		return "", err
	}
	return o.of(scope)
}

// owner is what a step reads of a scope: whether it exists, and its owner.
type owner struct {
	found bool
	id    sql.NullString
}

// step returns the steps reading the owner of scope: none at platform
// scope.
func (o *owner) step(scope string) []step {
	if scope == roster.Platform {
		return nil
	}
	return []step{{what: "community", query: `SELECT owner_id FROM communities WHERE id = $1`, args: []any{scope}, scan: func(s scanner) error {
		o.found = true
		return s.Scan(&o.id)
	}}}
}

// of returns the owner read of scope, or that it does not exist.
func (o *owner) of(scope string) (string, error) {
	if scope != roster.Platform && !o.found {
		return "", roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", scope)
	}
	return o.id.String, nil
}

// isMember reports whether the user is a member of the community; every user
// belongs to the platform scope.
func isMember(ctx context.Context, q querier, scope, user string) (bool, error) {
	if scope == roster.Platform {
		return true, nil
	}
	member := false
	// The step sets member: it is read once the pipeline has run.
	err := pipe(ctx, q, isMemberStep(scope, user, &member))
	return member, err
}

// isMemberStep reads whether the user is a member of the community.
func isMemberStep(community, user string, member *bool) step {
	return step{what: "member", query: `SELECT 1 FROM members WHERE community_id = $1 AND user_id = $2`, args: []any{community, user},
		scan: func(scanner) error {
			*member = true
			return nil
		}}
}
