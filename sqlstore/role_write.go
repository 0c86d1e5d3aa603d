package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/rs/xid"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// countRoles returns how many roles the scope has, everyone included.
func countRoles(tx *Tx, scope string) (int, error) {
	var n int
	if err := tx.QueryRowContext(tx.ctx, `SELECT COUNT(*) FROM roles WHERE scope = $1`, scope).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count roles: %w", err)
	}
	return n, nil
}

// shift moves the scope's roles with positions in [from, to] by delta; a
// moved role is changed, so its version increments. The event of the change
// that caused the shift records it.
func shift(tx *Tx, scope string, from, to, delta int) error {
	_, err := tx.ExecContext(tx.ctx, `UPDATE roles SET position = position + $1, version = version + 1, updated_at = $2
		WHERE scope = $3 AND position >= $4 AND position <= $5`, delta, micros(tx.now), scope, from, to)
	if err != nil {
		return fmt.Errorf("sqlstore: shift roles: %w", err)
	}
	return nil
}

func setPermissions(tx *Tx, roleID string, keys []string) error {
	if _, err := tx.ExecContext(tx.ctx, `DELETE FROM role_permissions WHERE role_id = $1`, roleID); err != nil {
		return fmt.Errorf("sqlstore: role permissions: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(tx.ctx, `INSERT INTO role_permissions (role_id, key) VALUES ($1, $2)`, roleID, k); err != nil {
			return fmt.Errorf("sqlstore: role permissions: %w", err)
		}
	}
	return nil
}

// insertRole writes a new role at r.Position, which the caller has made free.
func insertRole(tx *Tx, scope string, r roster.Role) (roster.Role, error) {
	r.ID = xid.New().String()
	r.CommunityID = roster.ScopeRef(scope)
	r.Protected = r.Builtin != ""
	r.Version = 1
	r.CreatedAt, r.UpdatedAt = tx.now, tx.now
	if r.Permissions == nil {
		r.Permissions = []string{}
	}
	if len(r.Metadata) == 0 {
		r.Metadata = []byte("{}")
	}
	_, err := tx.ExecContext(tx.ctx, `INSERT INTO roles (`+roleColumns+`, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, scope, r.Name, r.Description, nullStr(r.Colour), r.Position, r.IsDefault, r.Badge, r.Builtin, string(r.Metadata), r.Version,
		micros(r.CreatedAt), micros(r.UpdatedAt), roster.NameKey(r.Name))
	if tx.isUnique(err) {
		return r, roster.Errorf(roster.EROLENAMETAKEN, "a role named %q already exists here", r.Name)
	} else if err != nil {
		return r, fmt.Errorf("sqlstore: insert role: %w", err)
	}
	if err := setPermissions(tx, r.ID, r.Permissions); err != nil {
		return r, err
	}
	return r, tx.event(scope, roster.ActionRoleCreated, roster.TargetRole, r.ID, nil, r)
}

// CreateRole adds a role to the scope.
func (db *DB) CreateRole(ctx context.Context, scope string, r roster.Role) (roster.Role, roster.Revision, error) {
	requested := r.Permissions
	if err := r.Clean(); err != nil {
		return r, 0, err
	}
	var created roster.Role
	rev, err := db.updateScope(ctx, scope, func(tx *Tx, owner string) error {
		r := r // a copy: each run starts from the request
		if err := checkKeys(ctx, tx, requested, permissionAt); err != nil {
			return err
		}
		n, err := countRoles(tx, scope)
		if err != nil {
			return err
		}
		if r.Position == 0 {
			r.Position = roster.DefaultNewPosition
		}
		s, err := tx.subject(scope, owner)
		if err != nil {
			return err
		}
		if err := authz.CreateRole(authz.CreateRoleFacts{Actor: s, Position: r.Position, Roles: n, Permissions: r.Permissions}); err != nil {
			return err
		}
		if err := shift(tx, scope, r.Position, n, 1); err != nil {
			return err
		}
		r.Builtin = ""
		created, err = insertRole(tx, scope, r)
		return err
	})
	if err != nil {
		return r, 0, err
	}
	return created, rev, nil
}

// UpdateRole changes a role.
func (db *DB) UpdateRole(ctx context.Context, scope, id string, upd roster.RoleUpdate) (roster.Role, roster.Revision, error) {
	var requested []string
	if upd.Permissions != nil {
		requested = *upd.Permissions
	}
	if err := upd.Clean(); err != nil {
		return roster.Role{}, 0, err
	}
	var out roster.Role
	rev, err := db.updateScope(ctx, scope, func(tx *Tx, owner string) error {
		before, err := findRole(ctx, tx, scope, id)
		if err != nil {
			return err
		}
		edit := authz.RoleEdit{Position: upd.Position, Rename: upd.Name != nil && *upd.Name != before.Name}
		if upd.Permissions != nil {
			if err := checkKeys(ctx, tx, requested, permissionAt); err != nil {
				return err
			}
			edit.Permissions = *upd.Permissions
		}
		f := authz.UpdateRoleFacts{Role: authz.RoleOf(before), Edit: edit, IfVersion: upd.IfVersion}
		if f.Roles, err = countRoles(tx, scope); err != nil {
			return err
		}
		if f.Actor, err = tx.subject(scope, owner); err != nil {
			return err
		}
		if err := authz.UpdateRole(f); err != nil {
			return err
		}
		after := applyRoleUpdate(before, upd)
		if after.Position != before.Position {
			if err := moveRole(tx, scope, before.Position, after.Position); err != nil {
				return err
			}
		}
		if reflect.DeepEqual(before, after) {
			out = before
			return nil
		}
		after.Version, after.UpdatedAt = before.Version+1, tx.now
		_, err = tx.ExecContext(ctx, `UPDATE roles SET name = $1, name_key = CASE WHEN name = $1 THEN name_key ELSE $2 END, description = $3, colour = $4, position = $5, is_default = $6, badge = $7,
			metadata = $8, version = $9, updated_at = $10 WHERE id = $11`,
			after.Name, roster.NameKey(after.Name), after.Description, nullStr(after.Colour), after.Position, after.IsDefault, after.Badge,
			string(after.Metadata), after.Version, micros(after.UpdatedAt), after.ID)
		if tx.isUnique(err) {
			return roster.Errorf(roster.EROLENAMETAKEN, "a role named %q already exists here", after.Name)
		} else if err != nil {
			return fmt.Errorf("sqlstore: update role: %w", err)
		}
		if !slices.Equal(before.Permissions, after.Permissions) {
			if err := setPermissions(tx, after.ID, after.Permissions); err != nil {
				return err
			}
		}
		if err := tx.event(scope, roster.ActionRoleUpdated, roster.TargetRole, after.ID, before, after); err != nil {
			return err
		}
		out = after
		return nil
	})
	if err != nil {
		return roster.Role{}, 0, err
	}
	return out, rev, nil
}

func applyRoleUpdate(r roster.Role, u roster.RoleUpdate) roster.Role {
	if u.Name != nil {
		r.Name = *u.Name
	}
	if u.Description != nil {
		r.Description = *u.Description
	}
	if u.Colour != nil {
		r.Colour = nil
		if *u.Colour != "" {
			r.Colour = u.Colour
		}
	}
	if u.Position != nil {
		r.Position = *u.Position
	}
	if u.Permissions != nil {
		r.Permissions = *u.Permissions
	}
	if u.IsDefault != nil {
		r.IsDefault = *u.IsDefault
	}
	if u.Badge != nil {
		r.Badge = *u.Badge
	}
	if len(u.Metadata) > 0 {
		r.Metadata = u.Metadata
	}
	return r
}

// moveRole moves the role at position from to position to, shifting those
// between.
func moveRole(tx *Tx, scope string, from, to int) error {
	if to > from {
		return shift(tx, scope, from+1, to, -1)
	}
	return shift(tx, scope, to, from-1, 1)
}

// DeleteRole removes a role.
func (db *DB) DeleteRole(ctx context.Context, scope, id string, opt roster.RoleDelete) (roster.Revision, error) {
	return db.updateScope(ctx, scope, func(tx *Tx, owner string) error {
		role, err := findRole(ctx, tx, scope, id)
		if err != nil {
			return err
		}
		var holders int
		err = tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT user_id) FROM assignments WHERE role_id = $1 AND (expires_at IS NULL OR expires_at > $2)`,
			role.ID, micros(tx.now)).Scan(&holders)
		if err != nil {
			return fmt.Errorf("sqlstore: role holders: %w", err)
		}
		s, err := tx.subject(scope, owner)
		if err != nil {
			return err
		}
		if err := authz.DeleteRole(authz.DeleteRoleFacts{Actor: s, Role: authz.RoleOf(role), Holders: holders, Force: opt.Force, IfVersion: opt.IfVersion}); err != nil {
			return err
		}
		if err := removeAssignments(tx, scope, `a.role_id = $2`, role.ID); err != nil {
			return err
		}
		if scope != roster.Platform {
			ows, err := overwritesOf(ctx, tx, scope, `o.target_type = 'role' AND o.target_id = $2`, role.ID)
			if err != nil {
				return err
			}
			if err := removeOverwrites(tx, scope, ows); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE id = $1`, role.ID); err != nil {
			return fmt.Errorf("sqlstore: delete role: %w", err)
		}
		if err := shift(tx, scope, role.Position+1, roster.MaxRolesPerScope, -1); err != nil {
			return err
		}
		return tx.event(scope, roster.ActionRoleDeleted, roster.TargetRole, role.ID, role, nil)
	})
}

// ReorderRoles sets the order of the scope's roles, bottom to top.
func (db *DB) ReorderRoles(ctx context.Context, scope string, ids []string) ([]roster.Role, roster.Revision, error) {
	var all []roster.Role
	rev, err := db.updateScope(ctx, scope, func(tx *Tx, owner string) error {
		roles, err := queryRoles(ctx, tx, selectRoles+` WHERE scope = $1 AND builtin != 'everyone' ORDER BY position`, scope)
		if err != nil {
			return err
		}
		s, err := tx.subject(scope, owner)
		if err != nil {
			return err
		}
		f := authz.ReorderRolesFacts{Actor: s, IDs: ids}
		for _, r := range roles {
			f.Roles = append(f.Roles, authz.RoleOf(r))
		}
		after, err := authz.ReorderRoles(f)
		if err != nil {
			return err
		}
		var oldOrder, newIDs []string
		for _, r := range roles {
			oldOrder = append(oldOrder, r.ID)
		}
		for i := range roles {
			r := &roles[i]
			if after[r.ID] == r.Position {
				continue
			}
			r.Position, r.Version, r.UpdatedAt = after[r.ID], r.Version+1, tx.now
			if _, err := tx.ExecContext(ctx, `UPDATE roles SET position = $1, version = $2, updated_at = $3 WHERE id = $4`,
				r.Position, r.Version, micros(r.UpdatedAt), r.ID); err != nil {
				return fmt.Errorf("sqlstore: reorder: %w", err)
			}
		}
		slices.SortFunc(roles, func(a, b roster.Role) int { return a.Position - b.Position })
		for _, r := range roles {
			newIDs = append(newIDs, r.ID)
		}
		if !slices.Equal(oldOrder, newIDs) {
			if err := tx.event(scope, roster.ActionRolesReordered, roster.TargetScope, scope, oldOrder, newIDs); err != nil {
				return err
			}
		}
		all, err = queryRoles(ctx, tx, selectRoles+` WHERE scope = $1 ORDER BY position`, scope)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return all, rev, nil
}
