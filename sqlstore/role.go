package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

const roleColumns = `id, scope, name, description, colour, position, is_default, badge, builtin, metadata, version, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanRole(s scanner) (roster.Role, error) {
	var r roster.Role
	var scope string
	var colour, meta sql.NullString
	var created, updated int64
	err := s.Scan(&r.ID, &scope, &r.Name, &r.Description, &colour, &r.Position, &r.IsDefault, &r.Badge, &r.Builtin, &meta, &r.Version, &created, &updated)
	if err != nil {
		return r, err
	}
	r.CommunityID = roster.ScopeRef(scope)
	r.Colour = strPtr(colour)
	r.Protected = r.Builtin != ""
	r.Metadata = json.RawMessage("{}")
	if meta.Valid {
		r.Metadata = json.RawMessage(meta.String)
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	r.Permissions = []string{}
	return r, nil
}

// withPermissions fills in the permissions of the roles.
func withPermissions(ctx context.Context, q querier, roles []roster.Role) error {
	if len(roles) == 0 {
		return nil
	}
	index := make(map[string]int, len(roles))
	ids := make([]string, len(roles))
	for i, r := range roles {
		index[r.ID], ids[i] = i, r.ID
	}
	rows, err := q.QueryContext(ctx, `SELECT role_id, key FROM role_permissions WHERE role_id IN (`+placeholders(len(ids))+`) ORDER BY key`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("sqlstore: role permissions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, key string
		if err := rows.Scan(&id, &key); err != nil {
			return fmt.Errorf("sqlstore: role permissions: %w", err)
		}
		r := &roles[index[id]]
		r.Permissions = append(r.Permissions, key)
	}
	return rows.Err()
}

// findRole returns a role of scope by id, or by the built-in alias
// "everyone" or "admin".
func findRole(ctx context.Context, q querier, scope, id string) (roster.Role, error) {
	query := `SELECT ` + roleColumns + ` FROM roles WHERE scope = ? AND id = ?`
	if id == roster.BuiltinEveryone || id == roster.BuiltinAdmin {
		query = `SELECT ` + roleColumns + ` FROM roles WHERE scope = ? AND builtin = ?`
	}
	r, err := scanRole(q.QueryRowContext(ctx, query, scope, id))
	if err != nil {
		return r, notFound(err, roster.EROLENOTFOUND, "role %s not found", id)
	}
	roles := []roster.Role{r}
	if err := withPermissions(ctx, q, roles); err != nil {
		return r, err
	}
	return roles[0], nil
}

// queryRoles reads roles with their permissions.
func queryRoles(ctx context.Context, q querier, query string, args ...any) ([]roster.Role, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: roles: %w", err)
	}
	defer rows.Close()
	roles := []roster.Role{}
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: roles: %w", err)
		}
		roles = append(roles, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: roles: %w", err)
	}
	return roles, withPermissions(ctx, q, roles)
}

func facts(r roster.Role) authz.RoleFacts {
	return authz.RoleFacts{ID: r.ID, Position: r.Position, Builtin: r.Builtin, Protected: r.Protected, Permissions: r.Permissions}
}

// FindRole returns a role of the scope.
func (db *DB) FindRole(ctx context.Context, scope, id string) (roster.Role, error) {
	tx, _, err := db.readScope(ctx, scope)
	if err != nil {
		return roster.Role{}, err
	}
	defer tx.Rollback()
	return findRole(ctx, tx, scope, id)
}

// ListRoles returns the scope's roles from the bottom up.
func (db *DB) ListRoles(ctx context.Context, scope string, p roster.Page) ([]roster.Role, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	after, err := pg.afterInt()
	if err != nil {
		return nil, "", err
	}
	tx, _, err := db.readScope(ctx, scope)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	roles, err := queryRoles(ctx, tx, `SELECT `+roleColumns+` FROM roles WHERE scope = ? AND position > ? ORDER BY position LIMIT ?`, scope, after, pg.fetch())
	if err != nil {
		return nil, "", err
	}
	roles, next := paginate(pg, roles, func(r roster.Role) string { return strconv.Itoa(r.Position) })
	return roles, next, nil
}

// ListRoleHolders returns who holds a role.
func (db *DB) ListRoleHolders(ctx context.Context, scope, id string, p roster.Page) ([]roster.RoleHolder, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	tx, _, err := db.readScope(ctx, scope)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	role, err := findRole(ctx, tx, scope, id)
	if err != nil {
		return nil, "", err
	}
	if role.Builtin == roster.BuiltinEveryone {
		return implicitHolders(ctx, tx, scope, pg)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT user_id, `+grantColumns+` FROM assignments
		WHERE role_id = ? AND user_id IN (
			SELECT DISTINCT user_id FROM assignments
			WHERE role_id = ? AND user_id > ? AND (expires_at IS NULL OR expires_at > ?)
			ORDER BY user_id LIMIT ?)
		AND (expires_at IS NULL OR expires_at > ?)
		ORDER BY user_id, source`, role.ID, role.ID, pg.after, micros(db.now()), pg.fetch(), micros(db.now()))
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: role holders: %w", err)
	}
	defer rows.Close()
	holders := []roster.RoleHolder{}
	for rows.Next() {
		var user string
		g, err := scanGrant(rows, &user)
		if err != nil {
			return nil, "", fmt.Errorf("sqlstore: role holders: %w", err)
		}
		if n := len(holders); n == 0 || holders[n-1].UserID != user {
			holders = append(holders, roster.RoleHolder{UserID: user})
		}
		last := &holders[len(holders)-1]
		last.Grants = append(last.Grants, g)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlstore: role holders: %w", err)
	}
	holders, next := paginate(pg, holders, func(h roster.RoleHolder) string { return h.UserID })
	return holders, next, nil
}

// implicitHolders lists the holders of everyone, who hold it through no
// grant: the members of a community, or every user at platform scope.
func implicitHolders(ctx context.Context, q querier, scope string, pg page) ([]roster.RoleHolder, string, error) {
	query, args := `SELECT user_id FROM members WHERE community_id = ? AND user_id > ? ORDER BY user_id LIMIT ?`, []any{scope, pg.after, pg.fetch()}
	if scope == roster.Platform {
		query, args = `SELECT id FROM users WHERE id > ? ORDER BY id LIMIT ?`, []any{pg.after, pg.fetch()}
	}
	users, err := queryStrings(ctx, q, query, args...)
	if err != nil {
		return nil, "", err
	}
	holders := make([]roster.RoleHolder, len(users))
	for i, u := range users {
		holders[i] = roster.RoleHolder{UserID: u, Grants: []roster.Grant{}}
	}
	holders, next := paginate(pg, holders, func(h roster.RoleHolder) string { return h.UserID })
	return holders, next, nil
}
