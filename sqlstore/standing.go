package sqlstore

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// held is a role a user holds, with its permissions.
type held struct {
	authz.Grantor
	position int
}

// subjectOf returns the guards' view of an actor in scope, whose owner is
// given: for a user, their effective permissions there, their highest role,
// and whether they own the community or administer the platform.
func subjectOf(ctx context.Context, q querier, scope, owner string, actor roster.Actor, now time.Time) (authz.Subject, error) {
	if !actor.IsUser() {
		return authz.Key, nil
	}
	user := actor.UserID
	var h authz.Holdings
	var err error
	if h.PlatformEveryone, err = everyoneOf(ctx, q, roster.Platform); err != nil {
		return authz.Subject{}, err
	}
	roles, err := heldRoles(ctx, q, scope, user, now)
	if err != nil {
		return authz.Subject{}, err
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
	s := authz.Subject{
		User:          user,
		PlatformAdmin: authz.Effective(authz.Holdings{PlatformEveryone: h.PlatformEveryone, PlatformRoles: h.PlatformRoles}).All,
		Top:           authz.Top(positions...),
	}
	if scope != roster.Platform {
		h.InCommunity = true
		h.Owner = owner != "" && owner == user
		if h.Member, err = isMember(ctx, q, scope, user); err != nil {
			return authz.Subject{}, err
		}
		if h.Everyone, err = everyoneOf(ctx, q, scope); err != nil {
			return authz.Subject{}, err
		}
	}
	s.Owner, s.Perms = h.Owner, authz.Effective(h)
	return s, nil
}

// subject returns the guards' view of the transaction's actor in scope.
func (tx *Tx) subject(scope, owner string) (authz.Subject, error) {
	return subjectOf(tx.ctx, tx, scope, owner, tx.actor, tx.now)
}

// heldRoles returns the roles the user holds at platform scope and, when scope
// is a community, in it, through unexpired grants, with their permissions.
func heldRoles(ctx context.Context, q querier, scope, user string, now time.Time) ([]held, error) {
	var out []held
	err := each(ctx, q, "held roles", `
		SELECT DISTINCT r.id, r.name, r.position, r.scope, COALESCE(rp.key, '')
		FROM assignments a
		JOIN roles r ON r.id = a.role_id
		LEFT JOIN role_permissions rp ON rp.role_id = r.id
		WHERE a.user_id = $1 AND a.scope IN ('', $2) AND (a.expires_at IS NULL OR a.expires_at > $3)
		ORDER BY r.scope, r.position, 5`, []any{user, scope, micros(now)}, func(s scanner) error {
		var h held
		var roleScope, key string
		if err := s.Scan(&h.RoleID, &h.RoleName, &h.position, &roleScope, &key); err != nil {
			return err
		}
		if n := len(out); n == 0 || out[n-1].RoleID != h.RoleID {
			h.Platform = roleScope == roster.Platform
			out = append(out, h)
		}
		if key != "" {
			last := &out[len(out)-1]
			last.Permissions = append(last.Permissions, key)
		}
		return nil
	})
	return out, err
}

// everyoneOf returns the scope's everyone role as a grantor.
func everyoneOf(ctx context.Context, q querier, scope string) (authz.Grantor, error) {
	g := authz.Grantor{Platform: scope == roster.Platform}
	err := each(ctx, q, "everyone", `
		SELECT r.id, r.name, COALESCE(rp.key, '')
		FROM roles r LEFT JOIN role_permissions rp ON rp.role_id = r.id
		WHERE r.scope = $1 AND r.builtin = 'everyone' ORDER BY rp.key`, []any{scope}, func(s scanner) error {
		var key string
		err := s.Scan(&g.RoleID, &g.RoleName, &key)
		if key != "" {
			g.Permissions = append(g.Permissions, key)
		}
		return err
	})
	return g, err
}
