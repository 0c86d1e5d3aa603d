package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

const roleColumns = `id, scope, name, description, colour, position, is_default, badge, builtin, metadata, version, created_at, updated_at`

// selectRoles reads roles: roleColumns, then their permissions, ordered
// and comma-separated (NULL for none; permission keys hold no comma). The
// table keeps its name: a query may not alias it.
const selectRoles = `SELECT ` + roleColumns + `, (SELECT string_agg(key, ',' ORDER BY key) FROM role_permissions p WHERE p.role_id = roles.id) FROM roles`

// scanRole scans a row of selectRoles.
func scanRole(s scanner) (roster.Role, error) {
	var r roster.Role
	var scope string
	var colour, meta, perms sql.NullString
	var created, updated int64
	err := s.Scan(&r.ID, &scope, &r.Name, &r.Description, &colour, &r.Position, &r.IsDefault, &r.Badge, &r.Builtin, &meta, &r.Version, &created, &updated, &perms)
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
	if perms.String != "" {
		r.Permissions = strings.Split(perms.String, ",")
	}
	return r, nil
}

// findRole returns a role of scope by id, or by the built-in alias
// "everyone" or "admin".
func findRole(ctx context.Context, q querier, scope, id string) (roster.Role, error) {
	query := selectRoles + ` WHERE scope = $1 AND id = $2`
	if id == roster.BuiltinEveryone || id == roster.BuiltinAdmin {
		query = selectRoles + ` WHERE scope = $1 AND builtin = $2`
	}
	r, err := scanRole(q.QueryRowContext(ctx, query, scope, id))
	if err != nil {
		return r, notFound(err, roster.EROLENOTFOUND, "role %s not found", id)
	}
	return r, nil
}

// queryRoles reads roles with their permissions.
func queryRoles(ctx context.Context, q querier, query string, args ...any) ([]roster.Role, error) {
	return collect(ctx, q, "roles", query, args, scanRole)
}

// FindRole returns a role of the scope.
func (db *DB) FindRole(ctx context.Context, scope, id string) (roster.Role, error) {
	var r roster.Role
	err := db.viewScope(ctx, scope, func(tx sqlTx, _ string) error {
		var err error
		r, err = findRole(ctx, tx, scope, id)
		return err
	})
	return r, err
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
	var roles []roster.Role
	err = db.viewScope(ctx, scope, func(tx sqlTx, _ string) error {
		var err error
		roles, err = queryRoles(ctx, tx, selectRoles+` WHERE scope = $1 AND position > $2 ORDER BY position LIMIT $3`, scope, after, pg.fetch())
		return err
	})
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
	var holders []roster.RoleHolder
	err = db.viewScope(ctx, scope, func(tx sqlTx, _ string) error {
		role, err := findRole(ctx, tx, scope, id)
		if err != nil {
			return err
		}
		if role.Builtin == roster.BuiltinEveryone {
			holders, err = implicitHolders(ctx, tx, scope, pg)
			return err
		}
		holders = []roster.RoleHolder{}
		return each(ctx, tx, "role holders", `
			SELECT user_id, `+grantColumns+` FROM assignments
			WHERE role_id = $1 AND user_id IN (
				SELECT DISTINCT user_id FROM assignments
				WHERE role_id = $1 AND user_id > $2 AND (expires_at IS NULL OR expires_at > $3)
				ORDER BY user_id LIMIT $4)
			AND (expires_at IS NULL OR expires_at > $3)
			ORDER BY user_id, source`, []any{role.ID, pg.after, micros(db.now()), pg.fetch()}, func(s scanner) error {
			var user string
			g, err := scanGrant(s, &user)
			if n := len(holders); n == 0 || holders[n-1].UserID != user {
				holders = append(holders, roster.RoleHolder{UserID: user})
			}
			last := &holders[len(holders)-1]
			last.Grants = append(last.Grants, g)
			return err
		})
	})
	if err != nil {
		return nil, "", err
	}
	holders, next := paginate(pg, holders, func(h roster.RoleHolder) string { return h.UserID })
	return holders, next, nil
}

// CountRoleHolders counts the holders of a scope's roles, or of those
// named: one query for the assigned roles, one for everyone's.
func (db *DB) CountRoleHolders(ctx context.Context, scope string, roleIDs ...string) (map[string]int, error) {
	counts := map[string]int{}
	err := db.viewScope(ctx, scope, func(tx sqlTx, _ string) error {
		everyone, err := findRole(ctx, tx, scope, roster.BuiltinEveryone)
		if err != nil {
			return err
		}
		if len(roleIDs) == 0 || slices.Contains(roleIDs, everyone.ID) {
			query, args := `SELECT COUNT(*) FROM members WHERE community_id = $1`, []any{scope}
			if scope == roster.Platform {
				query, args = `SELECT COUNT(*) FROM users`, nil
			}
			var n int
			if err := tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				return fmt.Errorf("sqlstore: everyone's holders: %w", err)
			}
			if n > 0 {
				counts[everyone.ID] = n
			}
		}
		query, args := `SELECT role_id, COUNT(DISTINCT user_id) FROM assignments
			WHERE scope = $1 AND (expires_at IS NULL OR expires_at > $2)`, []any{scope, micros(db.now())}
		if len(roleIDs) > 0 {
			query += ` AND role_id IN (` + placeholders(len(args)+1, len(roleIDs)) + `)`
			args = append(args, anys(roleIDs)...)
		}
		return each(ctx, tx, "role holder counts", query+` GROUP BY role_id`, args, func(s scanner) error {
			var id string
			var n int
			err := s.Scan(&id, &n)
			counts[id] = n
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// implicitHolders lists the holders of everyone, who hold it through no
// grant: the members of a community, or every user at platform scope.
func implicitHolders(ctx context.Context, q querier, scope string, pg page) ([]roster.RoleHolder, error) {
	query, args := `SELECT user_id FROM members WHERE community_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3`, []any{scope, pg.after, pg.fetch()}
	if scope == roster.Platform {
		query, args = `SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2`, []any{pg.after, pg.fetch()}
	}
	return collect(ctx, q, "role holders", query, args, func(s scanner) (roster.RoleHolder, error) {
		h := roster.RoleHolder{Grants: []roster.Grant{}}
		err := s.Scan(&h.UserID)
		return h, err
	})
}
