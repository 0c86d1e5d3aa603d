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
	out := map[string][]roster.HeldRole{}
	if len(users) == 0 {
		return out, nil
	}
	err := pipe(ctx, q, heldByStep(scope, users, now, out))
	return out, err
}

// heldByStep is the step of heldBy, which fills out.
func heldByStep(scope string, users []string, now time.Time, out map[string][]roster.HeldRole) step {
	return heldStep(now, `a.scope = $2 AND a.user_id IN (`+placeholders(3, len(users))+`)`, append([]any{scope}, anys(users)...),
		func(h holding) string { return h.user }, out)
}

// heldIn returns a user's held roles in each of the communities.
func heldIn(ctx context.Context, q querier, user string, communities []string, now time.Time) (map[string][]roster.HeldRole, error) {
	out := map[string][]roster.HeldRole{}
	if len(communities) == 0 {
		return out, nil
	}
	err := pipe(ctx, q, heldStep(now, `a.user_id = $2 AND a.scope IN (`+placeholders(3, len(communities))+`)`,
		append([]any{user}, anys(communities)...), func(h holding) string { return h.scope }, out))
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

// heldStep reads the unexpired grants matching where (whose placeholders
// start at $2) into out, as held roles under the key of their scope and
// user, ordered by position.
func heldStep(now time.Time, where string, args []any, key func(holding) string, out map[string][]roster.HeldRole) step {
	return step{what: "held roles", query: `
		SELECT a.scope, a.user_id, r.id, r.name, r.position, ` + grantColumns + `
		FROM assignments a JOIN roles r ON r.id = a.role_id
		WHERE (a.expires_at IS NULL OR a.expires_at > $1) AND ` + where + `
		ORDER BY a.scope, a.user_id, r.position, a.source`, args: append([]any{micros(now)}, args...), scan: func(s scanner) error {
		var k holding
		var h roster.HeldRole
		g, err := scanGrant(s, &k.scope, &k.user, &h.RoleID, &h.Name, &h.Position)
		if err != nil {
			return err
		}
		roles := out[key(k)]
		if n := len(roles); n == 0 || roles[n-1].RoleID != h.RoleID {
			roles = append(roles, h)
		}
		roles[len(roles)-1].Grants = append(roles[len(roles)-1].Grants, g)
		out[key(k)] = roles
		return nil
	}}
}

// findMember returns a member of a community with their roles, or a user's
// platform roles at platform scope.
func findMember(ctx context.Context, q querier, scope, user string, now time.Time) (roster.Member, error) {
	var m roster.Member
	found := false
	if err := pipe(ctx, q, memberSteps(scope, user, now, &m, &found)...); err != nil {
		return m, err
	}
	if !found && scope == roster.Platform {
		return m, roster.Errorf(roster.EUSERNOTFOUND, "user %s not found", user)
	} else if !found {
		return m, roster.Errorf(roster.EMEMBERNOTFOUND, "user %s is not a member of community %s", user, scope)
	}
	return m, nil
}

// memberSteps are the steps of findMember, which fill m and say whether
// the member was found.
func memberSteps(scope, user string, now time.Time, m *roster.Member, found *bool) []step {
	*m = roster.Member{CommunityID: roster.ScopeRef(scope), UserID: user, Roles: []roster.HeldRole{}}
	first := step{what: "user", query: `SELECT display_name FROM users WHERE id = $1`, args: []any{user}, scan: func(s scanner) error {
		*found = true
		return s.Scan(&m.DisplayName)
	}}
	if scope != roster.Platform {
		first = step{what: "member", query: `SELECT display_name, joined_at FROM members WHERE community_id = $1 AND user_id = $2`, args: []any{scope, user},
			scan: func(s scanner) error {
				var joined int64
				*found = true
				err := s.Scan(&m.DisplayName, &joined)
				t := fromMicros(joined)
				m.JoinedAt = &t
				return err
			}}
	}
	held := map[string][]roster.HeldRole{}
	rest := heldByStep(scope, []string{user}, now, held)
	scan := rest.scan
	rest.scan = func(s scanner) error {
		err := scan(s)
		m.Roles = held[user]
		return err
	}
	return []step{first, rest}
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
