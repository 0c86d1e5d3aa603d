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
	err := q.QueryRowContext(ctx, `SELECT description, builtin, created_at FROM permissions WHERE key = $1`, key).Scan(&p.Description, &p.Builtin, &created)
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
	out, err := collect(ctx, db.read, "permissions", `SELECT key, description, builtin, created_at FROM permissions WHERE key > $1 ORDER BY key LIMIT $2`,
		[]any{pg.after, pg.fetch()}, func(s scanner) (roster.Permission, error) {
			var p roster.Permission
			var created int64
			err := s.Scan(&p.Key, &p.Description, &p.Builtin, &created)
			p.CreatedAt = fromMicros(created)
			return p, err
		})
	if err != nil {
		return nil, "", err
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
	rev, err := db.updateScope(ctx, roster.Platform, func(tx *Tx, _ string) error {
		f := authz.RegisterPermissionFacts{Key: p.Key}
		var err error
		if f.Actor, err = tx.subject(roster.Platform, ""); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN key = $1 THEN 1 END) FROM permissions`, p.Key).Scan(&f.Keys, &f.Exists); err != nil {
			return fmt.Errorf("sqlstore: count permissions: %w", err)
		}
		if err := authz.RegisterPermission(f); err != nil {
			return err
		}
		created := p
		created.Builtin, created.CreatedAt = false, tx.now
		if _, err := tx.ExecContext(ctx, `INSERT INTO permissions (key, description, builtin, created_at) VALUES ($1, $2, FALSE, $3)`, created.Key, created.Description, micros(tx.now)); err != nil {
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
	return db.updateScope(ctx, roster.Platform, func(tx *Tx, _ string) error {
		p, err := findPermission(ctx, tx, key)
		if err != nil {
			return err
		}
		f := authz.UnregisterPermissionFacts{Key: key, Builtin: p.Builtin}
		if f.Actor, err = tx.subject(roster.Platform, ""); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM role_permissions WHERE key = $1),
			(SELECT COUNT(*) FROM overwrite_permissions WHERE key = $1)`, key).Scan(&f.Roles, &f.Overwrites); err != nil {
			return fmt.Errorf("sqlstore: permission use: %w", err)
		}
		if err := authz.UnregisterPermission(f); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM permissions WHERE key = $1`, key); err != nil {
			return fmt.Errorf("sqlstore: delete permission: %w", err)
		}
		return tx.event(roster.Platform, roster.ActionPermissionDeleted, roster.TargetPermission, key, p, nil)
	})
}

// catalog returns every registered permission key, in order.
func catalog(ctx context.Context, q querier) ([]string, error) {
	return queryStrings(ctx, q, "catalog", `SELECT key FROM permissions ORDER BY key`)
}

// checkKeys returns a validation error naming each key of keys that is not in
// the catalog, at the location loc gives for its index.
func checkKeys(ctx context.Context, q querier, keys []string, loc func(int) string) error {
	if len(keys) == 0 {
		return nil
	}
	asked := roster.Unique(keys)
	found, err := queryStrings(ctx, q, "catalog", `SELECT key FROM permissions WHERE key IN (`+placeholders(1, len(asked))+`)`, anys(asked)...)
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
func permissionAt(i int) string { return fmt.Sprintf("permissions[%d]", i) }
