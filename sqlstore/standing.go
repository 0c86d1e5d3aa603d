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
	steps, subject := subjectSteps(scope, actor, now)
	if err := pipe(ctx, q, steps...); err != nil {
		return authz.Subject{}, err
	}
	return subject(owner), nil
}

// subjectSteps returns the steps reading what subjectOf needs, and the
// function that makes the subject of what they read.
func subjectSteps(scope string, actor roster.Actor, now time.Time) ([]step, func(owner string) authz.Subject) {
	if !actor.IsUser() {
		return nil, func(string) authz.Subject { return authz.Key }
	}
	user := actor.UserID
	h := authz.Holdings{InCommunity: scope != roster.Platform}
	var roles []held
	steps := []step{everyoneStep(roster.Platform, &h.PlatformEveryone), heldRolesStep(scope, user, now, &roles)}
	if h.InCommunity {
		steps = append(steps, isMemberStep(scope, user, &h.Member), everyoneStep(scope, &h.Everyone))
	}
	return steps, func(owner string) authz.Subject {
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
		h.Owner = h.InCommunity && owner != "" && owner == user
		s.Owner, s.Perms = h.Owner, authz.Effective(h)
		return s
	}
}

// subject returns the guards' view of the transaction's actor in scope.
func (tx *Tx) subject(scope, owner string) (authz.Subject, error) {
	return subjectOf(tx.ctx, tx, scope, owner, tx.actor, tx.now)
}

// heldRolesStep reads into out the roles the user holds at platform scope
// and, when scope is a community, in it, through unexpired grants, with
// their permissions.
func heldRolesStep(scope, user string, now time.Time, out *[]held) step {
	return step{what: "held roles", query: `
		SELECT DISTINCT r.id, r.name, r.position, r.scope, COALESCE(rp.key, '')
		FROM assignments a
		JOIN roles r ON r.id = a.role_id
		LEFT JOIN role_permissions rp ON rp.role_id = r.id
		WHERE a.user_id = $1 AND a.scope IN ('', $2) AND (a.expires_at IS NULL OR a.expires_at > $3)
		ORDER BY r.scope, r.position, 5`, args: []any{user, scope, micros(now)}, scan: func(s scanner) error {
		var h held
		var roleScope, key string
		if err := s.Scan(&h.RoleID, &h.RoleName, &h.position, &roleScope, &key); err != nil {
			return err
		}
		if n := len(*out); n == 0 || (*out)[n-1].RoleID != h.RoleID {
			h.Platform = roleScope == roster.Platform
			*out = append(*out, h)
		}
		if key != "" {
			last := &(*out)[len(*out)-1]
			last.Permissions = append(last.Permissions, key)
		}
		return nil
	}}
}

// everyoneStep reads the scope's everyone role into g, as a grantor.
func everyoneStep(scope string, g *authz.Grantor) step {
	*g = authz.Grantor{Platform: scope == roster.Platform}
	return step{what: "everyone", query: `
		SELECT r.id, r.name, COALESCE(rp.key, '')
		FROM roles r LEFT JOIN role_permissions rp ON rp.role_id = r.id
		WHERE r.scope = $1 AND r.builtin = 'everyone' ORDER BY rp.key`, args: []any{scope}, scan: func(s scanner) error {
		var key string
		err := s.Scan(&g.RoleID, &g.RoleName, &key)
		if key != "" {
			g.Permissions = append(g.Permissions, key)
		}
		return err
	}}
}
