package sqlstore

import (
	"context"
	"fmt"
	"slices"

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
		if _, err := tx.ExecContext(tx.ctx, `UPDATE members SET display_name = ? WHERE community_id = ? AND user_id = ?`, after.DisplayName, community, user); err != nil {
			return false, fmt.Errorf("sqlstore: update member: %w", err)
		}
		return false, tx.event(community, roster.ActionMemberUpdated, roster.TargetMember, user, before, after)
	}
	m := roster.Member{CommunityID: &community, UserID: user, JoinedAt: &tx.now, Roles: []roster.HeldRole{}}
	if displayName != nil {
		m.DisplayName = *displayName
	}
	if err := tx.exec(`INSERT INTO members (community_id, user_id, display_name, joined_at) VALUES (?, ?, ?, ?)`,
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
	roles, err := queryRoles(tx.ctx, tx, `SELECT `+roleColumns+` FROM roles WHERE scope = ? AND is_default AND builtin != 'everyone' ORDER BY position`, community)
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
func (db *DB) AddMember(ctx context.Context, communityID, userID string, displayName *string) (roster.Member, bool, roster.Revision, error) {
	if err := roster.CheckID("path.userId", userID); err != nil {
		return roster.Member{}, false, 0, err
	}
	if err := roster.CleanDisplayName(displayName); err != nil {
		return roster.Member{}, false, 0, err
	}
	var m roster.Member
	var joined bool
	rev, err := db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		s, err := tx.subject(communityID, owner)
		if err != nil {
			return err
		}
		if err := authz.Self(s, userID, roster.PermManageMembers); err != nil {
			return err
		}
		if joined, err = tx.join(communityID, userID, displayName); err != nil {
			return err
		}
		m, err = findMember(ctx, tx, communityID, userID, tx.now)
		return err
	})
	if err != nil {
		return roster.Member{}, false, 0, err
	}
	return m, joined, rev, nil
}

// AddMembers adds users to a community, all or nothing.
func (db *DB) AddMembers(ctx context.Context, communityID string, userIDs []string) ([]roster.JoinResult, roster.Revision, error) {
	if len(userIDs) == 0 || len(userIDs) > roster.MaxMemberBatch {
		return nil, 0, roster.Invalid(roster.FieldError{Location: "body.userIds", Message: "must list 1 to 1000 ids", Value: len(userIDs)})
	}
	if err := roster.CheckIDs("body.userIds", userIDs); err != nil {
		return nil, 0, err
	}
	users := roster.Unique(userIDs)
	var out []roster.JoinResult
	rev, err := db.updateScope(ctx, communityID, func(tx *Tx, owner string) error {
		s, err := tx.subject(communityID, owner)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := authz.Self(s, u, roster.PermManageMembers); err != nil {
				return err
			}
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
	tx, _, err := db.readScope(ctx, communityID)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	now := db.now()
	query := `SELECT m.user_id, m.display_name, m.joined_at FROM members m WHERE m.community_id = ? AND m.user_id > ?`
	args := []any{communityID, pg.after}
	if f.RoleID != "" {
		role, err := findRole(ctx, tx, communityID, f.RoleID)
		if err != nil {
			return nil, "", err
		}
		if role.Builtin != roster.BuiltinEveryone {
			query += ` AND EXISTS (SELECT 1 FROM assignments a WHERE a.role_id = ? AND a.user_id = m.user_id AND (a.expires_at IS NULL OR a.expires_at > ?))`
			args = append(args, role.ID, micros(now))
		}
	}
	rows, err := tx.QueryContext(ctx, query+` ORDER BY m.user_id LIMIT ?`, append(args, pg.fetch())...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: members: %w", err)
	}
	defer rows.Close()
	members := []roster.Member{}
	for rows.Next() {
		m := roster.Member{CommunityID: &communityID}
		var joined int64
		if err := rows.Scan(&m.UserID, &m.DisplayName, &joined); err != nil {
			return nil, "", fmt.Errorf("sqlstore: members: %w", err)
		}
		t := fromMicros(joined)
		m.JoinedAt = &t
		members = append(members, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlstore: members: %w", err)
	}
	members, next := paginate(pg, members, func(m roster.Member) string { return m.UserID })
	users := make([]string, len(members))
	for i, m := range members {
		users[i] = m.UserID
	}
	held, err := heldBy(ctx, tx, communityID, users, now)
	if err != nil {
		return nil, "", err
	}
	for i := range members {
		members[i].Roles = rolesOf(held, members[i].UserID)
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
		s, err := tx.subject(communityID, owner)
		if err != nil {
			return err
		}
		admins, err := adminHolders(tx, communityID)
		if err != nil {
			return err
		}
		target := authz.MemberFacts{User: userID, Owner: owner == userID, HoldsAdmin: slices.Contains(admins, userID)}
		for _, r := range m.Roles {
			target.Top = authz.Top(target.Top, r.Position)
		}
		if err := authz.RemoveMember(s, target, owner != "", len(admins)); err != nil {
			return err
		}
		if err := removeAssignments(tx, communityID, `user_id = ?`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE community_id = ? AND user_id = ?`, communityID, userID); err != nil {
			return fmt.Errorf("sqlstore: leave: %w", err)
		}
		m.Roles = nil
		return tx.event(communityID, roster.ActionMemberLeft, roster.TargetMember, userID, m, nil)
	})
}
