package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
	"github.com/rs/xid"
)

const communityColumns = `id, name, owner_id, created_at, updated_at`

// scanCommunity scans a community's columns, then the extra columns that
// follow them into extra.
func scanCommunity(s scanner, extra ...any) (roster.Community, error) {
	var c roster.Community
	var owner sql.NullString
	var created, updated int64
	if err := s.Scan(append([]any{&c.ID, &c.Name, &owner, &created, &updated}, extra...)...); err != nil {
		return c, err
	}
	c.OwnerID = strPtr(owner)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

func findCommunity(ctx context.Context, q querier, id string) (roster.Community, error) {
	c, err := scanCommunity(q.QueryRowContext(ctx, `SELECT `+communityColumns+` FROM communities WHERE id = $1`, id))
	if err != nil {
		return c, notFound(err, roster.ECOMMUNITYNOTFOUND, "community %s not found", id)
	}
	return c, nil
}

// createBuiltinRoles creates a new scope's everyone and admin roles.
func createBuiltinRoles(tx *Tx, scope string) error {
	perms := []string{}
	if scope != roster.Platform {
		perms = roster.CommunityEveryonePermissions
	}
	builtins := []roster.Role{
		{Name: roster.BuiltinEveryone, Builtin: roster.BuiltinEveryone, Position: roster.EveryonePosition, Permissions: roster.CleanKeys(perms),
			Description: "Held implicitly by every member"},
		{Name: roster.BuiltinAdmin, Builtin: roster.BuiltinAdmin, Position: 1, Permissions: []string{roster.PermAdministrator},
			Description: "Holds every permission"},
	}
	for _, r := range builtins {
		if _, err := insertRole(tx, scope, r); err != nil {
			return err
		}
	}
	return nil
}

// ensurePlatform creates the platform scope's built-in roles on first open.
func (db *DB) ensurePlatform(ctx context.Context) error {
	_, err := db.update(roster.NewContext(ctx, roster.SystemActor), roster.Platform, func(tx *Tx) error {
		n, err := countRoles(tx, roster.Platform)
		if err != nil || n > 0 {
			return err
		}
		return createBuiltinRoles(tx, roster.Platform)
	})
	return err
}

// CreateCommunity creates a community with its built-in roles.
func (db *DB) CreateCommunity(ctx context.Context, c roster.Community) (roster.Community, roster.Revision, error) {
	if err := c.Clean(); err != nil {
		return c, 0, err
	}
	var out roster.Community
	rev, err := db.updateScope(ctx, roster.Platform, func(tx *Tx, _ string) error {
		c := c // a copy: each run starts from the request
		s, err := tx.subject(roster.Platform, "")
		if err != nil {
			return err
		}
		owner, err := authz.CreateCommunity(authz.CreateCommunityFacts{Actor: s, Owner: c.OwnerID})
		if err != nil {
			return err
		}
		if c.ID == "" {
			c.ID = xid.New().String()
		}
		c.CreatedAt, c.UpdatedAt, c.OwnerID = tx.now, tx.now, nil
		_, err = tx.ExecContext(ctx, `INSERT INTO communities (id, name, owner_id, created_at, updated_at) VALUES ($1, $2, NULL, $3, $4)`,
			c.ID, c.Name, micros(tx.now), micros(tx.now))
		if tx.isUnique(err) {
			return roster.Errorf(roster.ECOMMUNITYEXISTS, "community %s already exists", c.ID)
		} else if err != nil {
			return fmt.Errorf("sqlstore: create community: %w", err)
		}
		if err := tx.event(c.ID, roster.ActionCommunityCreated, roster.TargetCommunity, c.ID, nil, c); err != nil {
			return err
		}
		if err := createBuiltinRoles(tx, c.ID); err != nil {
			return err
		}
		if owner != nil {
			if _, err := tx.join(c.ID, *owner, nil); err != nil {
				return err
			}
			if c, err = tx.setOwner(c, owner); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	if err != nil {
		return c, 0, err
	}
	return out, rev, nil
}

// setOwner records a new owner (nil for none) and its event.
func (tx *Tx) setOwner(c roster.Community, owner *string) (roster.Community, error) {
	before := c
	if owner != nil && *owner == "" {
		owner = nil
	}
	c.OwnerID, c.UpdatedAt = owner, tx.now
	if _, err := tx.ExecContext(tx.ctx, `UPDATE communities SET owner_id = $1, updated_at = $2 WHERE id = $3`, nullStr(owner), micros(tx.now), c.ID); err != nil {
		return c, fmt.Errorf("sqlstore: set owner: %w", err)
	}
	return c, tx.event(c.ID, roster.ActionOwnerTransferred, roster.TargetCommunity, c.ID, before, c)
}

// FindCommunity returns a community.
func (db *DB) FindCommunity(ctx context.Context, id string) (roster.Community, error) {
	if err := authz.Reach(roster.ActorFrom(ctx), id); err != nil {
		return roster.Community{}, err
	}
	return findCommunity(ctx, db.read, id)
}

// ListCommunities returns communities ordered by id.
func (db *DB) ListCommunities(ctx context.Context, f roster.CommunityFilter, p roster.Page) ([]roster.Community, string, error) {
	if err := f.Clean(); err != nil {
		return nil, "", err
	}
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	where, args := `id > $1`, []any{pg.after, pg.fetch()}
	if only := authz.Reachable(roster.ActorFrom(ctx)); only != "" {
		where, args = where+` AND id = $3`, append(args, only)
	}
	if f.Search != "" {
		n := len(args)
		where += fmt.Sprintf(` AND (LOWER(name) LIKE $%d ESCAPE '\' OR LOWER(id) LIKE $%d ESCAPE '\')`, n+1, n+2)
		literal := likeEscaper.Replace(f.Search)
		args = append(args, "%"+strings.ToLower(literal)+"%", strings.ToLower(literal)+"%")
	}
	query := `SELECT ` + communityColumns + ` FROM communities WHERE ` + where + ` ORDER BY id LIMIT $2`
	list, err := collect(ctx, db.read, "communities", query, args, func(s scanner) (roster.Community, error) { return scanCommunity(s) })
	if err != nil {
		return nil, "", err
	}
	list, next := paginate(pg, list, func(c roster.Community) string { return c.ID })
	return list, next, nil
}

// UpdateCommunity renames a community or transfers its ownership.
func (db *DB) UpdateCommunity(ctx context.Context, id string, upd roster.CommunityUpdate) (roster.Community, roster.Revision, error) {
	if err := upd.Clean(); err != nil {
		return roster.Community{}, 0, err
	}
	var out roster.Community
	rev, err := db.updateScope(ctx, id, func(tx *Tx, owner string) error {
		c, err := findCommunity(ctx, tx, id)
		if err != nil {
			return err
		}
		f := authz.UpdateCommunityFacts{
			Rename:   upd.Name != nil && *upd.Name != c.Name,
			Transfer: upd.OwnerID != nil && *upd.OwnerID != owner,
		}
		f.ClearOwner = f.Transfer && *upd.OwnerID == ""
		if f.Transfer && !f.ClearOwner {
			if ok, err := isMember(ctx, tx, id, *upd.OwnerID); err != nil {
				return err
			} else if !ok {
				return roster.Errorf(roster.EMEMBERNOTFOUND, "the new owner %s is not a member of community %s", *upd.OwnerID, id)
			}
		}
		if f.Actor, err = tx.subject(id, owner); err != nil {
			return err
		}
		admins, err := adminHolders(tx, id)
		if err != nil {
			return err
		}
		f.AdminHolders = len(admins)
		if err := authz.UpdateCommunity(f); err != nil {
			return err
		}
		if f.Rename {
			before := c
			c.Name, c.UpdatedAt = *upd.Name, tx.now
			if _, err := tx.ExecContext(ctx, `UPDATE communities SET name = $1, updated_at = $2 WHERE id = $3`, c.Name, micros(tx.now), id); err != nil {
				return fmt.Errorf("sqlstore: rename community: %w", err)
			}
			if err := tx.event(id, roster.ActionCommunityUpdated, roster.TargetCommunity, id, before, c); err != nil {
				return err
			}
		}
		if f.Transfer {
			if c, err = tx.setOwner(c, upd.OwnerID); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	if err != nil {
		return roster.Community{}, 0, err
	}
	return out, rev, nil
}

// DeleteCommunity removes a community and everything in it.
func (db *DB) DeleteCommunity(ctx context.Context, id string) (roster.Revision, error) {
	return db.updateScope(ctx, id, func(tx *Tx, owner string) error {
		c, err := findCommunity(ctx, tx, id)
		if err != nil {
			return err
		}
		s, err := tx.subject(id, owner)
		if err != nil {
			return err
		}
		if err := authz.DeleteCommunity(authz.DeleteCommunityFacts{Actor: s}); err != nil {
			return err
		}
		if err := tx.revokeKeysOf(id); err != nil {
			return err
		}
		if err := tx.deleteWebhooksOf(id); err != nil {
			return err
		}
		for _, stmt := range []string{
			`DELETE FROM assignments WHERE scope = $1`,
			`DELETE FROM roles WHERE scope = $1`,
			`DELETE FROM members WHERE community_id = $1`,
			`DELETE FROM communities WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, stmt, id); err != nil {
				return fmt.Errorf("sqlstore: delete community: %w", err)
			}
		}
		return tx.event(id, roster.ActionCommunityDeleted, roster.TargetCommunity, id, c, nil)
	})
}

// likeEscaper makes a text match itself alone in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
