package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// held is a role a user holds, with its permissions.
type held struct {
	authz.Grantor
	position int
}

// standing is everything the rules need about one user in one scope.
type standing struct {
	holdings authz.Holdings
	perms    authz.Perms
	// top is the position of the user's highest role in the scope.
	top int
	// platformAdmin is true when platform roles give ADMINISTRATOR.
	platformAdmin bool
}

// evaluator gathers standings from one view of the data, reading each
// scope's everyone role once.
type evaluator struct {
	ctx      context.Context
	q        querier
	now      time.Time
	everyone map[string]authz.Grantor
}

func newEvaluator(ctx context.Context, q querier, now time.Time) *evaluator {
	return &evaluator{ctx: ctx, q: q, now: now, everyone: map[string]authz.Grantor{}}
}

// standingOf gathers one user's standing in scope, whose owner is given.
func standingOf(ctx context.Context, q querier, scope, owner, user string, now time.Time) (standing, error) {
	return newEvaluator(ctx, q, now).standing(scope, owner, user)
}

// standing gathers the user's standing in scope, whose owner is given.
func (e *evaluator) standing(scope, owner, user string) (standing, error) {
	var st standing
	h := &st.holdings
	var err error
	if h.PlatformEveryone, err = e.everyoneOf(roster.Platform); err != nil {
		return st, err
	}
	roles, err := e.held(scope, user)
	if err != nil {
		return st, err
	}
	var positions []int
	for _, r := range roles {
		if r.Platform {
			h.PlatformRoles = append(h.PlatformRoles, r.Grantor)
		} else {
			h.Roles = append(h.Roles, r.Grantor)
		}
		if r.Platform == (scope == roster.Platform) {
			positions = append(positions, r.position)
		}
	}
	st.platformAdmin = authz.Effective(authz.Holdings{PlatformEveryone: h.PlatformEveryone, PlatformRoles: h.PlatformRoles}).All
	if scope != roster.Platform {
		h.InCommunity = true
		h.Owner = owner != "" && owner == user
		if h.Member, err = isMember(e.ctx, e.q, scope, user); err != nil {
			return st, err
		}
		if h.Everyone, err = e.everyoneOf(scope); err != nil {
			return st, err
		}
	}
	st.top = authz.Top(positions...)
	st.perms = authz.Effective(*h)
	return st, nil
}

// held returns the roles the user holds at platform scope and, when scope
// is a community, in it, through unexpired grants, with their permissions.
func (e *evaluator) held(scope, user string) ([]held, error) {
	rows, err := e.q.QueryContext(e.ctx, `
		SELECT DISTINCT r.id, r.name, r.position, r.scope, COALESCE(rp.key, '')
		FROM assignments a
		JOIN roles r ON r.id = a.role_id
		LEFT JOIN role_permissions rp ON rp.role_id = r.id
		WHERE a.user_id = ? AND a.scope IN ('', ?) AND (a.expires_at IS NULL OR a.expires_at > ?)
		ORDER BY r.scope, r.position, rp.key`, user, scope, micros(e.now))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: held roles: %w", err)
	}
	defer rows.Close()
	var out []held
	for rows.Next() {
		var h held
		var roleScope, key string
		if err := rows.Scan(&h.RoleID, &h.RoleName, &h.position, &roleScope, &key); err != nil {
			return nil, fmt.Errorf("sqlstore: held roles: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].RoleID != h.RoleID {
			h.Platform = roleScope == roster.Platform
			out = append(out, h)
		}
		if key != "" {
			last := &out[len(out)-1]
			last.Permissions = append(last.Permissions, key)
		}
	}
	return out, rows.Err()
}

// everyoneOf returns the scope's everyone role as a grantor.
func (e *evaluator) everyoneOf(scope string) (authz.Grantor, error) {
	if g, ok := e.everyone[scope]; ok {
		return g, nil
	}
	rows, err := e.q.QueryContext(e.ctx, `
		SELECT r.id, r.name, COALESCE(rp.key, '')
		FROM roles r LEFT JOIN role_permissions rp ON rp.role_id = r.id
		WHERE r.scope = ? AND r.builtin = 'everyone' ORDER BY rp.key`, scope)
	if err != nil {
		return authz.Grantor{}, fmt.Errorf("sqlstore: everyone: %w", err)
	}
	defer rows.Close()
	g := authz.Grantor{Platform: scope == roster.Platform}
	for rows.Next() {
		var key string
		if err := rows.Scan(&g.RoleID, &g.RoleName, &key); err != nil {
			return g, fmt.Errorf("sqlstore: everyone: %w", err)
		}
		if key != "" {
			g.Permissions = append(g.Permissions, key)
		}
	}
	if err := rows.Err(); err != nil {
		return g, fmt.Errorf("sqlstore: everyone: %w", err)
	}
	e.everyone[scope] = g
	return g, nil
}

// subjectOf returns the guards' view of an actor in scope, whose owner is
// given.
func subjectOf(ctx context.Context, q querier, scope, owner string, actor roster.Actor, now time.Time) (authz.Subject, error) {
	if !actor.IsUser() {
		return authz.Key, nil
	}
	st, err := standingOf(ctx, q, scope, owner, actor.UserID, now)
	if err != nil {
		return authz.Subject{}, err
	}
	return authz.Subject{
		User:          actor.UserID,
		Owner:         st.holdings.Owner,
		PlatformAdmin: st.platformAdmin,
		Perms:         st.perms,
		Top:           st.top,
	}, nil
}

// subject returns the guards' view of the transaction's actor in scope.
func (tx *Tx) subject(scope, owner string) (authz.Subject, error) {
	return subjectOf(tx.ctx, tx, scope, owner, tx.actor, tx.now)
}
