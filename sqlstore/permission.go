package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

func findPermission(ctx context.Context, q querier, key string) (roster.Permission, error) {
	p := roster.Permission{Key: key}
	var created int64
	err := q.QueryRowContext(ctx, `SELECT description, builtin, created_at FROM permissions WHERE key = ?`, key).Scan(&p.Description, &p.Builtin, &created)
	if err != nil {
		return p, notFound(err, roster.EPERMISSIONNOTFOUND, "permission %s is not registered", key)
	}
	p.CreatedAt = fromMicros(created)
	return p, nil
}

// ListPermissions returns the catalog ordered by key.
func (db *DB) ListPermissions(ctx context.Context, p roster.Page) ([]roster.Permission, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT key, description, builtin, created_at FROM permissions WHERE key > ? ORDER BY key LIMIT ?`, pg.after, pg.fetch())
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: permissions: %w", err)
	}
	defer rows.Close()
	out := []roster.Permission{}
	for rows.Next() {
		var p roster.Permission
		var created int64
		if err := rows.Scan(&p.Key, &p.Description, &p.Builtin, &created); err != nil {
			return nil, "", fmt.Errorf("sqlstore: permissions: %w", err)
		}
		p.CreatedAt = fromMicros(created)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlstore: permissions: %w", err)
	}
	out, next := paginate(pg, out, func(p roster.Permission) string { return p.Key })
	return out, next, nil
}

// CreatePermission registers a permission key.
func (db *DB) CreatePermission(ctx context.Context, p roster.Permission) (roster.Permission, roster.Revision, error) {
	if err := p.Clean(); err != nil {
		return p, 0, err
	}
	var out roster.Permission
	rev, err := db.update(ctx, func(tx *Tx) error {
		s, err := tx.subject(roster.Platform, "")
		if err != nil {
			return err
		}
		if err := authz.Require(s, roster.PermManageRoles); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM permissions`).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: count permissions: %w", err)
		}
		if _, err := findPermission(ctx, tx, p.Key); err == nil {
			return roster.Errorf(roster.EPERMISSIONEXISTS, "permission %s is already registered", p.Key)
		} else if roster.ErrorCode(err) != roster.EPERMISSIONNOTFOUND {
			return err
		}
		if n >= roster.MaxPermissions {
			return roster.Errorf(roster.ELIMITREACHED, "the catalog holds at most %d keys", roster.MaxPermissions)
		}
		created := p
		created.Builtin, created.CreatedAt = false, tx.now
		if _, err := tx.ExecContext(ctx, `INSERT INTO permissions (key, description, builtin, created_at) VALUES (?, ?, FALSE, ?)`, created.Key, created.Description, micros(tx.now)); err != nil {
			return fmt.Errorf("sqlstore: create permission: %w", err)
		}
		if err := tx.event(roster.Platform, roster.ActionPermissionCreated, roster.TargetPermission, created.Key, nil, created); err != nil {
			return err
		}
		out = created
		return nil
	})
	if err != nil {
		return p, 0, err
	}
	return out, rev, nil
}

// DeletePermission unregisters a permission key.
func (db *DB) DeletePermission(ctx context.Context, key string) (roster.Revision, error) {
	return db.update(ctx, func(tx *Tx) error {
		p, err := findPermission(ctx, tx, key)
		if err != nil {
			return err
		}
		s, err := tx.subject(roster.Platform, "")
		if err != nil {
			return err
		}
		if err := authz.Require(s, roster.PermManageRoles); err != nil {
			return err
		}
		if p.Builtin {
			return roster.Errorf(roster.EPERMISSIONBUILTIN, "built-in permission %s cannot be unregistered", key)
		}
		var roles, overwrites int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM role_permissions WHERE key = ?),
			(SELECT COUNT(*) FROM overwrite_permissions WHERE key = ?)`, key, key).Scan(&roles, &overwrites); err != nil {
			return fmt.Errorf("sqlstore: permission use: %w", err)
		}
		if roles > 0 || overwrites > 0 {
			return roster.Errorf(roster.EPERMISSIONINUSE, "permission %s is used by %d roles and %d channel overwrites", key, roles, overwrites).
				With("roles", roles).With("overwrites", overwrites)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM permissions WHERE key = ?`, key); err != nil {
			return fmt.Errorf("sqlstore: delete permission: %w", err)
		}
		return tx.event(roster.Platform, roster.ActionPermissionDeleted, roster.TargetPermission, key, p, nil)
	})
}

// catalog returns every registered permission key, in order.
func catalog(ctx context.Context, q querier) ([]string, error) {
	return queryStrings(ctx, q, `SELECT key FROM permissions ORDER BY key`)
}

// checkKeys returns a validation error naming each key of keys that is not in
// the catalog, at the location loc gives for its index.
func checkKeys(ctx context.Context, q querier, keys []string, loc func(int) string) error {
	if len(keys) == 0 {
		return nil
	}
	asked := roster.Unique(keys)
	found, err := queryStrings(ctx, q, `SELECT key FROM permissions WHERE key IN (`+placeholders(len(asked))+`)`, anys(asked)...)
	if err != nil {
		return err
	}
	var bad []roster.FieldError
	for i, k := range keys {
		if !slices.Contains(found, k) {
			bad = append(bad, roster.FieldError{Location: loc(i), Message: "is not a registered permission", Value: k})
		}
	}
	if len(bad) > 0 {
		return roster.Invalid(bad...)
	}
	return nil
}

// permissionAt locates the permissions of a role's body.
func permissionAt(i int) string { return fmt.Sprintf("body.permissions[%d]", i) }
