package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

func findUser(ctx context.Context, q querier, id string) (roster.User, error) {
	u := roster.User{ID: id}
	var meta sql.NullString
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT display_name, metadata, created_at, updated_at FROM users WHERE id = $1`, id).
		Scan(&u.DisplayName, &meta, &created, &updated)
	if err != nil {
		return u, notFound(err, roster.EUSERNOTFOUND, "user %s not found", id)
	}
	u.Metadata = json.RawMessage("{}")
	if meta.Valid {
		u.Metadata = json.RawMessage(meta.String)
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return u, nil
}

// ensureUser creates the user's record if it does not exist yet, and
// reports whether it did.
func (tx *Tx) ensureUser(id string) (bool, error) {
	res, err := tx.ExecContext(tx.ctx, `INSERT INTO users (id, display_name, created_at, updated_at) VALUES ($1, '', $2, $3) ON CONFLICT (id) DO NOTHING`,
		id, micros(tx.now), micros(tx.now))
	if err != nil {
		return false, fmt.Errorf("sqlstore: ensure user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	u, err := findUser(tx.ctx, tx, id)
	if err != nil {
		return false, err
	}
	return true, tx.event(roster.Platform, roster.ActionUserCreated, roster.TargetUser, id, nil, u)
}

// FindUser returns a user's record.
func (db *DB) FindUser(ctx context.Context, id string) (roster.User, error) {
	if err := authz.Reach(roster.ActorFrom(ctx), roster.Platform); err != nil {
		return roster.User{}, err
	}
	return findUser(ctx, db.read, id)
}

// PutUser creates or updates a user's record.
func (db *DB) PutUser(ctx context.Context, id string, upd roster.UserUpdate) (roster.Upserted[roster.User], roster.Revision, error) {
	var out roster.Upserted[roster.User]
	if err := roster.CheckID("userId", id); err != nil {
		return out, 0, err
	}
	if err := upd.Clean(); err != nil {
		return out, 0, err
	}
	rev, err := db.updateScope(ctx, roster.Platform, func(tx *Tx, _ string) error {
		s, err := tx.subject(roster.Platform, "")
		if err != nil {
			return err
		}
		if err := authz.PutUser(authz.PutUserFacts{Actor: s, User: id}); err != nil {
			return err
		}
		if out.Created, err = tx.ensureUser(id); err != nil {
			return err
		}
		before, err := findUser(ctx, tx, id)
		if err != nil {
			return err
		}
		after := before
		if upd.DisplayName != nil {
			after.DisplayName = *upd.DisplayName
		}
		if len(upd.Metadata) > 0 {
			after.Metadata = upd.Metadata
		}
		if after.DisplayName != before.DisplayName || string(after.Metadata) != string(before.Metadata) {
			after.UpdatedAt = tx.now
			_, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $1, metadata = $2, updated_at = $3 WHERE id = $4`,
				after.DisplayName, string(after.Metadata), micros(after.UpdatedAt), id)
			if err != nil {
				return fmt.Errorf("sqlstore: update user: %w", err)
			}
			if err := tx.event(roster.Platform, roster.ActionUserUpdated, roster.TargetUser, id, before, after); err != nil {
				return err
			}
		}
		out.Value = after
		return nil
	})
	if err != nil {
		return roster.Upserted[roster.User]{}, 0, err
	}
	return out, rev, nil
}

// ListMemberships returns the communities a user belongs to, with their
// roles there.
func (db *DB) ListMemberships(ctx context.Context, userID string, p roster.Page) ([]roster.Membership, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	var out []roster.Membership
	var next string
	err = db.viewScope(ctx, roster.Platform, func(tx sqlTx, _ string) error {
		if _, err := findUser(ctx, tx, userID); err != nil {
			return err
		}
		list, err := collect(ctx, tx, "memberships", `SELECT `+communityColumns+`, m.display_name, m.joined_at FROM communities c
			JOIN members m ON m.community_id = c.id WHERE m.user_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3`, []any{userID, pg.after, pg.fetch()},
			func(s scanner) (roster.Membership, error) {
				var ms roster.Membership
				var joined int64
				var err error
				ms.Community, err = scanCommunity(s, &ms.Member.DisplayName, &joined)
				t := fromMicros(joined)
				ms.Member.CommunityID, ms.Member.UserID, ms.Member.JoinedAt = &ms.Community.ID, userID, &t
				return ms, err
			})
		if err != nil {
			return err
		}
		out, next = paginate(pg, list, func(m roster.Membership) string { return m.Community.ID })
		ids := make([]string, len(out))
		for i, m := range out {
			ids[i] = m.Community.ID
		}
		held, err := heldIn(ctx, tx, userID, ids, db.now())
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Member.Roles = rolesOf(held, out[i].Community.ID)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
