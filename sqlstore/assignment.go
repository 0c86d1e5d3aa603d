package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/rosterhq/roster"
)

const grantColumns = `source, granted_by_key, granted_by_user, granted_at, expires_at`

// scanGrant scans lead columns into lead, then a grant's columns.
func scanGrant(s scanner, lead ...any) (roster.Grant, error) {
	var g roster.Grant
	var at int64
	var exp sql.NullInt64
	err := s.Scan(append(lead, &g.Source, &g.GrantedBy.KeyID, &g.GrantedBy.UserID, &at, &exp)...)
	g.GrantedAt, g.ExpiresAt = fromMicros(at), timePtr(exp)
	return g, err
}

// heldBy returns each user's held roles in scope (unexpired grants), for the
// given users, roles ordered by position.
func heldBy(ctx context.Context, q querier, scope string, users []string, now time.Time) (map[string][]roster.HeldRole, error) {
	if len(users) == 0 {
		return nil, nil
	}
	held, err := queryHeld(ctx, q, now, `a.scope = $2 AND a.user_id IN (`+placeholders(3, len(users))+`)`, append([]any{scope}, anys(users)...)...)
	out := make(map[string][]roster.HeldRole, len(users))
	for k, roles := range held {
		out[k.user] = roles
	}
	return out, err
}

// heldIn returns a user's held roles in each of the communities.
func heldIn(ctx context.Context, q querier, user string, communities []string, now time.Time) (map[string][]roster.HeldRole, error) {
	if len(communities) == 0 {
		return nil, nil
	}
	held, err := queryHeld(ctx, q, now, `a.user_id = $2 AND a.scope IN (`+placeholders(3, len(communities))+`)`, append([]any{user}, anys(communities)...)...)
	out := make(map[string][]roster.HeldRole, len(communities))
	for k, roles := range held {
		out[k.scope] = roles
	}
	return out, err
}

// rolesOf returns the held roles under key, an empty list when none.
func rolesOf(held map[string][]roster.HeldRole, key string) []roster.HeldRole {
	if roles := held[key]; roles != nil {
		return roles
	}
	return []roster.HeldRole{}
}

// holding names one user in one scope.
type holding struct{ scope, user string }

// queryHeld reads the unexpired grants matching where (whose placeholders
// start at $2), as held roles by scope and user, ordered by position.
func queryHeld(ctx context.Context, q querier, now time.Time, where string, args ...any) (map[holding][]roster.HeldRole, error) {
	out := map[holding][]roster.HeldRole{}
	err := each(ctx, q, "held roles", `
		SELECT a.scope, a.user_id, r.id, r.name, r.position, `+grantColumns+`
		FROM assignments a JOIN roles r ON r.id = a.role_id
		WHERE (a.expires_at IS NULL OR a.expires_at > $1) AND `+where+`
		ORDER BY a.scope, a.user_id, r.position, a.source`, append([]any{micros(now)}, args...), func(s scanner) error {
		var k holding
		var h roster.HeldRole
		g, err := scanGrant(s, &k.scope, &k.user, &h.RoleID, &h.Name, &h.Position)
		if err != nil {
			return err
		}
		roles := out[k]
		if n := len(roles); n == 0 || roles[n-1].RoleID != h.RoleID {
			roles = append(roles, h)
		}
		roles[len(roles)-1].Grants = append(roles[len(roles)-1].Grants, g)
		out[k] = roles
		return nil
	})
	return out, err
}

// findMember returns a member of a community with their roles, or a user's
// platform roles at platform scope.
func findMember(ctx context.Context, q querier, scope, user string, now time.Time) (roster.Member, error) {
	m := roster.Member{CommunityID: roster.ScopeRef(scope), UserID: user}
	var err error
	if scope == roster.Platform {
		err = q.QueryRowContext(ctx, `SELECT display_name FROM users WHERE id = $1`, user).Scan(&m.DisplayName)
		if err != nil {
			return m, notFound(err, roster.EUSERNOTFOUND, "user %s not found", user)
		}
	} else {
		var joined int64
		err = q.QueryRowContext(ctx, `SELECT display_name, joined_at FROM members WHERE community_id = $1 AND user_id = $2`, scope, user).Scan(&m.DisplayName, &joined)
		if err != nil {
			return m, notFound(err, roster.EMEMBERNOTFOUND, "user %s is not a member of community %s", user, scope)
		}
		t := fromMicros(joined)
		m.JoinedAt = &t
	}
	held, err := heldBy(ctx, q, scope, []string{user}, now)
	m.Roles = rolesOf(held, user)
	return m, err
}

// ListUserRoles returns the roles a user holds in the scope.
func (db *DB) ListUserRoles(ctx context.Context, scope, userID string) (roster.Member, error) {
	var m roster.Member
	err := db.viewScope(ctx, scope, func(tx sqlTx, _ string) error {
		var err error
		m, err = findMember(ctx, tx, scope, userID, db.now())
		return err
	})
	return m, err
}
