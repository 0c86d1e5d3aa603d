package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// join makes the user a member of the community with its default roles, or
// updates their display name if they are one. It reports whether they joined.
func (tx *Tx) join(community, user string, displayName *string) (bool, error) {
	if _, err := tx.ensureUser(user); err != nil {
		return false, err
	}
	member, err := isMember(tx.ctx, tx, community, user)
	if err != nil {
		return false, err
	}
	if member {
		if displayName == nil {
			return false, nil
		}
		before, err := findMember(tx.ctx, tx, community, user, tx.now)
		if err != nil || *displayName == before.DisplayName {
			return false, err
		}
		after := before
		after.DisplayName = *displayName
		if _, err := tx.ExecContext(tx.ctx, `UPDATE members SET display_name = $1 WHERE community_id = $2 AND user_id = $3`, after.DisplayName, community, user); err != nil {
			return false, fmt.Errorf("sqlstore: update member: %w", err)
		}
		return false, tx.event(community, roster.ActionMemberUpdated, roster.TargetMember, user, before, after)
	}
	m := roster.Member{CommunityID: &community, UserID: user, JoinedAt: &tx.now, Roles: []roster.HeldRole{}}
	if displayName != nil {
		m.DisplayName = *displayName
	}
	if err := tx.exec(`INSERT INTO members (community_id, user_id, display_name, joined_at) VALUES ($1, $2, $3, $4)`,
		community, user, m.DisplayName, micros(tx.now)); err != nil {
		return false, fmt.Errorf("sqlstore: join: %w", err)
	}
	if err := tx.event(community, roster.ActionMemberJoined, roster.TargetMember, user, nil, m); err != nil {
		return false, err
	}
	defaults, err := tx.defaultRoles(community)
	if err != nil {
		return false, err
	}
	grants := make([]roster.Assignment, len(defaults))
	for i, r := range defaults {
		grants[i] = roster.Assignment{UserID: user, RoleID: r.ID, RoleName: r.Name}
	}
	return true, tx.grant(community, roster.SourceManual, nil, grants...)
}

// defaultRoles returns the roles every new member of the community
// receives, read once per transaction.
func (tx *Tx) defaultRoles(community string) ([]roster.Role, error) {
	if roles, ok := tx.defaults[community]; ok {
		return roles, nil
	}
	roles, err := queryRoles(tx.ctx, tx, selectRoles+` WHERE scope = $1 AND is_default AND builtin != 'everyone' ORDER BY position`, community)
	if err != nil {
		return nil, err
	}
	if tx.defaults == nil {
		tx.defaults = map[string][]roster.Role{}
	}
	tx.defaults[community] = roles
	return roles, nil
}

// AddMember makes a user a member of a community.
func (db *DB) AddMember(ctx context.Context, communityID, userID string, displayName *string) (roster.Upserted[roster.Member], roster.Revision, error) {
	var out roster.Upserted[roster.Member]
	if err := roster.CheckID("userId", userID); err != nil {
		return out, 0, err
	}
	if err := roster.CleanDisplayName(displayName); err != nil {
		return out, 0, err
	}
	rev, err := db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		s, err := tx.subject(communityID, owner)
		if err != nil {
			return err
		}
		if err := authz.AddMembers(authz.AddMembersFacts{Actor: s, Users: []string{userID}}); err != nil {
			return err
		}
		if out.Created, err = tx.join(communityID, userID, displayName); err != nil {
			return err
		}
		out.Value, err = findMember(ctx, tx, communityID, userID, tx.now)
		return err
	})
	if err != nil {
		return roster.Upserted[roster.Member]{}, 0, err
	}
	return out, rev, nil
}

// AddMembers adds users to a community, all or nothing.
func (db *DB) AddMembers(ctx context.Context, communityID string, userIDs []string) ([]roster.JoinResult, roster.Revision, error) {
	if err := roster.CheckJoins(userIDs); err != nil {
		return nil, 0, err
	}
	users := roster.Unique(userIDs)
	var out []roster.JoinResult
	rev, err := db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		s, err := tx.subject(communityID, owner)
		if err != nil {
			return err
		}
		if err := authz.AddMembers(authz.AddMembersFacts{Actor: s, Users: users}); err != nil {
			return err
		}
		out = make([]roster.JoinResult, len(users))
		for i, u := range users {
			joined, err := tx.join(communityID, u, nil)
			if err != nil {
				return err
			}
			out[i] = roster.JoinResult{UserID: u, Result: roster.AlreadyMember}
			if joined {
				out[i].Result = roster.Joined
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, rev, nil
}

// FindMember returns a member with their roles.
func (db *DB) FindMember(ctx context.Context, communityID, userID string) (roster.Member, error) {
	return db.ListUserRoles(ctx, communityID, userID)
}

// ListMembers returns a community's members ordered by user id.
func (db *DB) ListMembers(ctx context.Context, communityID string, f roster.MemberFilter, p roster.Page) ([]roster.Member, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	if err := f.Clean(); err != nil {
		return nil, "", err
	}
	var members []roster.Member
	var next string
	err = db.viewScope(ctx, communityID, func(tx sqlTx, _ string) error {
		now := db.now()
		query := `SELECT m.user_id, m.display_name, m.joined_at FROM members m WHERE m.community_id = $1 AND m.user_id > $2`
		args := []any{communityID, pg.after, pg.fetch()}
		if f.RoleID != "" {
			role, err := findRole(ctx, tx, communityID, f.RoleID)
			if err != nil {
				return err
			}
			if role.Builtin != roster.BuiltinEveryone {
				query += ` AND EXISTS (SELECT 1 FROM assignments a WHERE a.role_id = $4 AND a.user_id = m.user_id AND (a.expires_at IS NULL OR a.expires_at > $5))`
				args = append(args, role.ID, micros(now))
			}
		}
		if f.Search != "" {
			n := len(args)
			query += fmt.Sprintf(` AND (LOWER(m.display_name) LIKE $%d ESCAPE '\' OR LOWER(m.user_id) LIKE $%d ESCAPE '\')`, n+1, n+2)
			literal := strings.ToLower(likeEscaper.Replace(f.Search))
			args = append(args, "%"+literal+"%", literal+"%")
		}
		list, err := collect(ctx, tx, "members", query+` ORDER BY m.user_id LIMIT $3`, args, func(s scanner) (roster.Member, error) {
			m := roster.Member{CommunityID: &communityID}
			var joined int64
			err := s.Scan(&m.UserID, &m.DisplayName, &joined)
			t := fromMicros(joined)
			m.JoinedAt = &t
			return m, err
		})
		if err != nil {
			return err
		}
		members, next = paginate(pg, list, func(m roster.Member) string { return m.UserID })
		users := make([]string, len(members))
		for i, m := range members {
			users[i] = m.UserID
		}
		held, err := heldBy(ctx, tx, communityID, users, now)
		if err != nil {
			return err
		}
		for i := range members {
			members[i].Roles = rolesOf(held, members[i].UserID)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return members, next, nil
}

// RemoveMember removes a user and their roles from a community.
func (db *DB) RemoveMember(ctx context.Context, communityID, userID string) (roster.Revision, error) {
	return db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		m, err := findMember(ctx, tx, communityID, userID, tx.now)
		if err != nil {
			return err
		}
		f := authz.RemoveMemberFacts{HasOwner: owner != ""}
		if f.Actor, err = tx.subject(communityID, owner); err != nil {
			return err
		}
		admins, err := adminHolders(tx, communityID)
		if err != nil {
			return err
		}
		f.AdminHolders = len(admins)
		f.Member = authz.MemberFacts{User: userID, Owner: owner == userID, HoldsAdmin: slices.Contains(admins, userID)}
		for _, r := range m.Roles {
			f.Member.Top = authz.Top(f.Member.Top, r.Position)
		}
		if err := authz.RemoveMember(f); err != nil {
			return err
		}
		if err := removeAssignments(tx, communityID, `a.user_id = $2`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE community_id = $1 AND user_id = $2`, communityID, userID); err != nil {
			return fmt.Errorf("sqlstore: leave: %w", err)
		}
		m.Roles = nil
		return tx.event(communityID, roster.ActionMemberLeft, roster.TargetMember, userID, m, nil)
	})
}
