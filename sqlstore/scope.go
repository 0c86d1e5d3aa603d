package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rosterhq/roster"
)

// scopeOwner checks that scope exists and returns its owner ("" for none,
// and always at platform scope).
func scopeOwner(ctx context.Context, q querier, scope string) (string, error) {
	if scope == roster.Platform {
		return "", nil
	}
	var owner sql.NullString
	err := q.QueryRowContext(ctx, `SELECT owner_id FROM communities WHERE id = $1`, scope).Scan(&owner)
	if err != nil {
		return "", notFound(err, roster.ECOMMUNITYNOTFOUND, "community %s not found", scope)
	}
	return owner.String, nil
}

// isMember reports whether the user is a member of the community; every user
// belongs to the platform scope.
func isMember(ctx context.Context, q querier, scope, user string) (bool, error) {
	if scope == roster.Platform {
		return true, nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM members WHERE community_id = $1 AND user_id = $2`, scope, user).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("sqlstore: member: %w", err)
	}
	return true, nil
}
