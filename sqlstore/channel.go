package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// channelsOf reads channels of a community with their overwrites: those
// whose id is in ids, or every channel after the key `after` when ids is
// nil, at most limit of them (no limit when 0).
func channelsOf(ctx context.Context, q querier, community string, ids []string, after string, limit int) ([]roster.Channel, error) {
	query := `SELECT id, name, created_at, updated_at FROM channels WHERE community_id = $1`
	args := []any{community}
	if ids != nil {
		query += ` AND id IN (` + placeholders(2, len(ids)) + `)`
		args = append(args, anys(ids)...)
	} else {
		query += ` AND id > $2`
		args = append(args, after)
	}
	query += ` ORDER BY id`
	if limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, limit)
	}
	out, err := collect(ctx, q, "channels", query, args, func(s scanner) (roster.Channel, error) {
		c := roster.Channel{CommunityID: community, Overwrites: []roster.Overwrite{}}
		var created, updated int64
		err := s.Scan(&c.ID, &c.Name, &created, &updated)
		c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
		return c, err
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	first, last := out[0].ID, out[len(out)-1].ID
	ows, err := overwritesOf(ctx, q, community, `o.channel_id BETWEEN $2 AND $3`, first, last)
	if err != nil {
		return nil, err
	}
	byChannel := byChannel(ows)
	for i := range out {
		if list := byChannel[out[i].ID]; list != nil {
			out[i].Overwrites = list
		}
	}
	return out, nil
}

// byChannel groups overwrites by channel.
func byChannel(ows []roster.Overwrite) map[string][]roster.Overwrite {
	out := map[string][]roster.Overwrite{}
	for _, o := range ows {
		out[o.ChannelID] = append(out[o.ChannelID], o)
	}
	return out
}

// overwritesOf reads the overwrites of a community that match where (whose
// placeholders start at $2): role overwrites first, bottom to top, then
// member overwrites by user id.
func overwritesOf(ctx context.Context, q querier, community, where string, args ...any) ([]roster.Overwrite, error) {
	var out []roster.Overwrite
	err := each(ctx, q, "overwrites", `
		SELECT o.channel_id, o.target_type, o.target_id, COALESCE(p.key, ''), COALESCE(p.effect, '')
		FROM overwrites o
		LEFT JOIN roles r ON o.target_type = 'role' AND r.id = o.target_id
		LEFT JOIN overwrite_permissions p ON p.community_id = o.community_id AND p.channel_id = o.channel_id
			AND p.target_type = o.target_type AND p.target_id = o.target_id
		WHERE o.community_id = $1 AND `+where+`
		ORDER BY o.channel_id, o.target_type DESC, COALESCE(r.position, 0), o.target_id, p.key`,
		append([]any{community}, args...), func(s scanner) error {
			var o roster.Overwrite
			var key, effect string
			if err := s.Scan(&o.ChannelID, &o.Type, &o.ID, &key, &effect); err != nil {
				return err
			}
			if n := len(out); n == 0 || out[n-1].ChannelID != o.ChannelID || out[n-1].Type != o.Type || out[n-1].ID != o.ID {
				o.Allow, o.Deny = []string{}, []string{}
				out = append(out, o)
			}
			last := &out[len(out)-1]
			switch effect {
			case roster.EffectAllow:
				last.Allow = append(last.Allow, key)
			case roster.EffectDeny:
				last.Deny = append(last.Deny, key)
			}
			return nil
		})
	return out, err
}

// findChannel returns a channel of the community with its overwrites.
func findChannel(ctx context.Context, q querier, community, id string) (roster.Channel, error) {
	found, err := channelsOf(ctx, q, community, []string{id}, "", 0)
	if err != nil {
		return roster.Channel{}, err
	}
	if len(found) == 0 {
		return roster.Channel{}, roster.Errorf(roster.ECHANNELNOTFOUND, "channel %s not found in community %s", id, community)
	}
	return found[0], nil
}

// FindChannel returns a channel with its overwrites.
func (db *DB) FindChannel(ctx context.Context, communityID, id string) (roster.Channel, error) {
	var c roster.Channel
	err := db.viewScope(ctx, communityID, func(tx sqlTx, _ string) error {
		var err error
		c, err = findChannel(ctx, tx, communityID, id)
		return err
	})
	return c, err
}

// ListChannels returns a community's channels ordered by id.
func (db *DB) ListChannels(ctx context.Context, communityID string, p roster.Page) ([]roster.Channel, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	var channels []roster.Channel
	err = db.viewScope(ctx, communityID, func(tx sqlTx, _ string) error {
		var err error
		channels, err = channelsOf(ctx, tx, communityID, nil, pg.after, pg.fetch())
		return err
	})
	if err != nil {
		return nil, "", err
	}
	channels, next := paginate(pg, channels, func(c roster.Channel) string { return c.ID })
	return channels, next, nil
}

// PutChannel creates a channel or renames it.
func (db *DB) PutChannel(ctx context.Context, c roster.Channel) (roster.Upserted[roster.Channel], roster.Revision, error) {
	if err := c.Clean(); err != nil {
		return roster.Upserted[roster.Channel]{}, 0, err
	}
	var out roster.Upserted[roster.Channel]
	rev, err := db.updateScope(ctx, c.CommunityID, func(tx *Tx, owner string) error {
		f := authz.PutChannelFacts{}
		var err error
		if f.Actor, err = tx.subject(c.CommunityID, owner); err != nil {
			return err
		}
		old, err := findChannel(ctx, tx, c.CommunityID, c.ID)
		if f.Exists = err == nil; err != nil && roster.ErrorCode(err) != roster.ECHANNELNOTFOUND {
			return err
		}
		if !f.Exists {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM channels WHERE community_id = $1`, c.CommunityID).Scan(&f.Channels); err != nil {
				return fmt.Errorf("sqlstore: channels: %w", err)
			}
		}
		if err := authz.PutChannel(f); err != nil {
			return err
		}
		switch {
		case f.Exists && old.Name == c.Name:
			out = roster.Upserted[roster.Channel]{Value: old}
			return nil
		case f.Exists:
			renamed := old
			renamed.Name, renamed.UpdatedAt = c.Name, tx.now
			if _, err := tx.ExecContext(ctx, `UPDATE channels SET name = $1, updated_at = $2 WHERE community_id = $3 AND id = $4`,
				c.Name, micros(tx.now), c.CommunityID, c.ID); err != nil {
				return fmt.Errorf("sqlstore: rename channel: %w", err)
			}
			if err := tx.event(c.CommunityID, roster.ActionChannelUpdated, roster.TargetChannel, c.ID, old, renamed); err != nil {
				return err
			}
			out = roster.Upserted[roster.Channel]{Value: renamed}
			return nil
		}
		c := c
		c.CreatedAt, c.UpdatedAt, c.Overwrites = tx.now, tx.now, []roster.Overwrite{}
		if _, err := tx.ExecContext(ctx, `INSERT INTO channels (community_id, id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			c.CommunityID, c.ID, c.Name, micros(tx.now), micros(tx.now)); err != nil {
			return fmt.Errorf("sqlstore: create channel: %w", err)
		}
		if err := tx.event(c.CommunityID, roster.ActionChannelCreated, roster.TargetChannel, c.ID, nil, c); err != nil {
			return err
		}
		out = roster.Upserted[roster.Channel]{Value: c, Created: true}
		return nil
	})
	if err != nil {
		return roster.Upserted[roster.Channel]{}, 0, err
	}
	return out, rev, nil
}

// DeleteChannel removes a channel and its overwrites.
func (db *DB) DeleteChannel(ctx context.Context, communityID, id string) (roster.Revision, error) {
	return db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		c, err := findChannel(ctx, tx, communityID, id)
		if err != nil {
			return err
		}
		s, err := tx.subject(communityID, owner)
		if err != nil {
			return err
		}
		if err := authz.DeleteChannel(authz.DeleteChannelFacts{Actor: s}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE community_id = $1 AND id = $2`, communityID, id); err != nil {
			return fmt.Errorf("sqlstore: delete channel: %w", err)
		}
		return tx.event(communityID, roster.ActionChannelDeleted, roster.TargetChannel, id, c, nil)
	})
}

// overwriteTarget finds what an overwrite targets: a role of the community
// (whose real id replaces an alias in o.ID), or a member.
func overwriteTarget(tx *Tx, community string, o *roster.Overwrite) (*authz.RoleFacts, error) {
	if o.Type == roster.OverwriteMember {
		ok, err := isMember(tx.ctx, tx, community, o.ID)
		if err == nil && !ok {
			err = roster.Errorf(roster.EMEMBERNOTFOUND, "user %s is not a member of community %s", o.ID, community)
		}
		return nil, err
	}
	r, err := findRole(tx.ctx, tx, community, o.ID)
	if err != nil {
		return nil, err
	}
	o.ID = r.ID
	f := authz.RoleOf(r)
	return &f, nil
}

// SetOverwrite creates or replaces an overwrite in a channel.
func (db *DB) SetOverwrite(ctx context.Context, communityID string, o roster.Overwrite) (roster.Overwrite, roster.Revision, error) {
	requested, allowed := append(slices.Clone(o.Allow), o.Deny...), len(o.Allow)
	if err := o.Clean(); err != nil {
		return o, 0, err
	}
	var out roster.Overwrite
	rev, err := db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		o := o // a copy: overwriteTarget resolves its id
		c, err := findChannel(ctx, tx, communityID, o.ChannelID)
		if err != nil {
			return err
		}
		role, err := overwriteTarget(tx, communityID, &o)
		if err != nil {
			return err
		}
		if err := checkKeys(ctx, tx, requested, func(i int) string {
			if i < allowed {
				return fmt.Sprintf("allow[%d]", i)
			}
			return fmt.Sprintf("deny[%d]", i-allowed)
		}); err != nil {
			return err
		}
		f := authz.SetOverwriteFacts{Role: role, Allow: o.Allow, Deny: o.Deny, Overwrites: len(c.Overwrites)}
		var old roster.Overwrite
		old, f.Exists = overwriteIn(c, o)
		f.Old = authz.Overwrite{Allow: old.Allow, Deny: old.Deny}
		if f.Actor, err = tx.subject(communityID, owner); err != nil {
			return err
		}
		if err := authz.SetOverwrite(f); err != nil {
			return err
		}
		if f.Exists && slices.Equal(old.Allow, o.Allow) && slices.Equal(old.Deny, o.Deny) {
			out = o
			return nil
		}
		key := []any{communityID, o.ChannelID, o.Type, o.ID}
		if _, err := tx.ExecContext(ctx, `INSERT INTO overwrites (community_id, channel_id, target_type, target_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, key...); err != nil {
			return fmt.Errorf("sqlstore: overwrite: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM overwrite_permissions
			WHERE community_id = $1 AND channel_id = $2 AND target_type = $3 AND target_id = $4`, key...); err != nil {
			return fmt.Errorf("sqlstore: overwrite: %w", err)
		}
		for _, side := range []struct {
			effect string
			keys   []string
		}{{roster.EffectAllow, o.Allow}, {roster.EffectDeny, o.Deny}} {
			for _, k := range side.keys {
				if err := tx.exec(`INSERT INTO overwrite_permissions (community_id, channel_id, target_type, target_id, key, effect)
					VALUES ($1, $2, $3, $4, $5, $6)`, append(key, k, side.effect)...); err != nil {
					return fmt.Errorf("sqlstore: overwrite: %w", err)
				}
			}
		}
		var before any
		if f.Exists {
			before = old
		}
		if err := tx.event(communityID, roster.ActionOverwriteSet, roster.TargetChannel, o.ChannelID, before, o); err != nil {
			return err
		}
		out = o
		return nil
	})
	if err != nil {
		return o, 0, err
	}
	return out, rev, nil
}

// overwriteIn returns the channel's overwrite of the same target as o.
func overwriteIn(c roster.Channel, o roster.Overwrite) (roster.Overwrite, bool) {
	for _, old := range c.Overwrites {
		if old.Type == o.Type && old.ID == o.ID {
			return old, true
		}
	}
	return roster.Overwrite{}, false
}

// DeleteOverwrite removes an overwrite from a channel.
func (db *DB) DeleteOverwrite(ctx context.Context, communityID string, o roster.Overwrite) (roster.Revision, error) {
	return db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		o := o // a copy: overwriteTarget resolves its id
		c, err := findChannel(ctx, tx, communityID, o.ChannelID)
		if err != nil {
			return err
		}
		var role *authz.RoleFacts
		if o.Type == roster.OverwriteRole {
			if role, err = overwriteTarget(tx, communityID, &o); err != nil {
				return err
			}
		}
		old, exists := overwriteIn(c, o)
		if !exists {
			return roster.Errorf(roster.EOVERWRITENOTFOUND, "channel %s has no overwrite for %s %s", o.ChannelID, o.Type, o.ID)
		}
		s, err := tx.subject(communityID, owner)
		if err != nil {
			return err
		}
		if err := authz.DeleteOverwrite(authz.DeleteOverwriteFacts{Actor: s, Role: role, Old: authz.Overwrite{Allow: old.Allow, Deny: old.Deny}}); err != nil {
			return err
		}
		return removeOverwrites(tx, communityID, []roster.Overwrite{old})
	})
}

// removeOverwrites deletes overwrites, with one event each.
func removeOverwrites(tx *Tx, community string, ows []roster.Overwrite) error {
	for _, o := range ows {
		if _, err := tx.ExecContext(tx.ctx, `DELETE FROM overwrites WHERE community_id = $1 AND channel_id = $2 AND target_type = $3 AND target_id = $4`,
			community, o.ChannelID, o.Type, o.ID); err != nil {
			return fmt.Errorf("sqlstore: delete overwrite: %w", err)
		}
		if err := tx.event(community, roster.ActionOverwriteDeleted, roster.TargetChannel, o.ChannelID, o, nil); err != nil {
			return err
		}
	}
	return nil
}
