package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
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

// AddRoles adds roles to users.
func (db *DB) AddRoles(ctx context.Context, c roster.Change) ([]roster.PairResult, roster.Member, roster.Revision, error) {
	return db.change(ctx, c, false, false)
}

// RemoveRoles removes roles from users.
func (db *DB) RemoveRoles(ctx context.Context, c roster.Change, single bool) ([]roster.PairResult, roster.Member, roster.Revision, error) {
	return db.change(ctx, c, true, single)
}

func (db *DB) change(ctx context.Context, c roster.Change, remove, single bool) ([]roster.PairResult, roster.Member, roster.Revision, error) {
	var m roster.Member
	if err := c.Clean(db.now()); err != nil {
		return nil, m, 0, err
	}
	if remove {
		c.ExpiresAt = nil
	}
	var results []roster.PairResult
	rev, err := db.updateScope(ctx, c.Scope, func(tx *Tx, owner string) error {
		roles, err := resolveRoles(tx, c.Scope, c.RoleIDs)
		if err != nil {
			return err
		}
		if err := checkHolders(tx, c.Scope, c.UserIDs, !remove); err != nil {
			return err
		}
		users := roster.Unique(c.UserIDs)
		rc := authz.ChangeFacts{Single: single, Source: c.Source, HasOwner: owner != "", Platform: c.Scope == roster.Platform}
		if rc.Actor, err = tx.subject(c.Scope, owner); err != nil {
			return err
		}
		held, err := heldBy(ctx, tx, c.Scope, users, tx.now)
		if err != nil {
			return err
		}
		var names []string
		for _, u := range users {
			for _, r := range roles {
				rc.Pairs = append(rc.Pairs, authz.Pair{User: u, Role: facts(r), Held: sources(held[u], r.ID)})
				names = append(names, r.Name)
			}
		}
		if remove {
			if rc.AdminHolders, err = adminHolders(tx, c.Scope); err != nil {
				return err
			}
		}
		decide := authz.AddRoles
		if remove {
			decide = authz.RemoveRoles
		}
		outcomes, err := decide(rc)
		if err != nil {
			return err
		}
		results = make([]roster.PairResult, len(rc.Pairs))
		var changed []roster.Assignment
		for i, p := range rc.Pairs {
			results[i] = roster.PairResult{UserID: p.User, RoleID: p.Role.ID, Result: outcomes[i]}
			a := roster.Assignment{UserID: p.User, RoleID: p.Role.ID, RoleName: names[i]}
			switch outcomes[i] {
			case roster.Added:
				changed = append(changed, a)
			case roster.Removed, roster.Retained:
				a.Grant = grantOf(held[p.User], p.Role.ID, c.Source)
				changed = append(changed, a)
			}
		}
		if remove {
			err = tx.ungrant(c.Scope, changed...)
		} else {
			err = tx.grant(c.Scope, c.Source, c.ExpiresAt, changed...)
		}
		if err != nil {
			return err
		}
		m = roster.Member{}
		if len(users) == 1 {
			if m, err = findMember(ctx, tx, c.Scope, users[0], tx.now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, roster.Member{}, 0, err
	}
	return results, m, rev, nil
}

// grantOf returns the grant of a role from a source among held roles.
func grantOf(held []roster.HeldRole, roleID string, src roster.Source) roster.Grant {
	for _, h := range held {
		for _, g := range h.Grants {
			if h.RoleID == roleID && g.Source == src {
				return g
			}
		}
	}
	return roster.Grant{Source: src}
}

// sources returns the sources through which a user holds a role.
func sources(held []roster.HeldRole, roleID string) []roster.Source {
	for _, h := range held {
		if h.RoleID == roleID {
			out := make([]roster.Source, len(h.Grants))
			for i, g := range h.Grants {
				out[i] = g.Source
			}
			return out
		}
	}
	return nil
}

// resolveRoles finds every role named, once each, or fails naming each
// unknown one at its place in ids.
func resolveRoles(tx *Tx, scope string, ids []string) ([]roster.Role, error) {
	all, err := queryRoles(tx.ctx, tx, `SELECT `+roleColumns+` FROM roles WHERE scope = $1 ORDER BY position`, scope)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]roster.Role, len(all)+2)
	for _, r := range all {
		byID[r.ID] = r
		if r.Builtin == roster.BuiltinEveryone || r.Builtin == roster.BuiltinAdmin {
			byID[r.Builtin] = r
		}
	}
	roles := make([]roster.Role, 0, len(ids))
	var missing []roster.FieldError
	found := map[string]bool{}
	for i, id := range ids {
		r, ok := byID[id]
		switch {
		case !ok:
			missing = append(missing, roster.FieldError{Location: fmt.Sprintf("body.roleIds[%d]", i), Message: "no such role here", Value: id})
		case !found[r.ID]:
			found[r.ID] = true
			roles = append(roles, r)
		}
	}
	if len(missing) > 0 {
		return nil, &roster.Error{Code: roster.EROLENOTFOUND, Message: fmt.Sprintf("%d of the roles do not exist", len(missing)), Fields: missing}
	}
	return roles, nil
}

// checkHolders makes sure every user may hold roles in scope: members of a
// community, or any user at platform scope (whose record is created when
// create is set).
func checkHolders(tx *Tx, scope string, users []string, create bool) error {
	if scope == roster.Platform {
		for _, u := range roster.Unique(users) {
			if create {
				if _, err := tx.ensureUser(u); err != nil {
					return err
				}
			}
		}
		return nil
	}
	members, err := queryStrings(tx.ctx, tx, "members", `SELECT user_id FROM members WHERE community_id = $1 AND user_id IN (`+placeholders(2, len(users))+`)`,
		append([]any{scope}, anys(users)...)...)
	if err != nil {
		return err
	}
	member := make(map[string]bool, len(members))
	for _, u := range members {
		member[u] = true
	}
	var missing []roster.FieldError
	for i, u := range users {
		if !member[u] {
			member[u] = true // each missing user once
			missing = append(missing, roster.FieldError{Location: fmt.Sprintf("body.userIds[%d]", i), Message: "is not a member of the community", Value: u})
		}
	}
	if len(missing) > 0 {
		return &roster.Error{Code: roster.EMEMBERNOTFOUND, Message: fmt.Sprintf("%d of the users are not members of community %s", len(missing), scope), Fields: missing}
	}
	return nil
}

// adminHolders returns the users who hold the scope's admin role.
func adminHolders(tx *Tx, scope string) ([]string, error) {
	return queryStrings(tx.ctx, tx, "admin holders", `
		SELECT DISTINCT a.user_id FROM assignments a JOIN roles r ON r.id = a.role_id
		WHERE r.scope = $1 AND r.builtin = 'admin' AND (a.expires_at IS NULL OR a.expires_at > $2)`, scope, micros(tx.now))
}

// grant writes assignments of roles from one source (replacing expired ones
// of the same source), many per statement, and an event for each.
func (tx *Tx) grant(scope string, src roster.Source, expires *time.Time, as ...roster.Assignment) error {
	for chunk := range slices.Chunk(as, tx.db.dialect.maxRows) {
		roles, users := make([]string, len(chunk)), make([]string, len(chunk))
		for i, a := range chunk {
			roles[i], users[i] = a.RoleID, a.UserID
		}
		from, args := tx.db.dialect.rows(7, len(chunk), roles, users)
		_, err := tx.ExecContext(tx.ctx, `INSERT INTO assignments (role_id, user_id, source, scope, granted_by_key, granted_by_user, granted_at, expires_at)
			SELECT column1, column2, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), CAST($5 AS BIGINT), CAST($6 AS BIGINT)
			FROM `+from+` WHERE true
			ON CONFLICT (role_id, user_id, source) DO UPDATE SET granted_by_key = excluded.granted_by_key,
				granted_by_user = excluded.granted_by_user, granted_at = excluded.granted_at, expires_at = excluded.expires_at`,
			append([]any{src, scope, tx.actor.KeyID, tx.actor.UserID, micros(tx.now), nullMicros(expires)}, args...)...)
		if err != nil {
			return fmt.Errorf("sqlstore: grant: %w", err)
		}
	}
	for _, a := range as {
		a.Grant = roster.Grant{Source: src, GrantedBy: roster.Actor{KeyID: tx.actor.KeyID, UserID: tx.actor.UserID}, GrantedAt: tx.now, ExpiresAt: expires}
		if err := tx.event(scope, roster.ActionMemberRoleAdded, roster.TargetMember, a.UserID, nil, a); err != nil {
			return err
		}
	}
	return nil
}

// removeAssignments deletes the assignments of scope matching where (whose
// placeholders start at $2), with one member.role_removed event each.
func removeAssignments(tx *Tx, scope, where string, args ...any) error {
	gone, err := collect(tx.ctx, tx, "assignments", `SELECT a.user_id, a.role_id, r.name, `+grantColumns+`
		FROM assignments a JOIN roles r ON r.id = a.role_id WHERE a.scope = $1 AND `+where+` ORDER BY a.user_id, a.role_id, a.source`,
		append([]any{scope}, args...), func(s scanner) (roster.Assignment, error) {
			var a roster.Assignment
			var err error
			a.Grant, err = scanGrant(s, &a.UserID, &a.RoleID, &a.RoleName)
			return a, err
		})
	if err != nil {
		return err
	}
	return tx.ungrant(scope, gone...)
}

// ungrant deletes assignments, each of its grant's source, many per
// statement, and writes an event for each.
func (tx *Tx) ungrant(scope string, as ...roster.Assignment) error {
	for chunk := range slices.Chunk(as, tx.db.dialect.maxRows) {
		roles, users, sources := make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk))
		for i, a := range chunk {
			roles[i], users[i], sources[i] = a.RoleID, a.UserID, string(a.Source)
		}
		from, args := tx.db.dialect.rows(1, len(chunk), roles, users, sources)
		_, err := tx.ExecContext(tx.ctx, `DELETE FROM assignments WHERE (role_id, user_id, source) IN
			(SELECT column1, column2, column3 FROM `+from+`)`, args...)
		if err != nil {
			return fmt.Errorf("sqlstore: remove assignments: %w", err)
		}
	}
	for _, a := range as {
		if err := tx.event(scope, roster.ActionMemberRoleRemoved, roster.TargetMember, a.UserID, a, nil); err != nil {
			return err
		}
	}
	return nil
}
