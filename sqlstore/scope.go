package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// scopeOwner checks that scope exists and returns its owner ("" for none,
// and always at platform scope).
func scopeOwner(ctx context.Context, q querier, scope string) (string, error) {
	if scope == roster.Platform {
		return "", nil
	}
	var owner sql.NullString
	err := q.QueryRowContext(ctx, `SELECT owner_id FROM communities WHERE id = ?`, scope).Scan(&owner)
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
	err := q.QueryRowContext(ctx, `SELECT 1 FROM members WHERE community_id = ? AND user_id = ?`, scope, user).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("sqlstore: member: %w", err)
	}
	return true, nil
}

// held is a role a user holds, with its permissions.
type held struct {
	authz.Grantor
	position int
}

// heldRoles returns the roles the user holds in scope through an unexpired
// grant, with their permissions.
func heldRoles(ctx context.Context, q querier, scope, user string, now time.Time) ([]held, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT DISTINCT r.id, r.name, r.position, COALESCE(rp.key, '')
		FROM assignments a
		JOIN roles r ON r.id = a.role_id
		LEFT JOIN role_permissions rp ON rp.role_id = r.id
		WHERE a.scope = ? AND a.user_id = ? AND (a.expires_at IS NULL OR a.expires_at > ?)
		ORDER BY r.position, rp.key`, scope, user, micros(now))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: held roles: %w", err)
	}
	defer rows.Close()
	var out []held
	for rows.Next() {
		var h held
		var key string
		if err := rows.Scan(&h.RoleID, &h.RoleName, &h.position, &key); err != nil {
			return nil, fmt.Errorf("sqlstore: held roles: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].RoleID != h.RoleID {
			h.Platform = scope == roster.Platform
			out = append(out, h)
		}
		if key != "" {
			last := &out[len(out)-1]
			last.Permissions = append(last.Permissions, key)
		}
	}
	return out, rows.Err()
}

// everyone returns the scope's everyone role as a grantor.
func everyone(ctx context.Context, q querier, scope string) (authz.Grantor, error) {
	rows, err := q.QueryContext(ctx, `
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
	return g, rows.Err()
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

// standingOf gathers the user's standing in scope, whose owner is given.
func standingOf(ctx context.Context, q querier, scope, owner, user string, now time.Time) (standing, error) {
	var st standing
	h := &st.holdings
	var err error
	if h.PlatformEveryone, err = everyone(ctx, q, roster.Platform); err != nil {
		return st, err
	}
	platform, err := heldRoles(ctx, q, roster.Platform, user, now)
	if err != nil {
		return st, err
	}
	for _, r := range platform {
		h.PlatformRoles = append(h.PlatformRoles, r.Grantor)
	}
	st.platformAdmin = authz.Effective(authz.Holdings{PlatformEveryone: h.PlatformEveryone, PlatformRoles: h.PlatformRoles}).All
	roles := platform
	if scope != roster.Platform {
		h.InCommunity = true
		h.Owner = owner != "" && owner == user
		if h.Member, err = isMember(ctx, q, scope, user); err != nil {
			return st, err
		}
		if h.Everyone, err = everyone(ctx, q, scope); err != nil {
			return st, err
		}
		if roles, err = heldRoles(ctx, q, scope, user, now); err != nil {
			return st, err
		}
		for _, r := range roles {
			h.Roles = append(h.Roles, r.Grantor)
		}
	}
	for _, r := range roles {
		st.top = authz.Top(st.top, r.position)
	}
	st.perms = authz.Effective(*h)
	return st, nil
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
